"""The node's data service (docs/data-service.md) over real HTTP on 127.0.0.1, with real encryption, the real
DataAccess and Traceability contracts, and real LMDB files where persistence is the point.

Every node is served by `BackgroundNode` and stopped at teardown, where the test also checks that the node logged
no unexpected exception (a 500 never happens, whatever the request).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contractvm.chain.accounts import Keypair, address_from_text, address_to_text, dev_keypair
from contractvm.chain.builder import TxBuilder
from contractvm.chain.chain import Chain
from contractvm.chain.model import Genesis, Transaction
from contractvm.client import Client, ClientError
from contractvm.client.data import DataClient, Published
from contractvm.client.models import Receipt
from contractvm.codegen.artifact import Artifact
from contractvm.compiler import compile_file
from contractvm.data.auth import sign_request
from contractvm.data.envelope import (
    SEALED_KEY_SIZE,
    Envelope,
    open_data_key,
    seal_data_key,
    wrap_closed,
    wrap_open,
)
from contractvm.data.objects import ObjectStore
from contractvm.isa.program import Program
from contractvm.node import remote
from contractvm.node.data import service_keypair
from contractvm.node.errors import ERROR_CODES
from contractvm.node.limits import Rate
from contractvm.node.server import BackgroundNode
from contractvm.node.service import NodeService

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
OPERATOR, SUPPLIER, BUYER, OTHER, REGULATOR, SHOP = (dev_keypair(i) for i in range(6))

HOUR = 3_600

pytestmark = pytest.mark.integration


class Bugs(logging.Handler):
    """Collects what the node logs at ERROR: a 500 (or a failed block) would show here."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def access_artifact() -> Artifact:
    return compile_file(str(CONTRACTS / "data_access.ctr"))


@pytest.fixture(scope="module")
def trace_artifact() -> Artifact:
    return compile_file(str(CONTRACTS / "traceability.ctr"))


@dataclass
class Node:
    url: str
    client: Client
    data: DataClient
    service: NodeService
    artifact: Artifact
    access: str = ""  # the DataAccess contract, once deployed

    def request(self, method: str, path: str, *, signer: Keypair | None = None, body: bytes = b"",
                signed_path: str | None = None, signed_body: bytes | None = None) -> httpx.Response:
        """A raw request, signed by `signer` (for `signed_path`/`signed_body` when given: a mismatch)."""
        headers: dict[str, str] = {}
        if signer is not None:
            headers["Authorization"] = sign_request(
                signer, self.client.chain_id(), method, signed_path or path,
                body if signed_body is None else signed_body, int(time.time()))
        return httpx.request(method, self.url + path, content=body, headers=headers, timeout=10)

    def transact(self, signer: Keypair, function: str, *args: object, contract: str | None = None,
                 program: Program | None = None, gas_limit: int = 5_000_000) -> Receipt:
        receipt = self.client.transact(signer, contract or self.access, program or self.artifact.program, function,
                                       args, gas_limit=gas_limit)
        assert receipt.success, (function, receipt.error)
        return receipt

    def view(self, function: str, *args: object, contract: str | None = None) -> Any:
        arguments = ["0x" + a.hex() if isinstance(a, bytes) else a for a in args]
        result = self.client.call(contract or self.access, function, arguments)
        assert result.status == "success", result.error
        return result.return_value

    def now(self) -> int:
        """The chain's time (block times run ahead of the wall clock: each block is a second later)."""
        return self.client.block().timestamp

    def advance(self, seconds: int) -> None:
        """Mine an empty block `seconds` after the head: chain time moves on by that much at least.

        (`Chain.advance_time` moves the clock the chain follows, but the head may already be ahead of it.)"""
        def move() -> None:
            chain = self.service.chain
            chain.set_next_timestamp(chain.head.timestamp + seconds)
            chain.mine()

        self.service.run_sync(move)

    def on_chain_thread(self, fn: Callable[..., Any], *args: object) -> Any:
        return self.service.run_sync(fn, *args)

    def log(self, fp: bytes, owner: Keypair = SUPPLIER) -> list[dict[str, Any]]:
        return self.data.access_log(owner, fp)

    def grant(self, fp: bytes, reader: Keypair, seconds: int = HOUR) -> None:
        """SUPPLIER (the owner in these tests) grants `reader` a read of `fp` for `seconds` of chain time."""
        self.transact(SUPPLIER, "grant_read", fp, reader.address, self.now() + seconds, "testing")


@contextmanager
def serve(service: NodeService, artifact: Artifact) -> Iterator[Node]:
    bugs = Bugs()
    logger = logging.getLogger("contractvm.node")
    logger.addHandler(bugs)
    background = BackgroundNode(service).start()
    client = Client(background.url, timeout=10)
    try:
        yield Node(background.url, client, DataClient(client), service, artifact)
    finally:
        client.close()
        background.stop()
        logger.removeHandler(bugs)
    assert not bugs.records, [r.getMessage() for r in bugs.records]


def deploy_access(node: Node, *, gas_limit: int = 5_000_000) -> str:
    """Deploy DataAccess as OPERATOR and appoint the development data-service key as a server."""
    receipt = node.client.deploy(OPERATOR, node.artifact.bytecode, gas_limit=gas_limit)
    assert receipt.success and receipt.contract_address is not None, receipt.error
    node.access = receipt.contract_address
    node.transact(OPERATOR, "add_server", service_keypair().address, gas_limit=gas_limit)
    return node.access


@pytest.fixture
def node(access_artifact: Artifact) -> Iterator[Node]:
    with serve(NodeService(Chain.memory), access_artifact) as served:
        deploy_access(served)
        yield served


def expect_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert ERROR_CODES[code][0] == status
    return str(body["error"]["message"])


