"""The pytest plugin (contractvm/testing), run as users run it: pytest sessions made with pytester.

Most sessions run in-process (fast); `contractvm init` + `contractvm test` runs as a real command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from contractvm.chain.chain import Chain, ChainError
from contractvm.chain.model import Transaction, TxKind
from contractvm.compiler import compile_text
from contractvm.isa import codec
from contractvm.isa.typenames import parse_type
from contractvm.testing.strategies import addresses, amounts, args_of, values_of

pytest_plugins = ["pytester"]

COUNTER = """\
contract Counter {
    role owner;
    state count: u64;
    event Bumped(by: address, count: u64);

    struct Pair { a: u8, b: bytes<4> }

    constructor(start: u64) {
        count = start;
        grant role owner to msg.sender;
    }

    pub fn bump() -> u64 {
        count += 1;
        emit Bumped(msg.sender, count);
        return count;
    }

    pub fn add(n: u64) -> u64 {
        count += n;
        return count;
    }

    pub fn reset() requires owner {
        count = 0;
    }

    pub view fn current() -> u64 {
        return count;
    }

    pub view fn pair(p: Pair, v: vec<u8, 4>) -> u8 {
        return p.a;
    }
}
"""

HEADER = """\
import pytest
from contractvm.testing import reverts

@pytest.fixture(scope="module")
def counter(deploy, accounts):
    return deploy("counter.ctr", 10, sender=accounts[0])
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".ctr", counter=COUNTER)
    return pytester


