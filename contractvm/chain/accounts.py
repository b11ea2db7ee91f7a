"""Accounts: Ed25519 keypairs, 20-byte addresses and their bech32 text form, password-protected key files.

An address is blake2b-160 of the Ed25519 public key. Its text form is bech32 (BIP-173) with the human-readable
part `cvm`: the 20 bytes regrouped into 32 five-bit characters, then the 6-character checksum, 42 characters in
all (`cvm1...`, no witness version). `0x` + 40 hex digits is accepted on input too. The formats are documented
byte by byte in docs/chain-formats.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from contractvm import crypto
from contractvm.isa.types import ADDRESS_SIZE

ADDRESS_HRP = "cvm"
KEYFILE_VERSION = 1
SCRYPT_N = 2**15  # ~32 MiB and ~0.1 s per derivation
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MIN_N = 2**10
SCRYPT_MAX_MEMORY = 2**28  # 128 * n * r bytes: refuse key files that would make us allocate more than 256 MiB
SCRYPT_MAX_P = 16
SALT_SIZE = 32


class AddressError(ValueError):
    """Text that is not a valid address: bad checksum, wrong prefix, wrong length, bad character, mixed case."""


class KeyfileError(ValueError):
    """A key file that cannot be opened: wrong password, damaged or not a key file at all."""


def address_from_public_key(public_key: bytes) -> bytes:
    """The 20-byte account address of a 32-byte Ed25519 public key."""
    if not isinstance(public_key, bytes) or len(public_key) != crypto.ED25519_PUBLIC_KEY_SIZE:
        raise ValueError(f"a public key is {crypto.ED25519_PUBLIC_KEY_SIZE} bytes")
    return crypto.blake2b160(public_key)


@dataclass(frozen=True)
class Keypair:
    """An Ed25519 signing key with its public key and address; the seed never shows in `repr`."""

    seed: bytes = field(repr=False)
    public_key: bytes
    address: bytes

    def __post_init__(self) -> None:
        _, public_key = crypto.ed25519_keypair(self.seed)  # checks the seed's type and size
        if self.public_key != public_key or self.address != address_from_public_key(public_key):
            raise ValueError("public key or address does not belong to the seed; use Keypair.from_seed")

    @classmethod
    def from_seed(cls, seed: bytes) -> Keypair:
        _, public_key = crypto.ed25519_keypair(seed)
        return cls(seed, public_key, address_from_public_key(public_key))

    @classmethod
    def generate(cls) -> Keypair:
        """A fresh random keypair (the operating system's randomness: never use this inside the VM)."""
        return cls.from_seed(os.urandom(crypto.ED25519_SEED_SIZE))

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)

    @cached_property
    def _signer(self) -> crypto.Signer:
        """The signing key, expanded once (expanding a seed costs about as much as a signature)."""
        return crypto.Signer(self.seed)

    def __repr__(self) -> str:
        return f"Keypair(address={address_to_text(self.address)!r})"