def client_error(call: Callable[[], object], status: int | None, code: str) -> str:
    """The message of the ClientError `call` raises (status None: raised by the client itself)."""
    with pytest.raises(ClientError) as info:
        call()
    assert (info.value.status, info.value.code) == (status, code), info.value
    return info.value.message


def accessed(node: Node) -> list[dict[str, Any]]:
    """The Accessed events of the node's DataAccess contract, in chain order."""
    return [e.fields for e in node.client.events(node.access, "Accessed")]


def stored(node: Node, fp: bytes) -> bytes:
    raw = node.on_chain_thread(node.service.data.objects.get, fp)
    assert isinstance(raw, bytes)
    return raw


def tamper(node: Node, fp: bytes, change: Callable[[bytes], bytes]) -> None:
    """Rewrite the bytes the node stores under `fp`, straight into its object store, on the chain thread
    (`change` runs there: it must not wait for the chain thread itself)."""
    objects = node.service.data.objects

    def rewrite() -> None:
        raw = objects.get(fp)
        assert raw is not None
        with objects.store.write() as batch:
            batch.put("objects", fp, change(raw))

    node.on_chain_thread(rewrite)


def flip_last(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


# ------------------------------------------------------------------------------------------- open data


def test_open_data_is_served_to_any_signer_and_every_access_is_on_chain(node: Node) -> None:
    published = node.data.publish(SUPPLIER, b'{"traffic": 1234}', closed=False, access=node.access)
    fp, text = published.fingerprint, "0x" + published.fingerprint.hex()
    assert published.data_key is None and published.receipt.success
    assert published.info == {"fingerprint": text, "closed": False, "size": len(stored(node, fp)),
                              "owner": address_to_text(SUPPLIER.address), "access": node.access,
                              "stored_at": published.info["stored_at"]}
    assert node.view("owner_of", fp) == address_to_text(SUPPLIER.address) and node.view("is_closed", fp) is False

    # Anyone may read open data, but only on a signed request: every access is accounted to an account.
    expect_error(node.request("GET", f"/v1/data/{text}"), 401, "unauthorized")
    first = node.data.fetch(OTHER, fp)
    signed = node.data.fetch(BUYER, fp)
    assert first.payload == signed.payload == b'{"traffic": 1234}'
    assert (first.closed, first.access_id, signed.access_id) == (False, 1, 2)

    # On chain: who, what, which server.
    events = accessed(node)
    assert [(e["id"], e["reader"], e["fingerprint"], e["closed"]) for e in events] == [
        (1, address_to_text(OTHER.address), text, False), (2, address_to_text(BUYER.address), text, False)]
    assert {e["server"] for e in events} == {address_to_text(service_keypair().address)}
    assert {e["owner"] for e in events} == {address_to_text(SUPPLIER.address)}
    assert node.view("access_count", fp) == 2 and node.view("reads_by", BUYER.address) == 1
    assert node.view("total_accesses") == 2
    record = node.view("access", 2)
    assert record["reader"] == address_to_text(BUYER.address) and record["fingerprint"] == text
    # The access tx a download names is the one that recorded it.
    receipt = node.client.receipt(signed.access_tx)
    assert receipt.success and receipt.return_value == 2 and [e.name for e in receipt.events] == ["Accessed"]
    assert events[1]["at"] == node.client.block(receipt.block_height).timestamp  # when: the block's time

    # The node's own log (its owner's to read): newest first, both served, with the tx that recorded each.
    log = node.log(fp)
    assert [(e["outcome"], e["reader"], e["access_id"]) for e in log] == [
        ("served", address_to_text(BUYER.address), 2), ("served", address_to_text(OTHER.address), 1)]
    assert log[0]["tx_hash"] == signed.access_tx and log[1]["tx_hash"] == first.access_tx
    message = client_error(lambda: node.data.access_log(BUYER, fp), 403, "forbidden")
    assert "only the owner" in message
    expect_error(node.request("GET", f"/v1/data/{text}/log"), 401, "unauthorized")
    assert node.data.info(fp)["accesses"] == 2


def test_downloads_beyond_the_rates_are_refused_logged_and_never_recorded(access_artifact: Artifact) -> None:
    service = NodeService(Chain.memory, download_rate=Rate(2, 3600), node_download_rate=Rate(3, 3600))
    with serve(service, access_artifact) as node:
        deploy_access(node)
        fp = node.data.publish(SUPPLIER, b"readings", closed=False, access=node.access).fingerprint
        text = "0x" + fp.hex()
        assert [node.data.fetch(BUYER, fp).access_id for _ in range(2)] == [1, 2]
        response = node.request("GET", f"/v1/data/{text}", signer=BUYER)
        message = expect_error(response, 429, "rate_limited")
        assert 1790 <= int(response.headers["Retry-After"]) <= 1800  # 2/hour: a token comes back every 1800 s
        assert "2/hour per reader, 3/hour in all" in message
        assert f"retry in {response.headers['Retry-After']} s" in message
        assert node.data.fetch(OTHER, fp).access_id == 3  # another reader: its own allowance...
        message = client_error(lambda: node.data.fetch(REGULATOR, fp), 429, "rate_limited")  # but not the node's
        assert "retry in" in message
        assert len(accessed(node)) == 3  # nothing refused was recorded on chain
        log = node.log(fp)
        assert [(e["outcome"], e["reader"]) for e in log[:2]] == [
            ("refused", address_to_text(REGULATOR.address)), ("served", address_to_text(OTHER.address))]
        assert "too many downloads" in log[0]["reason"]


def test_a_publication_cut_short_after_registering_resumes_without_registering_again(node: Node) -> None:
    envelope = wrap_open(b"counts")
    node.transact(SUPPLIER, "register", envelope.fingerprint, False)  # registered, then the upload never came
    published = node.data.publish_envelope(SUPPLIER, envelope, None, node.access)
    assert published.receipt is None and published.info["fingerprint"] == "0x" + envelope.fingerprint.hex()
    assert node.data.fetch(BUYER, envelope.fingerprint).payload == b"counts"
    # Someone else's registration is not taken over: registering again fails as it should.
    other = wrap_open(b"theirs")
    node.transact(OTHER, "register", other.fingerprint, False)
    message = client_error(lambda: node.data.publish_envelope(SUPPLIER, other, None, node.access), None,
                           "register_failed")
    assert "already registered" in message


def test_download_headers_name_the_recorded_access(node: Node) -> None:
    published = node.data.publish(SUPPLIER, b"counts", closed=False, access=node.access)
    response = node.request("GET", f"/v1/data/0x{published.fingerprint.hex()}", signer=BUYER)
    assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
    assert response.content == stored(node, published.fingerprint)
    assert Envelope.decode(response.content).payload() == b"counts"
    assert response.headers["x-access-id"] == "1" and response.headers["x-object-closed"] == "false"
    receipt = node.client.receipt(response.headers["x-access-tx"])
    assert receipt.block_height == int(response.headers["x-access-block"]) and receipt.return_value == 1


# ----------------------------------------------------------------------------------------- closed data


def test_closed_data_is_served_only_under_a_valid_grant(node: Node) -> None:
    payload = b"air quality, district 4: 17 ug/m3"
    published = node.data.publish(SUPPLIER, payload, closed=True, access=node.access)
    fp, key = published.fingerprint, published.data_key
    assert key is not None and published.info["closed"] is True
    assert payload not in stored(node, fp)  # the node never sees the payload in clear
    buyer = address_to_text(BUYER.address)

    # No grant: refused, with the reader named; nothing is recorded on chain.
    message = client_error(lambda: node.data.fetch(BUYER, fp), 403, "forbidden")
    assert buyer in message and "no valid read grant" in message
    message = expect_error(node.request("GET", f"/v1/data/0x{fp.hex()}", signer=BUYER), 403, "forbidden")
    assert message.startswith(f"{buyer} holds no valid read grant for the closed object 0x{fp.hex()}")
    expect_error(node.request("GET", f"/v1/data/0x{fp.hex()}"), 401, "unauthorized")  # closed: signed only
    assert accessed(node) == []

    # Granted, but no key deposited yet.
    node.grant(fp, BUYER)
    message = client_error(lambda: node.data.fetch(BUYER, fp), 404, "key_not_found")
    assert buyer in message

    digest = node.data.deliver_key(SUPPLIER, fp, key, BUYER.public_key)
    sealed = node.on_chain_thread(node.service.data.objects.get_key, fp, BUYER.address)
    assert digest == hashlib.sha256(sealed).digest() and len(sealed) == SEALED_KEY_SIZE
    fetched = node.data.fetch(BUYER, fp)
    assert fetched.payload == payload and fetched.closed and fetched.access_id == 1

    # The grant expires: refused again, the key included.
    node.advance(HOUR + 1)
    client_error(lambda: node.data.fetch(BUYER, fp), 403, "forbidden")
    expect_error(node.request("GET", f"/v1/data/0x{fp.hex()}", signer=BUYER), 403, "forbidden")

    # Granted again, then revoked: refused.
    node.grant(fp, BUYER)
    assert node.data.fetch(BUYER, fp).access_id == 2
    node.transact(SUPPLIER, "revoke_read", fp, BUYER.address)
    client_error(lambda: node.data.fetch(BUYER, fp), 403, "forbidden")
    expect_error(node.request("GET", f"/v1/data/0x{fp.hex()}", signer=BUYER), 403, "forbidden")

    # On chain: exactly the two accesses served, to the buyer, as closed reads.
    assert [(e["id"], e["reader"], e["closed"]) for e in accessed(node)] == [(1, buyer, True), (2, buyer, True)]
    assert node.view("access_count", fp) == 2
    # The node's log: every attempt, refusals with their reason (a refused data key too: the client asks for the
    # key before the object).
    log = node.log(fp)
    outcomes = [(e["outcome"], e["reader"], "data key" in e.get("reason", "")) for e in reversed(log)]
    assert outcomes == [
        ("refused", buyer, True), ("refused", buyer, False),  # no grant (unsigned: refused before the log)
        ("served", buyer, False),
        ("refused", buyer, True), ("refused", buyer, False),  # expired
        ("served", buyer, False),
        ("refused", buyer, True), ("refused", buyer, False),  # revoked
    ]
    refused = [e for e in log if e["outcome"] == "refused"]
    assert all("access_id" not in e and "tx_hash" not in e for e in refused)
    assert all("no valid read grant" in e["reason"] for e in refused if e["reader"] == buyer)
    assert [e["access_id"] for e in log if e["outcome"] == "served"] == [2, 1]


def test_the_owner_reads_its_own_closed_data_without_a_grant(node: Node) -> None:
    published = node.data.publish(SUPPLIER, b"mine", closed=True, access=node.access)
    assert published.data_key is not None
    node.data.deliver_key(SUPPLIER, published.fingerprint, published.data_key, SUPPLIER.public_key)
    fetched = node.data.fetch(SUPPLIER, published.fingerprint)
    assert fetched.payload == b"mine"
    assert accessed(node)[0]["reader"] == address_to_text(SUPPLIER.address)


def test_keys_are_deposited_by_the_owner_only_and_fetched_by_their_reader_only(node: Node) -> None:
    published = node.data.publish(SUPPLIER, b"secret", closed=True, access=node.access)
    fp, key = published.fingerprint, published.data_key
    assert key is not None
    sealed = seal_data_key(fp, key, BUYER.public_key)
    path = f"/v1/data/0x{fp.hex()}/keys/{address_to_text(BUYER.address)}"

    message = expect_error(node.request("PUT", path, signer=OTHER, body=sealed), 403, "forbidden")
    assert address_to_text(SUPPLIER.address) in message
    expect_error(node.request("PUT", path, body=sealed), 401, "unauthorized")
    expect_error(node.request("PUT", path, signer=SUPPLIER, body=sealed[:-1]), 400, "bad_object")
    assert node.on_chain_thread(node.service.data.objects.get_key, fp, BUYER.address) is None

    answer = node.request("PUT", path, signer=SUPPLIER, body=sealed)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"fingerprint": "0x" + fp.hex(), "reader": address_to_text(BUYER.address),
                             "sealed_key_digest": "0x" + hashlib.sha256(sealed).hexdigest()}

    # Only a granted reader fetches it, and only the key sealed to itself.
    key_path = f"/v1/data/0x{fp.hex()}/key"
    expect_error(node.request("GET", key_path, signer=BUYER), 403, "forbidden")
    expect_error(node.request("GET", key_path), 401, "unauthorized")
    node.grant(fp, BUYER)
    node.grant(fp, OTHER)
    response = node.request("GET", key_path, signer=BUYER)
    assert response.status_code == 200 and response.content == sealed
    assert open_data_key(response.content, BUYER.seed, fp) == key
    expect_error(node.request("GET", key_path, signer=OTHER), 404, "key_not_found")

    # Open data has no key to deposit.
    open_fp = node.data.publish(SUPPLIER, b"public", closed=False, access=node.access).fingerprint
    message = expect_error(node.request("PUT", f"/v1/data/0x{open_fp.hex()}/keys/{address_to_text(BUYER.address)}",
                                        signer=SUPPLIER, body=seal_data_key(open_fp, key, BUYER.public_key)),
                           400, "bad_object")
    assert "open data" in message
    expect_error(node.request("PUT", f"/v1/data/0x{'00' * 32}/keys/{address_to_text(BUYER.address)}",
                              signer=SUPPLIER, body=sealed), 404, "object_not_found")


