"""Writing the instructions of one unit as Python (the translation-time stack, inline code, handler calls).

`fast_codegen.FunctionWriter` lays out the function; this writes what each instruction does. Values on the
stack are names (`Entry`): LOAD, PUSH, DUP, SWAP and POP only move names around; an instruction that
computes writes its result to a fresh temp `t<n>`, or straight into the local a following STORE names.
Every line that can raise is tagged `(instruction, synced)`: synced when the gas left is in `ctx.gas`
(around handlers that charge unit gas, calls and XCALLs), else the gas left is `g` plus `rest[i]`, the
static gas charged in advance for the unit's later instructions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contractvm.isa.opcodes import WORD_BYTES, units
from contractvm.isa.types import ADDRESS_SIZE, DIGEST_SIZE, AddressT, BoolT, DigestT, IntT
from contractvm.vm.fast_analysis import (
    BOOL,
    BYTES,
    INT,
    SCALARS,
    STR,
    TOP,
    TUPLE,
    Abs,
    Ins,
    Plan,
    add_range,
    const_abs,
    nonneg,
    positive,
    results,
)

if TYPE_CHECKING:
    from contractvm.vm.fast_codegen import Program

COMPARE = {"LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "EQ": "==", "NE": "!="}
SYNCED = ("CALL", "XCALL")  # instructions that hand the gas counter to other code besides unit-gas ones
ENV = {"CALLER": "fr.caller", "VALUE": "fr.value", "SELF": "fr.address", "HEIGHT": "ctx.block.height",
       "TIME": "ctx.block.time"}


def negate(text: str) -> str:
    return text[5:-1] if text.startswith("not (") and text.endswith(")") else f"not ({text})"


class Entry:
    """A value on the translation-time stack: the Python expression (a name) holding it and what is known."""

    __slots__ = ("abs", "name")

    def __init__(self, name: str, abs_: Abs) -> None:
        self.name = name
        self.abs = abs_


class OpWriter:
    """The state of writing one function, and how each instruction is written."""

    def __init__(self, out: Program, fid: int, plan: Plan, loaded: object, *, constants: tuple[object, ...],
                 handlers: dict[int, object], translated: list[bool], returns: list[bool]) -> None:
        self.out = out
        self.fid = fid
        self.loaded = loaded
        f = loaded.function  # type: ignore[attr-defined]
        n_params, n_locals = len(f.params), f.n_locals
        self.handlers = handlers
        self.plan = plan
        self.n_params = n_params
        self.n_locals = n_locals
        self.constants = constants
        self.translated = translated  # per function index: whether it has generated code
        self.returns = returns  # per function index: whether it returns a value
        self.temps = 0
        self.stack: list[Entry] = []
        self.locs: list[Abs] = []
        self.indent = 0
        self.skip = False  # the next instruction was folded into the current one
        self.nxt: Ins | None = None  # the next instruction of the unit
        self.next_last = False  # whether it is the unit's last
        self.cond: tuple[str, set[str], int] | None = None  # fused condition of the unit's final jump

    # Output helpers

    def emit(self, text: str, tag: tuple[int, bool] | None = None) -> None:
        self.out.emit(self.indent, text, tag)

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def pop(self, n: int = 1) -> list[Entry]:
        if not n:
            return []
        items = self.stack[len(self.stack) - n :]
        del self.stack[len(self.stack) - n :]
        return items

    def materialize_local(self, k: int) -> None:
        """Entries that still read local k get their own copy before k is written."""
        name, copy = f"l{k}", None
        for e in self.stack:
            if e.name == name:
                if copy is None:
                    copy = self.temp()
                    self.emit(f"{copy} = {name}")
                e.name = copy

    def resume(self, ip: int, stack: list[str]) -> str:
        args = "".join(f"{s}, " for s in stack)
        return f"return RESUME(fr, ctx, chk, LF{self.fid}, {ip}, locals(), ({args}))"

    # Instructions

    def fuse_jump(self, jump: Ins) -> None:
        """Turn the unit's condition into the branch's: JUMPN branches when it is false."""
        assert self.cond is not None
        text, names, tag = self.cond
        if jump.name == "JUMPN":
            text = negate(text)
        self.cond = (text, names, tag)

    def fusable(self) -> bool:
        """Whether the next instruction is the unit's final conditional jump, so a test can go straight in it."""
        n = self.nxt
        return n is not None and n.name in ("JUMPI", "JUMPN") and self.next_last

    def dest(self, ins: Ins) -> tuple[str, int | None]:
        """Where an inline instruction writes its result: straight into the local a following STORE names."""
        n = self.nxt
        if n is not None and n.name == "STORE":
            k = n.raw
            self.materialize_local(k)
            self.skip = True
            return f"l{k}", k
        return self.temp(), None

    def finish(self, name: str, slot: int | None, abs_: Abs) -> None:
        if slot is None:
            self.stack.append(Entry(name, abs_))
        else:
            self.locs[slot] = abs_

    def tag(self, ins: Ins) -> tuple[int, bool]:
        return (ins.i, False)

    def result(self, ins: Ins, ops: list[Entry]) -> Abs:
        return results(ins, [e.abs for e in ops])[0]

    def inline(self, ins: Ins, ops: list[Entry], expr: str, checks: list[str] = ()) -> None:  # type: ignore[assignment]
        """`dest = expr`, then each check (a format string over the dest) on its own line."""
        d, slot = self.dest(ins)
        self.emit(f"{d} = {expr}", self.tag(ins))
        for check in checks:
            self.emit(check.format(d=d), self.tag(ins))
        self.finish(d, slot, self.result(ins, ops))

    # Stack and locals

    def op_PUSH(self, ins: Ins) -> None:
        name = self.out.bind(f"K{ins.raw}", self.constants[ins.raw])
        self.stack.append(Entry(name, const_abs(self.constants[ins.raw])))

    def op_POP(self, ins: Ins) -> None:
        self.pop()

    def op_DUP(self, ins: Ins) -> None:
        e = self.stack[-1]
        self.stack.append(Entry(e.name, e.abs))

    def op_SWAP(self, ins: Ins) -> None:
        s = self.stack
        s[-1], s[-2] = s[-2], s[-1]

    def op_LOAD(self, ins: Ins) -> None:
        self.stack.append(Entry(f"l{ins.raw}", self.locs[ins.raw]))

    def op_STORE(self, ins: Ins) -> None:
        e = self.pop()[0]
        k = ins.raw
        name = f"l{k}"
        if e.name != name:
            self.materialize_local(k)
            self.emit(f"{name} = {e.name}")
        self.locs[k] = e.abs

    # Arithmetic

    def bounds(self, ins: Ins) -> tuple[str, str, int, int]:
        t = ins.value
        code = ins.raw
        hi = self.out.bind(f"HI{code}", t.hi)  # type: ignore[attr-defined]
        lo = self.out.bind(f"LO{code}", t.lo)  # type: ignore[attr-defined]
        return hi, lo, t.lo, t.hi  # type: ignore[attr-defined]

    def range_checks(self, ins: Ins, lo: int | None, hi: int | None) -> list[str]:
        hname, lname, tlo, thi = self.bounds(ins)
        checks = []
        if hi is None or hi > thi:
            checks.append(f"if {{d}} > {hname}: raise Trap(OVERFLOW)")
        if lo is None or lo < tlo:
            checks.append(f"if {{d}} < {lname}: raise Trap(UNDERFLOW)")
        return checks

    def refine(self, entry: Entry, kind: int) -> None:
        """After a type check on `entry` passed: its value (and every copy of it) is of `kind`."""
        known: Abs = (kind, None, None)
        name = entry.name
        for e in self.stack:
            if e.name == name and e.abs[0] != kind:
                e.abs = known
        entry.abs = known
        if name.startswith("l") and self.locs[int(name[1:])][0] != kind:
            self.locs[int(name[1:])] = known

    def int_check(self, ins: Ins, ops: list[Entry]) -> None:
        unknown = [e for e in ops if e.abs[0] != INT]
        if unknown:
            self.emit("if " + " or ".join(f"type({e.name}) is not int" for e in unknown) + ": raise TypeError",
                      self.tag(ins))
            for e in unknown:
                self.refine(e, INT)

    def op_ADD(self, ins: Ins) -> None:
        self.arith(ins, "+")

    def op_SUB(self, ins: Ins) -> None:
        self.arith(ins, "-")

    def op_MUL(self, ins: Ins) -> None:
        a, b = self.pop(2)
        self.int_check(ins, [a, b])
        self.arith(ins, "*", (a, b))

    def arith(self, ins: Ins, op: str, ops: tuple[Entry, Entry] | None = None) -> None:
        a, b = ops if ops is not None else self.pop(2)
        lo, hi = add_range(ins.name, a.abs, b.abs)
        self.inline(ins, [a, b], f"{a.name} {op} {b.name}", self.range_checks(ins, lo, hi))

    def op_DIV(self, ins: Ins) -> None:
        self.divmod(ins, "//", "DIV")

    def op_MOD(self, ins: Ins) -> None:
        self.divmod(ins, "%", "MOD")

    def divmod(self, ins: Ins, op: str, helper: str) -> None:
        a, b = self.pop(2)
        t = self.out.bind(f"T{ins.raw}", ins.value)
        if nonneg(a.abs) and positive(b.abs):
            # Both operands known non-negative: Python's operator is the checked one, and the quotient
            # never exceeds the dividend, so it stays in range whenever the dividend is.
            checks = []
            thi = ins.value.hi  # type: ignore[attr-defined]
            if op == "//" and (a.abs[2] is None or a.abs[2] > thi):
                checks = self.range_checks(ins, 0, None)
            self.inline(ins, [a, b], f"{a.name} {op} {b.name}", checks)
        else:
            self.inline(ins, [a, b], f"{helper}({t}, {a.name}, {b.name})")

    def op_POW(self, ins: Ins) -> None:
        a, b = self.pop(2)
        self.int_check(ins, [a, b])
        t = self.out.bind(f"T{ins.raw}", ins.value)
        self.inline(ins, [a, b], f"POW({t}, {a.name}, {b.name})")

    def op_NEG(self, ins: Ins) -> None:
        (a,) = self.pop()
        if a.abs[0] == INT:
            lo = None if a.abs[2] is None else -a.abs[2]
            hi = None if a.abs[1] is None else -a.abs[1]
        else:
            lo = hi = None
        self.inline(ins, [a], f"-{a.name}", self.range_checks(ins, lo, hi))

    def op_CAST(self, ins: Ins) -> None:
        (a,) = self.pop()
        t = ins.value
        if a.abs[0] == INT and a.abs[1] is not None and a.abs[2] is not None and t.lo <= a.abs[1] and a.abs[2] <= t.hi:  # type: ignore
            self.stack.append(Entry(a.name, self.result(ins, [a])))  # nothing can fail: the value stays
            return
        name = self.out.bind(f"T{ins.raw}", t)
        self.inline(ins, [a], f"CAST({name}, {a.name})")

    def op_BNOT(self, ins: Ins) -> None:
        (a,) = self.pop()
        hi = self.bounds(ins)[0]
        self.inline(ins, [a], f"~{a.name} & {hi}")

    def op_SHL(self, ins: Ins) -> None:
        a, b = self.pop(2)
        self.int_check(ins, [a, b])
        hi = self.bounds(ins)[0]
        bits = self.out.bind(f"BITS{ins.raw}", ins.value.bits)  # type: ignore[attr-defined]
        self.inline(ins, [a, b], f"({a.name} << {b.name}) & {hi} if {b.name} < {bits} else 0")

    def binary(self, ins: Ins, op: str) -> None:
        a, b = self.pop(2)
        self.inline(ins, [a, b], f"{a.name} {op} {b.name}")

    def op_SHR(self, ins: Ins) -> None:
        self.binary(ins, ">>")

    def op_BAND(self, ins: Ins) -> None:
        self.binary(ins, "&")

    def op_BOR(self, ins: Ins) -> None:
        self.binary(ins, "|")

    def op_BXOR(self, ins: Ins) -> None:
        self.binary(ins, "^")

    # Comparisons

    def test(self, ins: Ins, ops: list[Entry], text: str) -> None:
        """A bool-valued expression: straight into the unit's final jump when it follows, else a temp."""
        if self.fusable():
            self.cond = (text, {e.name for e in ops}, ins.i)
            self.fuse_jump(self.nxt)  # type: ignore[arg-type]
            self.skip = True
        else:
            self.inline(ins, ops, text)

    def order(self, ins: Ins) -> None:
        a, b = self.pop(2)
        if a.abs[0] not in SCALARS:
            self.emit(f"if type({a.name}) is tuple: raise TypeError", self.tag(ins))
        self.test(ins, [a, b], f"{a.name} {COMPARE[ins.name]} {b.name}")

    op_LT = op_LE = op_GT = op_GE = order

    def equality(self, ins: Ins) -> None:
        a, b = self.pop(2)
        op = COMPARE[ins.name]
        if a.abs[0] in SCALARS and b.abs[0] in SCALARS:
            self.test(ins, [a, b], f"{a.name} {op} {b.name}")
            return
        # A tuple costs gas per element: the reference's own helper charges it, with the gas counter in ctx.
        rest = self.plan.rest[ins.i]
        spec = self.out.bind(f"SPEC_{ins.name}", ins.spec)
        d = self.temp()
        neg = "not " if ins.name == "NE" else ""
        self.stack.append(Entry(d, (BOOL, None, None)))
        after = [e.name for e in self.stack]
        known = a.abs[0] == TUPLE or b.abs[0] == TUPLE
        if not known:
            tests = [f"type({e.name}) is tuple" for e in (a, b) if e.abs[0] not in SCALARS]
            self.emit(f"if {' or '.join(tests)}:")
            self.indent += 1
        self.emit(f"ctx.gas = g + {rest}")
        self.emit(f"{d} = {neg}TUPLES_EQUAL(fr, {spec}, {a.name}, {b.name})", (ins.i, True))
        self.emit(f"g = ctx.gas - {rest}")
        if rest:
            self.emit(f"if g < 0: {self.resume(ins.i + 1, after)}", (ins.i + 1, True))
        if not known:
            self.indent -= 1
            self.emit("else:")
            self.emit(f"    {d} = {a.name} {op} {b.name}")

    op_EQ = op_NE = equality

    def op_NOT(self, ins: Ins) -> None:
        (a,) = self.pop()
        self.test(ins, [a], f"not {a.name}")

    # Sequences

    def op_MAKE(self, ins: Ins) -> None:
        ops = self.pop(ins.raw)
        items = ", ".join(e.name for e in ops)
        self.inline(ins, ops, f"({items},)" if len(ops) == 1 else f"({items})")

    def op_FIELD(self, ins: Ins) -> None:
        (a,) = self.pop()
        if a.abs[0] != TUPLE:
            self.emit(f"if type({a.name}) is not tuple: raise TypeError", self.tag(ins))
            self.refine(a, TUPLE)
        self.inline(ins, [a], f"{a.name}[{ins.raw}]")

    def op_INDEX(self, ins: Ins) -> None:
        seq, i = self.pop(2)
        checks = []
        if seq.abs[0] not in (TUPLE, BYTES):
            checks.append(f"type({seq.name}) is not tuple and type({seq.name}) is not bytes")
        if i.abs[0] != INT:
            checks.append(f"type({i.name}) is not int")
        if checks:
            self.emit(f"if {' or '.join(checks)}: raise TypeError", self.tag(ins))
            if i.abs[0] != INT:
                self.refine(i, INT)
        self.emit(f"if not 0 <= {i.name} < len({seq.name}): raise Trap(OUT_OF_BOUNDS)", self.tag(ins))
        self.inline(ins, [seq, i], f"{seq.name}[{i.name}]")

    def op_LEN(self, ins: Ins) -> None:
        (a,) = self.pop()
        if a.abs[0] in (TUPLE, BYTES):
            self.inline(ins, [a], f"len({a.name})")
        else:
            self.inline(ins, [a], f"LEN({a.name})")

    # Environment

    def env(self, ins: Ins) -> None:
        self.inline(ins, [], ENV[ins.name])

    op_CALLER = op_VALUE = op_SELF = op_HEIGHT = op_TIME = env

    # Control

    def op_RET(self, ins: Ins) -> None:
        if ins.pops:
            (v,) = self.pop()
            self.emit(f"if chk is not None and not CONFORMS(chk, {v.name}): raise BAD_RETURN(chk)", self.tag(ins))
            self.emit(f"ctx.gas = g; return {v.name}")
        else:
            self.emit("ctx.gas = g; return None")

    def op_REVERT(self, ins: Ins) -> None:
        (m,) = self.pop()
        if m.abs[0] != STR:
            self.emit(f"if type({m.name}) is not str: raise TypeError", self.tag(ins))
        self.emit(f"raise Trap({m.name})", self.tag(ins))

    def op_CALL(self, ins: Ins) -> None:
        j = ins.raw
        args = self.pop(ins.pops)
        names = "".join(f", {e.name}" for e in args)
        rest = self.plan.rest[ins.i]
        self.emit("if ctx.depth >= MAX_CALL_DEPTH: raise Trap(DEPTH_EXCEEDED)", self.tag(ins))
        self.emit(f"ctx.gas = g + {rest}; ctx.depth += 1")
        if self.translated[j]:
            call = f"F{j}(fr, ctx, None{names})"
        else:
            self.out.bind(f"LF{j}", ins.value)
            call = f"CALL_REFERENCE(fr, ctx, LF{j}, ({''.join(e.name + ', ' for e in args)}))"
        if self.returns[j]:
            d = self.temp()
            self.emit(f"{d} = {call}", (ins.i, True))
            self.stack.append(Entry(d, TOP))
        else:
            self.emit(call, (ins.i, True))
        self.emit(f"ctx.depth -= 1; g = ctx.gas - {rest}")
        if rest:
            self.emit(f"if g < 0: {self.resume(ins.i + 1, [e.name for e in self.stack])}", (ins.i + 1, True))

    # Encodings: the fixed-size cases inline, anything else (and any doubt) through the handler

    def op_ENCODE(self, ins: Ins) -> None:
        """A fixed-size scalar's encoding inline (its dynamic gas is a constant); the handler otherwise."""
        t = ins.value
        (v,) = self.stack[-1:]
        name = v.name
        if type(t) is AddressT or type(t) is DigestT:
            size = ADDRESS_SIZE if type(t) is AddressT else DIGEST_SIZE
            test, expr = f"type({name}) is bytes and len({name}) == {size}", name
        elif type(t) is IntT:
            size = t.bits // 8
            lo = self.out.bind(f"ELO{t.code}", t.lo)
            hi = self.out.bind(f"EHI{t.code}", t.hi)
            test = f"type({name}) is int and {lo} <= {name} <= {hi}"
            expr = f"{name}.to_bytes({size}, 'big', signed={t.signed})"
        elif type(t) is BoolT:
            size = 1
            test, expr = f"type({name}) is bool", f"(b'\\x01' if {name} else b'\\x00')"
        else:
            self.op_generic(ins)
            return
        cost = ins.spec.unit_gas * units(ins.spec, size)
        self.inline_or_handler(ins, test, cost, expr)

    def op_CONCAT(self, ins: Ins) -> None:
        """Byte strings joined inline, their gas computed from their lengths; the handler for anything else."""
        ops = self.stack[len(self.stack) - ins.raw :]
        if not ops:
            self.op_generic(ins)
            return
        tests = [f"type({e.name}) is bytes" for e in ops if e.abs[0] != BYTES]
        length = " + ".join(f"len({e.name})" for e in ops)
        per = ins.spec.unit_gas
        cost = f"(gc := ({length} + {WORD_BYTES - 1}) // {WORD_BYTES}{f' * {per}' if per != 1 else ''})"
        expr = " + ".join(e.name for e in ops) if len(ops) > 1 else ops[0].name
        self.inline_or_handler(ins, " and ".join(tests), cost, expr)

    def inline_or_handler(self, ins: Ins, test: str, cost: int | str, expr: str) -> None:
        """`d = expr` charging `cost` dynamic gas when `test` holds and the gas left covers it; otherwise the
        reference handler does the instruction (and raises its fault or out of gas). `cost` is a constant or an
        expression binding `gc`. Either way the gas then left must cover the unit's later static gas."""
        ops = self.pop(ins.pops)
        rest = self.plan.rest[ins.i]
        d = self.temp()
        fits = f"{cost} <= g + {rest}"
        charge = cost if isinstance(cost, int) else "gc"
        self.emit(f"if {test + ' and ' if test else ''}{fits}:")
        self.emit(f"    g -= {charge}; {d} = {expr}")
        self.emit("else:")
        self.indent += 1
        self.handler_call(ins, ops, [d])
        self.indent -= 1
        self.stack.append(Entry(d, results(ins, [e.abs for e in ops])[0]))
        if rest:
            after = [e.name for e in self.stack]
            self.emit(f"if g < 0: ctx.gas = g + {rest}; {self.resume(ins.i + 1, after)}", (ins.i + 1, True))

    def handler_call(self, ins: Ins, ops: list[Entry], outs: list[str]) -> None:
        """The reference handler on the frame's stack, with the gas counter in ctx around it."""
        sync = bool(ins.spec.unit) or ins.name in SYNCED
        rest = self.plan.rest[ins.i]
        if len(ops) == 1:
            self.emit(f"st.append({ops[0].name})")
        elif ops:
            self.emit(f"st.extend(({', '.join(e.name for e in ops)}))")
        if sync:
            self.emit(f"ctx.gas = g + {rest}")
        handler = self.out.bind(f"H_{ins.name}", self.handlers[ins.spec.code])
        imm = "None" if ins.value is None else self.out.bind(f"M{self.fid}_{ins.i}", ins.value)
        self.emit(f"{handler}(fr, {imm}, 0)", (ins.i, sync))
        for t in reversed(outs):
            self.emit(f"{t} = st.pop()")
        if sync:
            self.emit(f"g = ctx.gas - {rest}")

    def op_generic(self, ins: Ins) -> None:
        """Any other instruction: its reference handler, on the frame's stack, with the same immediate."""
        ops = self.pop(ins.pops)
        outs = [self.temp() for _ in range(ins.pushes)]
        self.handler_call(ins, ops, outs)
        for t, a in zip(outs, results(ins, [e.abs for e in ops]), strict=True):
            self.stack.append(Entry(t, a))
        sync = bool(ins.spec.unit) or ins.name in SYNCED
        rest = self.plan.rest[ins.i]
        if sync and rest:
            self.emit(f"if g < 0: {self.resume(ins.i + 1, [e.name for e in self.stack])}", (ins.i + 1, True))
