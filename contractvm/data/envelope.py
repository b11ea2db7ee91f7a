"""Data objects as they travel and rest off chain: salted fingerprints, envelopes, and data keys sealed to readers.

Only a payload's fingerprint goes on chain (Y.4560 9.3); the payload itself lives in a node's object store.

- **Fingerprint**: `sha256("contractvm fingerprint v1\\0" || salt || payload)` with a fresh random 32-byte salt.
  Any changed byte changes it, and the salt stops anyone from confirming a guess of a low-entropy payload
  (a meter reading, a yes/no) by hashing candidates: without the salt there is nothing to compare with.
- **Envelope** (what a node stores and serves), a versioned binary form:

  ```
  "CVMD" | version (1) | kind (0 open, 1 closed) | fingerprint (32) | body
  open:   body = salt (32) | payload                       anyone can re-check the fingerprint
  closed: body = nonce (24) | XChaCha20-Poly1305(data key, salt | payload, associated data = the 38-byte header)
  ```

  A closed payload is encrypted by its supplier under a fresh random data key before it leaves the supplier's
  machine; the salt travels inside the ciphertext, so the fingerprint of closed data cannot be attacked by
  guessing either. Binding the header as associated data ties the ciphertext to its fingerprint and kind.
- **Sealed data key**: `"CVMK" | fingerprint (32) | data key (32)`, sealed with libsodium's sealed box to the
  reader's account key; only that reader can open it, and it names the one object it unlocks.

Every check that fails raises `EnvelopeError` with a message fit for a user.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from contractvm import crypto
from contractvm.errors import ContractVMError

MAGIC = b"CVMD"
VERSION = 1
OPEN, CLOSED = 0, 1
FINGERPRINT_DOMAIN = b"contractvm fingerprint v1\x00"
FINGERPRINT_SIZE = 32
SALT_SIZE = 32
HEADER_SIZE = len(MAGIC) + 2 + FINGERPRINT_SIZE
KEY_MAGIC = b"CVMK"
KEY_PACKAGE_SIZE = len(KEY_MAGIC) + FINGERPRINT_SIZE + crypto.DATA_KEY_SIZE
SEALED_KEY_SIZE = KEY_PACKAGE_SIZE + crypto.SEAL_OVERHEAD


class EnvelopeError(ContractVMError):
    """A data object, fingerprint or sealed key that is malformed, altered, or does not belong together."""


def fingerprint(salt: bytes, payload: bytes) -> bytes:
    """The salted fingerprint of `payload`: what the chain records and the store is keyed by."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"a salt is {SALT_SIZE} bytes")
    return hashlib.sha256(FINGERPRINT_DOMAIN + salt + payload).digest()


def parse_fingerprint(text: str) -> bytes:
    """A fingerprint written as 64 hex digits (with or without 0x)."""
    return parse_hex32(text, "a fingerprint")


def parse_hex32(text: str, what: str) -> bytes:
    """32 bytes written as exactly 64 hex digits (0x optional); EnvelopeError naming `what` otherwise."""
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    if len(digits) != 64 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise EnvelopeError(f"{what} is 64 hex digits, not {text!r}")
    return bytes.fromhex(digits)


@dataclass(frozen=True)
class Envelope:
    """One stored data object: open (payload readable, fingerprint checkable by anyone) or closed (encrypted)."""

    closed: bool
    fingerprint: bytes
    body: bytes

    @property
    def header(self) -> bytes:
        return MAGIC + bytes((VERSION, CLOSED if self.closed else OPEN)) + self.fingerprint

    def encode(self) -> bytes:
        return self.header + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Envelope:
        """Parse a stored object; an open one is checked against its fingerprint here."""
        if len(raw) < HEADER_SIZE or raw[:4] != MAGIC:
            raise EnvelopeError("not a contractvm data object (bad magic or too short)")
        if raw[4] != VERSION:
            raise EnvelopeError(f"data object version {raw[4]} is not supported (this is version {VERSION})")
        if raw[5] not in (OPEN, CLOSED):
            raise EnvelopeError(f"unknown data object kind {raw[5]}")
        envelope = cls(raw[5] == CLOSED, raw[6:HEADER_SIZE], raw[HEADER_SIZE:])
        minimum = crypto.DATA_NONCE_SIZE + crypto.DATA_TAG_SIZE if envelope.closed else SALT_SIZE
        if len(envelope.body) < minimum:
            raise EnvelopeError("the data object is truncated")
        if not envelope.closed:
            envelope.payload()  # checks the fingerprint
        return envelope

    def payload(self) -> bytes:
        """The payload of an open object, checked against the fingerprint."""
        if self.closed:
            raise EnvelopeError("this data object is closed: it needs its data key")
        return _checked(self.fingerprint, self.body[:SALT_SIZE], self.body[SALT_SIZE:])

    def decrypt(self, data_key: bytes) -> bytes:
        """The payload of a closed object, decrypted with `data_key` and checked against the fingerprint."""
        if not self.closed:
            return self.payload()
        nonce, sealed = self.body[: crypto.DATA_NONCE_SIZE], self.body[crypto.DATA_NONCE_SIZE :]
        try:
            plain = crypto.data_decrypt(data_key, nonce, sealed, self.header)
        except crypto.DecryptionError:
            raise EnvelopeError("the data object does not decrypt with this key: the key is wrong or the "
                                "stored bytes were altered") from None
        return _checked(self.fingerprint, plain[:SALT_SIZE], plain[SALT_SIZE:])