# --------------------------------------------------------------------------------------------- uploads


def register(node: Node, owner: Keypair, envelope: Envelope) -> None:
    node.transact(owner, "register", envelope.fingerprint, envelope.closed)


def upload(node: Node, signer: Keypair | None, envelope: Envelope, access: str | None = None) -> httpx.Response:
    return node.request("POST", f"/v1/data?access={access or node.access}", signer=signer, body=envelope.encode())


def test_uploads_only_of_what_the_chain_registers_to_the_signer(node: Node) -> None:
    envelope = wrap_open(b"reading")
    fp = "0x" + envelope.fingerprint.hex()

    message = expect_error(upload(node, SUPPLIER, envelope), 403, "forbidden")
    assert f"{fp} is not registered in {node.access}" in message

    register(node, SUPPLIER, envelope)
    message = expect_error(upload(node, OTHER, envelope), 403, "forbidden")
    assert (f"only the registered owner {address_to_text(SUPPLIER.address)} may upload {fp}, "
            f"not {address_to_text(OTHER.address)}") == message
    expect_error(upload(node, None, envelope), 401, "unauthorized")
    assert node.on_chain_thread(node.service.data.objects.count) == 0

    created = upload(node, SUPPLIER, envelope)
    assert created.status_code == 201 and created.json()["fingerprint"] == fp
    again = upload(node, SUPPLIER, envelope)
    assert again.status_code == 200 and again.json() == created.json()  # the same bytes: a no-op


