"""`contractvm init DIR` (a new project: a contract, its tests, contractvm.toml) and `contractvm test` (pytest).

Registered on the command group by the import at the end of cli.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from contractvm.cli import fail, guarded, main
from contractvm.testing import config as project_config

CONFIG = """\
# contractvm project settings (docs/testing.md). Every key is optional.

[compiler]
contracts = "contracts"     # where the .ctr sources live; deploy("counter.ctr") also looks here
deny_warnings = false       # true: a compiler warning fails the deployment

[test]
paths = ["tests"]           # what `contractvm test` runs when given no paths
accounts = 10               # funded development accounts (the `accounts` fixture)
fee_per_gas = 0             # 0: fees off, so balances can be asserted exactly
gas_report = false          # true: always print the gas report (as --gas-report)
coverage = false            # true: always print .ctr line coverage (as --ctr-coverage)
chain_replay = false        # true: replay every test on a real chain and check it (as --chain-replay)
"""

CONTRACT = """\
// A counter anyone can bump; only its owner can reset it.
contract Counter {
    role owner;

    state count: u64;

    event Bumped(by: address, count: u64);

    constructor(start: u64) {
        count = start;
        grant role owner to msg.sender;
    }

    pub fn bump() -> u64 {
        count += 1;
        emit Bumped(msg.sender, count);
        return count;
    }

    pub fn reset() requires owner {
        count = 0;
    }

    pub view fn current() -> u64 {
        return count;
    }
}
"""

TEST = '''\
"""Tests of contracts/counter.ctr: run them with `contractvm test` (pytest with the contractvm plugin)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.testing import reverts


@pytest.fixture(scope="module")
def counter(deploy, accounts):
    return deploy("contracts/counter.ctr", 10, sender=accounts[0])


def test_bump(counter, accounts):
    receipt = counter.bump(sender=accounts[1])
    assert receipt.return_value == 11
    assert receipt.events == [counter.Bumped(by=accounts[1], count=11)]
    assert counter.current() == 11


def test_each_test_starts_from_the_fixture(counter):
    assert counter.current() == 10


def test_only_the_owner_resets(counter, accounts):
    with reverts("caller lacks role 'owner'"):
        counter.reset(sender=accounts[1])
    counter.reset(sender=accounts[0])
    assert counter.current() == 0


@given(times=st.integers(min_value=0, max_value=5))
def test_bumps_add_up(counter, times):
    for _ in range(times):
        counter.bump()
    assert counter.current() == 10 + times
'''

GITIGNORE = """\
__pycache__/
.pytest_cache/
.hypothesis/
build/
"""

FILES = {
    project_config.FILENAME: CONFIG,
    "contracts/counter.ctr": CONTRACT,
    "tests/test_counter.py": TEST,
    ".gitignore": GITIGNORE,
}


@main.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Write the files even if DIRECTORY is not empty (overwriting them).")
@guarded
def init_cmd(directory: Path, force: bool) -> None:
    """Create a contract project in DIRECTORY: contracts/, tests/ and contractvm.toml.

    `contractvm test` then runs the sample test at once. A DIRECTORY that exists and is not empty is refused
    unless --force is given.
    """
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: is a file, not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        fail(f"{directory}: is not empty (use --force to write the project files into it anyway)")
    try:
        for name, text in FILES.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write the project in {directory}: {exc.strerror or exc}")
    click.echo(f"created a contractvm project in {directory}:")
    for name in FILES:
        click.echo(f"  {name}")
    click.echo(f"next: cd {directory} && contractvm test")


@main.command("test", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                        "help_option_names": []})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test_cmd(pytest_args: tuple[str, ...]) -> None:
    """Run the project's tests: pytest with the contractvm plugin; PYTEST_ARGS go to pytest as they are.

    The project is the nearest directory holding contractvm.toml (else the current directory); with no test
    paths given, its [test] paths are run. The exit code is pytest's (0: all passed, 1: some failed, ...).
    Options: pytest's, plus --gas-report and --ctr-coverage (`contractvm test --help` is pytest's help).
    """
    import pytest

    try:
        found = project_config.find(Path.cwd())
        project = project_config.load(found) if found is not None else project_config.ProjectConfig()
    except project_config.ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    root = project.root or Path.cwd()
    args = list(pytest_args)
    if not any(_is_path(a) for a in args):
        args += [os.path.relpath(root / p) for p in project.paths if (root / p).exists()]
    args = [f"--rootdir={root}", *args]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args = ["-p", "contractvm.testing.plugin", *args]
    sys.stdout.flush()
    raise SystemExit(int(pytest.main(args)))


def _is_path(arg: str) -> bool:
    return not arg.startswith("-") and Path(arg.split("::", 1)[0]).exists()
