"""The fast path: verified functions translated to Python once per program, run instead of the reference loop.

`ProgramCache` (fast by default) gives each loaded, so verified, program a `Translator`: it sets every
`LoadedFunction.fast`, which `interpreter.enter` runs frames through. A function is planned by
`fast_analysis`, written by `fast_codegen` as one Python function, and compiled once it is warm: after its
frames used `WARMUP` gas per instruction on the reference loop (`ProgramCache(warmup=0)`: on its first run).
Constructors (they run once per deploy) and very large functions always stay on the reference loop; so does
everything with `ProgramCache(fast=False)`. The translated code gives the same result, gas used, events,
failure (message, function, pc, out of gas) and state changes as the reference, in every case; the
differential tests (`tests/properties/test_fastpath_differential.py`) hold the two together.

How it stays exact:

- Gas: a unit of straight-line code charges the static gas of all its instructions on entry (one
  subtraction, one comparison). When less gas is left than that, the frame as it stands (locals and stack)
  goes to the reference loop from the unit's first instruction (`resume`), which runs out of gas (or fails
  before) at the very instruction it would have anyway. Unit gas, calls and XCALLs hand the counter over
  in `ctx.gas` with the unit's later instructions given back first, so they charge and fail exactly as in
  the reference, and a shortfall they leave is again finished by the reference.
- Failures: each line of generated code that can raise is tagged with its instruction; `fail` finds the
  line in the traceback, gives back the gas charged in advance for later instructions, and turns the
  error into the Trap the reference would raise there (`Trap`, `ArithmeticFault`, `OPERAND_ERRORS`).
- Semantics: simple instructions are written inline with the very operations of their handlers, in the
  same order, so the same Python errors arise; the others call their reference handler on the frame's
  stack. Checks are left out only where the analysis proves they cannot fail. (Values from the host are
  taken to be plain Python values: an int subclass overriding arithmetic is host misuse.)
- Safety: no program text is ever spliced into source; constants, types, events, imports and callees are
  names bound in the namespace (`K3`, `M0_12`, `LF2`...). The namespace holds only what the code uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contractvm.isa import arith
from contractvm.isa.arith import OVERFLOW, UNDERFLOW, ArithmeticFault
from contractvm.isa.program import MAX_CALL_DEPTH
from contractvm.isa.types import Type
from contractvm.vm import fast_analysis
from contractvm.vm.fast_codegen import FunctionWriter, Program
from contractvm.vm.interpreter import run
from contractvm.vm.ops_data import tuples_equal
from contractvm.vm.runtime import OPERAND_ERRORS, Context, Frame, IntRange, Trap
from contractvm.vm.values import conforms

if TYPE_CHECKING:
    from contractvm.vm.loader import LoadedFunction, LoadedProgram

MAX_INSTRUCTIONS = 20_000  # larger functions (or with more locals) are left to the reference loop
MAX_LOCALS = 1024
# Gas a function's frames use on the reference loop, per instruction of the function, before it is translated:
# translating costs about as much time as the reference loop takes for this much gas.
WARMUP = 1000

CAUGHT = (Trap, ArithmeticFault, *OPERAND_ERRORS)
STRICT = False  # raise TranslationError when a function cannot be translated (tests), instead of falling back


class TranslationError(Exception):
    """The translator failed on a verified program: a bug of the translator, never a contract's failure."""


@dataclass(frozen=True, eq=False)
class Info:
    """What `fail` needs to report a failure of one translated function."""

    name: str
    pcs: tuple[int, ...]
    mnemonics: tuple[str, ...]
    rest: tuple[int, ...]  # per instruction: gas charged in advance for the later instructions of its unit
    tags: dict[int, tuple[int, bool]]  # generated line -> (instruction, whether ctx.gas holds the gas left)