def test_an_upload_of_the_other_kind_is_refused(node: Node) -> None:
    closed, _ = wrap_closed(b"reading")
    node.transact(SUPPLIER, "register", closed.fingerprint, False)  # registered open, uploaded closed
    message = expect_error(upload(node, SUPPLIER, closed), 400, "bad_object")
    assert "registers" in message and "as open data, but the upload is closed" in message
    opened = wrap_open(b"reading")
    node.transact(SUPPLIER, "register", opened.fingerprint, True)
    message = expect_error(upload(node, SUPPLIER, opened), 400, "bad_object")
    assert "as closed data, but the upload is open" in message
    assert node.on_chain_thread(node.service.data.objects.count) == 0


def test_malformed_conflicting_and_misdirected_uploads_are_refused(node: Node) -> None:
    envelope, key = wrap_closed(b"reading", salt=bytes(32), nonce=bytes(24))
    register(node, SUPPLIER, envelope)
    assert upload(node, SUPPLIER, envelope).status_code == 201
    # Another nonce: the same fingerprint, other bytes.
    other, _ = wrap_closed(b"reading", data_key=key, salt=bytes(32), nonce=b"\x01" * 24)
    assert other.fingerprint == envelope.fingerprint
    expect_error(upload(node, SUPPLIER, other), 409, "object_conflict")
    assert stored(node, envelope.fingerprint) == envelope.encode()

    bad = node.request("POST", f"/v1/data?access={node.access}", signer=SUPPLIER, body=b"CVMD\x01")
    assert "bad magic or too short" in expect_error(bad, 400, "bad_object")
    opened = wrap_open(b"x")
    register(node, SUPPLIER, opened)
    damaged = node.request("POST", f"/v1/data?access={node.access}", signer=SUPPLIER,
                           body=flip_last(opened.encode()))
    assert "does not match its fingerprint" in expect_error(damaged, 400, "bad_object")

    nowhere = address_to_text(dev_keypair(9).address)
    expect_error(upload(node, SUPPLIER, opened, access=nowhere), 404, "contract_not_found")
    expect_error(node.request("POST", "/v1/data", signer=SUPPLIER, body=opened.encode()), 400, "bad_parameter")


def test_unknown_objects_and_bad_fingerprints(node: Node) -> None:
    unknown = "0x" + "ab" * 32
    for path in (f"/v1/data/{unknown}", f"/v1/data/{unknown}/info", f"/v1/data/{unknown}/log"):
        expect_error(node.request("GET", path, signer=BUYER), 404, "object_not_found")
    expect_error(node.request("GET", f"/v1/data/{unknown}/key", signer=BUYER), 404, "object_not_found")
    for bad in ("0x1234", "zz" * 32, "ab" * 33):
        expect_error(node.request("GET", f"/v1/data/{bad}"), 400, "bad_hex")


