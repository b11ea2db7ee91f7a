"""`DataClient`: the data service of a node (docs/data-service.md), from the supplier's and the reader's side.

Everything that needs a secret happens here, on the user's machine: a closed payload is encrypted before it
is uploaded, the data key is sealed to a reader before it is deposited, and a download is decrypted and its
fingerprint re-checked after it arrives. The node never sees a plaintext closed payload nor a data key.

    from contractvm.client import Client
    from contractvm.client.data import DataClient

    with Client(url) as node:
        data = DataClient(node)
        stored = data.publish(owner, b"reading", closed=True, access=access_contract)
        payload = data.fetch(reader, stored.fingerprint)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from contractvm.chain.accounts import Keypair, address_from_public_key, address_to_text
from contractvm.client.core import Client, ClientError
from contractvm.client.models import Receipt
from contractvm.data.auth import sign_request
from contractvm.data.envelope import (
    Envelope,
    EnvelopeError,
    open_data_key,
    seal_data_key,
    sealed_key_digest,
    wrap_closed,
    wrap_open,
)
from contractvm.isa.program import Program


@dataclass(frozen=True)
class Published:
    """A payload registered on chain and stored on the node."""

    fingerprint: bytes
    closed: bool
    data_key: bytes | None  # the secret that unlocks a closed payload: keep it, seal it to each buyer
    receipt: Receipt | None  # of DataAccess.register (None when it was registered already)
    info: dict[str, Any]  # the node's answer to the upload


@dataclass(frozen=True)
class Fetched:
    """A downloaded payload, decrypted (if closed) and checked against its fingerprint."""

    payload: bytes
    closed: bool
    access_id: int  # the DataAccess record of this access
    access_tx: str  # the transaction that recorded it


class DataClient:
    """The data endpoints of one node, over a `Client`'s connections."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._programs: dict[str, Program] = {}

    # the supplier's side

    def publish(self, owner: Keypair, payload: bytes, *, closed: bool, access: bytes | str,
                timeout: float = 60.0) -> Published:
        """Seal (if closed) and fingerprint `payload`, register it in `access` as `owner`'s, then upload it."""
        envelope, data_key = prepare(payload, closed=closed)
        return self.publish_envelope(owner, envelope, data_key, access, timeout=timeout)

    def publish_envelope(self, owner: Keypair, envelope: Envelope, data_key: bytes | None, access: bytes | str, *,
                         timeout: float = 60.0) -> Published:
        """Register a prepared envelope in `access` as `owner`'s (unless it already is: a publication cut short
        resumes), then upload it (the same bytes again are accepted)."""
        closed = envelope.closed
        fingerprint = "0x" + envelope.fingerprint.hex()
        receipt = None
        if self.client.call(access, "owner_of", [fingerprint]).return_value != address_to_text(owner.address):
            receipt = self.client.transact(owner, access, self._program(access), "register",
                                           (envelope.fingerprint, closed), timeout=timeout)
            if not receipt.success:
                raise ClientError("register_failed", f"registering {fingerprint} failed: "
                                  f"{receipt.error or receipt.status}")
        info = self.upload(owner, envelope, access)
        return Published(envelope.fingerprint, closed, data_key, receipt, info)

    def upload(self, owner: Keypair, envelope: Envelope, access: bytes | str) -> dict[str, Any]:
        """Upload an envelope already registered to `owner` in `access`."""
        target = f"/v1/data?access={_text(access)}"
        body = envelope.encode()
        response = self.client.send("POST", target, content=body, headers=self._signed(owner, "POST", target, body))
        document: dict[str, Any] = self.client.decode(response)
        return document

    def deliver_key(self, owner: Keypair, fingerprint: bytes, data_key: bytes, reader_public_key: bytes) -> bytes:
        """Seal the data key to a reader and deposit it on the node; returns the sealed key's digest (for the
        exchange's `deliver`)."""
        sealed = seal_data_key(fingerprint, data_key, reader_public_key)
        target = f"/v1/data/0x{fingerprint.hex()}/keys/{address_to_text(address_from_public_key(reader_public_key))}"
        response = self.client.send("PUT", target, content=sealed, headers=self._signed(owner, "PUT", target, sealed))
        self.client.decode(response)
        return sealed_key_digest(sealed)

    # the reader's side

    def fetch(self, reader: Keypair, fingerprint: bytes) -> Fetched:
        """Download as `reader` (every access is accounted to an account), decrypt with the data key sealed to
        `reader` (closed data), and check the fingerprint."""
        sealed = None
        if self.info(fingerprint)["closed"]:
            sealed = self.sealed_key(reader, fingerprint)  # first: without a key, a download would be wasted
        target = f"/v1/data/0x{fingerprint.hex()}"
        response = self.client.send("GET", target, headers=self._signed(reader, "GET", target, b""))
        if response.status_code != 200:
            self.client.decode(response)  # raises the node's error
        try:
            envelope = Envelope.decode(response.content)
        except EnvelopeError as exc:
            raise ClientError("tampered", f"the node served a damaged object: {exc}") from None
        if envelope.fingerprint != fingerprint:
            raise ClientError("tampered", f"asked for 0x{fingerprint.hex()}, the node served "
                              f"0x{envelope.fingerprint.hex()}")
        if envelope.closed:
            if sealed is None:
                raise ClientError("tampered", "the node said the object is open, then served a closed one")
            try:
                payload = envelope.decrypt(open_data_key(sealed, reader.seed, fingerprint))
            except EnvelopeError as exc:
                raise ClientError("tampered", str(exc)) from None
        else:
            payload = envelope.payload()
        return Fetched(payload, envelope.closed, int(response.headers.get("x-access-id", "0")),
                       response.headers.get("x-access-tx", ""))

    def sealed_key(self, reader: Keypair, fingerprint: bytes) -> bytes:
        target = f"/v1/data/0x{fingerprint.hex()}/key"
        response = self.client.send("GET", target, headers=self._signed(reader, "GET", target, b""))
        if response.status_code != 200:
            self.client.decode(response)
        return response.content

    # anyone

    def info(self, fingerprint: bytes) -> dict[str, Any]:
        document: dict[str, Any] = self.client.decode(self.client.send("GET", f"/v1/data/0x{fingerprint.hex()}/info"))
        return document

    def access_log(self, owner: Keypair, fingerprint: bytes, limit: int = 100) -> list[dict[str, Any]]:
        """The node's access attempts on an object, newest first (its owner only)."""
        target = f"/v1/data/0x{fingerprint.hex()}/log?limit={limit}"
        response = self.client.send("GET", target, headers=self._signed(owner, "GET", target, b""))
        entries: list[dict[str, Any]] = self.client.decode(response)["entries"]
        return entries

    def trace(self, contract: bytes | str, object_id: bytes) -> dict[str, Any]:
        response = self.client.send("GET", f"/v1/trace/0x{object_id.hex()}", params={"contract": _text(contract)})
        document: dict[str, Any] = self.client.decode(response)
        return document

    # helpers

    def _signed(self, keypair: Keypair, method: str, target: str, body: bytes) -> dict[str, str]:
        header = sign_request(keypair, self.client.chain_id(), method, target, body, int(time.time()))
        return {"Authorization": header}

    def _program(self, access: bytes | str) -> Program:
        key = _text(access)
        if key not in self._programs:
            self._programs[key] = self.client.contract(access, code=True).program
        return self._programs[key]


def prepare(payload: bytes, *, closed: bool) -> tuple[Envelope, bytes | None]:
    """The envelope of `payload` with a fresh salt, encrypted under a fresh data key when closed (and that key)."""
    if closed:
        return wrap_closed(payload)
    return wrap_open(payload), None


def _text(address: bytes | str) -> str:
    return address_to_text(address) if isinstance(address, bytes) else address
