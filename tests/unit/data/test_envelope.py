"""contractvm.data.envelope: salted fingerprints, open and closed envelopes, data keys sealed to a reader.

Everything here uses the real primitives (SHA-256, XChaCha20-Poly1305, libsodium sealed boxes): an altered byte
anywhere must be caught, and every failure is an `EnvelopeError` whose message says what went wrong.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractvm import crypto
from contractvm.chain.accounts import Keypair, dev_keypair
from contractvm.data.envelope import (
    CLOSED,
    FINGERPRINT_SIZE,
    HEADER_SIZE,
    KEY_MAGIC,
    MAGIC,
    OPEN,
    SALT_SIZE,
    SEALED_KEY_SIZE,
    VERSION,
    Envelope,
    EnvelopeError,
    closed_secrets,
    fingerprint,
    open_data_key,
    parse_fingerprint,
    seal_data_key,
    sealed_key_digest,
    wrap_closed,
    wrap_open,
)

READER, OTHER = dev_keypair(2), dev_keypair(3)
KEY = bytes(range(32))
SALT = bytes(range(100, 132))
payloads = st.binary(max_size=300)
salts = st.binary(min_size=SALT_SIZE, max_size=SALT_SIZE)
data_keys = st.binary(min_size=crypto.DATA_KEY_SIZE, max_size=crypto.DATA_KEY_SIZE)
few = settings(max_examples=40)


def flip(raw: bytes, index: int, bit: int = 0) -> bytes:
    """`raw` with one bit of byte `index` inverted."""
    return raw[:index] + bytes([raw[index] ^ (1 << bit)]) + raw[index + 1 :]


# ------------------------------------------------------------------------------------------- fingerprints


def test_the_fingerprint_is_the_documented_domain_separated_sha256() -> None:
    expected = hashlib.sha256(b"contractvm fingerprint v1\x00" + SALT + b"meter 42").digest()
    assert fingerprint(SALT, b"meter 42") == expected
    assert fingerprint(SALT, b"meter 42") != hashlib.sha256(SALT + b"meter 42").digest()
    assert len(expected) == FINGERPRINT_SIZE


@pytest.mark.parametrize("size", [0, 31, 33])
def test_a_salt_is_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        fingerprint(bytes(size), b"x")


@few
@given(payload=st.binary(min_size=1, max_size=200), salt=salts, data=st.data())
def test_any_flipped_byte_of_payload_or_salt_changes_the_fingerprint(payload: bytes, salt: bytes,
                                                                     data: st.DataObject) -> None:
    original = fingerprint(salt, payload)
    i = data.draw(st.integers(0, len(payload) - 1), "payload index")
    j = data.draw(st.integers(0, SALT_SIZE - 1), "salt index")
    bit = data.draw(st.integers(0, 7), "bit")
    assert fingerprint(salt, flip(payload, i, bit)) != original
    assert fingerprint(flip(salt, j, bit), payload) != original
    assert fingerprint(salt, payload + b"\x00") != original  # length counts too
    assert fingerprint(salt, payload[:-1]) != original


@few
@given(payload=payloads)
def test_the_same_payload_gets_a_fresh_salt_and_fingerprint_every_time(payload: bytes) -> None:
    first, second = wrap_open(payload), wrap_open(payload)
    assert first.body[:SALT_SIZE] != second.body[:SALT_SIZE]
    assert first.fingerprint != second.fingerprint
    assert first.payload() == second.payload() == payload
    closed_a, key_a = wrap_closed(payload)
    closed_b, key_b = wrap_closed(payload)
    assert closed_a.fingerprint != closed_b.fingerprint and key_a != key_b


def test_a_low_entropy_closed_payload_cannot_be_confirmed_by_guessing() -> None:
    """A door sensor reads "open" or "closed": 2 candidates. Without the salt, which travels only inside the
    ciphertext, no candidate can be checked against the fingerprint; with the key, the guess is confirmed."""
    envelope, key = wrap_closed(b"closed")
    raw = envelope.encode()
    candidates = [b"open", b"closed"]
    # Unsalted hashing, and every 32-byte window of what the node stores tried as the salt: no match.
    unsalted = {hashlib.sha256(c).digest() for c in candidates}
    unsalted |= {hashlib.sha256(b"contractvm fingerprint v1\x00" + c).digest() for c in candidates}
    assert envelope.fingerprint not in unsalted
    windows = {raw[i : i + SALT_SIZE] for i in range(len(raw) - SALT_SIZE + 1)}
    assert not any(fingerprint(w, c) == envelope.fingerprint for w in windows for c in candidates)
    # The reader with the data key recovers the salt and can confirm it.
    plain = crypto.data_decrypt(key, envelope.body[:24], envelope.body[24:], envelope.header)
    salt = plain[:SALT_SIZE]
    assert salt not in raw
    assert [fingerprint(salt, c) == envelope.fingerprint for c in candidates] == [False, True]


def test_an_open_payload_is_guessable_by_design_only_with_its_public_salt() -> None:
    envelope = wrap_open(b"open")
    salt = envelope.body[:SALT_SIZE]
    assert fingerprint(salt, b"open") == envelope.fingerprint
    assert fingerprint(os.urandom(SALT_SIZE), b"open") != envelope.fingerprint


# ------------------------------------------------------------------------------------------ open envelopes


@few
@given(payload=payloads)
def test_open_round_trip(payload: bytes) -> None:
    envelope = wrap_open(payload)
    raw = envelope.encode()
    assert raw[:4] == MAGIC and raw[4] == VERSION and raw[5] == OPEN
    assert raw[6:HEADER_SIZE] == envelope.fingerprint and len(raw) == HEADER_SIZE + SALT_SIZE + len(payload)
    assert raw[HEADER_SIZE + SALT_SIZE :] == payload  # open data travels in clear
    decoded = Envelope.decode(raw)
    assert decoded == envelope and not decoded.closed
    assert decoded.payload() == payload
    assert decoded.decrypt(os.urandom(32)) == payload  # an open object needs no key
    assert decoded.fingerprint == fingerprint(raw[HEADER_SIZE : HEADER_SIZE + SALT_SIZE], payload)


def test_a_given_salt_gives_a_reproducible_envelope() -> None:
    assert wrap_open(b"x", salt=SALT) == wrap_open(b"x", salt=SALT)
    assert wrap_open(b"x", salt=SALT).fingerprint == fingerprint(SALT, b"x")


@few
@given(payload=payloads, data=st.data())
def test_an_open_envelope_altered_anywhere_after_its_kind_fails_at_decode(payload: bytes,
                                                                          data: st.DataObject) -> None:
    raw = wrap_open(payload).encode()
    index = data.draw(st.integers(6, len(raw) - 1), "index")  # the fingerprint, the salt or the payload
    with pytest.raises(EnvelopeError, match="does not match its fingerprint"):
        Envelope.decode(flip(raw, index, data.draw(st.integers(0, 7), "bit")))


@few
@given(payload=payloads, data=st.data())
def test_a_truncated_or_extended_open_envelope_fails_at_decode(payload: bytes, data: st.DataObject) -> None:
    raw = wrap_open(payload).encode()
    cut = data.draw(st.integers(0, len(raw) - 1), "length")
    with pytest.raises(EnvelopeError):
        Envelope.decode(raw[:cut])
    with pytest.raises(EnvelopeError, match="does not match its fingerprint"):
        Envelope.decode(raw + data.draw(st.binary(min_size=1, max_size=8), "extra"))


# ---------------------------------------------------------------------------------------- closed envelopes


@few
@given(payload=payloads)
def test_closed_round_trip(payload: bytes) -> None:
    envelope, key = wrap_closed(payload)
    raw = envelope.encode()
    assert raw[5] == CLOSED and len(key) == crypto.DATA_KEY_SIZE
    assert len(raw) == HEADER_SIZE + crypto.DATA_NONCE_SIZE + SALT_SIZE + len(payload) + crypto.DATA_TAG_SIZE
    decoded = Envelope.decode(raw)
    assert decoded == envelope and decoded.closed
    assert decoded.decrypt(key) == payload
    with pytest.raises(EnvelopeError, match="closed: it needs its data key"):
        decoded.payload()


@few
@given(payload=st.binary(min_size=16, max_size=200))
def test_a_closed_payload_is_not_in_the_stored_bytes(payload: bytes) -> None:
    envelope, _ = wrap_closed(payload)
    assert payload not in envelope.encode()


def test_closed_with_given_key_salt_and_nonce_is_reproducible() -> None:
    nonce = bytes(24)
    a, key_a = wrap_closed(b"reading", data_key=KEY, salt=SALT, nonce=nonce)
    b, key_b = wrap_closed(b"reading", data_key=KEY, salt=SALT, nonce=nonce)
    assert a == b and key_a == key_b == KEY
    assert a.fingerprint == wrap_open(b"reading", salt=SALT).fingerprint  # the same fingerprint either way


@few
@given(payload=payloads, wrong=data_keys)
def test_a_wrong_key_fails_with_a_clear_message(payload: bytes, wrong: bytes) -> None:
    envelope, key = wrap_closed(payload)
    if wrong == key:
        return
    with pytest.raises(EnvelopeError, match="does not decrypt with this key"):
        envelope.decrypt(wrong)


@few
@given(payload=payloads, data=st.data())
def test_a_closed_envelope_with_any_byte_altered_is_refused(payload: bytes, data: st.DataObject) -> None:
    envelope, key = wrap_closed(payload)
    raw = envelope.encode()
    index = data.draw(st.integers(0, len(raw) - 1), "index")
    altered = flip(raw, index, data.draw(st.integers(0, 7), "bit"))
    if index < 6:  # magic, version or kind: not a closed object of this format any more
        with pytest.raises(EnvelopeError, match=r"bad magic|not supported|unknown data object kind|does not match"):
            Envelope.decode(altered)
        return
    decoded = Envelope.decode(altered)  # the fingerprint, the nonce or the ciphertext: caught by the key
    with pytest.raises(EnvelopeError, match="does not decrypt with this key: the key is wrong or the stored bytes"):
        decoded.decrypt(key)


def test_the_kind_byte_is_bound_both_ways() -> None:
    envelope, key = wrap_closed(b"secret reading")
    as_open = bytearray(envelope.encode())
    as_open[5] = OPEN  # closed read as open: the body is no salt and payload
    with pytest.raises(EnvelopeError, match="does not match its fingerprint"):
        Envelope.decode(bytes(as_open))
    # An open object's bytes relabelled as closed are no ciphertext: they decrypt under no key.
    open_envelope = wrap_open(b"secret reading")
    as_closed = bytearray(open_envelope.encode())
    as_closed[5] = CLOSED
    relabelled = Envelope.decode(bytes(as_closed))
    assert relabelled.closed
    with pytest.raises(EnvelopeError, match="does not decrypt"):
        relabelled.decrypt(key)


def test_a_ciphertext_moved_under_another_fingerprint_does_not_decrypt() -> None:
    first, key = wrap_closed(b"first", data_key=KEY)
    second, _ = wrap_closed(b"second", data_key=KEY)  # the same key: only the binding to the header protects
    assert first.decrypt(KEY) == b"first" and second.decrypt(KEY) == b"second"
    for moved in (Envelope(True, second.fingerprint, first.body), Envelope(True, first.fingerprint, second.body)):
        with pytest.raises(EnvelopeError, match="does not decrypt"):
            moved.decrypt(key)


def test_a_ciphertext_of_the_wrong_payload_under_the_right_header_fails_the_fingerprint() -> None:
    """Someone holding the data key re-encrypts another payload under the original header: the AEAD checks
    pass, the fingerprint re-check does not."""
    envelope, key = wrap_closed(b"true reading", data_key=KEY)
    nonce = os.urandom(24)
    forged = Envelope(True, envelope.fingerprint,
                      nonce + crypto.data_encrypt(key, nonce, os.urandom(SALT_SIZE) + b"fake reading",
                                                  envelope.header))
    with pytest.raises(EnvelopeError, match=f"does not match its fingerprint 0x{envelope.fingerprint.hex()}"):
        forged.decrypt(key)


# ------------------------------------------------------------------------------------------------ decode


def header(version: int = VERSION, kind: int = OPEN, fp: bytes = bytes(32)) -> bytes:
    return MAGIC + bytes((version, kind)) + fp


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "bad magic or too short"),
    (MAGIC, "bad magic or too short"),
    (header()[:-1], "bad magic or too short"),
    (b"CVMX" + header()[4:] + bytes(40), "bad magic"),
    (b"cvmd" + header()[4:] + bytes(40), "bad magic"),
    (header(version=0) + bytes(40), "version 0 is not supported"),
    (header(version=2) + bytes(40), "version 2 is not supported"),
    (header(kind=2) + bytes(40), "unknown data object kind 2"),
    (header(kind=255) + bytes(40), "unknown data object kind 255"),
    (header(kind=OPEN) + bytes(SALT_SIZE - 1), "truncated"),
    (header(kind=CLOSED) + bytes(crypto.DATA_NONCE_SIZE + crypto.DATA_TAG_SIZE - 1), "truncated"),
    (header(kind=OPEN) + bytes(SALT_SIZE), "does not match its fingerprint"),
])
def test_decode_rejects_malformed_objects(raw: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        Envelope.decode(raw)


@few
@given(tail=st.binary(max_size=120), kind=st.integers(0, 255), version=st.integers(0, 255))
def test_decode_of_any_bytes_raises_only_envelope_error(tail: bytes, kind: int, version: int) -> None:
    raw = MAGIC + bytes((version, kind)) + tail
    try:
        envelope = Envelope.decode(raw)
    except EnvelopeError:
        return
    # Only a closed object can be taken on trust at decode; it still needs a key, and a random one fails.
    assert (version, kind) == (VERSION, CLOSED) and envelope.closed
    with pytest.raises(EnvelopeError):
        envelope.decrypt(os.urandom(32))


@few
@given(payload=payloads, data=st.data())
def test_any_strict_prefix_of_a_closed_envelope_fails_at_decode_or_decrypt(payload: bytes,
                                                                          data: st.DataObject) -> None:
    envelope, key = wrap_closed(payload)
    raw = envelope.encode()
    cut = data.draw(st.integers(0, len(raw) - 1), "length")
    with pytest.raises(EnvelopeError):
        Envelope.decode(raw[:cut]).decrypt(key)


# ------------------------------------------------------------------------------------------- sealed keys


@few
@given(payload=payloads)
def test_a_sealed_data_key_opens_only_with_the_readers_key(payload: bytes) -> None:
    envelope, key = wrap_closed(payload)
    sealed = seal_data_key(envelope.fingerprint, key, READER.public_key)
    assert len(sealed) == SEALED_KEY_SIZE
    assert key not in sealed
    assert open_data_key(sealed, READER.seed, envelope.fingerprint) == key
    assert envelope.decrypt(open_data_key(sealed, READER.seed, envelope.fingerprint)) == payload
    with pytest.raises(EnvelopeError, match="not sealed to this account, or it was altered"):
        open_data_key(sealed, OTHER.seed, envelope.fingerprint)


def test_sealing_twice_gives_different_boxes_that_both_open() -> None:
    fp = fingerprint(SALT, b"x")
    a, b = seal_data_key(fp, KEY, READER.public_key), seal_data_key(fp, KEY, READER.public_key)
    assert a != b and sealed_key_digest(a) != sealed_key_digest(b)
    assert open_data_key(a, READER.seed, fp) == open_data_key(b, READER.seed, fp) == KEY


def test_a_sealed_key_names_the_one_object_it_unlocks() -> None:
    fp, other = fingerprint(SALT, b"a"), fingerprint(SALT, b"b")
    sealed = seal_data_key(fp, KEY, READER.public_key)
    with pytest.raises(EnvelopeError) as info:
        open_data_key(sealed, READER.seed, other)
    assert str(info.value) == f"the sealed data key unlocks 0x{fp.hex()}, not 0x{other.hex()}"


@few
@given(index=st.integers(0, SEALED_KEY_SIZE - 1), bit=st.integers(0, 7))
def test_a_tampered_sealed_key_fails(index: int, bit: int) -> None:
    fp = fingerprint(SALT, b"a")
    sealed = seal_data_key(fp, KEY, READER.public_key)
    with pytest.raises(EnvelopeError, match="not sealed to this account, or it was altered"):
        open_data_key(flip(sealed, index, bit), READER.seed, fp)


@pytest.mark.parametrize("package", [b"", b"junk", KEY_MAGIC + bytes(63), b"CVMX" + bytes(64),
                                     KEY_MAGIC + bytes(65)])
def test_a_sealed_box_that_is_not_a_key_package_is_malformed(package: bytes) -> None:
    sealed = crypto.seal(READER.public_key, package)
    with pytest.raises(EnvelopeError, match="malformed"):
        open_data_key(sealed, READER.seed, bytes(32))


def test_truncated_sealed_keys_fail() -> None:
    fp = fingerprint(SALT, b"a")
    sealed = seal_data_key(fp, KEY, READER.public_key)
    for cut in (0, 1, 47, 48, SEALED_KEY_SIZE - 1):
        with pytest.raises(EnvelopeError):
            open_data_key(sealed[:cut], READER.seed, fp)


def test_seal_data_key_checks_its_input() -> None:
    with pytest.raises(ValueError, match="a data key is 32 bytes"):
        seal_data_key(bytes(32), KEY[:31], READER.public_key)
    with pytest.raises(ValueError, match="public key"):
        seal_data_key(bytes(32), KEY, READER.public_key[:31])


def test_a_sealed_key_digest_is_its_sha256() -> None:
    sealed = seal_data_key(bytes(32), KEY, Keypair.from_seed(bytes(32)).public_key)
    assert sealed_key_digest(sealed) == hashlib.sha256(sealed).digest()


# ------------------------------------------------------------------------------------- parse_fingerprint


@few
@given(fp=st.binary(min_size=32, max_size=32))
def test_parse_fingerprint_reads_64_hex_digits_with_or_without_0x(fp: bytes) -> None:
    for text in (fp.hex(), "0x" + fp.hex(), "0X" + fp.hex(), fp.hex().upper(), "0x" + fp.hex().upper()):
        assert parse_fingerprint(text) == fp


@pytest.mark.parametrize("text", ["", "0x", "ab" * 31, "ab" * 33, "0x" + "ab" * 31 + "a", "zz" * 32,
                                  "0x0x" + "ab" * 31, "ab" * 32 + "\x00", "cvm1" + "a" * 60])
def test_parse_fingerprint_rejects_anything_else(text: str) -> None:
    with pytest.raises(EnvelopeError, match="a fingerprint is 64 hex digits"):
        parse_fingerprint(text)


@given(payload=st.binary(max_size=256))
@settings(max_examples=25, deadline=None)
def test_closed_secrets_rebuild_the_envelope_byte_for_byte(payload: bytes) -> None:
    envelope, key = wrap_closed(payload)
    salt, nonce = closed_secrets(envelope, key)
    again, _ = wrap_closed(payload, data_key=key, salt=salt, nonce=nonce)
    assert again.encode() == envelope.encode()
    with pytest.raises(EnvelopeError, match="does not decrypt"):
        closed_secrets(envelope, bytes(32))