def _checked(expected: bytes, salt: bytes, payload: bytes) -> bytes:
    if len(salt) != SALT_SIZE or fingerprint(salt, payload) != expected:
        raise EnvelopeError(f"the payload does not match its fingerprint 0x{expected.hex()}: it was altered")
    return payload


def wrap_open(payload: bytes, *, salt: bytes | None = None) -> Envelope:
    """An open data object for `payload` with a fresh salt."""
    salt = os.urandom(SALT_SIZE) if salt is None else salt
    return Envelope(False, fingerprint(salt, payload), salt + payload)


def wrap_closed(payload: bytes, *, data_key: bytes | None = None, salt: bytes | None = None,
                nonce: bytes | None = None) -> tuple[Envelope, bytes]:
    """A closed data object for `payload`, encrypted under a fresh data key; returns it with the key."""
    salt = os.urandom(SALT_SIZE) if salt is None else salt
    data_key = os.urandom(crypto.DATA_KEY_SIZE) if data_key is None else data_key
    nonce = os.urandom(crypto.DATA_NONCE_SIZE) if nonce is None else nonce
    shell = Envelope(True, fingerprint(salt, payload), b"")
    sealed = crypto.data_encrypt(data_key, nonce, salt + payload, shell.header)
    return Envelope(True, shell.fingerprint, nonce + sealed), data_key


def closed_secrets(envelope: Envelope, data_key: bytes) -> tuple[bytes, bytes]:
    """The salt and nonce of a closed envelope: with its data key, enough to rebuild it byte for byte
    (`wrap_closed(payload, data_key=..., salt=..., nonce=...)`), so a publication cut short can resume."""
    nonce, sealed = envelope.body[: crypto.DATA_NONCE_SIZE], envelope.body[crypto.DATA_NONCE_SIZE :]
    try:
        plain = crypto.data_decrypt(data_key, nonce, sealed, envelope.header)
    except crypto.DecryptionError:
        raise EnvelopeError("the data object does not decrypt with this key") from None
    return plain[:SALT_SIZE], nonce


def seal_data_key(object_fingerprint: bytes, data_key: bytes, reader_public_key: bytes) -> bytes:
    """The data key of one object, sealed to a reader's Ed25519 account key."""
    if len(data_key) != crypto.DATA_KEY_SIZE:
        raise ValueError(f"a data key is {crypto.DATA_KEY_SIZE} bytes")
    return crypto.seal(reader_public_key, KEY_MAGIC + object_fingerprint + data_key)


def open_data_key(sealed: bytes, reader_seed: bytes, object_fingerprint: bytes) -> bytes:
    """The data key in `sealed`, opened with the reader's key and checked to be for `object_fingerprint`."""
    try:
        package = crypto.open_sealed(reader_seed, sealed)
    except crypto.DecryptionError:
        raise EnvelopeError("the sealed data key was not sealed to this account, or it was altered") from None
    if len(package) != KEY_PACKAGE_SIZE or package[:4] != KEY_MAGIC:
        raise EnvelopeError("the sealed data key is malformed")
    if package[4:36] != object_fingerprint:
        raise EnvelopeError(f"the sealed data key unlocks 0x{package[4:36].hex()}, not 0x{object_fingerprint.hex()}")
    return package[36:]


def sealed_key_digest(sealed: bytes) -> bytes:
    """What the exchange records on delivery: sha256 of the sealed data key."""
    return hashlib.sha256(sealed).digest()
