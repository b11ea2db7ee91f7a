"""contractvm.crypto against published test vectors, and Ed25519 verification that never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractvm import crypto

# RFC 8032, section 7.1, test 1 (empty message) and test 2 (one byte).
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
RFC2_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
RFC2_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC2_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)


def test_hash_vectors() -> None:
    assert crypto.sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert crypto.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert crypto.keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    assert crypto.blake2b256(b"").hex() == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"


def test_rfc8032_vectors() -> None:
    assert crypto.ed25519_keypair(RFC_SEED) == (RFC_SEED, RFC_PUBLIC)
    assert crypto.ed25519_sign(RFC_SEED, b"") == RFC_SIGNATURE
    assert crypto.ed25519_verify(RFC_PUBLIC, b"", RFC_SIGNATURE)
    assert crypto.ed25519_sign(RFC2_SEED, b"\x72") == RFC2_SIGNATURE
    assert crypto.ed25519_verify(RFC2_PUBLIC, b"\x72", RFC2_SIGNATURE)


def test_wrong_message_key_or_signature_is_false() -> None:
    assert not crypto.ed25519_verify(RFC_PUBLIC, b"x", RFC_SIGNATURE)
    assert not crypto.ed25519_verify(RFC2_PUBLIC, b"", RFC_SIGNATURE)
    flipped = bytes([RFC_SIGNATURE[0] ^ 1]) + RFC_SIGNATURE[1:]
    assert not crypto.ed25519_verify(RFC_PUBLIC, b"", flipped)


@pytest.mark.parametrize(
    ("pubkey", "signature"),
    [
        (RFC_PUBLIC[:31], RFC_SIGNATURE),
        (RFC_PUBLIC + b"\x00", RFC_SIGNATURE),
        (RFC_PUBLIC, RFC_SIGNATURE[:63]),
        (b"\xff" * 32, RFC_SIGNATURE),  # not a point on the curve
        (bytes(32), RFC_SIGNATURE),  # a small-order point
        (RFC_PUBLIC, b"\xff" * 64),  # S out of range
        ("not bytes", RFC_SIGNATURE),
        (RFC_PUBLIC, None),
    ],
)
def test_malformed_input_is_false_not_an_exception(pubkey: object, signature: object) -> None:
    assert crypto.ed25519_verify(pubkey, b"", signature) is False  # type: ignore[arg-type]


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        crypto.ed25519_keypair(b"short")
    with pytest.raises(ValueError):
        crypto.ed25519_sign(b"\x00" * 33, b"m")


# ---------------------------------------------------------------- XChaCha20-Poly1305 and sealed boxes (data)

# draft-irtf-cfrg-xchacha-03, appendix A.3.1: AEAD_XChaCha20_Poly1305.
XCHACHA_KEY = bytes(range(0x80, 0xA0))
XCHACHA_NONCE = bytes(range(0x40, 0x58))
XCHACHA_AAD = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
XCHACHA_PLAINTEXT = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
                     b"sunscreen would be it.")
XCHACHA_SEALED = bytes.fromhex(
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c2"
    "16cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c6"
    "8b13b52e" + "c0875924c1c7987947deafd8780acf49"  # the ciphertext, then the tag
)


def test_xchacha20_poly1305_vector() -> None:
    assert crypto.data_encrypt(XCHACHA_KEY, XCHACHA_NONCE, XCHACHA_PLAINTEXT, XCHACHA_AAD) == XCHACHA_SEALED
    assert crypto.data_decrypt(XCHACHA_KEY, XCHACHA_NONCE, XCHACHA_SEALED, XCHACHA_AAD) == XCHACHA_PLAINTEXT
    assert (crypto.DATA_KEY_SIZE, crypto.DATA_NONCE_SIZE, crypto.DATA_TAG_SIZE) == (32, 24, 16)


@settings(max_examples=40)
@given(key=st.binary(min_size=32, max_size=32), nonce=st.binary(min_size=24, max_size=24),
       plaintext=st.binary(max_size=300), aad=st.binary(max_size=64))
def test_data_encryption_round_trip(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> None:
    sealed = crypto.data_encrypt(key, nonce, plaintext, aad)
    assert len(sealed) == len(plaintext) + crypto.DATA_TAG_SIZE
    assert crypto.data_decrypt(key, nonce, sealed, aad) == plaintext


@settings(max_examples=40)
@given(plaintext=st.binary(max_size=100), data=st.data())
def test_data_decryption_fails_on_any_change(plaintext: bytes, data: st.DataObject) -> None:
    sealed = crypto.data_encrypt(XCHACHA_KEY, XCHACHA_NONCE, plaintext, XCHACHA_AAD)
    i = data.draw(st.integers(0, len(sealed) - 1), "ciphertext index")
    k = data.draw(st.integers(0, 31), "key index")
    n = data.draw(st.integers(0, 23), "nonce index")
    a = data.draw(st.integers(0, len(XCHACHA_AAD) - 1), "aad index")
    bit = 1 << data.draw(st.integers(0, 7), "bit")

    def flipped(raw: bytes, index: int) -> bytes:
        return raw[:index] + bytes([raw[index] ^ bit]) + raw[index + 1 :]

    cases = [
        (XCHACHA_KEY, XCHACHA_NONCE, flipped(sealed, i), XCHACHA_AAD),
        (flipped(XCHACHA_KEY, k), XCHACHA_NONCE, sealed, XCHACHA_AAD),
        (XCHACHA_KEY, flipped(XCHACHA_NONCE, n), sealed, XCHACHA_AAD),
        (XCHACHA_KEY, XCHACHA_NONCE, sealed, flipped(XCHACHA_AAD, a)),
        (XCHACHA_KEY, XCHACHA_NONCE, sealed, b""),
    ]
    if len(sealed) > crypto.DATA_TAG_SIZE:
        cases.append((XCHACHA_KEY, XCHACHA_NONCE, sealed[:-1], XCHACHA_AAD))
    for key, nonce, ciphertext, aad in cases:
        with pytest.raises(crypto.DecryptionError, match="authentication tag mismatch"):
            crypto.data_decrypt(key, nonce, ciphertext, aad)


@pytest.mark.parametrize(("key", "nonce", "message"), [
    (bytes(31), bytes(24), "a data key is 32 bytes"),
    (bytes(33), bytes(24), "a data key is 32 bytes"),
    (bytes(32), bytes(12), "a data nonce is 24 bytes"),
    (bytes(32), bytes(25), "a data nonce is 24 bytes"),
    ("k" * 32, bytes(24), "a data key is 32 bytes"),
])
def test_data_key_and_nonce_sizes_are_checked(key: bytes, nonce: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        crypto.data_encrypt(key, nonce, b"x")
    with pytest.raises(ValueError, match=message):
        crypto.data_decrypt(key, nonce, bytes(17))


def test_a_decryption_error_is_a_value_error() -> None:
    assert issubclass(crypto.DecryptionError, ValueError)


@pytest.mark.parametrize("size", [0, 1, crypto.DATA_TAG_SIZE - 1])
def test_a_ciphertext_shorter_than_its_tag_is_refused(size: int) -> None:
    # A ValueError (PyNaCl's own, today: not a DecryptionError); envelopes never get here, Envelope.decode
    # refuses a closed body shorter than its nonce and tag.
    with pytest.raises(ValueError):
        crypto.data_decrypt(XCHACHA_KEY, XCHACHA_NONCE, bytes(size))


@settings(max_examples=25)
@given(message=st.binary(max_size=200))
def test_a_sealed_box_opens_only_with_the_recipients_seed(message: bytes) -> None:
    sealed = crypto.seal(RFC_PUBLIC, message)
    assert len(sealed) == len(message) + crypto.SEAL_OVERHEAD
    assert crypto.open_sealed(RFC_SEED, sealed) == message
    with pytest.raises(crypto.DecryptionError, match="not sealed to this key, or it was altered"):
        crypto.open_sealed(RFC2_SEED, sealed)
    assert crypto.seal(RFC_PUBLIC, message) != sealed  # a fresh ephemeral key every time


@settings(max_examples=25)
@given(index=st.integers(0, 47 + 8 - 1), bit=st.integers(0, 7))
def test_a_sealed_box_altered_anywhere_fails(index: int, bit: int) -> None:
    sealed = bytearray(crypto.seal(RFC2_PUBLIC, b"data key"))
    sealed[index] ^= 1 << bit
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(RFC2_SEED, bytes(sealed))


def test_a_truncated_sealed_box_fails() -> None:
    sealed = crypto.seal(RFC_PUBLIC, b"data key")
    for cut in (0, 31, 47, len(sealed) - 1):
        with pytest.raises(crypto.DecryptionError):
            crypto.open_sealed(RFC_SEED, sealed[:cut])


@pytest.mark.parametrize("key", [RFC_PUBLIC[:31], RFC_PUBLIC + b"\x00", "not bytes", b"\xff" * 32, bytes(32)])
def test_seal_refuses_what_is_not_an_ed25519_public_key(key: object) -> None:
    with pytest.raises(ValueError, match="public key"):
        crypto.seal(key, b"m")  # type: ignore[arg-type]


def test_open_sealed_needs_a_32_byte_seed() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        crypto.open_sealed(b"short", crypto.seal(RFC_PUBLIC, b"m"))