# ------------------------------------------------------------------------------------- signed requests


def test_a_signed_request_is_accepted_once(node: Node) -> None:
    fp = node.data.publish(SUPPLIER, b"counts", closed=False, access=node.access).fingerprint
    path = f"/v1/data/0x{fp.hex()}"
    header = sign_request(BUYER, node.client.chain_id(), "GET", path, b"", int(time.time()))
    first = httpx.get(node.url + path, headers={"Authorization": header}, timeout=10)
    assert first.status_code == 200
    message = expect_error(httpx.get(node.url + path, headers={"Authorization": header}, timeout=10), 401,
                           "unauthorized")
    assert "already used" in message
    assert node.view("access_count", fp) == 1  # the replay was neither served nor accounted


def test_a_request_signed_for_something_else_is_refused(node: Node) -> None:
    envelope = wrap_open(b"reading")
    register(node, SUPPLIER, envelope)
    target = f"/v1/data?access={node.access}"
    other_body = wrap_open(b"other").encode()
    for response in (
        node.request("POST", target, signer=SUPPLIER, body=envelope.encode(), signed_body=other_body),
        node.request("POST", target, signer=SUPPLIER, body=envelope.encode(), signed_path="/v1/data"),
        node.request("POST", target, signer=SUPPLIER, body=envelope.encode(),
                     signed_path=f"/v1/data?access={address_to_text(dev_keypair(9).address)}"),
    ):
        assert "does not verify" in expect_error(response, 401, "unauthorized")
    assert node.on_chain_thread(node.service.data.objects.count) == 0

    published = node.data.publish(SUPPLIER, b"secret", closed=True, access=node.access)
    node.grant(published.fingerprint, BUYER)
    path = f"/v1/data/0x{published.fingerprint.hex()}"
    moved = node.request("GET", path, signer=BUYER, signed_path=path + "/key")
    expect_error(moved, 401, "unauthorized")
    other_chain = sign_request(BUYER, node.client.chain_id() + 1, "GET", path, b"", int(time.time()))
    expect_error(httpx.get(node.url + path, headers={"Authorization": other_chain}, timeout=10), 401, "unauthorized")
    stale = sign_request(BUYER, node.client.chain_id(), "GET", path, b"", int(time.time()) - 3_600)
    assert "more than 300 s" in expect_error(httpx.get(node.url + path, headers={"Authorization": stale},
                                                       timeout=10), 401, "unauthorized")
    garbled = httpx.get(node.url + path, headers={"Authorization": "CVM-Ed25519 key=00"}, timeout=10)
    expect_error(garbled, 401, "unauthorized")
    assert accessed(node) == []


# ------------------------------------------------------------------------------------- access recording


def test_a_node_whose_service_key_is_not_a_server_serves_nothing(access_artifact: Artifact) -> None:
    stranger = dev_keypair(8)
    with serve(NodeService(Chain.memory, service_key=stranger), access_artifact) as node:
        deploy_access(node)  # appoints the development service key, not this node's
        published = node.data.publish(SUPPLIER, b"counts", closed=False, access=node.access)
        fp = published.fingerprint
        response = node.request("GET", f"/v1/data/0x{fp.hex()}", signer=OTHER)
        message = expect_error(response, 503, "access_not_recorded")
        assert address_to_text(stranger.address) in message and "role server" in message
        client_error(lambda: node.data.fetch(BUYER, fp), 503, "access_not_recorded")
        assert node.view("access_count", fp) == 0 and accessed(node) == []
        log = node.log(fp)
        assert [(e["outcome"], e["reader"]) for e in log] == [("refused", address_to_text(BUYER.address)),
                                                             ("refused", address_to_text(OTHER.address))]
        assert all("could not be recorded on chain" in e["reason"] for e in log)

        # Appointed: served from then on.
        node.transact(OPERATOR, "add_server", stranger.address)
        assert node.data.fetch(BUYER, fp).access_id == 1
        assert accessed(node)[0]["server"] == address_to_text(stranger.address)


def test_an_access_the_chain_rejects_outright_is_refused_and_logged(access_artifact: Artifact) -> None:
    """The record transaction cannot even enter a block (its gas limit exceeds the block's): not served."""
    small = Genesis.dev(block_gas_limit=500_000)
    with serve(NodeService(lambda: Chain.memory(small)), access_artifact) as node:
        deploy_access(node, gas_limit=400_000)
        envelope = wrap_open(b"counts")
        node.transact(SUPPLIER, "register", envelope.fingerprint, False, gas_limit=400_000)
        assert upload(node, SUPPLIER, envelope).status_code == 201
        message = expect_error(node.request("GET", f"/v1/data/0x{envelope.fingerprint.hex()}", signer=BUYER), 503,
                               "access_not_recorded")
        assert "could not be recorded on chain" in message
        log = node.log(envelope.fingerprint)
        assert [e["outcome"] for e in log] == ["refused"] and "exceeds the block gas limit" in log[0]["reason"]


# --------------------------------------------------------------------------------------------- tampering


def test_tampered_stored_bytes_are_caught_by_the_reader(node: Node) -> None:
    opened = node.data.publish(SUPPLIER, b"public counts", closed=False, access=node.access)
    closed = node.data.publish(SUPPLIER, b"secret reading", closed=True, access=node.access)
    assert closed.data_key is not None
    node.data.deliver_key(SUPPLIER, closed.fingerprint, closed.data_key, BUYER.public_key)
    node.grant(closed.fingerprint, BUYER)
    assert node.data.fetch(BUYER, closed.fingerprint).payload == b"secret reading"

    tamper(node, opened.fingerprint, flip_last)
    tamper(node, closed.fingerprint, flip_last)
    for reader, fp in ((OTHER, opened.fingerprint), (BUYER, opened.fingerprint), (BUYER, closed.fingerprint)):
        message = client_error(functools.partial(node.data.fetch, reader, fp), None, "tampered")
        assert "altered" in message or "does not decrypt" in message


