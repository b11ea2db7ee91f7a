"""Handlers that only touch the frame: stack and locals, checked arithmetic, comparisons, jumps, sequences."""

from __future__ import annotations

from contractvm.isa import arith, codec
from contractvm.isa.arith import OVERFLOW, UNDERFLOW
from contractvm.isa.opcodes import BY_NAME, OpSpec
from contractvm.isa.types import ADDRESS_SIZE, DIGEST_SIZE, AddressT, BoolT, DigestT, IntT, Type
from contractvm.vm.runtime import Frame, IntRange, OpTable, Trap, charge
from contractvm.vm.values import conforms, elements

table = OpTable()
op = table.op

MAX_FIELDS = 255  # a struct has at most this many fields (the type descriptor's count is one byte)


def _ints(a: object, b: object) -> None:
    """Refuse non-integers before an operation whose cost would otherwise depend on them (bytes * n)."""
    if type(a) is not int or type(b) is not int:
        raise TypeError("integer operands expected")


# Stack and locals


@op("PUSH")
def _push(f: Frame, value: object, nxt: int) -> int:
    f.stack.append(value)
    return nxt


@op("POP")
def _pop(f: Frame, _: object, nxt: int) -> int:
    f.stack.pop()
    return nxt


@op("DUP")
def _dup(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    s.append(s[-1])
    return nxt


@op("SWAP")
def _swap(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    s[-1], s[-2] = s[-2], s[-1]
    return nxt


@op("LOAD")
def _load(f: Frame, slot: int, nxt: int) -> int:
    f.stack.append(f.locals[slot])
    return nxt


@op("STORE")
def _store(f: Frame, slot: int, nxt: int) -> int:
    f.locals[slot] = f.stack.pop()
    return nxt


# Integer arithmetic: the rules of `isa.arith` (the compiler folds constants with them), whose
# ArithmeticFault the interpreter turns into a revert. ADD and SUB inline `arith.fit` for speed.


@op("ADD")
def _add(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    r = s[-1] + b
    if r > t.hi:
        raise Trap(OVERFLOW)
    if r < t.lo:
        raise Trap(UNDERFLOW)
    s[-1] = r
    return nxt


@op("SUB")
def _sub(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    r = s[-1] - b
    if r > t.hi:
        raise Trap(OVERFLOW)
    if r < t.lo:
        raise Trap(UNDERFLOW)
    s[-1] = r
    return nxt


@op("MUL")
def _mul(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ints(a, b)
    s[-1] = arith.fit(t, a * b)
    return nxt


@op("DIV")
def _div(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] = arith.div(t, s[-1], b)
    return nxt


@op("MOD")
def _mod(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] = arith.mod(t, s[-1], b)
    return nxt


@op("POW")
def _pow(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ints(a, b)
    s[-1] = arith.power(t, a, b)
    return nxt


@op("NEG")
def _neg(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    s[-1] = arith.fit(t, -s[-1])
    return nxt


@op("CAST")
def _cast(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    v = s[-1]
    if not isinstance(v, int):
        raise TypeError("not an integer")
    s[-1] = arith.cast(t, int(v))
    return nxt


# Bitwise operations


@op("BAND")
def _band(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] &= b
    return nxt


@op("BOR")
def _bor(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] |= b
    return nxt


@op("BXOR")
def _bxor(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] ^= b
    return nxt


@op("BNOT")
def _bnot(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    s[-1] = arith.bnot(t, s[-1])
    return nxt


@op("SHL")
def _shl(f: Frame, t: IntRange, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ints(a, b)
    s[-1] = arith.shl(t, a, b)
    return nxt


@op("SHR")
def _shr(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    s[-1] >>= b
    return nxt


# Comparisons: equality of any values, order of integers (and strings or bytes).

_EQ = BY_NAME["EQ"]
_NE = BY_NAME["NE"]


def tuples_equal(f: Frame, spec: OpSpec, a: object, b: object) -> bool:
    """`a == b` when either is a tuple: bounded shape checks, gas per element of the larger, then the comparison."""
    charge(f, spec, max(elements(a), elements(b)))
    return a == b


@op("EQ")
def _eq(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    s[-1] = tuples_equal(f, _EQ, a, b) if type(a) is tuple or type(b) is tuple else a == b
    return nxt


@op("NE")
def _ne(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    s[-1] = not tuples_equal(f, _NE, a, b) if type(a) is tuple or type(b) is tuple else a != b
    return nxt


def _ordered(a: object) -> None:
    if type(a) is tuple:
        raise TypeError("tuples are not ordered")


@op("LT")
def _lt(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ordered(a)
    s[-1] = a < b
    return nxt


@op("LE")
def _le(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ordered(a)
    s[-1] = a <= b
    return nxt


@op("GT")
def _gt(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ordered(a)
    s[-1] = a > b
    return nxt


@op("GE")
def _ge(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    b = s.pop()
    a = s[-1]
    _ordered(a)
    s[-1] = a >= b
    return nxt


@op("NOT")
def _not(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    s[-1] = not s[-1]
    return nxt


# Jumps (the immediate is the target's instruction index)


@op("JUMP")
def _jump(f: Frame, target: int, nxt: int) -> int:
    return target


@op("JUMPI")
def _jumpi(f: Frame, target: int, nxt: int) -> int:
    return target if f.stack.pop() else nxt


@op("JUMPN")
def _jumpn(f: Frame, target: int, nxt: int) -> int:
    return nxt if f.stack.pop() else target


# Structs, arrays and vecs are tuples; bytes index to ints.


@op("MAKE")
def _make(f: Frame, n: int, nxt: int) -> int:
    s = f.stack
    if n:
        items = tuple(s[-n:])
        del s[-n:]
        s.append(items)
    else:
        s.append(())
    return nxt


@op("FIELD")
def _field(f: Frame, i: int, nxt: int) -> int:
    s = f.stack
    v = s[-1]
    if type(v) is not tuple:
        raise TypeError("not a struct")
    s[-1] = v[i]
    return nxt


@op("SETFIELD")
def _setfield(f: Frame, i: int, nxt: int) -> int:
    s = f.stack
    value = s.pop()
    v = s[-1]
    if type(v) is not tuple or not i < len(v) <= MAX_FIELDS:
        raise TypeError("not a struct with that field")
    s[-1] = (*v[:i], value, *v[i + 1 :])
    return nxt


def _position(seq: object, i: object) -> int:
    if type(seq) not in (tuple, bytes) or type(i) is not int:
        raise TypeError("not a sequence and an index")
    if not 0 <= i < len(seq):  # type: ignore[arg-type]
        raise Trap("index out of bounds")
    return i


@op("INDEX")
def _index(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    i = s.pop()
    seq = s[-1]
    s[-1] = seq[_position(seq, i)]
    return nxt


_SETINDEX = BY_NAME["SETINDEX"]


@op("SETINDEX")
def _setindex(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    value = s.pop()
    i = s.pop()
    seq = s[-1]
    i = _position(seq, i)
    charge(f, _SETINDEX, len(seq))
    item = (value,) if type(seq) is tuple else bytes((value,))
    s[-1] = seq[:i] + item + seq[i + 1 :]
    return nxt


@op("LEN")
def _len(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    v = s[-1]
    if type(v) is str:
        s[-1] = len(v.encode("utf-8"))
    elif type(v) in (tuple, bytes):
        s[-1] = len(v)
    else:
        raise TypeError("no length")
    return nxt


_APPEND = BY_NAME["APPEND"]


@op("APPEND")
def _append(f: Frame, bound: int, nxt: int) -> int:
    s = f.stack
    value = s.pop()
    vec = s[-1]
    if type(vec) is not tuple:
        raise TypeError("not a vec")
    if len(vec) >= bound:
        raise Trap("vec is full")
    charge(f, _APPEND, len(vec))
    s[-1] = (*vec, value)
    return nxt


_POPV = BY_NAME["POPV"]


@op("POPV")
def _popv(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    vec = s[-1]
    if type(vec) is not tuple:
        raise TypeError("not a vec")
    if not vec:
        raise Trap("pop from an empty vec")
    charge(f, _POPV, len(vec))
    s[-1] = vec[:-1]
    s.append(vec[-1])
    return nxt


# Byte strings and encodings


_CONCAT = BY_NAME["CONCAT"]


@op("CONCAT")
def _concat(f: Frame, n: int, nxt: int) -> int:
    s = f.stack
    parts = [v.encode("utf-8") if type(v) is str else v for v in s[len(s) - n :]]
    if any(type(p) is not bytes for p in parts):
        raise TypeError("not byte strings")
    charge(f, _CONCAT, sum(len(p) for p in parts))
    del s[len(s) - n :]
    s.append(b"".join(parts))
    return nxt


def encoded(t: Type, value: object) -> bytes:
    """The canonical encoding of a value that must be of type t (ValueError, a fault, otherwise)."""
    if not conforms(t, value):
        raise ValueError(f"not a {t}")
    return codec.encode(t, value)


def encoded_size(t: Type, value: object) -> int:
    """`len(encoded(t, value))`, without building the encoding of a fixed-size scalar (the same faults)."""
    kind = type(t)
    if kind is IntT:
        if type(value) is int and t.lo <= value <= t.hi:  # type: ignore[attr-defined, operator]
            return t.bits // 8  # type: ignore[attr-defined, no-any-return]
    elif kind is AddressT:
        if type(value) is bytes and len(value) == ADDRESS_SIZE:
            return ADDRESS_SIZE
    elif kind is DigestT:
        if type(value) is bytes and len(value) == DIGEST_SIZE:
            return DIGEST_SIZE
    elif kind is BoolT and type(value) is bool:
        return 1
    return len(encoded(t, value))


_ENCODE = BY_NAME["ENCODE"]
_PACK = BY_NAME["PACK"]


@op("ENCODE")
def _encode(f: Frame, t: Type, nxt: int) -> int:
    s = f.stack
    raw = encoded(t, s[-1])
    charge(f, _ENCODE, len(raw))
    s[-1] = raw
    return nxt


@op("PACK")
def _pack(f: Frame, t: Type, nxt: int) -> int:
    s = f.stack
    v = s[-1]
    if not conforms(t, v):
        raise ValueError(f"not a {t}")
    raw = codec.pack(t, v)
    charge(f, _PACK, len(raw))
    s[-1] = raw
    return nxt
