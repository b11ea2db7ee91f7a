"""contractvm beside titanoboa (Vyper's interpreter on py-evm): the same contracts, in one run, on one machine.

    python benchmarks/versus_titanoboa.py [--rounds N] [--seconds S] [--profile FIGURE --side SIDE]

Needs titanoboa (the `bench` extra): `make bench` installs it into .venv-bench and runs this with the other
benchmarks. Not a test: CI never runs it.

The contracts are in benchmarks/contracts/, each written twice with the same checks, storage writes and
events: `token` (`transfer`), `market` (`list` an offer, `buy` it: the price goes from the buyer to the
owner and a read grant with an expiry, a grantor and a purpose is recorded; `has_access`, a view) and
`loop` (10,000 rounds of checked add, multiply, modulo). Before anything is timed the script checks that
both sides give the same results, move the same value and emit the same number of events.

Figures, each measured on these sides:
- calls/s in process. contractvm: `contractvm.runner.Runner` (the VM called directly on an in-memory
  state, one journal per call, committed when it succeeds: like titanoboa, no transaction, no block), and
  `TestChain`, the pytest plugin's chain (`contractvm/testing/env.py`: every state-changing call is a
  transaction in a block of its own, run in process under the chain executor's rules — nonce, balance and
  gas checks, intrinsic gas, fees — and returns a receipt whose events are decoded when read, as titanoboa's
  logs are; a view runs as `Chain.call` does).
  titanoboa: calls through the contract object (`boa.loads`, `sender=`, `value=`), its default mode.
- the tight loop: VM instructions/s. contractvm's instructions are counted by stepping the reference
  handlers once (as `vm_loop.py` does); titanoboa's are the EVM opcodes py-evm executed for the call (the
  length of titanoboa's own per-computation opcode trace). The two instruction sets differ in size (the
  loop is 19 contractvm instructions and 48 EVM opcodes per round), so loop rounds/s, the same source
  loop on both, is printed too. Gas metering is on for both.
- compile time, ms: contractvm's parse, check, code generation and artifact (ABI, source map, gas bounds),
  parser built once per process as always; `vyper.compile_code(source, output_formats=["bytecode",
  "abi"])`, a fresh compilation each time.

Every round runs each figure on every side in turn (contractvm first, then titanoboa), after one warm-up
round that also sizes the batches (about `--seconds` of work per side per figure; the state changes of a
batch are undone after it, untimed: `TestChain.isolate`, `boa.env.anchor`). The table shows the median over
the rounds with the min and max, and the ratio of the medians, contractvm/titanoboa, as speed (for compile
times, titanoboa's ms over contractvm's).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vm_loop import count_instructions

from contractvm.compiler import compile_file, compile_source
from contractvm.runner import Runner
from contractvm.source import SourceFile
from contractvm.testing.env import TestChain

HERE = Path(__file__).resolve().parent
CONTRACTS = HERE / "contracts"
SUPPLY = 10**30
PRICE = 1_000
DAYS = 30
FINGERPRINT = b"\x01" * 32
LOOP_ROUNDS = 10_000  # the loop bound written in loop.ctr and loop.vy
LOOP_SEED = 5
CACHE = tempfile.TemporaryDirectory(prefix="boa-cache-")  # titanoboa's compiled-contract cache, this run only

CVM, PLUGIN, BOA = "contractvm", "contractvm plugin", "titanoboa"
CALLS = ("token.transfer", "market.buy", "market.has_access")
COMPILED = ("token", "market", "loop")
FIGURES = (*CALLS, "loop", *(f"compile {name}" for name in COMPILED))
SIDES = {figure: (CVM, PLUGIN, BOA) if figure in CALLS else (CVM, BOA) for figure in FIGURES}

Batch = Callable[[int], None]  # runs the figure's operation n times


def source(name: str) -> str:
    return (CONTRACTS / name).read_text()


@dataclass
class Side:
    """One side, set up: a batch function per figure, and how to undo a batch's state changes (untimed)."""

    name: str
    batches: dict[str, Batch]
    isolate: Callable[[], AbstractContextManager[None]] = nullcontext
    results: dict[str, object] = field(default_factory=dict)  # what the equivalence check compares