def test_an_object_served_under_another_fingerprint_is_caught(node: Node) -> None:
    first = node.data.publish(SUPPLIER, b"first", closed=False, access=node.access)
    second = node.data.publish(SUPPLIER, b"second", closed=False, access=node.access)
    first_bytes = stored(node, first.fingerprint)
    tamper(node, second.fingerprint, lambda _: first_bytes)
    message = client_error(lambda: node.data.fetch(BUYER, second.fingerprint), None, "tampered")
    assert f"asked for 0x{second.fingerprint.hex()}, the node served 0x{first.fingerprint.hex()}" == message


# ----------------------------------------------------------------------------------------- persistence


def test_objects_keys_and_log_survive_a_restart(tmp_path: Path, access_artifact: Artifact) -> None:
    def start() -> NodeService:
        return NodeService(lambda: Chain.open(tmp_path / "chain"),
                           open_objects=lambda: ObjectStore.open(tmp_path / "objects"))

    with serve(start(), access_artifact) as node:
        deploy_access(node)
        published = node.data.publish(SUPPLIER, b"kept across restarts", closed=True, access=node.access)
        assert published.data_key is not None
        node.data.deliver_key(SUPPLIER, published.fingerprint, published.data_key, BUYER.public_key)
        node.grant(published.fingerprint, BUYER, seconds=100 * HOUR)
        assert node.data.fetch(BUYER, published.fingerprint).access_id == 1
        client_error(lambda: node.data.fetch(OTHER, published.fingerprint), 403, "forbidden")
        access, info = node.access, node.data.info(published.fingerprint)
        log = node.log(published.fingerprint)
    assert (tmp_path / "objects").is_dir() and any((tmp_path / "objects").iterdir())

    with serve(start(), access_artifact) as node:
        node.access = access
        assert node.data.info(published.fingerprint) == info
        assert node.log(published.fingerprint) == log
        fetched = node.data.fetch(BUYER, published.fingerprint)
        assert fetched.payload == b"kept across restarts" and fetched.access_id == 2
        assert [e["seq"] for e in node.log(published.fingerprint)] == [3, 2, 1]
        assert [e["id"] for e in accessed(node)] == [1, 2]


# ------------------------------------------------------------------------------------------ properties


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=2_000), closed=st.booleans())
def test_any_payload_comes_back_as_published(node: Node, payload: bytes, closed: bool) -> None:
    published = node.data.publish(SUPPLIER, payload, closed=closed, access=node.access)
    if closed:
        assert published.data_key is not None
        node.grant(published.fingerprint, BUYER)
        node.data.deliver_key(SUPPLIER, published.fingerprint, published.data_key, BUYER.public_key)
    before = node.view("access_count", published.fingerprint)
    assert node.data.fetch(BUYER, published.fingerprint).payload == payload
    assert node.view("access_count", published.fingerprint) == before + 1


# ------------------------------------------------------------------------------------------- tracing


SERVER = "http://127.0.0.1:9"  # an information server nobody answers at: tests never leave the machine


@dataclass
class Trace:
    node: Node
    contract: str
    program: Program

    def call(self, signer: Keypair, function: str, *args: object) -> Receipt:
        return self.node.transact(signer, function, *args, contract=self.contract, program=self.program)

    def hop(self, sender: Keypair, object_id: bytes, data_hash: bytes, transfer_in: Keypair,
            server: str = SERVER, quantity: int = 500, location: str = "farm 12") -> int:
        """Record a hop as the contract expects: the record hash signed with the sender's registered key."""
        previous = self.node.view("latest_of", object_id, contract=self.contract)
        packed = (address_from_text(self.contract) + object_id + server.encode() + data_hash + sender.address
                  + transfer_in.address + quantity.to_bytes(8, "big") + hashlib.sha256(location.encode()).digest()
                  + previous.to_bytes(8, "big"))
        record_hash = hashlib.sha256(packed).digest()
        receipt = self.call(sender, "record", object_id, server, data_hash, transfer_in.address, quantity, location,
                            sender.sign(record_hash))
        return int(receipt.return_value)

    def publish(self, owner: Keypair, document: str) -> Published:
        return self.node.data.publish(owner, document.encode(), closed=False, access=self.node.access)


@pytest.fixture
def trace(node: Node, trace_artifact: Artifact) -> Trace:
    receipt = node.client.deploy(OPERATOR, trace_artifact.bytecode, (1,))
    assert receipt.success and receipt.contract_address is not None
    trace = Trace(node, receipt.contract_address, trace_artifact.program)
    for participant in (SUPPLIER, BUYER, SHOP):
        trace.call(OPERATOR, "register_participant", participant.address, participant.public_key)
    trace.call(OPERATOR, "add_regulator", REGULATOR.address)
    return trace


LOT = hashlib.sha256(b"lot:apples-001").digest()


