"""How fast the data service serves downloads: per reader and for the whole node.

Every download served costs a transaction: the access record the node signs with its service key, which
the chain keeps for good. A signature proves who asks, but accounts cost nothing to make, so without a bound
anyone could make a node fill its chain with access records. Two token buckets bound that:

- per reader (the account that signed the request): at most `count` downloads in any `seconds`, in bursts of
  up to `count`;
- for the node (every reader together): the same with its own figures, so throwaway keys cannot get around
  the first.

A download over either limit is refused (`rate_limited`, HTTP 429, with `Retry-After`), logged in the
node's access log like any refusal, and costs nothing on chain. Downloads the chain forbids never take a
token. This is host-side policy, outside the chain's rules, so host time is fine here.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}
SHOWN = {1: "s", 60: "min", 3600: "hour", 86400: "day"}  # how a rate is written back
MAX_READERS = 100_000  # readers whose buckets are remembered; the least recently seen are forgotten first


@dataclass(frozen=True)
class Rate:
    """At most `count` events in any `seconds` (as a token bucket: bursts up to `count`, refilled evenly)."""

    count: int
    seconds: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds < 1:
            raise ValueError("a rate is at least 1 per at least 1 second")

    def __str__(self) -> str:
        unit = SHOWN.get(self.seconds)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.seconds}s"


def parse_rate(text: str) -> Rate | None:
    """`60/min`, `5/s`, `1000/hour`, `100/30s`; `off` for no limit (None). ValueError with the reason."""
    text = text.strip().lower()
    if text in ("off", "none", "0"):
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*([a-z]+)", text)
    if match is None or match.group(3) not in UNITS:
        raise ValueError(f"{text!r} is not a rate: write COUNT/UNIT (60/min, 5/s, 1000/hour, 100/30s) or off")
    count, times, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    return Rate(count, times * UNITS[unit])


class Bucket:
    """One token bucket (full at first)."""

    __slots__ = ("rate", "stamp", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.count)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now)."""
        rate = self.rate
        self.tokens = min(float(rate.count), self.tokens + (now - self.stamp) * rate.count / rate.seconds)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * rate.seconds / rate.count

    def take(self) -> None:
        self.tokens -= 1


class DownloadLimits:
    """The per-reader and node-wide limits (either may be None: no limit); `take` before serving."""

    def __init__(self, per_reader: Rate | None, total: Rate | None, clock: Callable[[], float],
                 max_readers: int = MAX_READERS) -> None:
        self.per_reader = per_reader
        self.total = total
        self.clock = clock
        self.max_readers = max_readers
        self._readers: OrderedDict[bytes, Bucket] = OrderedDict()
        self._node = Bucket(total, clock()) if total is not None else None

    def take(self, reader: bytes) -> int:
        """Take a download for `reader`: 0 if it may be served now (and it is counted), else the whole seconds
        to wait (nothing is counted)."""
        now = self.clock()
        bucket = None
        wait = 0.0
        if self.per_reader is not None:
            bucket = self._readers.pop(reader, None) or Bucket(self.per_reader, now)
            self._readers[reader] = bucket  # the most recently seen last
            if len(self._readers) > self.max_readers:
                self._readers.popitem(last=False)
            wait = bucket.wait(now)
        if self._node is not None:
            wait = max(wait, self._node.wait(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        if bucket is not None:
            bucket.take()
        if self._node is not None:
            self._node.take()
        return 0

    def describe(self) -> str:
        """The policy in words: `60/min per reader, 600/min in all`."""
        parts = [f"{self.per_reader} per reader" if self.per_reader else "",
                 f"{self.total} in all" if self.total else ""]
        return ", ".join(p for p in parts if p) or "no limit"