def compile_batches(compile_one: Callable[[str, str], object], suffix: str) -> dict[str, Batch]:
    """A batch per contract: compile its source text (file name, text) n times."""

    def batch_of(name: str) -> Batch:
        text = source(name)

        def batch(n: int) -> None:
            for _ in range(n):
                compile_one(name, text)

        return batch

    return {f"compile {name}": batch_of(name + suffix) for name in COMPILED}


def call_batches(token: Any, market: Any, owner: object, buyer: object, offer: object) -> dict[str, Batch]:
    """The call figures' batches on contract objects whose functions are methods taking `sender=` and `value=`
    (the pytest plugin's and titanoboa's alike)."""

    def transfer(n: int) -> None:
        call = token.transfer
        for _ in range(n):
            call(buyer, 1, sender=owner)

    def buy(n: int) -> None:
        call = market.buy
        for _ in range(n):
            call(offer, DAYS, sender=buyer, value=PRICE)

    def has_access(n: int) -> None:
        view = market.has_access
        for _ in range(n):
            view(offer, buyer)

    return {"token.transfer": transfer, "market.buy": buy, "market.has_access": has_access}


def contractvm_runner() -> Side:
    """`contractvm.runner.Runner`: the VM on an in-memory state, fast path on (the default)."""
    runner = Runner()
    owner, buyer, supplier = runner.account(0), runner.account(1), runner.account(2)
    token = runner.deploy(compile_file(CONTRACTS / "token.ctr"), SUPPLY, sender=owner)
    market = runner.deploy(compile_file(CONTRACTS / "market.ctr"), sender=owner)
    loop = runner.deploy(compile_file(CONTRACTS / "loop.ctr"), sender=owner)

    offer = market.transact("list", FINGERPRINT, PRICE, sender=supplier)
    before = runner.balance(supplier)
    transferred = token.call("transfer", buyer, 7, sender=owner)
    bought = market.call("buy", offer, DAYS, sender=buyer, value=PRICE)
    assert transferred.success and bought.success, (transferred, bought)
    results = {
        "transfer": (transferred.value, [e.name for e in transferred.events], token.view("balance_of", buyer)),
        "buy": (bought.value - runner.time, sorted(e.name for e in bought.events), runner.balance(supplier) - before),
        "has_access": (market.view("has_access", offer, buyer), market.view("has_access", offer, supplier)),
        "loop": loop.view("run", LOOP_SEED),
    }

    def transfer(n: int) -> None:
        call = token.transact
        for _ in range(n):
            call("transfer", buyer, 1, sender=owner)

    def buy(n: int) -> None:
        call = market.transact
        for _ in range(n):
            call("buy", offer, DAYS, sender=buyer, value=PRICE)

    def has_access(n: int) -> None:
        view = market.view
        for _ in range(n):
            view("has_access", offer, buyer)

    def run_loop(n: int) -> None:
        view = loop.view
        for _ in range(n):
            view("run", LOOP_SEED)

    batches = {"token.transfer": transfer, "market.buy": buy, "market.has_access": has_access, "loop": run_loop}
    batches |= compile_batches(lambda name, text: compile_source(SourceFile(name, text)), ".ctr")
    return Side(CVM, batches, results=results)


def contractvm_plugin() -> Side:
    """The pytest plugin's `TestChain`: one transaction and one block per call, run in process by the chain's rules."""
    chain = TestChain()
    owner, buyer, supplier = chain.accounts[0], chain.accounts[1], chain.accounts[2]
    token: Any = chain.deploy(CONTRACTS / "token.ctr", SUPPLY, sender=owner)
    market: Any = chain.deploy(CONTRACTS / "market.ctr", sender=owner)

    offer = market.list(FINGERPRINT, PRICE, sender=supplier).return_value
    before = chain.balance(supplier)
    transferred = token.transfer(buyer, 7, sender=owner)
    now = chain.time  # the next block's time: the buy's
    bought = market.buy(offer, DAYS, sender=buyer, value=PRICE)
    results = {
        "transfer": (transferred.return_value, [e.name for e in transferred.events], token.balance_of(buyer)),
        "buy": (bought.return_value - now, sorted(e.name for e in bought.events), chain.balance(supplier) - before),
        "has_access": (market.has_access(offer, buyer), market.has_access(offer, supplier)),
    }
    return Side(PLUGIN, call_batches(token, market, owner, buyer, offer), chain.isolate, results)


