"""Canonical binary encoding of values and types.

`encode` is injective and deterministic: storage values, map keys, call arguments and return values all use
it. `pack` is the form hashed by `sha256`/`keccak256`/`blake2b`: like `encode`, but bytes and strings are
written raw, without their length prefix, so `sha256(b)` of one `bytes` value is the standard SHA-256 of it.

| type           | encoding                                      |
|----------------|-----------------------------------------------|
| bool           | 1 byte, 0 or 1                                |
| uN / iN        | N/8 bytes, big-endian, two's complement       |
| enum           | 1 byte, the variant's index                   |
| address/digest | 20 / 32 raw bytes                             |
| bytes / string | 4-byte big-endian length, then the raw bytes  |
| [T; N], struct | the elements / fields in order                |
| vec<T, N>      | 4-byte big-endian count, then the elements    |
"""

from __future__ import annotations

from contractvm.isa.types import (
    ADDRESS_SIZE,
    DIGEST_SIZE,
    AddressT,
    ArrayT,
    BoolT,
    BytesT,
    DigestT,
    EnumT,
    IntT,
    MapT,
    StringT,
    StructT,
    Type,
    VecT,
)

Value = object


class CodecError(ValueError):
    """Bytes or a value that do not fit the type they are read or written as."""


def default(t: Type) -> Value:
    """The zero value of a type: what reading an unset state slot gives."""
    if isinstance(t, BoolT):
        return False
    if isinstance(t, (IntT, EnumT)):
        return 0
    if isinstance(t, AddressT):
        return bytes(ADDRESS_SIZE)
    if isinstance(t, DigestT):
        return bytes(DIGEST_SIZE)
    if isinstance(t, BytesT):
        return b""
    if isinstance(t, StringT):
        return ""
    if isinstance(t, ArrayT):
        return tuple(default(t.elem) for _ in range(t.length))
    if isinstance(t, VecT):
        return ()
    if isinstance(t, StructT):
        return tuple(default(ft) for _, ft in t.fields)
    raise CodecError(f"{t} has no value")


