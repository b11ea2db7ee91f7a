"""All cryptography in one place: the hashes and Ed25519 signatures the VM and the chain use, the scrypt +
AES-256-GCM pair that protects key files, and the two primitives of off-chain data sharing: XChaCha20-Poly1305
(authenticated encryption of a closed payload under a fresh data key) and libsodium's sealed boxes (a data key
sealed to a buyer's account key, converted from Ed25519 to X25519 as libsodium documents)."""

from __future__ import annotations

import hashlib
from typing import Any

from Crypto.Cipher import AES
from Crypto.Hash import keccak
from Crypto.Protocol.KDF import scrypt as _scrypt
from nacl.exceptions import CryptoError
from nacl.public import SealedBox
from nacl.secret import Aead
from nacl.signing import SigningKey, VerifyKey

ED25519_SEED_SIZE = 32
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
AES_KEY_SIZE = 32
GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16
DATA_KEY_SIZE = Aead.KEY_SIZE  # 32: an XChaCha20-Poly1305 key
DATA_NONCE_SIZE = Aead.NONCE_SIZE  # 24: random nonces are safe at this size
DATA_TAG_SIZE = Aead.MACBYTES  # 16
SEAL_OVERHEAD = 48  # a sealed box adds an ephemeral X25519 public key (32) and a Poly1305 tag (16)


class DecryptionError(ValueError):
    """Authenticated decryption failed: wrong key, or the ciphertext, nonce or associated data was altered."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original padding, not SHA3-256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def blake2b256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2b160(data: bytes) -> bytes:
    """BLAKE2b with a 20-byte digest (its own parameter block, not a truncated blake2b256): account addresses."""
    return hashlib.blake2b(data, digest_size=20).digest()


def scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """The scrypt key derivation (RFC 7914); `n` a power of two greater than 1. Memory is about 128 * n * r bytes."""
    if n < 2 or n & (n - 1):
        raise ValueError(f"scrypt n must be a power of two greater than 1, not {n}")
    if r < 1 or p < 1 or length < 1:
        raise ValueError("scrypt r, p and length must be positive")
    return _scrypt(password, salt, length, N=n, r=r, p=p)


def aes256_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """AES-256-GCM: the ciphertext followed by the 16-byte tag, which also covers `associated_data`."""
    cipher = _gcm(key, nonce)
    cipher.update(associated_data)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return bytes(ciphertext) + bytes(tag)


def aes256_gcm_decrypt(key: bytes, nonce: bytes, sealed: bytes, associated_data: bytes = b"") -> bytes:
    """The plaintext of `aes256_gcm_encrypt`'s output; DecryptionError when the tag does not check."""
    if len(sealed) < GCM_TAG_SIZE:
        raise DecryptionError("ciphertext shorter than the GCM tag")
    cipher = _gcm(key, nonce)
    cipher.update(associated_data)
    try:
        return bytes(cipher.decrypt_and_verify(sealed[:-GCM_TAG_SIZE], sealed[-GCM_TAG_SIZE:]))
    except ValueError as exc:
        raise DecryptionError("authentication tag mismatch") from exc


def _gcm(key: bytes, nonce: bytes) -> Any:
    if len(key) != AES_KEY_SIZE:
        raise ValueError(f"an AES-256 key is {AES_KEY_SIZE} bytes")
    if len(nonce) != GCM_NONCE_SIZE:
        raise ValueError(f"a GCM nonce is {GCM_NONCE_SIZE} bytes here")
    return AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=GCM_TAG_SIZE)


def ed25519_verify(pubkey: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `message` by `pubkey`; False for malformed input."""
    if not isinstance(pubkey, bytes) or len(pubkey) != ED25519_PUBLIC_KEY_SIZE:
        return False
    if not isinstance(signature, bytes) or len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        VerifyKey(pubkey).verify(message, signature)
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def ed25519_keypair(seed: bytes) -> tuple[bytes, bytes]:
    """The (private seed, public key) pair derived from a 32-byte seed."""
    key = _signing_key(seed)
    return bytes(key), key.verify_key.encode()


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `message` by the key derived from `seed`."""
    return _signing_key(seed).sign(message).signature


class Signer:
    """An Ed25519 key expanded from its seed once, for signing many messages."""

    def __init__(self, seed: bytes) -> None:
        self._key = _signing_key(seed)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature


def _signing_key(seed: bytes) -> SigningKey:
    if not isinstance(seed, bytes) or len(seed) != ED25519_SEED_SIZE:
        raise ValueError(f"an Ed25519 seed is {ED25519_SEED_SIZE} bytes")
    return SigningKey(seed)


def data_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """XChaCha20-Poly1305 (IETF): the ciphertext followed by its 16-byte tag, which also covers `associated_data`."""
    _data_key_and_nonce(key, nonce)
    return bytes(Aead(key).encrypt(plaintext, associated_data, nonce).ciphertext)


def data_decrypt(key: bytes, nonce: bytes, sealed: bytes, associated_data: bytes = b"") -> bytes:
    """The plaintext of `data_encrypt`'s output; DecryptionError when the key, nonce, data or ciphertext differ."""
    _data_key_and_nonce(key, nonce)
    try:
        return bytes(Aead(key).decrypt(sealed, associated_data, nonce))
    except CryptoError as exc:
        raise DecryptionError("authentication tag mismatch") from exc


def _data_key_and_nonce(key: bytes, nonce: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != DATA_KEY_SIZE:
        raise ValueError(f"a data key is {DATA_KEY_SIZE} bytes")
    if not isinstance(nonce, bytes) or len(nonce) != DATA_NONCE_SIZE:
        raise ValueError(f"a data nonce is {DATA_NONCE_SIZE} bytes")


def seal(recipient_public_key: bytes, message: bytes) -> bytes:
    """libsodium's sealed box of `message` to an Ed25519 account key: only its holder can open it."""
    if not isinstance(recipient_public_key, bytes) or len(recipient_public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise ValueError(f"a public key is {ED25519_PUBLIC_KEY_SIZE} bytes")
    try:
        x25519 = VerifyKey(recipient_public_key).to_curve25519_public_key()
    except (CryptoError, RuntimeError, ValueError) as exc:
        raise ValueError("not a valid Ed25519 public key") from exc
    return bytes(SealedBox(x25519).encrypt(message))


def open_sealed(seed: bytes, sealed: bytes) -> bytes:
    """Open a sealed box addressed to the account key of `seed`; DecryptionError when it was not sealed to it."""
    private_key = _signing_key(seed).to_curve25519_private_key()
    try:
        return bytes(SealedBox(private_key).decrypt(sealed))
    except CryptoError as exc:
        raise DecryptionError("the sealed box was not sealed to this key, or it was altered") from exc