def run(project: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    project.makepyfile(test_it=HEADER + body)
    return project.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_fixtures_deploy_call_and_receipts(project: pytest.Pytester) -> None:
    result = run(project, """
def test_it(chain, accounts, deploy, counter):
    assert len(accounts) == 10 and all(chain.balance(a) == 10**24 for a in accounts)
    receipt = counter.bump(sender=accounts[1])
    assert receipt.return_value == 11 and receipt.status == 0 and receipt.success
    assert receipt.events == [counter.Bumped(accounts[1], 11)]
    assert receipt.emitted("Bumped", count=11) and not receipt.emitted("Bumped", count=12)
    assert receipt.gas_used > receipt.execution_gas > 0
    assert counter.current() == 11
    other = deploy("contract C { pub view fn one() -> u8 { return 1; } }")
    assert other.one() == 1
""")
    result.assert_outcomes(passed=1)


def test_each_test_and_fixture_is_isolated(project: pytest.Pytester) -> None:
    result = run(project, """
@pytest.fixture
def bumped(counter):
    counter.bump()
    return counter

def test_a(bumped, chain, accounts):
    bumped.add(5)
    chain.set_balance(accounts[1], 7)
    chain.advance_time(1000)
    assert bumped.current() == 16

def test_b(counter, chain, accounts):
    assert counter.current() == 10 and chain.balance(accounts[1]) == 10**24

def test_c(bumped):
    assert bumped.current() == 11

def test_d(counter, chain):
    assert counter.current() == 10
    assert chain.time < 1_700_000_000 + 100
""")
    result.assert_outcomes(passed=4)


def test_hypothesis_examples_are_isolated(project: pytest.Pytester) -> None:
    result = run(project, """
from hypothesis import given, settings, strategies as st

@settings(max_examples=20)
@given(n=st.integers(1, 50))
def test_examples(counter, n):
    assert counter.current() == 10
    counter.add(n)
""")
    result.assert_outcomes(passed=1)


def test_reverts_matches_and_fails_clearly(project: pytest.Pytester) -> None:
    result = run(project, """
import re

def test_exact(counter, accounts):
    with reverts("caller lacks role 'owner'") as failure:
        counter.reset(sender=accounts[1])
    assert failure.message == "caller lacks role 'owner'" and failure.receipt.status == 1

def test_regex(counter, accounts):
    with reverts(match=r"lacks role"):
        counter.reset(sender=accounts[1])
    with reverts(re.compile("^caller")):
        counter.reset(sender=accounts[1])

def test_out_of_gas(counter):
    with reverts(out_of_gas=True):
        counter.bump(gas_limit=1_050)

def test_other_message(counter, accounts):
    with reverts("something else"):
        counter.reset(sender=accounts[1])

def test_nothing_failed(counter):
    with reverts("anything"):
        counter.bump()

def test_revert_is_not_out_of_gas(counter, accounts):
    with reverts(out_of_gas=True):
        counter.reset(sender=accounts[1])
""")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines([
        "*expected the call to revert with 'something else', but it failed with \"caller lacks role 'owner'\"*",
        "*expected the call to revert with 'anything', but nothing failed*",
        "*expected the call to run out of gas, but it reverted with \"caller lacks role 'owner'\"*",
    ])


def test_unexpected_revert_shows_the_contract_line(project: pytest.Pytester) -> None:
    result = run(project, """
def test_it(counter, accounts):
    counter.reset(sender=accounts[1])
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E   *CallFailed: counter.ctr:24:29: Revert: caller lacks role 'owner'",
        "E *pub fn reset() requires owner {",
        "E *^^^^^",
        "E *(in Counter.reset, during Counter.reset())",
    ])


def test_gas_report(project: pytest.Pytester) -> None:
    result = run(project, """
def test_it(counter):
    counter.bump()
    counter.add(3)
    counter.add(4)
    counter.current()
""", "--gas-report")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*contractvm gas report*",
        "contract*function*calls*min*median*max*bound",
        "Counter*(deploy)*1*",
        "Counter*add*2 *",
        "Counter*bump*1 *",
        "Counter*current*1 *",
    ])


def test_coverage(project: pytest.Pytester) -> None:
    result = run(project, """
def test_it(counter):
    counter.bump()
""", "--ctr-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*contractvm coverage*", "file*lines*missed*cover*missing",
                                 "counter.ctr*12*6*50%*20-21, 24-25, 29, 33", "TOTAL*"])


def test_fees_marker_and_impersonation(project: pytest.Pytester) -> None:
    result = run(project, """
from contractvm.testing import TransactionRejected

@pytest.mark.fees(per_gas=2)
def test_fees(counter, chain, accounts):
    before = chain.balance(accounts[1])
    receipt = counter.bump(sender=accounts[1])
    assert receipt.fee_paid == 2 * receipt.gas_used
    assert chain.balance(accounts[1]) == before - receipt.fee_paid

def test_no_fees(counter, chain, accounts):
    assert counter.bump(sender=accounts[1]).fee_paid == 0 and chain.fee_per_gas == 0

def test_impersonation(counter, chain):
    stranger = bytes(range(20))
    with pytest.raises(TransactionRejected, match="impersonate"):
        counter.bump(sender=stranger)
    assert counter.bump(sender=chain.impersonate(stranger)).events[0].by == stranger

def test_impersonation_ends_with_the_test(counter):
    with pytest.raises(Exception, match="impersonate"):
        counter.bump(sender=bytes(range(20)))
""")
    result.assert_outcomes(passed=4)


def test_project_config(project: pytest.Pytester) -> None:
    project.makefile(".toml", contractvm='[test]\nfee_per_gas = 1\ngas_report = true\n')
    result = run(project, """
def test_it(counter, chain):
    assert counter.bump().fee_paid > 0
""")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*contractvm gas report*"])
    project.makefile(".toml", contractvm='[test]\nfees = 1\n')
    result = project.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown key 'fees' in [[]test]*"])


REPLAYED = """
from hypothesis import given, settings, strategies as st

@pytest.mark.fees(per_gas=1)
def test_fees_and_strangers(counter, chain, accounts):
    counter.bump(sender=accounts[1])
    chain.set_balance(bytes(range(20)), 10**18)
    counter.bump(sender=chain.impersonate(bytes(range(20))))
    chain.set_balance(accounts[2], 5)
    chain.mine(2)

@settings(max_examples=5)
@given(n=st.integers(1, 50))
def test_examples(counter, chain, n):
    counter.add(n)
    seen.append(chain.replay().height)

def test_examples_were_replayed(chain):
    assert seen and chain.chain.height < min(seen)  # each example's blocks were built, then undone

def test_a_disagreement_fails_the_test(counter, chain):
    counter.bump()
    outcome = chain.ledger.block(chain.height)
    chain.ledger.blocks[-1] = outcome._replace(fee_paid=outcome.fee_paid + 1).kept()

seen = []
"""


def test_chain_replay_checks_every_test_and_example(project: pytest.Pytester) -> None:
    result = run(project, REPLAYED, "--chain-replay")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*ReplayMismatch: block *fee_paid: chain 0, test chain 1*contractvm bug*"])
    project.makefile(".toml", contractvm='[test]\nchain_replay = true\n')
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "-k", "disagreement")
    result.assert_outcomes(failed=1)
    project.makefile(".toml", contractvm='[test]\nchain_replay = false\n')
    result = project.runpytest_inprocess("-p", "no:cacheprovider", "-k", "disagreement")
    result.assert_outcomes(passed=1)


# Strategies (run directly: they need no session)

ARTIFACT = compile_text(COUNTER)


@settings(max_examples=30)
@given(pair=values_of("Pair", ARTIFACT), vec=values_of("vec<u8, 4>"), digest=values_of("bytes<32>"),
       arr=values_of("[address; 2]"), text=values_of("string<3>"), args=args_of(ARTIFACT, "pair"),
       who=addresses(), amount=amounts(max=10))
def test_strategies_make_well_typed_values(pair, vec, digest, arr, text, args, who, amount) -> None:
    named = {"Pair": parse_type("Pair", {"Pair": ARTIFACT.program.function("pair").params[0]})}
    for type_str, value in [("Pair", pair), ("vec<u8, 4>", vec), ("bytes<32>", digest), ("[address; 2]", arr),
                            ("string<3>", text), ("address", who), ("u8", amount)]:
        codec.check(parse_type(type_str, named), value)
    assert len(args) == 2 and 0 <= amount <= 10


def test_type_strings_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown type 'Nope'"):
        values_of("vec<Nope, 2>")
    with pytest.raises(ValueError, match="expected"):
        parse_type("vec<u8>")
    with pytest.raises(ValueError, match="not a value type"):
        values_of("map<u8, u8>")


# The chain's impersonation switch


def test_impersonation_is_refused_on_persistent_chains(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="in-memory development chains only"):
        Chain.open(tmp_path / "chain", allow_impersonation=True)


def test_an_ordinary_chain_refuses_impersonated_transactions() -> None:
    from contractvm.chain.executor import impersonated_sender

    chain = Chain.memory()
    tx = Transaction(chain_id=chain.genesis.chain_id, nonce=0, sender=impersonated_sender(bytes(20)),
                     kind=TxKind.TRANSFER, to=bytes(20), gas_limit=1_000)
    with pytest.raises(ChainError, match="bad signature"):
        chain.submit(tx)


# The commands


def test_init_then_test(tmp_path: Path) -> None:
    target = tmp_path / "proj"
    command = [sys.executable, "-m", "contractvm"]
    env = {**os.environ, "COLUMNS": "120"}
    made = subprocess.run([*command, "init", str(target)], capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    assert (target / "contractvm.toml").is_file() and (target / "contracts" / "counter.ctr").is_file()
    again = subprocess.run([*command, "init", str(target)], capture_output=True, text=True, env=env)
    assert again.returncode == 1 and "not empty" in again.stderr
    tested = subprocess.run([*command, "test", "-p", "no:cacheprovider", "--gas-report"], cwd=target,
                            capture_output=True, text=True, env=env, timeout=120)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 passed" in tested.stdout and "contractvm gas report" in tested.stdout


def test_init_force_and_refusals(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from contractvm.cli import main

    runner = CliRunner()
    (tmp_path / "notes.txt").write_text("mine")
    refused = runner.invoke(main, ["init", str(tmp_path)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    forced = runner.invoke(main, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "tests" / "test_counter.py").is_file() and (tmp_path / "notes.txt").read_text() == "mine"
    a_file = runner.invoke(main, ["init", str(tmp_path / "notes.txt")])
    assert a_file.exit_code == 1 and "is a file" in a_file.output