def encode(t: Type, v: Value) -> bytes:
    kind = type(t)
    if kind is IntT:  # the common cases first: storage values, map keys and event fields in every call
        return int(v).to_bytes(t.bits // 8, "big", signed=t.signed)  # type: ignore[attr-defined, call-overload]
    if kind is AddressT or kind is DigestT:
        return bytes(v)  # type: ignore[arg-type]
    out = bytearray()
    _encode(t, v, out, packed=False)
    return bytes(out)


def pack(t: Type, v: Value) -> bytes:
    out = bytearray()
    _encode(t, v, out, packed=True)
    return bytes(out)


def _encode(t: Type, v: Value, out: bytearray, packed: bool) -> None:
    if isinstance(t, BoolT):
        out.append(1 if v else 0)
    elif isinstance(t, IntT):
        out += int(v).to_bytes(t.bits // 8, "big", signed=t.signed)  # type: ignore[call-overload]
    elif isinstance(t, EnumT):
        out.append(v)  # type: ignore[arg-type]
    elif isinstance(t, (AddressT, DigestT)):
        out += v  # type: ignore[operator]
    elif isinstance(t, (BytesT, StringT)):
        raw = v.encode("utf-8") if isinstance(v, str) else v
        if not packed:
            out += len(raw).to_bytes(4, "big")  # type: ignore[arg-type]
        out += raw  # type: ignore[operator]
    elif isinstance(t, ArrayT):
        for item in v:  # type: ignore[attr-defined]
            _encode(t.elem, item, out, packed)
    elif isinstance(t, VecT):
        out += len(v).to_bytes(4, "big")  # type: ignore[arg-type]
        for item in v:  # type: ignore[attr-defined]
            _encode(t.elem, item, out, packed)
    elif isinstance(t, StructT):
        for (_, ft), item in zip(t.fields, v, strict=True):  # type: ignore[call-overload]
            _encode(ft, item, out, packed)
    else:
        raise CodecError(f"{t} cannot be encoded")


def decode(t: Type, data: bytes) -> Value:
    if type(t) is IntT and len(data) == t.bits // 8:  # type: ignore[attr-defined]  # the common case first
        return int.from_bytes(data, "big", signed=t.signed)  # type: ignore[attr-defined]
    value, pos = _decode(t, data, 0)
    if pos != len(data):
        raise CodecError(f"{len(data) - pos} trailing bytes after a {t}")
    return value


def _take(data: bytes, pos: int, n: int, t: Type) -> bytes:
    if pos + n > len(data):
        raise CodecError(f"truncated {t}")
    return data[pos : pos + n]


def _decode(t: Type, data: bytes, pos: int) -> tuple[Value, int]:
    if isinstance(t, BoolT):
        b = _take(data, pos, 1, t)[0]
        if b > 1:
            raise CodecError(f"bad bool byte {b}")
        return b == 1, pos + 1
    if isinstance(t, IntT):
        n = t.bits // 8
        return int.from_bytes(_take(data, pos, n, t), "big", signed=t.signed), pos + n
    if isinstance(t, EnumT):
        b = _take(data, pos, 1, t)[0]
        if b >= len(t.variants):
            raise CodecError(f"bad {t.name} variant {b}")
        return b, pos + 1
    if isinstance(t, (AddressT, DigestT)):
        n = ADDRESS_SIZE if isinstance(t, AddressT) else DIGEST_SIZE
        return _take(data, pos, n, t), pos + n
    if isinstance(t, (BytesT, StringT)):
        n = int.from_bytes(_take(data, pos, 4, t), "big")
        if n > t.max:
            raise CodecError(f"{t} of length {n}")
        raw = _take(data, pos + 4, n, t)
        if isinstance(t, StringT):
            try:
                return raw.decode("utf-8"), pos + 4 + n
            except UnicodeDecodeError as exc:
                raise CodecError(f"{t} is not UTF-8") from exc
        return raw, pos + 4 + n
    if isinstance(t, ArrayT):
        items = []
        for _ in range(t.length):
            item, pos = _decode(t.elem, data, pos)
            items.append(item)
        return tuple(items), pos
    if isinstance(t, VecT):
        n = int.from_bytes(_take(data, pos, 4, t), "big")
        if n > t.max:
            raise CodecError(f"{t} of length {n}")
        pos += 4
        items = []
        for _ in range(n):
            item, pos = _decode(t.elem, data, pos)
            items.append(item)
        return tuple(items), pos
    if isinstance(t, StructT):
        items = []
        for _, ft in t.fields:
            item, pos = _decode(ft, data, pos)
            items.append(item)
        return tuple(items), pos
    raise CodecError(f"{t} cannot be decoded")


def check(t: Type, v: Value) -> None:
    """Raise CodecError unless `v` is a well-formed value of type `t` (for values coming from outside)."""
    if isinstance(t, BoolT):
        ok = isinstance(v, bool)
    elif isinstance(t, IntT):
        ok = isinstance(v, int) and not isinstance(v, bool) and t.lo <= v <= t.hi
    elif isinstance(t, EnumT):
        ok = isinstance(v, int) and not isinstance(v, bool) and 0 <= v < len(t.variants)
    elif isinstance(t, AddressT):
        ok = isinstance(v, bytes) and len(v) == ADDRESS_SIZE
    elif isinstance(t, DigestT):
        ok = isinstance(v, bytes) and len(v) == DIGEST_SIZE
    elif isinstance(t, BytesT):
        ok = isinstance(v, bytes) and len(v) <= t.max
    elif isinstance(t, StringT):
        try:
            ok = isinstance(v, str) and len(v.encode("utf-8")) <= t.max
        except UnicodeEncodeError:  # lone surrogates have no UTF-8 form
            ok = False
    elif isinstance(t, (ArrayT, VecT, StructT)):
        if not isinstance(v, tuple):
            raise CodecError(f"expected {t}, got {type(v).__name__}")
        if isinstance(t, ArrayT):
            ok = len(v) == t.length
            elems = [t.elem] * len(v)
        elif isinstance(t, VecT):
            ok = len(v) <= t.max
            elems = [t.elem] * len(v)
        else:
            ok = len(v) == len(t.fields)
            elems = [ft for _, ft in t.fields]
        if ok:
            for et, item in zip(elems, v, strict=True):
                check(et, item)
    else:
        ok = False
    if not ok:
        raise CodecError(f"expected {t}, got {v!r}")


# Type descriptors, as stored in a program's type table.
_T_BOOL, _T_INT, _T_ADDR, _T_DIGEST, _T_BYTES, _T_STRING, _T_ARRAY, _T_VEC, _T_MAP, _T_STRUCT, _T_ENUM = range(11)


def _name(s: str, out: bytearray) -> None:
    raw = s.encode("utf-8")
    out.append(len(raw))
    out += raw


def encode_type(t: Type) -> bytes:
    out = bytearray()
    _encode_type(t, out)
    return bytes(out)


def _encode_type(t: Type, out: bytearray) -> None:
    if isinstance(t, BoolT):
        out.append(_T_BOOL)
    elif isinstance(t, IntT):
        out += bytes([_T_INT, t.code])
    elif isinstance(t, AddressT):
        out.append(_T_ADDR)
    elif isinstance(t, DigestT):
        out.append(_T_DIGEST)
    elif isinstance(t, (BytesT, StringT)):
        out.append(_T_BYTES if isinstance(t, BytesT) else _T_STRING)
        out += t.max.to_bytes(4, "big")
    elif isinstance(t, (ArrayT, VecT)):
        out.append(_T_ARRAY if isinstance(t, ArrayT) else _T_VEC)
        out += (t.length if isinstance(t, ArrayT) else t.max).to_bytes(4, "big")
        _encode_type(t.elem, out)
    elif isinstance(t, MapT):
        out.append(_T_MAP)
        _encode_type(t.key, out)
        _encode_type(t.value, out)
    elif isinstance(t, StructT):
        out.append(_T_STRUCT)
        _name(t.name, out)
        out.append(1 if t.asset else 0)
        out.append(len(t.fields))
        for fname, ft in t.fields:
            _name(fname, out)
            _encode_type(ft, out)
    elif isinstance(t, EnumT):
        out.append(_T_ENUM)
        _name(t.name, out)
        out.append(len(t.variants))
        for variant in t.variants:
            _name(variant, out)
    else:
        raise CodecError(f"{t} has no descriptor")


def decode_type(data: bytes, pos: int = 0, depth: int = 0) -> tuple[Type, int]:
    """Read one type descriptor; raise CodecError on anything malformed."""
    if depth > 32:
        raise CodecError("type nested too deeply")

    def byte() -> int:
        nonlocal pos
        if pos >= len(data):
            raise CodecError("truncated type descriptor")
        pos += 1
        return data[pos - 1]

    def u32() -> int:
        nonlocal pos
        if pos + 4 > len(data):
            raise CodecError("truncated type descriptor")
        pos += 4
        return int.from_bytes(data[pos - 4 : pos], "big")

    def name() -> str:
        nonlocal pos
        n = byte()
        if pos + n > len(data):
            raise CodecError("truncated type descriptor")
        pos += n
        try:
            return data[pos - n : pos].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CodecError("type name is not UTF-8") from exc

    tag = byte()
    if tag == _T_BOOL:
        return BoolT(), pos
    if tag == _T_INT:
        try:
            return IntT.from_code(byte()), pos
        except ValueError as exc:
            raise CodecError(str(exc)) from exc
    if tag == _T_ADDR:
        return AddressT(), pos
    if tag == _T_DIGEST:
        return DigestT(), pos
    if tag in (_T_BYTES, _T_STRING):
        n = u32()
        return (BytesT(n) if tag == _T_BYTES else StringT(n)), pos
    if tag in (_T_ARRAY, _T_VEC):
        n = u32()
        elem, pos = decode_type(data, pos, depth + 1)
        return (ArrayT(elem, n) if tag == _T_ARRAY else VecT(elem, n)), pos
    if tag == _T_MAP:
        key, pos = decode_type(data, pos, depth + 1)
        value, pos = decode_type(data, pos, depth + 1)
        return MapT(key, value), pos
    if tag == _T_STRUCT:
        sname = name()
        flag = byte()
        if flag > 1:
            raise CodecError(f"bad asset flag {flag}")
        asset = flag == 1
        fields = []
        for _ in range(byte()):
            fname = name()
            ft, pos = decode_type(data, pos, depth + 1)
            fields.append((fname, ft))
        return StructT(sname, tuple(fields), asset), pos
    if tag == _T_ENUM:
        ename = name()
        variants = tuple(name() for _ in range(byte()))
        return EnumT(ename, variants), pos
    raise CodecError(f"unknown type tag {tag}")