def test_a_traced_history_verifies_record_by_record(trace: Trace) -> None:
    documents = ['{"origin": "farm 12", "harvested": "2026-05-01"}', '{"packed": "crate 7"}',
                 '{"shelved": "store 3"}']
    hops = [(SUPPLIER, BUYER), (BUYER, SHOP), (SHOP, OPERATOR)]
    handed = [(500, "farm 12"), (480, "packing house"), (480, "store 3")]  # 20 lost in packing
    ids = []
    for (sender, receiver), document, (quantity, place) in zip(hops, documents, handed, strict=True):
        data_hash = trace.publish(sender, document).fingerprint
        ids.append(trace.hop(sender, LOT, data_hash, receiver, quantity=quantity, location=place))
        trace.call(REGULATOR, "confirm", ids[-1])

    history = trace.node.data.trace(trace.contract, LOT)
    assert history["verified"] is True and history["problems"] == []
    assert history["object_id"] == "0x" + LOT.hex() and history["contract"] == trace.contract
    records = history["records"]
    assert [r["id"] for r in records] == list(reversed(ids))  # newest first
    assert [r["data"] for r in records] == [{"shelved": "store 3"}, {"packed": "crate 7"},
                                            {"origin": "farm 12", "harvested": "2026-05-01"}]
    assert [(r["transfer_out"], r["transfer_in"]) for r in records] == [
        (address_to_text(s.address), address_to_text(r.address)) for s, r in reversed(hops)]
    for record in records:
        assert record["accepted"] is True and record["confirmations"] == 1 and record["server"] == SERVER
        assert all(record["checks"].values()), record["checks"]
        assert set(record["checks"]) >= {"record_hash", "signature", "data"}
        assert record["data_check"] == "re-hashed: matches data_hash"
    assert [("linked" in r["checks"]) for r in records] == [True, True, False]
    assert [(r["quantity"], r["location"]) for r in records] == list(reversed(handed))
    assert [("quantity" in r["checks"]) for r in records] == [True, True, False]  # no more than the hop before


def test_a_record_whose_data_this_node_lacks_does_not_verify(trace: Trace) -> None:
    first = trace.hop(SUPPLIER, LOT, trace.publish(SUPPLIER, '{"origin": "farm 12"}').fingerprint, BUYER)
    elsewhere = hashlib.sha256(b"kept on another information server").digest()
    second = trace.hop(BUYER, LOT, elsewhere, SHOP)

    history = trace.node.data.trace(trace.contract, LOT)
    assert history["verified"] is False
    assert history["problems"] == [f"record {second}: data"]
    newest, oldest = history["records"]
    assert (newest["id"], oldest["id"]) == (second, first)
    assert newest["checks"]["data"] is False and newest["data"] is None
    assert "not stored on this node" in newest["data_check"] and SERVER in newest["data_check"]
    assert newest["checks"]["record_hash"] and newest["checks"]["signature"] and newest["checks"]["linked"]
    assert all(oldest["checks"].values())


def test_traceability_data_altered_on_the_node_does_not_verify(trace: Trace) -> None:
    genuine = trace.publish(SUPPLIER, '{"origin": "farm 12"}')
    other = trace.publish(SUPPLIER, '{"origin": "elsewhere"}')
    record = trace.hop(SUPPLIER, LOT, genuine.fingerprint, BUYER)
    original = stored(trace.node, genuine.fingerprint)
    assert trace.node.data.trace(trace.contract, LOT)["verified"] is True

    # Another valid open object put in its place: it checks against its own fingerprint, not the data hash.
    other_bytes = stored(trace.node, other.fingerprint)
    tamper(trace.node, genuine.fingerprint, lambda _: other_bytes)
    history = trace.node.data.trace(trace.contract, LOT)
    assert history["verified"] is False and history["problems"] == [f"record {record}: data"]
    assert history["records"][0]["data"] is None

    tamper(trace.node, genuine.fingerprint, lambda _: flip_last(original))  # a flipped byte
    history = trace.node.data.trace(trace.contract, LOT)
    assert history["problems"] == [f"record {record}: data"]
    assert "altered" in history["records"][0]["data_check"]


def test_a_merged_object_is_traced_back_through_every_parent(trace: Trace) -> None:
    crates = [hashlib.sha256(b"crate %d" % i).digest() for i in range(2)]
    pallet = hashlib.sha256(b"pallet of both crates").digest()
    firsts = [trace.hop(SUPPLIER, crate, trace.publish(SUPPLIER, f'{{"crate": {i}}}').fingerprint, BUYER)
              for i, crate in enumerate(crates)]
    trace.call(BUYER, "merge", tuple(crates), pallet)  # the buyer holds both crates, so it may merge them
    last = trace.hop(BUYER, pallet, trace.publish(BUYER, '{"pallet": "to the shop"}').fingerprint, SHOP)

    history = trace.node.data.trace(trace.contract, pallet)
    assert history["verified"] is True and history["complete"] is True, history["problems"]
    assert [r["id"] for r in history["records"]] == [last, *firsts]
    assert history["lineage"] == [{"object_id": "0x" + pallet.hex(),
                                   "derived_from": ["0x" + c.hex() for c in crates]}]
    assert history["records"][0]["checks"]["linked"] is True  # handed over by the holder of both crates


def test_a_history_longer_than_the_contracts_bounded_walk_is_traced_whole(trace: Trace) -> None:
    data_hash = trace.publish(SUPPLIER, '{"shuttle": "between two warehouses"}').fingerprint
    parties = (SUPPLIER, BUYER)
    ids = [trace.hop(parties[i % 2], LOT, data_hash, parties[(i + 1) % 2]) for i in range(20)]
    assert len(trace.node.view("trace_back", LOT, contract=trace.contract)) == 16  # the contract's own bound
    history = trace.node.data.trace(trace.contract, LOT)
    assert history["complete"] is True and history["verified"] is True
    assert [r["id"] for r in history["records"]] == list(reversed(ids))