def titanoboa() -> Side:
    """titanoboa in its default mode: contracts loaded from source, called through the contract objects."""
    import boa
    import boa.interpret
    import vyper

    # titanoboa caches compiled contracts on disk (~/.cache/titanoboa by default): a temporary directory instead.
    # (Not `disable_cache()`: with titanoboa 0.2.8 and vyper 0.4.3 calls then fail, CompilerData having no
    # `source_map`.) The cache only speeds up `boa.loads`, which is not timed.
    boa.interpret.set_cache_dir(CACHE.name)
    env = boa.env
    owner, buyer, supplier = env.eoa, env.generate_address("buyer"), env.generate_address("supplier")
    env.set_balance(buyer, 10**30)
    token = boa.loads(source("token.vy"), SUPPLY)
    market = boa.loads(source("market.vy"))
    loop = boa.loads(source("loop.vy"))

    offer = market.list(FINGERPRINT, PRICE, sender=supplier)
    before = env.get_balance(supplier)
    transferred = token.transfer(buyer, 7, sender=owner)
    transfer_events = [type(e).__name__ for e in token.get_logs()]
    now = env.timestamp
    until = market.buy(offer, DAYS, sender=buyer, value=PRICE)
    buy_events = sorted(type(e).__name__ for e in market.get_logs())
    results = {
        "transfer": (transferred, transfer_events, token.balance_of(buyer)),
        "buy": (until - now, buy_events, env.get_balance(supplier) - before),
        "has_access": (market.has_access(offer, buyer), market.has_access(offer, supplier)),
        "loop": loop.run(LOOP_SEED),
    }

    def run_loop(n: int) -> None:
        view = loop.run
        for _ in range(n):
            view(LOOP_SEED)

    batches = {**call_batches(token, market, owner, buyer, offer), "loop": run_loop}
    batches |= compile_batches(lambda _, text: vyper.compile_code(text, output_formats=["bytecode", "abi"]), ".vy")
    return Side(BOA, batches, env.anchor, results)


def loop_instructions() -> tuple[int, int]:
    """(contractvm instructions, EVM opcodes) one call of the loop executes."""
    import boa

    cvm = count_instructions(compile_file(CONTRACTS / "loop.ctr").bytecode, "run", (LOOP_SEED,))
    contract = boa.loads(source("loop.vy"))
    contract.run(LOOP_SEED)
    evm = len(contract._computation.code._trace)  # titanoboa's trace: one entry per opcode py-evm executed
    return cvm, evm


def check_equivalent(sides: dict[str, Side]) -> None:
    """The same outcomes on every side (values, events, value moved), else the figures would mean nothing."""
    cvm, plugin, boa = sides[CVM].results, sides[PLUGIN].results, sides[BOA].results
    for key in ("transfer", "buy", "has_access"):
        assert cvm[key] == plugin[key] == boa[key], (key, cvm[key], plugin[key], boa[key])
    assert cvm["loop"] == boa["loop"], (cvm["loop"], boa["loop"])
    print(f"same results on every side: transfer {cvm['transfer']}, buy {cvm['buy']}, has_access "
          f"{cvm['has_access']}, loop {cvm['loop']}")


def timed(side: Side, figure: str, n: int) -> float:
    """Seconds for one batch of n operations; the batch's state changes are undone afterwards, untimed."""
    batch = side.batches[figure]
    with side.isolate():
        gc.collect()
        start = time.perf_counter()
        batch(n)
        return time.perf_counter() - start


@dataclass
class Samples:
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # operations per batch
    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # per operation, one per round

    def per_op(self, figure: str, side: str) -> list[float]:
        return self.seconds[figure, side]


def warm_up(sides: dict[str, Side], seconds: float) -> Samples:
    """Run everything once (caches, fast-path translation, imports) and size each batch to ~`seconds`."""
    samples = Samples()
    for figure in FIGURES:
        for name in SIDES[figure]:
            timed(sides[name], figure, 1)
            probe = 1
            while (spent := timed(sides[name], figure, probe)) < seconds / 10 and probe < 1 << 16:
                probe *= 4
            samples.sizes[figure, name] = max(1, math.ceil(seconds * probe / spent))
            samples.seconds[figure, name] = []
    return samples


def measure(sides: dict[str, Side], samples: Samples, rounds: int) -> None:
    for r in range(rounds):
        for figure in FIGURES:
            for name in SIDES[figure]:  # contractvm first, then titanoboa: alternating, round after round
                n = samples.sizes[figure, name]
                samples.seconds[figure, name].append(timed(sides[name], figure, n) / n)
        print(f"round {r + 1}/{rounds} done", flush=True)