def fail(e: BaseException, ctx: Context, g: int, fr: Frame, info: Info) -> BaseException:
    """The located Trap the reference raises for `e`, raised in a translated function with `g` gas left."""
    if isinstance(e, Trap) and e.located:
        return e  # from a callee or from the reference loop: already located, its gas already in ctx
    tb = e.__traceback__
    tag = info.tags.get(tb.tb_lineno) if tb is not None else None
    if tag is None:
        return e  # not a contract's failure: a bug of the translator, which must surface
    i, synced = tag
    if not synced:
        ctx.gas = g + info.rest[i]
    if isinstance(e, Trap):
        trap = e
    elif isinstance(e, ArithmeticFault):
        trap = Trap(str(e))
    else:
        trap = Trap(f"invalid operand for {info.mnemonics[i]}")
    trap.locate(fr.address, info.name, info.pcs[i])
    return trap


def resume(fr: Frame, ctx: Context, chk: Type | None, lf: LoadedFunction, ip: int, names: dict[str, object],
           stack: tuple[object, ...]) -> object:
    """Finish a translated frame on the reference loop from instruction `ip` (the gas left is in ctx)."""
    frame = Frame(ctx, fr.program, lf, fr.address, fr.caller, fr.value, fr.static, [], chk)
    frame.locals = [names[f"l{k}"] for k in range(lf.n_locals)]
    frame.stack = list(stack)
    return run(frame, ip)


def call_reference(fr: Frame, ctx: Context, lf: LoadedFunction, args: tuple[object, ...]) -> object:
    """An internal call of a function that was not translated."""
    return run(Frame(ctx, fr.program, lf, fr.address, fr.caller, fr.value, fr.static, list(args)))


def cast(t: IntRange, v: object) -> int:
    if not isinstance(v, int):
        raise TypeError("not an integer")
    return arith.cast(t, int(v))  # type: ignore[arg-type]


def length(v: object) -> int:
    if type(v) is str:
        return len(v.encode("utf-8"))
    if type(v) in (tuple, bytes):
        return len(v)  # type: ignore[arg-type]
    raise TypeError("no length")


def bad_return(t: Type) -> Trap:
    return Trap(f"return value is not a {t}")


RUNTIME: dict[str, object] = {
    "Trap": Trap,
    "CAUGHT": CAUGHT,
    "FAIL": fail,
    "RESUME": resume,
    "CALL_REFERENCE": call_reference,
    "OVERFLOW": OVERFLOW,
    "UNDERFLOW": UNDERFLOW,
    "OUT_OF_BOUNDS": "index out of bounds",
    "DEPTH_EXCEEDED": "call depth exceeded",
    "MAX_CALL_DEPTH": MAX_CALL_DEPTH,
    "CONFORMS": conforms,
    "BAD_RETURN": bad_return,
    "DIV": arith.div,
    "MOD": arith.mod,
    "POW": arith.power,
    "CAST": cast,
    "LEN": length,
    "TUPLES_EQUAL": tuples_equal,
}
BUILTINS = {f.__name__: f for f in (type, len, locals, tuple, bytes, int, str, bool, TypeError)}


def translatable(lf: LoadedFunction) -> bool:
    """Whether a function gets translated: not too large, and not a constructor (they run once per deploy)."""
    return len(lf.instrs) <= MAX_INSTRUCTIONS and lf.n_locals <= MAX_LOCALS and not lf.function.constructor


