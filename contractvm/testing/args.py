"""Call arguments as a transaction carries them, prepared once per function: `Arguments(params).encode(args)`.

It gives what the chain's `encode_args` and `decode_args` would — the canonical encoding (the payload's tail)
and the plain values a node decodes from it (an `Account` becomes `bytes`, an `IntEnum` an `int`) — and
refuses what `codec.check` refuses with the same message. Integers, booleans, addresses and digests, the
arguments of nearly every call, take a short path prepared per parameter; every other type goes through the
codec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contractvm.chain.executor import args_type
from contractvm.isa import codec
from contractvm.isa.types import ADDRESS_SIZE, DIGEST_SIZE, AddressT, BoolT, DigestT, IntT, StructT, Type

Step = Callable[[object], tuple[bytes, object]]  # one argument -> (its encoding, its plain value)


def _int_step(t: IntT) -> Step:
    lo, hi, width, signed = t.lo, t.hi, t.bits // 8, t.signed

    def step(v: object) -> tuple[bytes, object]:
        if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
            plain = int(v)
            return plain.to_bytes(width, "big", signed=signed), plain
        codec.check(t, v)  # raises, with the codec's message
        raise AssertionError(v)  # pragma: no cover - check accepted what the test above refused

    return step


def _bytes_step(t: Type, size: int) -> Step:
    def step(v: object) -> tuple[bytes, object]:
        if isinstance(v, bytes) and len(v) == size:
            plain = bytes(v)
            return plain, plain
        codec.check(t, v)
        raise AssertionError(v)  # pragma: no cover

    return step


def _bool_step(t: BoolT) -> Step:
    def step(v: object) -> tuple[bytes, object]:
        if isinstance(v, bool):
            return (b"\x01" if v else b"\x00"), bool(v)
        codec.check(t, v)
        raise AssertionError(v)  # pragma: no cover

    return step


def _codec_step(t: Type) -> Step:
    def step(v: object) -> tuple[bytes, object]:
        codec.check(t, v)
        raw = codec.encode(t, v)
        return raw, codec.decode(t, raw)

    return step


def _step(t: Type) -> Step:
    if type(t) is IntT:
        return _int_step(t)
    if type(t) is AddressT:
        return _bytes_step(t, ADDRESS_SIZE)
    if type(t) is DigestT:
        return _bytes_step(t, DIGEST_SIZE)
    if type(t) is BoolT:
        return _bool_step(t)
    return _codec_step(t)


class Arguments:
    """The parameters of one function, ready to encode arguments (see the module docstring)."""

    def __init__(self, params: tuple[Type, ...]) -> None:
        self.params = params
        self.struct: StructT = args_type(params)
        self._steps = tuple(_step(t) for t in params)

    def encode(self, args: Sequence[object]) -> tuple[bytes, tuple[object, ...]]:
        """(the canonical encoding, the plain values); CodecError when an argument does not fit its type,
        ValueError when there are not as many arguments as parameters."""
        if len(args) != len(self._steps):
            raise ValueError(f"takes {len(self._steps)} arguments, {len(args)} given")
        parts = []
        plain = []
        for step, arg in zip(self._steps, args, strict=True):
            raw, value = step(arg)
            parts.append(raw)
            plain.append(value)
        return b"".join(parts), tuple(plain)