def dev_keypair(index: int) -> Keypair:
    """Development account number `index`: the same keys on every machine. Never hold real value with these."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError("a development account index is a non-negative integer")
    return Keypair.from_seed(crypto.blake2b256(b"contractvm dev account %d" % index))


# ------------------------------------------------------------------------------------------------ bech32

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(_CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_MAX_LENGTH = 90
_CHECKSUM_LENGTH = 6


def _polymod(values: Sequence[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_encode(hrp: str, data: Sequence[int]) -> str:
    """BIP-173 bech32 of a lowercase human-readable part and 5-bit values."""
    if any(not 0 <= d < 32 for d in data):
        raise ValueError("bech32 data values are 5-bit")
    polymod = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    return hrp + "1" + "".join(_CHARSET[d] for d in [*data, *checksum])


def bech32_decode(text: str) -> tuple[str, tuple[int, ...]]:
    """The (lowercase human-readable part, 5-bit data without the checksum) of a BIP-173 string."""
    if not isinstance(text, str):
        raise AddressError(f"expected text, got {type(text).__name__}")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise AddressError("contains a character that is not printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise AddressError("mixes upper and lower case")
    if len(text) > _BECH32_MAX_LENGTH:
        raise AddressError(f"longer than {_BECH32_MAX_LENGTH} characters")
    text = text.lower()
    sep = text.rfind("1")
    if sep < 0:
        raise AddressError("has no '1' separator after the prefix")
    if sep == 0:
        raise AddressError("has an empty prefix before the '1' separator")
    if len(text) - sep - 1 < _CHECKSUM_LENGTH:
        raise AddressError("too short to hold a checksum")
    hrp = text[:sep]
    data = []
    for pos, c in enumerate(text[sep + 1 :], start=sep + 1):
        if c not in _CHARSET_INDEX:
            raise AddressError(f"character {c!r} at position {pos + 1} is not a bech32 character (no 1, b, i or o)")
        data.append(_CHARSET_INDEX[c])
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise AddressError("bad checksum (a mistyped character?)")
    return hrp, tuple(data[:-_CHECKSUM_LENGTH])


def convert_bits(data: Sequence[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    """Regroup a sequence of `from_bits`-bit values into `to_bits`-bit values (BIP-173's convertbits)."""
    acc = bits = 0
    out = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if not 0 <= value < 1 << from_bits:
            raise ValueError(f"value {value} does not fit in {from_bits} bits")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise ValueError("non-zero padding")
    return out


def address_to_text(address: bytes) -> str:
    """`cvm1...`: the bech32 text form of a 20-byte address."""
    if not isinstance(address, bytes) or len(address) != ADDRESS_SIZE:
        raise AddressError(f"an address is {ADDRESS_SIZE} bytes")
    return bech32_encode(ADDRESS_HRP, convert_bits(address, 8, 5, pad=True))


_HEX_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
ADDRESS_TEXT_LENGTH = len(ADDRESS_HRP) + 1 + 32 + _CHECKSUM_LENGTH  # 42


def address_from_text(text: str) -> bytes:
    """The 20 bytes of `cvm1...` (bech32) or `0x` + 40 hex digits; AddressError saying what is wrong otherwise."""
    if not isinstance(text, str):
        raise AddressError(f"expected an address as text, got {type(text).__name__}")
    if text[:2] in ("0x", "0X"):
        if not _HEX_ADDRESS.fullmatch(text):
            raise AddressError(f"invalid address {text!r}: 0x must be followed by exactly 40 hex digits")
        return bytes.fromhex(text[2:])
    lowered = text.lower()
    prefix = ADDRESS_HRP + "1"
    if lowered != text and text.upper() != text:
        problem = "mixes upper and lower case"
    elif not lowered.startswith(prefix):
        problem = f"expected the prefix {prefix!r} (or 0x and 40 hex digits)"
    elif len(text) != ADDRESS_TEXT_LENGTH:
        problem = f"{len(text)} characters long, a {prefix}... address has {ADDRESS_TEXT_LENGTH}"
    elif bad := next(((i, c) for i, c in enumerate(lowered) if i >= len(prefix) and c not in _CHARSET_INDEX), None):
        problem = f"character {text[bad[0]]!r} at position {bad[0] + 1} is not a bech32 character (no 1, b, i or o)"
    else:
        try:
            _, data = bech32_decode(text)
        except AddressError as exc:
            problem = str(exc)
        else:
            return bytes(convert_bits(data, 5, 8, pad=False))
    raise AddressError(f"invalid address {text!r}: {problem}")


# --------------------------------------------------------------------------------------------- key files

_WRONG_PASSWORD = "wrong password or damaged key file"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


def _check_scrypt_params(n: object, r: object, p: object) -> tuple[int, int, int]:
    for name, value in (("n", n), ("r", r), ("p", p)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise KeyfileError(f"scrypt {name} must be a positive integer, not {value!r}")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if n & (n - 1) or n < SCRYPT_MIN_N:
        raise KeyfileError(f"scrypt n must be a power of two, at least {SCRYPT_MIN_N}, not {n}")
    if 128 * n * r > SCRYPT_MAX_MEMORY or p > SCRYPT_MAX_P:
        raise KeyfileError(
            f"scrypt parameters n={n}, r={r}, p={p} exceed this build's limits "
            f"(128*n*r <= {SCRYPT_MAX_MEMORY} bytes, p <= {SCRYPT_MAX_P})"
        )
    return n, r, p


def _derive_key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not isinstance(password, str):
        raise TypeError("the password is a str")
    return crypto.scrypt(password.encode("utf-8"), salt, n, r, p, crypto.AES_KEY_SIZE)


def save_keyfile(path: str | os.PathLike[str], keypair: Keypair, password: str, *, n: int = SCRYPT_N,
                 overwrite: bool = False) -> None:
    """Write `keypair` encrypted under `password` (scrypt, AES-256-GCM) to `path`, mode 0600, atomically.

    The seed is never written in the clear. A smaller `n` (at least 2**10) makes tests fast; an existing file
    is replaced only with `overwrite=True` (KeyfileError otherwise), so a key is never lost by accident.
    """
    n, r, p = _check_scrypt_params(n, SCRYPT_R, SCRYPT_P)
    salt = os.urandom(SALT_SIZE)
    nonce = os.urandom(crypto.GCM_NONCE_SIZE)
    key = _derive_key(password, salt, n, r, p)
    sealed = crypto.aes256_gcm_encrypt(key, nonce, keypair.seed, keypair.address)
    document = {
        "version": KEYFILE_VERSION,
        "address": address_to_text(keypair.address),
        "kdf": "scrypt",
        "kdf_params": {"n": n, "r": r, "p": p, "salt": salt.hex()},
        "cipher": "aes-256-gcm",
        "nonce": nonce.hex(),
        "ciphertext": sealed.hex(),
    }
    _write_private(Path(path), (json.dumps(document, indent=2) + "\n").encode("utf-8"), overwrite)


def _write_private(path: Path, content: bytes, overwrite: bool) -> None:
    """Write to a 0600 temporary file beside `path`, sync it, then move it into place in one step."""
    directory = path.parent
    if not overwrite and path.exists():
        raise KeyfileError(f"{path} already exists; refusing to overwrite a key file")
    tmp = directory / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if `path` appeared meanwhile: never clobbers
            except FileExistsError:
                raise KeyfileError(f"{path} already exists; refusing to overwrite a key file") from None
            except OSError:  # pragma: no cover - a file system without hard links: check, then rename
                if path.exists():
                    raise KeyfileError(f"{path} already exists; refusing to overwrite a key file") from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _field(document: dict[str, object], name: str, kind: type) -> object:
    if name not in document:
        raise KeyfileError(f"not a key file: no {name!r} field")
    value = document[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise KeyfileError(f"not a key file: {name!r} should be a {kind.__name__}")
    return value


def _hex_field(document: dict[str, object], name: str, sizes: range) -> bytes:
    text = _field(document, name, str)
    assert isinstance(text, str)
    if not _HEX.fullmatch(text):
        raise KeyfileError(f"damaged key file: {name!r} is not hex")
    raw = bytes.fromhex(text)
    if len(raw) not in sizes:
        raise KeyfileError(f"damaged key file: {name!r} is {len(raw)} bytes")
    return raw


def load_keyfile(path: str | os.PathLike[str], password: str) -> Keypair:
    """The keypair stored in a key file; KeyfileError for a wrong password or a damaged or foreign file.

    OSError (a missing or unreadable file) passes through unchanged.
    """
    raw = Path(path).read_bytes()
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise KeyfileError(f"{path} is not a key file: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise KeyfileError(f"{path} is not a key file: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:  # a number too long to convert, nesting too deep
        raise KeyfileError(f"{path} is not a key file: {exc}") from None
    if not isinstance(document, dict):
        raise KeyfileError(f"{path} is not a key file: expected a JSON object")
    version = _field(document, "version", int)
    if version != KEYFILE_VERSION:
        raise KeyfileError(f"{path}: unsupported key file version {version} (this build reads {KEYFILE_VERSION})")
    if document.get("kdf") != "scrypt" or document.get("cipher") != "aes-256-gcm":
        raise KeyfileError(f"{path}: unsupported kdf or cipher (expected scrypt and aes-256-gcm)")
    address_text = _field(document, "address", str)
    assert isinstance(address_text, str)
    try:
        address = address_from_text(address_text)
    except AddressError as exc:
        raise KeyfileError(f"damaged key file {path}: {exc}") from None
    params = _field(document, "kdf_params", dict)
    assert isinstance(params, dict)
    n, r, p = _check_scrypt_params(params.get("n"), params.get("r"), params.get("p"))
    salt = _hex_field(params, "salt", range(16, 65))
    nonce = _hex_field(document, "nonce", range(crypto.GCM_NONCE_SIZE, crypto.GCM_NONCE_SIZE + 1))
    size = crypto.ED25519_SEED_SIZE + crypto.GCM_TAG_SIZE
    sealed = _hex_field(document, "ciphertext", range(size, size + 1))
    key = _derive_key(password, salt, n, r, p)
    try:
        seed = crypto.aes256_gcm_decrypt(key, nonce, sealed, address)
    except crypto.DecryptionError:
        raise KeyfileError(_WRONG_PASSWORD) from None
    keypair = Keypair.from_seed(seed)
    if keypair.address != address:  # only a forged file that still authenticates could get here
        raise KeyfileError(_WRONG_PASSWORD)
    return keypair