class Translator:
    """The translated code of one program: a function is written and compiled once it has run enough.

    A function stays on the reference loop until the gas its frames have used reaches `warmup` per
    instruction it has (0: translate on its first run): translating costs about as much time as running that
    much gas on the reference loop, so the work nobody pays gas for stays within the work that was paid for.
    All functions of the program share one namespace, so translated functions call each other directly;
    until a function is translated, its name there is a stub that runs it on the reference loop.
    """

    def __init__(self, loaded: LoadedProgram, handlers: dict[int, Callable], warmup: int = 0) -> None:
        self.loaded = loaded
        self.handlers = handlers
        self.ok = [translatable(lf) for lf in loaded.functions]
        self.returns = [lf.function.returns is not None for lf in loaded.functions]
        self.heat = [0] * len(loaded.functions)  # gas used by each function's frames before translation
        self.ready = [warmup * len(lf.instrs) for lf in loaded.functions]
        self.namespace: dict[str, object] = {**RUNTIME, "__builtins__": BUILTINS}
        self.failures: dict[int, str] = {}  # function -> why it could not be translated
        for fid, lf in enumerate(loaded.functions):
            if self.ok[fid]:
                self.namespace[f"F{fid}"] = self._stub(fid)
                lf.fast = self._entry_stub(fid)
            else:
                lf.fast = None

    def source(self, fid: int) -> Program:
        """The Python source of function `fid` (with what its names are bound to and its line tags)."""
        lf = self.loaded.functions[fid]
        plan = fast_analysis.plan(self.loaded.program, lf)
        out = Program()
        FunctionWriter(out, fid, plan, lf, constants=self.loaded.program.constants, handlers=self.handlers,
                       translated=self.ok, returns=self.returns).write()  # fmt: skip
        rest = tuple(plan.rest.get(i, 0) for i in range(len(lf.instrs)))
        out.bind(f"INFO{fid}", Info(lf.name, tuple(lf.pcs), tuple(s.mnemonic for s in lf.specs), rest, out.tags))
        return out

    def translate(self, fid: int) -> None:
        """Write and compile function `fid`; if that fails, it stays on the reference loop for good.

        Translation happens before the function runs, so falling back changes nothing a contract can see;
        with `STRICT` (the tests) a failure raises TranslationError instead, which no contract can cause
        to look like a fault of its own.
        """
        lf = self.loaded.functions[fid]
        try:
            out = self.source(fid)
            code = compile("\n".join(out.lines) + "\n", f"<contractvm fast path: function {fid}>", "exec")
            self.namespace.update(out.names)
            exec(code, self.namespace)
        except Exception as exc:
            self.failures[fid] = f"{type(exc).__name__}: {exc}"
            if STRICT:
                raise TranslationError(f"function {lf.name!r}: {self.failures[fid]}") from exc
            self.ok[fid] = False
            lf.fast = None
            self.namespace[f"F{fid}"] = lambda fr, ctx, chk, *args: call_reference(fr, ctx, lf, args)
            return
        lf.fast = self.namespace[f"E{fid}"]  # type: ignore[assignment]

    def _stub(self, fid: int) -> Callable[..., object]:
        """An internal call of function `fid` from translated code, until `fid` is translated."""
        lf = self.loaded.functions[fid]

        def cold(fr: Frame, ctx: Context, chk: Type | None, *args: object) -> object:
            if self.heat[fid] >= self.ready[fid]:
                self.translate(fid)
                return self.namespace[f"F{fid}"](fr, ctx, chk, *args)  # type: ignore[operator]
            before = ctx.gas
            try:
                return call_reference(fr, ctx, lf, args)
            finally:
                self.heat[fid] += before - ctx.gas

        return cold

    def _entry_stub(self, fid: int) -> Callable[[Frame], object]:
        """A frame of function `fid` entered from outside (`interpreter.enter`), until `fid` is translated."""
        lf = self.loaded.functions[fid]

        def cold(frame: Frame) -> object:
            if self.heat[fid] >= self.ready[fid]:
                self.translate(fid)
                return run(frame) if lf.fast is None else lf.fast(frame)
            ctx = frame.ctx
            before = ctx.gas
            try:
                return run(frame)
            finally:
                self.heat[fid] += before - ctx.gas

        return cold


def translate(loaded: LoadedProgram, handlers: dict[int, Callable], warmup: int = WARMUP) -> Translator:
    """Set every function's `fast` entry: translated once warm (None: it always runs on the reference loop)."""
    return Translator(loaded, handlers, warmup)


def translate_now(loaded: LoadedProgram, handlers: dict[int, Callable]) -> Translator:
    """`translate`, writing and compiling every function at once (tests, tools)."""
    translator = Translator(loaded, handlers)
    for fid, ok in enumerate(translator.ok):
        if ok:
            translator.translate(fid)
    return translator