def human(value: float) -> str:
    for scale, suffix in ((1e6, " M"), (1e3, " k")):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}..{fmt(max(values))})"


def report(samples: Samples, instructions: tuple[int, int], rounds: int) -> None:
    print(f"\nmedian (min..max) of {rounds} rounds; ratio = contractvm / titanoboa, as speed\n")
    print("| figure | unit | contractvm | titanoboa | ratio | target |")
    print("|---|---|---|---|---|---|")

    def row(label: str, unit: str, ours: list[float], theirs: list[float], target: str) -> None:
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"| {label} | {unit} | {spread(ours, human)} | {spread(theirs, human)} | x{ratio:.1f} | {target} |")

    def rates(figure: str, side: str, per_call: float = 1) -> list[float]:
        return [per_call / s for s in samples.per_op(figure, side)]

    for figure in CALLS:
        boa = rates(figure, BOA)
        row(f"`{figure}`, Runner", "calls/s", rates(figure, CVM), boa, met(rates(figure, CVM), boa, 10))
        row(f"`{figure}`, pytest plugin", "calls/s", rates(figure, PLUGIN), boa, met(rates(figure, PLUGIN), boa, 10))
    ours, theirs = rates("loop", CVM, instructions[0]), rates("loop", BOA, instructions[1])
    floor = "met" if statistics.median(ours) >= 20e6 else "MISSED"
    row("tight loop", "VM instructions/s", ours, theirs, f">= 20 M/s: {floor}")
    row("tight loop", "loop rounds/s", rates("loop", CVM, LOOP_ROUNDS), rates("loop", BOA, LOOP_ROUNDS), "")
    for name in COMPILED:
        figure = f"compile {name}"
        ours_ms = [1000 * s for s in samples.per_op(figure, CVM)]
        theirs_ms = [1000 * s for s in samples.per_op(figure, BOA)]
        ratio = statistics.median(theirs_ms) / statistics.median(ours_ms)
        ms = "{:.3g}".format
        print(f"| compile `{name}` | ms | {spread(ours_ms, ms)} | {spread(theirs_ms, ms)} | x{ratio:.1f} | "
              f">= x5: {'met' if ratio >= 5 else 'MISSED'} |")


def met(ours: list[float], theirs: list[float], factor: float) -> str:
    ratio = statistics.median(ours) / statistics.median(theirs)
    return f">= x{factor:g}: {'met' if ratio >= factor else 'MISSED'}"


@contextmanager
def profiling(figure: str, side: str) -> Iterator[None]:
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(f"\nprofile of {figure} on {side}:")
        # titanoboa's frames are all in site-packages, which pyinstrument hides unless told to show everything
        print(profiler.output_text(unicode=True, color=False, show_all=side == BOA))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="work per side, figure and round (default 0.2)")
    parser.add_argument("--profile", choices=FIGURES, help="profile one figure (pyinstrument) instead of the run")
    parser.add_argument("--side", choices=(CVM, PLUGIN, BOA), default=CVM, help="the side to profile")
    options = parser.parse_args()
    if options.profile and options.side not in SIDES[options.profile]:
        parser.error(f"{options.profile} runs on {', '.join(SIDES[options.profile])} only")
    try:
        import boa  # noqa: F401
    except ImportError:
        print("titanoboa is not installed here: `make bench` runs this in .venv-bench with the `bench` extra",
              file=sys.stderr)
        return 1

    import importlib.metadata as metadata

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("contractvm", "titanoboa", "vyper", "py-evm"))
    print(f"{versions}; Python {sys.version.split()[0]}")
    sides = {side.name: side for side in (contractvm_runner(), contractvm_plugin(), titanoboa())}
    check_equivalent(sides)
    if options.profile:
        side, figure = sides[options.side], options.profile
        n = 1
        while timed(side, figure, n) < 0.2:  # warm, and about 0.2 s
            n *= 2
        with side.isolate(), profiling(figure, side.name):  # about 2 s of the batch alone
            side.batches[figure](10 * n)
        return 0
    instructions = loop_instructions()
    print(f"loop: {instructions[0]} contractvm instructions, {instructions[1]} EVM opcodes per call "
          f"({LOOP_ROUNDS} rounds)")
    samples = warm_up(sides, options.seconds)
    measure(sides, samples, options.rounds)
    report(samples, instructions, options.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
