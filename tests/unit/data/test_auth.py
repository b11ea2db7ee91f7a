"""contractvm.data.auth: signed data-service requests (Ed25519 over chain, method, target, time, nonce, body)
and the replay guard that accepts each signature once within the skew window."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractvm.chain.accounts import Keypair, dev_keypair
from contractvm.data.auth import (
    MAX_SKEW,
    NONCE_SIZE,
    SCHEME,
    AuthError,
    ReplayGuard,
    Requester,
    request_message,
    sign_request,
    verify_request,
)

ALICE, MALLORY = dev_keypair(1), dev_keypair(2)
NOW = 1_700_000_000
NONCE = bytes(range(NONCE_SIZE))
CHAIN = 1337
TARGET = "/v1/data/0x" + "ab" * 32
few = settings(max_examples=40)

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE"])
targets = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=1, max_size=80).map(
    lambda t: "/" + t)
bodies = st.binary(max_size=200)
chain_ids = st.integers(0, 2**64 - 1)


def fields(header: str) -> dict[str, str]:
    """The key=value fields of an Authorization header."""
    assert header.startswith(SCHEME + " ")
    return dict(part.split("=", 1) for part in header[len(SCHEME) + 1 :].split(", "))


def build(parts: dict[str, str]) -> str:
    return f"{SCHEME} " + ", ".join(f"{k}={v}" for k, v in parts.items())


def test_the_signed_message_is_the_documented_lines() -> None:
    body = b'{"x": 1}'
    expected = "\n".join(["contractvm request v1", "1337", "POST", "/v1/data?access=cvm1x", str(NOW), NONCE.hex(),
                          hashlib.sha256(body).hexdigest()]).encode()
    assert request_message(CHAIN, "post", "/v1/data?access=cvm1x", NOW, NONCE, body) == expected


def test_the_header_has_the_documented_form() -> None:
    header = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW, NONCE)
    assert re.fullmatch(r"CVM-Ed25519 key=[0-9a-f]{64}, time=[0-9]+, nonce=[0-9a-f]{32}, sig=[0-9a-f]{128}", header)
    parts = fields(header)
    assert parts["key"] == ALICE.public_key.hex() and parts["time"] == str(NOW) and parts["nonce"] == NONCE.hex()
    assert bytes.fromhex(parts["sig"]) == ALICE.sign(request_message(CHAIN, "GET", TARGET, NOW, NONCE, b""))


def test_a_fresh_nonce_is_drawn_for_every_request() -> None:
    first = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW)
    second = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW)
    assert fields(first)["nonce"] != fields(second)["nonce"] and fields(first)["sig"] != fields(second)["sig"]


@few
@given(chain_id=chain_ids, method=methods, target=targets, body=bodies, skew=st.integers(-MAX_SKEW, MAX_SKEW))
def test_sign_verify_round_trip(chain_id: int, method: str, target: str, body: bytes, skew: int) -> None:
    header = sign_request(ALICE, chain_id, method, target, body, NOW)
    requester = verify_request(header, chain_id, method, target, body, NOW + skew)
    assert requester == Requester(ALICE.public_key, ALICE.address, NOW, bytes.fromhex(fields(header)["sig"]))


@few
@given(chain_id=chain_ids, method=methods, target=targets, body=bodies, data=st.data())
def test_any_change_of_what_was_signed_fails(chain_id: int, method: str, target: str, body: bytes,
                                             data: st.DataObject) -> None:
    header = sign_request(ALICE, chain_id, method, target, body, NOW, NONCE)
    signed = {"chain_id": chain_id, "method": method, "target": target, "body": body}
    changed = {
        "chain_id": data.draw(chain_ids.filter(lambda c: c != chain_id), "other chain"),
        "method": data.draw(methods.filter(lambda m: m != method), "other method"),
        "target": data.draw(targets.filter(lambda t: t != target), "other target"),
        "body": data.draw(bodies.filter(lambda b: b != body), "other body"),
    }
    for name, value in changed.items():
        with pytest.raises(AuthError, match="does not verify"):
            verify_request(header, **{**signed, name: value}, now=NOW)  # type: ignore[arg-type]
    assert verify_request(header, **signed, now=NOW).address == ALICE.address  # type: ignore[arg-type]


@few
@given(delta=st.integers(-MAX_SKEW, MAX_SKEW).filter(lambda d: d != 0), nonce=st.binary(min_size=16, max_size=16),
       index=st.integers(0, 63), bit=st.integers(0, 7))
def test_any_change_of_the_header_fails(delta: int, nonce: bytes, index: int, bit: int) -> None:
    header = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW, NONCE)
    parts = fields(header)
    signature = bytearray(bytes.fromhex(parts["sig"]))
    signature[index] ^= 1 << bit
    altered = [
        {**parts, "time": str(NOW + delta)},  # still within the skew: only the signature catches it
        {**parts, "key": MALLORY.public_key.hex()},  # another account claims the request
        {**parts, "sig": signature.hex()},
    ]
    if nonce != NONCE:
        altered.append({**parts, "nonce": nonce.hex()})
    for candidate in altered:
        with pytest.raises(AuthError, match="does not verify"):
            verify_request(build(candidate), CHAIN, "GET", TARGET, b"", NOW)


def test_a_request_signed_by_another_key_is_that_keys_request() -> None:
    header = sign_request(MALLORY, CHAIN, "GET", TARGET, b"", NOW)
    requester = verify_request(header, CHAIN, "GET", TARGET, b"", NOW)
    assert requester.address == MALLORY.address != ALICE.address


@pytest.mark.parametrize("skew", [MAX_SKEW + 1, -MAX_SKEW - 1, 10 * MAX_SKEW, -NOW])
def test_a_stale_or_future_request_is_refused(skew: int) -> None:
    signed_at = NOW + skew
    header = sign_request(ALICE, CHAIN, "GET", TARGET, b"", signed_at)
    with pytest.raises(AuthError, match=f"signed at {signed_at}, more than {MAX_SKEW} s from the node's clock"):
        verify_request(header, CHAIN, "GET", TARGET, b"", NOW)


@pytest.mark.parametrize("skew", [MAX_SKEW, -MAX_SKEW, 0])
def test_the_skew_limit_is_inclusive(skew: int) -> None:
    header = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW + skew)
    assert verify_request(header, CHAIN, "GET", TARGET, b"", NOW).timestamp == NOW + skew


def test_a_custom_skew_applies() -> None:
    header = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW - 11)
    with pytest.raises(AuthError, match="more than 10 s"):
        verify_request(header, CHAIN, "GET", TARGET, b"", NOW, max_skew=10)


GOOD = sign_request(ALICE, CHAIN, "GET", TARGET, b"", NOW, NONCE)


@pytest.mark.parametrize("header", [
    "",
    "Bearer abc",
    GOOD.replace("CVM-Ed25519", "cvm-ed25519"),
    GOOD.replace("CVM-Ed25519 ", "CVM-Ed25519  "),
    GOOD.replace(", ", ","),
    GOOD.upper(),
    GOOD.replace("key=", "key=0x"),
    GOOD[: GOOD.index(", nonce=")] + GOOD[GOOD.index(", sig="):],  # no nonce
    GOOD[: GOOD.index(", sig=")],  # no signature
    GOOD + ", extra=1",
    GOOD[:-2],  # a short signature
    GOOD.replace(f"time={NOW}", "time=-5"),
    GOOD.replace(f"time={NOW}", "time=1e9"),
    GOOD.replace(f"time={NOW}", "time=" + "9" * 13),
    build({**fields(GOOD), "nonce": "ab" * 15}),
    build({"time": str(NOW), **fields(GOOD)}),  # fields out of order
    GOOD.replace(", sig=", "\n, sig="),
])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(AuthError, match="the Authorization header must read 'CVM-Ed25519 key=<64 hex>"):
        verify_request(header, CHAIN, "GET", TARGET, b"", NOW)


def test_surrounding_whitespace_is_tolerated() -> None:
    assert verify_request(f"  {GOOD}\t", CHAIN, "GET", TARGET, b"", NOW).address == ALICE.address


@few
@given(text=st.text(max_size=300))
def test_arbitrary_header_text_raises_only_auth_error(text: str) -> None:
    with pytest.raises(AuthError):
        verify_request(text, CHAIN, "GET", TARGET, b"", NOW)


def test_an_invalid_public_key_fails_verification_not_the_node() -> None:
    parts = fields(GOOD)
    for key in ("00" * 32, "ff" * 32):
        with pytest.raises(AuthError, match="does not verify"):
            verify_request(build({**parts, "key": key}), CHAIN, "GET", TARGET, b"", NOW)


# ------------------------------------------------------------------------------------------- ReplayGuard


def requester(keypair: Keypair = ALICE, at: int = NOW, target: str = TARGET) -> Requester:
    return verify_request(sign_request(keypair, CHAIN, "GET", target, b"", at), CHAIN, "GET", target, b"", at)


def test_a_signed_request_is_admitted_once() -> None:
    guard = ReplayGuard()
    first = requester()
    guard.admit(first, NOW)
    with pytest.raises(AuthError, match="already used: sign a new one"):
        guard.admit(first, NOW)
    with pytest.raises(AuthError, match="already used"):
        guard.admit(first, NOW + MAX_SKEW)  # still within the window in which it would verify
    guard.admit(requester(), NOW)  # the same request signed again: a new nonce, a new signature
    guard.admit(requester(MALLORY), NOW)


def test_the_guard_forgets_only_after_the_window() -> None:
    guard = ReplayGuard(max_skew=10)
    first = requester()
    guard.admit(first, NOW)
    with pytest.raises(AuthError):
        guard.admit(first, NOW + 20)  # exactly 2 * max_skew later: still remembered
    guard.admit(first, NOW + 21)  # forgotten (verify_request refuses it as stale by then anyway)
    with pytest.raises(AuthError):
        guard.admit(first, NOW + 21)


@few
@given(steps=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30)), min_size=1, max_size=30))
def test_the_guard_admits_a_signature_again_only_once_its_window_passed(steps: list[tuple[int, int]]) -> None:
    """Against a model: a signature is refused while an admission of it is at most 2 * max_skew old."""
    skew = 5
    guard = ReplayGuard(max_skew=skew)
    signatures = [requester(target=f"/{i}") for i in range(5)]
    admitted: dict[int, int] = {}  # signature index -> time of its last admission
    now = NOW
    for which, wait in steps:
        now += wait
        remembered = which in admitted and admitted[which] >= now - 2 * skew
        if remembered:
            with pytest.raises(AuthError):
                guard.admit(signatures[which], now)
        else:
            guard.admit(signatures[which], now)
            admitted[which] = now


def test_a_full_guard_refuses_new_requests_instead_of_forgetting_old_ones() -> None:
    guard = ReplayGuard(max_skew=10, max_entries=2)
    first, second = requester(target="/1"), requester(target="/2")
    guard.admit(first, NOW)
    guard.admit(second, NOW)
    with pytest.raises(AuthError, match="more signed requests than it remembers"):
        guard.admit(requester(target="/3"), NOW)
    with pytest.raises(AuthError, match="already used"):
        guard.admit(first, NOW + 1)  # still remembered: no replay slips through
    guard.admit(requester(target="/3"), NOW + 21)  # the window passed: room again
