"""`encoded_size` is `len(encoded(...))` without the encoding: the same size, and the same fault for a bad value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.isa.typenames import parse_type
from contractvm.testing.strategies import values_of
from contractvm.vm.ops_data import encoded, encoded_size

TYPES = ["u8", "i8", "u64", "i256", "u256", "bool", "address", "digest", "bytes<4>", "string<4>", "[u8; 2]",
         "vec<address, 2>"]
ODD = st.one_of(st.integers(-(2**257), 2**257), st.booleans(), st.binary(max_size=40), st.text(max_size=5),
                st.none(), st.tuples(st.integers(0, 3)))


@given(st.sampled_from(TYPES).flatmap(lambda name: st.tuples(st.just(name), values_of(name) | ODD)))
def test_the_size_is_the_encodings_and_a_bad_value_faults_alike(case: tuple[str, object]) -> None:
    name, value = case
    t = parse_type(name, {})
    try:
        expected: int | str = len(encoded(t, value))
    except ValueError as exc:
        expected = str(exc)
    try:
        got: int | str = encoded_size(t, value)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


@pytest.mark.parametrize(("name", "value"), [("u8", True), ("u8", 256), ("address", bytearray(20)),
                                             ("bool", 1), ("digest", bytes(20))])
def test_near_misses_fault(name: str, value: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        encoded_size(parse_type(name, {}), value)
