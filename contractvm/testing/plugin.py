"""The contractvm pytest plugin (entry point `pytest11: contractvm`): fixtures, isolation, reports.

Fixtures (session-scoped values; isolation comes from the hooks below, so they also work in module fixtures
and in Hypothesis tests): `chain` (a `TestChain`, built once per session), `accounts` (its funded dev
accounts), `deploy` (`chain.deploy`).

Isolation: a snapshot is taken before the body of every test that uses the chain (through any fixture)
and before every fixture is set up (whatever its scope), and reverted after the test body and after the
fixture's teardown, so each test starts from the state its fixtures made and leaves nothing behind; each
Hypothesis example runs in its own snapshot too.

Options: `--gas-report` prints per contract and function the calls and min/median/max gas at the end;
`--ctr-coverage` prints the `.ctr` lines that ran (per file %, missed lines); `--chain-replay` replays every
test's blocks (and every Hypothesis example's) on a real chain before they are undone, checking each receipt
(a `ReplayMismatch` fails the test). Marker:
`@pytest.mark.fees(per_gas=1)` runs the test body with fees on. Settings from `contractvm.toml` (config.py).
Everything heavy is imported only when a test first asks for the chain.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from contractvm.testing import config as project_config

if TYPE_CHECKING:
    from contractvm.testing.env import TestChain


class PluginState:
    """This session's chain (made on first use) and settings."""

    def __init__(self, config: pytest.Config, project: project_config.ProjectConfig) -> None:
        self.config = config
        self.project = project
        self.gas_report = bool(config.getoption("contractvm_gas_report")) or project.gas_report
        self.coverage = bool(config.getoption("contractvm_coverage")) or project.coverage
        self.replay = bool(config.getoption("contractvm_chain_replay")) or project.chain_replay
        self.env: TestChain | None = None

    def start(self) -> TestChain:
        if self.env is None:
            from contractvm.testing.compiling import Compiler
            from contractvm.testing.env import TestChain

            project = self.project
            root = project.root or self.config.rootpath
            compiler = Compiler(root=root, contracts=project.contracts_dir or root / "contracts",
                                deny_warnings=project.deny_warnings)
            self.env = TestChain(n_accounts=project.accounts, fee_per_gas=project.fee_per_gas,
                                 coverage=self.coverage, gas_report=self.gas_report, compiler=compiler)
        return self.env


STATE = pytest.StashKey[PluginState]()


def _state(config: pytest.Config) -> PluginState | None:
    return config.stash.get(STATE, None)


def _env(config: pytest.Config) -> TestChain | None:
    state = _state(config)
    return None if state is None else state.env


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contractvm", "contractvm contract tests")
    group.addoption("--gas-report", action="store_true", dest="contractvm_gas_report",
                    help="print the gas used per contract function (calls, min/median/max) at the end")
    group.addoption("--ctr-coverage", action="store_true", dest="contractvm_coverage",
                    help="print line coverage of the .ctr contracts the tests compiled (per file %, missed lines)")
    group.addoption("--chain-replay", action="store_true", dest="contractvm_chain_replay",
                    help="replay each test's transactions as signed blocks on a real chain and check every receipt")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fees(per_gas=1): run the test body with fees on (contractvm chain)")
    try:
        project = project_config.load_nearest(config.rootpath)
    except project_config.ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[STATE] = PluginState(config, project)


# Fixtures


@pytest.fixture(scope="session")
def chain(pytestconfig: pytest.Config) -> TestChain:
    """The in-process test chain (contractvm.testing.env.TestChain); every test and fixture is isolated."""
    state = _state(pytestconfig)
    assert state is not None
    return state.start()


@pytest.fixture(scope="session")
def accounts(chain: TestChain) -> tuple[Any, ...]:
    """The funded development accounts (10**24 each), usable as addresses and as `sender=`."""
    return chain.accounts


@pytest.fixture(scope="session")
def deploy(chain: TestChain) -> Any:
    """`deploy(path_or_source, *args, sender=..., value=...)`: compile (once) and deploy; returns the contract."""
    return chain.deploy


# Isolation


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Generator[None]:
    env = _env(request.config)
    if env is not None:
        env.fixture_snapshots[id(fixturedef)] = env.snapshot()
    return (yield)


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    env = _env(request.config)
    snapshot = None if env is None else env.fixture_snapshots.pop(id(fixturedef), None)
    if env is not None and snapshot is not None:
        try:
            env.revert(snapshot)
        except Exception as exc:  # a teardown must not hide the test's own outcome
            warnings.warn(f"contractvm: could not undo fixture {fixturedef.argname!r}: {exc}", stacklevel=1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    env = _env(item.config)
    if env is None or "chain" not in getattr(item, "fixturenames", ()):  # the test does not use the chain
        return (yield)
    snapshot = env.snapshot()
    marker = item.get_closest_marker("fees")
    if marker is not None:
        env.fee_per_gas = int(marker.kwargs.get("per_gas", marker.args[0] if marker.args else 1))
    replay = _state(item.config).replay  # type: ignore[union-attr]
    _isolate_examples(item, env, replay)
    try:
        result = yield
        if replay:
            env.replay()  # a ReplayMismatch fails the test
        return result
    finally:
        env.revert(snapshot)


def _isolate_examples(item: pytest.Item, env: TestChain, replay: bool) -> None:
    """Run each Hypothesis example of the test in its own snapshot (through Hypothesis's `inner_test` hook)."""
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    if handle is None or inner is None:
        return
    original = getattr(inner, "_contractvm_original", inner)

    def isolated(*args: Any, **kwargs: Any) -> Any:
        with env.isolate():
            result = original(*args, **kwargs)
            if replay:
                env.replay()  # the example's blocks, before they are undone
            return result

    isolated._contractvm_original = original  # type: ignore[attr-defined]
    handle.inner_test = isolated


# Reports


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state is None or not (state.gas_report or state.coverage):
        return
    env = state.env
    if state.gas_report:
        terminalreporter.write_sep("=", "contractvm gas report")
        log = None if env is None else env.gas_log
        terminalreporter.write_line("no contract calls were made" if log is None else log.render())
    if state.coverage:
        from contractvm.testing import coverage

        terminalreporter.write_sep("=", "contractvm coverage")
        files = []
        if env is not None and isinstance(env.cache, coverage.TracingCache):
            hits = env.cache.hits
            files = [coverage.file_coverage(c.label, c.artifact, hits.get(c.artifact.bytecode, ()))
                     for c in env.compiler.compiled()]
        terminalreporter.write_line(coverage.render(files))
