"""`Arguments` encodes call arguments exactly as the chain's `encode_args` does, and refuses what it refuses."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.chain.executor import decode_args, encode_args
from contractvm.isa import codec
from contractvm.isa.typenames import parse_type
from contractvm.testing.abi import Account
from contractvm.testing.args import Arguments
from contractvm.testing.strategies import values_of

TYPES = ["u8", "i16", "u64", "i128", "u256", "bool", "address", "digest", "bytes<4>", "string<8>", "vec<u8, 3>",
         "[address; 2]", "[i8; 2]"]


@st.composite
def params_and_args(draw: st.DrawFn) -> tuple[tuple, tuple]:
    names = draw(st.lists(st.sampled_from(TYPES), max_size=5))
    params = tuple(parse_type(n, {}) for n in names)
    return params, tuple(draw(values_of(t)) for t in params)


@given(params_and_args())
def test_the_encoding_and_plain_values_are_the_chains(case: tuple[tuple, tuple]) -> None:
    params, args = case
    encoded = encode_args(params, args)
    assert Arguments(params).encode(args) == (encoded, decode_args(params, encoded))


class Level(enum.IntEnum):
    HIGH = 200


def test_subclasses_come_out_as_the_plain_values_a_node_decodes() -> None:
    account = Account(bytes(range(20)), label="alice")
    raw, plain = Arguments((parse_type("address", {}), parse_type("u8", {}))).encode((account, Level.HIGH))
    assert raw == bytes(range(20)) + bytes([200])
    assert plain == (bytes(range(20)), 200)
    assert [type(v) for v in plain] == [bytes, int]


@pytest.mark.parametrize(("type_name", "value"), [
    ("u8", 256), ("u8", -1), ("u8", True), ("u8", "1"), ("i8", -129), ("bool", 1), ("address", bytes(19)),
    ("address", bytearray(20)), ("digest", bytes(33)), ("bytes<2>", b"abc"), ("string<2>", "abc"),
    ("[u8; 2]", (1,)), ("vec<u8, 1>", [1]),
])
def test_a_value_that_does_not_fit_is_refused_with_the_codecs_message(type_name: str, value: object) -> None:
    t = parse_type(type_name, {})
    with pytest.raises(codec.CodecError) as expected:
        codec.check(t, value)
    with pytest.raises(codec.CodecError) as refused:
        Arguments((t,)).encode((value,))
    assert str(refused.value) == str(expected.value)


def test_the_argument_count_must_match() -> None:
    with pytest.raises(ValueError, match="takes 1 arguments, 2 given"):
        Arguments((parse_type("u8", {}),)).encode((1, 2))