def test_data_kept_by_another_information_server_is_fetched_from_it_and_re_hashed(
        trace: Trace, access_artifact: Artifact) -> None:
    with serve(NodeService(Chain.memory), access_artifact) as other:  # another node: the information server
        deploy_access(other)
        kept = other.data.publish(SUPPLIER, b'{"origin": "farm 12"}', closed=False, access=other.access)
        first = trace.hop(SUPPLIER, LOT, kept.fingerprint, BUYER, server=other.url)

        history = trace.node.data.trace(trace.contract, LOT)
        assert history["verified"] is True, history["problems"]
        record = history["records"][0]
        assert record["id"] == first and record["data"] == {"origin": "farm 12"}
        assert record["data_source"] == other.url and record["data_check"].startswith(f"fetched from {other.url}")
        # The information server accounted the fetch like any access: to this node's service account.
        assert [e["reader"] for e in accessed(other)] == [address_to_text(service_keypair().address)]

        tamper(other, kept.fingerprint, flip_last)  # the server now sends altered bytes
        history = trace.node.data.trace(trace.contract, LOT)
        assert history["verified"] is False and history["problems"] == [f"record {first}: data"]
        assert "altered" in history["records"][0]["data_check"]


def test_an_information_server_that_cannot_be_reached_leaves_the_record_unverified(trace: Trace) -> None:
    elsewhere = hashlib.sha256(b"kept elsewhere").digest()
    record = trace.hop(SUPPLIER, LOT, elsewhere, BUYER)
    history = trace.node.data.trace(trace.contract, LOT)
    assert history["verified"] is False and history["problems"] == [f"record {record}: data"]
    assert "could not be reached" in history["records"][0]["data_check"]


class Hostile(http.server.BaseHTTPRequestHandler):
    """An information server that answers every data request with more than a node takes."""

    def do_GET(self) -> None:
        kind = self.path.rsplit("/", 1)[-1][2:4]  # the data hash's first byte says how to misbehave
        if kind == "01":  # no length given, then more bytes than the cap, streamed
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * (1 << 20)
            for _ in range(remote.MAX_DATA // len(chunk) + 2):
                self.wfile.write(chunk)
        elif kind == "02":  # a length far past the cap, declared up front
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 40))
            self.end_headers()
            self.wfile.write(b"x" * 1000)
        else:  # an error with a long body
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"e" * (1 << 20))

    def log_message(self, *args: object) -> None:
        pass


def test_an_information_server_cannot_make_the_node_hold_more_than_the_cap(trace: Trace) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for kind, expected in ((1, "larger than"), (2, "larger than"), (3, "answered 500: an answer too long")):
            lot = hashlib.sha256(b"lot %d" % kind).digest()
            trace.hop(SUPPLIER, lot, bytes([kind]) + bytes(31), BUYER, server=url)
            history = trace.node.data.trace(trace.contract, lot)
            assert history["verified"] is False and expected in history["records"][0]["data_check"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_record_signed_with_a_key_since_replaced_still_verifies(trace: Trace) -> None:
    record = trace.hop(SUPPLIER, LOT, trace.publish(SUPPLIER, '{"origin": "farm 12"}').fingerprint, BUYER)
    replacement = Keypair.from_seed(hashlib.sha256(b"supplier's new key").digest())
    trace.call(OPERATOR, "register_participant", SUPPLIER.address, replacement.public_key)  # key rotation
    history = trace.node.data.trace(trace.contract, LOT)
    assert history["verified"] is True and history["records"][0]["id"] == record
    assert history["records"][0]["checks"]["signature"] is True
    assert trace.node.view("key_of", SUPPLIER.address, contract=trace.contract) == "0x" + replacement.public_key.hex()
    # A signature by no key ever registered for the participant does not count.
    stranger = Keypair.from_seed(hashlib.sha256(b"never registered").digest())
    signed_by = trace.node.service.data._signed_by
    contract = address_from_text(trace.contract)
    assert trace.node.on_chain_thread(signed_by, contract, SUPPLIER.address, b"m", SUPPLIER.sign(b"m")) is True
    assert trace.node.on_chain_thread(signed_by, contract, SUPPLIER.address, b"m", stranger.sign(b"m")) is False


def test_trace_of_an_unknown_object_or_a_non_traceability_contract(trace: Trace) -> None:
    history = trace.node.data.trace(trace.contract, hashlib.sha256(b"never seen").digest())
    assert history["records"] == [] and history["verified"] is False
    response = trace.node.request("GET", f"/v1/trace/0x{LOT.hex()}?contract={trace.node.access}")
    assert "is not a Traceability contract" in expect_error(response, 400, "bad_parameter")
    expect_error(trace.node.request("GET", f"/v1/trace/0x{LOT.hex()}"), 400, "bad_parameter")


def test_with_interval_mining_a_download_is_served_at_once_and_recorded_in_the_next_block(
        access_artifact: Artifact) -> None:
    with serve(NodeService(Chain.memory, block_time=3600), access_artifact) as node:
        program = node.artifact.program

        def mined(signer: Keypair, build: Callable[[TxBuilder, int], Transaction]) -> Receipt:
            tx = build(TxBuilder(signer, node.client.chain_id()), node.client.nonce(signer.address))
            submitted = node.client.send_transaction(tx)
            node.on_chain_thread(lambda: node.service.chain.mine())
            return node.client.receipt(submitted.hash)

        node.access = str(mined(OPERATOR, lambda b, n: b.deploy(node.artifact.bytecode, nonce=n)).contract_address)
        access = address_from_text(node.access)
        envelope = wrap_open(b"counts")
        mined(OPERATOR, lambda b, n: b.call(access, program, "add_server", (service_keypair().address,), nonce=n))
        mined(SUPPLIER, lambda b, n: b.call(access, program, "register", (envelope.fingerprint, False), nonce=n))
        assert upload(node, SUPPLIER, envelope).status_code == 201
        height = node.client.block().height
        response = node.request("GET", f"/v1/data/0x{envelope.fingerprint.hex()}", signer=BUYER)
        assert response.status_code == 200 and response.headers["x-access-block"] == "pending"
        assert node.client.block().height == height  # no block sealed out of schedule
        node.on_chain_thread(lambda: node.service.chain.mine())
        receipt = node.client.receipt(response.headers["x-access-tx"])
        assert receipt.success and receipt.block_height == height + 1 and receipt.return_value == 1
