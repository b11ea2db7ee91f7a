"""`contractvm.toml`, a project's settings for the compiler and the tests (written by `contractvm init`).

    [compiler]
    contracts = "contracts"   # where `.ctr` sources live: deploy("token.ctr") also looks there
    deny_warnings = false     # a compiler warning fails the deployment instead of a pytest warning

    [test]
    paths = ["tests"]         # what `contractvm test` runs when given no paths
    accounts = 10             # funded development accounts (the `accounts` fixture)
    fee_per_gas = 0           # 0: fees off, balances can be asserted exactly
    gas_report = false        # always print the gas report (as --gas-report)
    coverage = false          # always print .ctr line coverage (as --ctr-coverage)
    chain_replay = false      # replay every test's blocks on a real chain and check them (as --chain-replay)

Every key is optional; an unknown key or a value of the wrong type is an error naming it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FILENAME = "contractvm.toml"


class ConfigError(ValueError):
    """A contractvm.toml that cannot be used: not TOML, an unknown key, a value of the wrong type."""


@dataclass(frozen=True)
class ProjectConfig:
    root: Path | None = None  # the directory holding contractvm.toml (None: no file, defaults)
    contracts: str = "contracts"
    deny_warnings: bool = False
    paths: tuple[str, ...] = ("tests",)
    accounts: int = 10
    fee_per_gas: int = 0
    gas_report: bool = False
    coverage: bool = False
    chain_replay: bool = False

    @property
    def contracts_dir(self) -> Path | None:
        return None if self.root is None else self.root / self.contracts


_SCHEMA: dict[str, dict[str, type]] = {
    "compiler": {"contracts": str, "deny_warnings": bool},
    "test": {"paths": list, "accounts": int, "fee_per_gas": int, "gas_report": bool, "coverage": bool,
             "chain_replay": bool},
}


def find(start: Path) -> Path | None:
    """The nearest contractvm.toml in `start` or a directory above it."""
    start = start.resolve()
    for directory in [start, *start.parents]:
        candidate = directory / FILENAME
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> ProjectConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    values: dict[str, object] = {}
    for section, entries in data.items():
        if section not in _SCHEMA or not isinstance(entries, dict):
            raise ConfigError(f"{path}: unknown section [{section}] (known: {', '.join(_SCHEMA)})")
        for key, value in entries.items():
            kind = _SCHEMA[section].get(key)
            if kind is None:
                raise ConfigError(f"{path}: unknown key {key!r} in [{section}] (known: {', '.join(_SCHEMA[section])})")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ConfigError(f"{path}: [{section}] {key} must be a {kind.__name__}, got {value!r}")
            if kind is int and value < 0:  # type: ignore[operator]
                raise ConfigError(f"{path}: [{section}] {key} must not be negative")
            if key == "paths":
                if not all(isinstance(p, str) for p in value):  # type: ignore[attr-defined]
                    raise ConfigError(f"{path}: [test] paths must be a list of strings")
                value = tuple(value)  # type: ignore[arg-type]
            values[key] = value
    if values.get("accounts", 1) == 0:
        raise ConfigError(f"{path}: [test] accounts must be at least 1")
    return ProjectConfig(root=path.parent.resolve(), **values)  # type: ignore[arg-type]


def load_nearest(start: Path) -> ProjectConfig:
    """The settings of the project `start` is in, or the defaults when there is no contractvm.toml."""
    path = find(start)
    return ProjectConfig() if path is None else load(path)
