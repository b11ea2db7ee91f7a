"""Download limits: token buckets per reader and for the node, on a clock the test moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.node.limits import DownloadLimits, Rate, parse_rate

ALICE, BOB = b"\xa1" * 20, b"\xb0" * 20


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("text", "rate"), [
    ("60/min", Rate(60, 60)), ("5/s", Rate(5, 1)), (" 1000 / hour ", Rate(1000, 3600)), ("100/30s", Rate(100, 30)),
    ("2/day", Rate(2, 86400)), ("off", None),
])
def test_rates_are_read_as_written(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate
    if rate is not None:
        assert parse_rate(str(rate)) == rate


@pytest.mark.parametrize("text", ["60", "60/fortnight", "-1/s", "0/min", "1/0s", "x/min", ""])
def test_a_bad_rate_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_a_reader_gets_a_burst_then_waits_for_tokens() -> None:
    clock = Clock()
    limits = DownloadLimits(Rate(3, 60), None, clock)
    assert [limits.take(ALICE) for _ in range(3)] == [0, 0, 0]
    assert limits.take(ALICE) == 20  # one token comes back every 20 s
    assert limits.take(BOB) == 0  # another reader has a bucket of its own
    clock.now += 19.5
    assert limits.take(ALICE) == 1
    clock.now += 0.5
    assert limits.take(ALICE) == 0 and limits.take(ALICE) == 20


def test_the_node_limit_holds_whatever_the_number_of_readers() -> None:
    clock = Clock()
    limits = DownloadLimits(Rate(100, 60), Rate(2, 10), clock)
    assert [limits.take(bytes([i]) * 20) for i in range(4)] == [0, 0, 5, 5]
    clock.now += 5
    assert limits.take(b"\x09" * 20) == 0


def test_a_refused_download_takes_no_token() -> None:
    clock = Clock()
    limits = DownloadLimits(Rate(1, 10), Rate(2, 10), clock)
    assert limits.take(ALICE) == 0
    assert limits.take(ALICE) == 10  # per reader: refused, and the node's token is not spent
    assert limits.take(BOB) == 0


def test_the_policy_reads_as_configured() -> None:
    assert DownloadLimits(Rate(60, 60), Rate(600, 3600), Clock()).describe() == "60/min per reader, 600/hour in all"
    assert DownloadLimits(None, Rate(5, 1), Clock()).describe() == "5/s in all"
    assert DownloadLimits(None, None, Clock()).describe() == "no limit"
    assert DownloadLimits(None, None, Clock()).take(ALICE) == 0


def test_memory_is_bounded() -> None:
    limits = DownloadLimits(Rate(1, 60), None, Clock(), max_readers=10)
    for i in range(100):
        limits.take(i.to_bytes(20, "big"))
    assert len(limits._readers) == 10


@given(count=st.integers(1, 5), seconds=st.integers(1, 30),
       steps=st.lists(st.tuples(st.floats(0, 20, allow_nan=False), st.sampled_from([ALICE, BOB])), max_size=60))
def test_no_window_serves_more_than_the_rate_allows(count: int, seconds: int, steps: list) -> None:
    """Whatever the timing, a reader is served at most `count` + `count * T / seconds` times in any T seconds."""
    clock = Clock()
    limits = DownloadLimits(Rate(count, seconds), None, clock)
    served: dict[bytes, list[float]] = {ALICE: [], BOB: []}
    for delay, reader in steps:
        clock.now += delay
        if limits.take(reader) == 0:
            served[reader].append(clock.now)
    for times in served.values():
        for i, start in enumerate(times):
            for j in range(i, len(times)):
                window = times[j] - start
                assert j - i + 1 <= count + count * window / seconds + 1e-9
