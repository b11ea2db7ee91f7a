"""Handlers that reach outside the frame: storage, the call's environment, hashes, tokens, events, revert."""

from __future__ import annotations

from contractvm import crypto
from contractvm.isa import codec
from contractvm.isa.opcodes import BY_NAME
from contractvm.isa.program import Event
from contractvm.isa.types import BALANCE_T, Type
from contractvm.vm.ops_data import encoded, encoded_size
from contractvm.vm.results import EmittedEvent
from contractvm.vm.runtime import Frame, OpTable, Trap, address_operand, charge
from contractvm.vm.state import Journal

table = OpTable()
op = table.op

STATIC_WRITE = "state change in a view call"


def _key(value: object) -> bytes:
    if type(value) is not bytes:
        raise TypeError("a storage key is bytes")
    return value


def _writable(f: Frame) -> Journal:
    if f.static:
        raise Trap(STATIC_WRITE)
    return f.ctx.state


# Storage: always the executing contract's own keyspace.

_SLOAD = BY_NAME["SLOAD"]
_SSTORE = BY_NAME["SSTORE"]


@op("SLOAD")
def _sload(f: Frame, t: Type, nxt: int) -> int:
    s = f.stack
    raw = f.ctx.state.get(f.address, _key(s[-1]))
    if raw is None:
        s[-1] = codec.default(t)
    else:
        charge(f, _SLOAD, len(raw))
        s[-1] = codec.decode(t, raw)
    return nxt


@op("SSTORE")
def _sstore(f: Frame, t: Type, nxt: int) -> int:
    s = f.stack
    value = s.pop()
    key = _key(s.pop())
    state = _writable(f)
    raw = encoded(t, value)
    charge(f, _SSTORE, len(raw))
    state.set(f.address, key, raw)
    return nxt


@op("SHAS")
def _shas(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    s[-1] = f.ctx.state.get(f.address, _key(s[-1])) is not None
    return nxt


@op("SDEL")
def _sdel(f: Frame, _: object, nxt: int) -> int:
    key = _key(f.stack.pop())
    _writable(f).set(f.address, key, None)
    return nxt


# The call's environment


@op("CALLER")
def _caller(f: Frame, _: object, nxt: int) -> int:
    f.stack.append(f.caller)
    return nxt


@op("VALUE")
def _value(f: Frame, _: object, nxt: int) -> int:
    f.stack.append(f.value)
    return nxt


@op("SELF")
def _self(f: Frame, _: object, nxt: int) -> int:
    f.stack.append(f.address)
    return nxt


@op("BALANCE")
def _balance(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    s[-1] = f.ctx.state.balance(address_operand(s[-1]))
    return nxt


@op("HEIGHT")
def _height(f: Frame, _: object, nxt: int) -> int:
    f.stack.append(f.ctx.block.height)
    return nxt


@op("TIME")
def _time(f: Frame, _: object, nxt: int) -> int:
    f.stack.append(f.ctx.block.time)
    return nxt


# Hashes and signatures: charged on the bytes they read.


def _bytes(value: object) -> bytes:
    if type(value) is not bytes:
        raise TypeError("not bytes")
    return value


_SHA256 = BY_NAME["SHA256"]
_KECCAK256 = BY_NAME["KECCAK256"]
_BLAKE2B = BY_NAME["BLAKE2B"]
_EDVERIFY = BY_NAME["EDVERIFY"]


@op("SHA256")
def _sha256(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    data = _bytes(s[-1])
    charge(f, _SHA256, len(data))
    s[-1] = crypto.sha256(data)
    return nxt


@op("KECCAK256")
def _keccak256(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    data = _bytes(s[-1])
    charge(f, _KECCAK256, len(data))
    s[-1] = crypto.keccak256(data)
    return nxt


@op("BLAKE2B")
def _blake2b(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    data = _bytes(s[-1])
    charge(f, _BLAKE2B, len(data))
    s[-1] = crypto.blake2b256(data)
    return nxt


@op("EDVERIFY")
def _edverify(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    signature = _bytes(s.pop())
    message = _bytes(s.pop())
    pubkey = _bytes(s[-1])
    charge(f, _EDVERIFY, len(pubkey) + len(message) + len(signature))
    s[-1] = crypto.ed25519_verify(pubkey, message, signature)
    return nxt


# Tokens, events, revert


@op("TRANSFER")
def _transfer(f: Frame, _: object, nxt: int) -> int:
    s = f.stack
    amount = s.pop()
    to = address_operand(s.pop())
    if type(amount) is not int or amount < 0:
        raise ValueError("not an amount")
    state = _writable(f)
    move(state, f.address, to, amount)
    return nxt


def move(state: Journal, source: bytes, to: bytes, amount: int) -> None:
    """Move native tokens; Trap when `source` is short or `to` would overflow a balance."""
    have = state.balance(source)
    if have < amount:
        raise Trap("insufficient balance")
    state.set_balance(source, have - amount)
    after = state.balance(to) + amount
    if after > BALANCE_T.hi:
        raise Trap("balance overflow")
    state.set_balance(to, after)


_EMIT = BY_NAME["EMIT"]


@op("EMIT")
def _emit(f: Frame, event: Event, nxt: int) -> int:
    s = f.stack
    n = len(event.fields)
    values = s[len(s) - n :]
    del s[len(s) - n :]
    _writable(f)
    size = 0
    for (_, ft), v in zip(event.fields, values, strict=True):
        size += encoded_size(ft, v)
    charge(f, _EMIT, size)
    fields = tuple([(name, v) for (name, _), v in zip(event.fields, values, strict=True)])
    f.ctx.events.append(EmittedEvent(f.address, event.name, fields))
    return nxt


@op("REVERT")
def _revert(f: Frame, _: object, nxt: int) -> int:
    message = f.stack.pop()
    if type(message) is not str:
        raise TypeError("a revert message is a string")
    raise Trap(message)
