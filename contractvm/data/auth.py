"""Signed HTTP requests to the data service: who is asking, proven with the account's Ed25519 key.

A request carries one header:

```
Authorization: CVM-Ed25519 key=<public key, 64 hex>, time=<unix seconds>, nonce=<32 hex>, sig=<signature, 128 hex>
```

The signature covers `request_message(...)`: a domain string, the chain id (a request for one chain is
useless on another), the method, the path with its query string, the time, a random nonce (two identical
requests in the same second still differ) and the SHA-256 of the body. The
node accepts a signature made within `MAX_SKEW` seconds of its own clock and only once (`ReplayGuard`), so a
captured request cannot be replayed to download again or to be accounted twice. The requester is the address of
the key: the same account that holds the grant on chain.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from dataclasses import dataclass

from contractvm import crypto
from contractvm.chain.accounts import Keypair, address_from_public_key
from contractvm.errors import ContractVMError

SCHEME = "CVM-Ed25519"
NONCE_SIZE = 16
MAX_SKEW = 300  # seconds a signed request stays valid either side of the node's clock
_HEADER = re.compile(r"^CVM-Ed25519 key=([0-9a-f]{64}), time=([0-9]{1,12}), nonce=([0-9a-f]{32}), sig=([0-9a-f]{128})$")


class AuthError(ContractVMError):
    """A data-service request whose signature is missing, malformed, wrong, stale or replayed."""


def request_message(chain_id: int, method: str, target: str, timestamp: int, nonce: bytes, body: bytes) -> bytes:
    """The exact bytes a request signature covers."""
    lines = ("contractvm request v1", str(chain_id), method.upper(), target, str(timestamp), nonce.hex(),
             hashlib.sha256(body).hexdigest())
    return "\n".join(lines).encode()


def sign_request(keypair: Keypair, chain_id: int, method: str, target: str, body: bytes, timestamp: int,
                 nonce: bytes | None = None) -> str:
    """The `Authorization` header value for a request (`target`: the path and its query string)."""
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    signature = keypair.sign(request_message(chain_id, method, target, timestamp, nonce, body))
    return f"{SCHEME} key={keypair.public_key.hex()}, time={timestamp}, nonce={nonce.hex()}, sig={signature.hex()}"


@dataclass(frozen=True)
class Requester:
    """Who signed a request."""

    public_key: bytes
    address: bytes
    timestamp: int
    signature: bytes


def verify_request(header: str, chain_id: int, method: str, target: str, body: bytes, now: int,
                   max_skew: int = MAX_SKEW) -> Requester:
    """The requester of a signed request; AuthError with the reason when it does not check."""
    match = _HEADER.match(header.strip())
    if match is None:
        raise AuthError(f"the Authorization header must read '{SCHEME} key=<64 hex>, time=<unix seconds>, "
                        "nonce=<32 hex>, sig=<128 hex>'")
    public_key, timestamp = bytes.fromhex(match[1]), int(match[2])
    nonce, signature = bytes.fromhex(match[3]), bytes.fromhex(match[4])
    if abs(now - timestamp) > max_skew:
        raise AuthError(f"the request was signed at {timestamp}, more than {max_skew} s from the node's clock "
                        f"({now}): sign it again (and check the clock)")
    message = request_message(chain_id, method, target, timestamp, nonce, body)
    if not crypto.ed25519_verify(public_key, message, signature):
        raise AuthError("the request signature does not verify (wrong key, chain, path, time or body)")
    return Requester(public_key, address_from_public_key(public_key), timestamp, signature)


class ReplayGuard:
    """Remembers the signatures accepted within the skew window: each signed request is accepted once.

    At most `max_entries` are remembered (anyone can sign with throwaway keys): past that, new requests are
    refused until the oldest ones leave the window, rather than forgetting some and allowing their replay."""

    def __init__(self, max_skew: int = MAX_SKEW, max_entries: int = 200_000) -> None:
        self.max_skew = max_skew
        self.max_entries = max_entries
        self._seen: set[bytes] = set()
        self._order: deque[tuple[int, bytes]] = deque()

    def admit(self, requester: Requester, now: int) -> None:
        while self._order and self._order[0][0] < now - 2 * self.max_skew:
            self._seen.discard(self._order.popleft()[1])
        if requester.signature in self._seen:
            raise AuthError("this signed request was already used: sign a new one")
        if len(self._seen) >= self.max_entries:
            raise AuthError("the node is receiving more signed requests than it remembers within "
                            f"{2 * self.max_skew} s: try again shortly")
        self._seen.add(requester.signature)
        self._order.append((now, requester.signature))
