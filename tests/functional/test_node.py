"""The node's HTTP API, over real HTTP on 127.0.0.1, through the real client (`contractvm.client`).

A node is served by uvicorn in a background thread (`BackgroundNode`) on a free port and always stopped in the
fixture's teardown. Every test also checks, at teardown, that the node logged no unexpected exception: a 500
never happens, whatever the request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from contractvm.chain import keys
from contractvm.chain.accounts import address_from_text, address_to_text, dev_keypair
from contractvm.chain.builder import TxBuilder
from contractvm.chain.chain import Chain
from contractvm.chain.model import Genesis
from contractvm.chain.smt import Proof, verify_proof
from contractvm.client import Client, ClientError, NodeUnreachable
from contractvm.codegen.artifact import Artifact
from contractvm.compiler import compile_file
from contractvm.isa import layout
from contractvm.isa.types import U64
from contractvm.node.data_routes import DATA_ROUTES
from contractvm.node.errors import ERROR_CODES
from contractvm.node.routes import ROUTES
from contractvm.node.server import BackgroundNode, free_port
from contractvm.node.service import NodeService

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
DOCS = Path(__file__).resolve().parents[2] / "docs"
OPERATOR, SUPPLIER, BUYER, REGULATOR = (dev_keypair(i) for i in range(4))
FINGERPRINT = bytes(range(32))

pytestmark = pytest.mark.integration


class Bugs(logging.Handler):
    """Collects what the node logs at ERROR: a 500 (or a failed block) would show here."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Node:
    url: str
    client: Client
    service: NodeService

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.post(self.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def serve(service: NodeService) -> Iterator[Node]:
    bugs = Bugs()
    logger = logging.getLogger("contractvm.node")
    logger.addHandler(bugs)
    background = BackgroundNode(service).start()
    client = Client(background.url, timeout=10)
    try:
        yield Node(background.url, client, service)
    finally:
        client.close()
        background.stop()
        logger.removeHandler(bugs)
    assert not bugs.records, [r.getMessage() for r in bugs.records]


@pytest.fixture
def node() -> Iterator[Node]:
    yield from serve(NodeService(Chain.memory))


@pytest.fixture(scope="module")
def market_artifact() -> Artifact:
    return compile_file(str(CONTRACTS / "data_market.ctr"))


def deploy_market(node: Node, artifact: Artifact) -> str:
    receipt = node.client.deploy(OPERATOR, artifact.bytecode, (REGULATOR.address, 5))
    assert receipt.success, receipt.error
    assert receipt.contract_address is not None
    return receipt.contract_address


# ------------------------------------------------------------------------------------------- happy paths


def test_info_describes_the_chain(node: Node) -> None:
    info = node.client.info()
    assert info.chain_id == 1337
    assert info.head_height == 0
    assert info.genesis_hash == node.client.block(0).hash == info.head_hash
    assert info.authorities == (OPERATOR.public_key,)
    assert info.mining == {"mode": "automine", "block_time": None}
    assert Genesis.from_json(json.dumps(info.raw["genesis"])) == Genesis.dev()


def test_deploy_send_call_receipts_and_events(node: Node, market_artifact: Artifact) -> None:
    client = node.client
    address = deploy_market(node, market_artifact)
    program = client.contract(address, code=True).program
    assert client.contract(address).code_hash.hex() == market_artifact.code_hash

    listed = client.transact(SUPPLIER, address, program, "list", (FINGERPRINT, 1_000))
    assert listed.success and listed.return_value == 0
    (event,) = listed.events
    assert event.name == "Listed"
    assert event.fields == {"id": 0, "owner": address_to_text(SUPPLIER.address),
                            "fingerprint": "0x" + FINGERPRINT.hex(), "price": 1000}
    assert client.transact(REGULATOR, address, program, "certify", (0,)).success
    bought = client.transact(BUYER, address, program, "buy", (0, 30), value=1_000)
    assert bought.success and isinstance(bought.return_value, int)

    # The receipt and transaction read back by hash, decoded.
    again = client.receipt(bought.tx_hash)
    assert again == bought
    tx = client.transaction(bought.tx_hash)
    assert (tx.status, tx.kind, tx.function, tx.args, tx.value) == ("mined", "call", "buy(u64,u64)->u64", [0, 30], 1000)
    assert tx.block_height == bought.block_height and tx.sender == address_to_text(BUYER.address)

    # Views, with JSON arguments typed by the deployed program.
    assert client.call(address, "has_access", [0, address_to_text(BUYER.address)]).return_value is True
    assert client.call(address, "has_access", ["0", "0x" + SUPPLIER.address.hex()]).return_value is False
    offer = client.call(address, "offer", [0]).return_value
    assert offer["status"] == "Certified" and offer["sales"] == 1 and offer["price"] == 1000
    missing = client.call(address, "offer", [9])
    assert (missing.status, missing.error) == ("reverted", "no such offer")

    # Events, filtered and paged.
    names = [e.name for e in client.events(address)]
    assert names == ["RoleGranted", "RoleGranted", "Listed", "Certified", "AccessGranted", "Purchased"]
    assert [e.height for e in client.events(address, "Listed")] == [listed.block_height]
    assert [e.name for e in client.events(name="Purchased")] == ["Purchased"]
    page = client.events_page(address, limit=1)
    assert [e.name for e in page.events] == ["RoleGranted", "RoleGranted"]  # a page never splits a block
    assert page.next_from == 2

    # Accounts.
    buyer = client.account(BUYER.address)
    assert (buyer.nonce, buyer.pending_nonce, buyer.is_contract) == (1, 1, False)
    assert buyer.balance == 10**24 - 1000
    contract = client.account(address)
    assert contract.is_contract and contract.code_hash is not None and contract.balance == 50  # the 5% fee

    # Blocks.
    block = client.block(bought.block_height)
    assert block.hash == bought.block_hash == client.block("latest").hash == client.block(block.hash).hash
    assert [t["hash"] for t in block.transactions] == ["0x" + bought.tx_hash.hex()]


def test_a_revert_points_at_the_contract_line(node: Node, market_artifact: Artifact) -> None:
    address = deploy_market(node, market_artifact)
    program = market_artifact.program
    node.client.transact(SUPPLIER, address, program, "list", (FINGERPRINT, 1_000))
    failed = node.client.transact(BUYER, address, program, "buy", (0, 30), value=1_000)
    assert failed.status == "reverted" and failed.error == "offer not certified" and failed.events == ()
    contract, rest = failed.error_location.split(":")
    function, pc = rest.split("@")
    assert bytes.fromhex(contract) == address_from_text(address) and function == "buy"
    span = market_artifact.span_at(int(pc))
    line = (CONTRACTS / "data_market.ctr").read_text().splitlines()[span.line - 1]
    assert '"offer not certified"' in line


def test_state_and_proof_verify_against_the_block_header(node: Node, market_artifact: Artifact) -> None:
    client = node.client
    address = deploy_market(node, market_artifact)
    raw_address = address_from_text(address)
    before = client.block().height
    client.transact(BUYER, address, market_artifact.program, "list", (FINGERPRINT, 7))

    offer, proven = client.state_var(address, market_artifact.abi, "offers", 0)
    assert offer == (BUYER.address, FINGERPRINT, 7, 0, 0)
    header = client.block(proven.height)
    assert proven.state_root == header.state_root and proven.block_hash == header.hash
    tree_key = keys.tree_key(keys.storage_key(raw_address, proven.key))
    assert verify_proof(header.state_root, tree_key, proven.value, Proof.from_bytes(proven.proof))
    assert proven.verify(header.state_root, raw_address)
    assert not verify_proof(header.state_root, tree_key, b"forged", proven.proof)

    # The same key at the height before the listing: absent, with a valid exclusion proof.
    old = client.state(address, proven.key, before)
    assert old.value is None and old.height == before
    assert verify_proof(client.block(before).state_root, tree_key, None, old.proof)

    # A raw key (the buyer has no grant), and one of the other helpers' keys.
    grant = client.state(address, layout.grant_key("read", U64, 0, BUYER.address))
    assert grant.value is None and grant.verify(client.block().state_root, raw_address)
    next_id, _ = client.state_var(address, market_artifact.abi, "next_id")
    assert next_id == 1


def test_stream_sends_new_blocks_with_their_events(node: Node, market_artifact: Artifact) -> None:
    received: list[object] = []
    ready = threading.Event()

    def listen() -> None:
        with Client(node.url) as listener:
            stream = listener.stream()
            ready.set()
            for block in stream:
                received.append(block)
                if len(received) == 2:
                    break

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(5)
    time.sleep(0.3)  # the request reaches the node and subscribes
    address = deploy_market(node, market_artifact)
    node.client.transact(SUPPLIER, address, market_artifact.program, "list", (FINGERPRINT, 1_000))
    thread.join(10)
    assert not thread.is_alive(), "the stream did not deliver two blocks"
    heights = [b.height for b in received]  # type: ignore[attr-defined]
    assert heights == [1, 2]
    events = received[1].events  # type: ignore[attr-defined]
    assert [e.name for e in events] == ["Listed"] and events[0].height == 2 and events[0].fields["price"] == 1000

    # A replay from height 0, then the live stream (here: the first live block ends the test).
    replayed = []
    for block in node.client.stream(from_height=0):
        replayed.append(block.height)
        if block.height == 2:
            break
    assert replayed == [0, 1, 2]


def test_stream_resumes_after_last_event_id(node: Node) -> None:
    node.service.run_sync(node.service.chain.mine)
    node.service.run_sync(node.service.chain.mine)
    with httpx.stream("GET", node.url + "/v1/stream", headers={"Last-Event-ID": "0"}, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        ids = []
        for line in response.iter_lines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
                if len(ids) == 2:
                    break
    assert ids == [1, 2]


def test_interval_mining_keeps_transactions_pending_until_the_next_block() -> None:
    for node in serve(NodeService(Chain.memory, block_time=0.3)):
        assert node.client.info().mining == {"mode": "interval", "block_time": 0.3}
        chain_id = node.client.chain_id()
        alice = TxBuilder(SUPPLIER, chain_id)
        first = alice.transfer(BUYER.address, 5, nonce=0)
        second = alice.transfer(BUYER.address, 6, nonce=node.client.nonce(SUPPLIER.address) + 1)
        response = node.post("/v1/transactions", json={"transaction": first.encode().hex()})
        if response.status_code == 202:  # usually: the interval has not passed yet
            assert response.json()["status"] == "pending"
        assert node.client.nonce(SUPPLIER.address) >= 1
        submitted = node.client.send_transaction(second)
        if submitted.status == "pending":
            assert node.client.transaction(second.hash).status == "pending"
            with pytest.raises(ClientError) as info:
                node.client.receipt(second.hash)
            assert info.value.code == "receipt_not_found"
        receipt = node.client.wait_for_receipt(second.hash, timeout=10)
        assert receipt.success
        assert node.client.account(BUYER.address).balance == 10**24 + 11


def test_a_node_on_disk_keeps_its_chain(tmp_path: Path, market_artifact: Artifact) -> None:
    for node in serve(NodeService(lambda: Chain.open(tmp_path))):
        address = deploy_market(node, market_artifact)
        height = node.client.info().head_height
    chain = Chain.open(tmp_path)
    try:
        assert chain.height == height and chain.code(address_from_text(address)) == market_artifact.bytecode
    finally:
        chain.close()


def test_concurrent_clients_are_serialised(node: Node) -> None:
    chain_id = node.client.chain_id()
    senders = [dev_keypair(i) for i in range(1, 7)]
    errors: list[BaseException] = []

    def send_many(keypair: object) -> None:
        try:
            with Client(node.url) as client:
                builder = TxBuilder(keypair, chain_id)  # type: ignore[arg-type]
                for nonce in range(5):
                    receipt = client.send_transaction(builder.transfer(OPERATOR.address, 1, nonce=nonce)).receipt
                    assert receipt is not None and receipt.success
                    client.info()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send_many, args=(k,)) for k in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert node.client.info().head_height == 30
    assert all(node.client.account(k.address).nonce == 5 for k in senders)


# ---------------------------------------------------------------------------------------------- errors


def expect_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert ERROR_CODES[code][0] == status
    return str(body["error"]["message"])


HASH = "ab" * 32
ADDRESS = address_to_text(dev_keypair(5).address)


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "code"), [
    ("POST", "/v1/transactions", {"content": b"{not json"}, 400, "bad_json"),
    ("POST", "/v1/transactions", {"content": b""}, 400, "bad_json"),
    ("POST", "/v1/transactions", {"content": b"\xff\xfe"}, 400, "bad_json"),
    ("POST", "/v1/transactions", {"content": b'{"transaction": NaN}'}, 400, "bad_json"),
    ("POST", "/v1/transactions", {"content": b"[" * 100_000 + b"]" * 100_000}, 400, "bad_json"),
    ("POST", "/v1/transactions", {"json": ["0x00"]}, 400, "bad_request"),
    ("POST", "/v1/transactions", {"json": {"transaction": 5}}, 400, "bad_request"),
    ("POST", "/v1/transactions", {"json": {"tx": "0x00"}}, 400, "bad_request"),
    ("POST", "/v1/transactions", {"json": {"transaction": "0x00", "extra": 1}}, 400, "bad_request"),
    ("POST", "/v1/transactions", {"json": {"transaction": "0xabc"}}, 400, "bad_hex"),
    ("POST", "/v1/transactions", {"json": {"transaction": "zz"}}, 400, "bad_hex"),
    ("POST", "/v1/transactions", {"json": {"transaction": "0x0100"}}, 400, "bad_transaction"),
    ("POST", "/v1/transactions", {"content": b"transaction=00", "headers": {"content-type": "text/plain"}}, 415,
     "unsupported_media_type"),
    ("POST", "/v1/call", {"json": {"contract": ADDRESS}}, 400, "bad_request"),
    ("POST", "/v1/call", {"json": {"contract": 7, "function": "f"}}, 400, "bad_request"),
    ("POST", "/v1/call", {"json": {"contract": "cvm1nope", "function": "f"}}, 400, "bad_address"),
    ("POST", "/v1/call", {"json": {"contract": ADDRESS, "function": "f", "args": "1"}}, 400, "bad_request"),
    ("POST", "/v1/call", {"json": {"contract": ADDRESS, "function": "f", "gas_limit": "9"}}, 400, "bad_request"),
    ("POST", "/v1/call", {"json": {"contract": ADDRESS, "function": "f"}}, 404, "contract_not_found"),
    ("GET", "/v1/nothing", {}, 404, "not_found"),
    ("GET", "/", {}, 404, "not_found"),
    ("DELETE", "/v1/info", {}, 405, "method_not_allowed"),
    ("GET", "/v1/transactions", {}, 405, "method_not_allowed"),
    ("GET", "/v1/info?verbose=1", {}, 400, "bad_parameter"),
    ("GET", "/v1/blocks/-1", {}, 400, "bad_parameter"),
    ("GET", "/v1/blocks/next", {}, 400, "bad_parameter"),
    ("GET", "/v1/blocks/99", {}, 404, "block_not_found"),
    ("GET", "/v1/blocks/18446744073709551616", {}, 404, "block_not_found"),
    ("GET", "/v1/blocks/" + "9" * 30, {}, 400, "bad_parameter"),
    ("GET", "/v1/blocks/18446744073709551615", {}, 404, "block_not_found"),
    ("GET", f"/v1/blocks/0x{HASH}", {}, 404, "block_not_found"),
    ("GET", "/v1/transactions/0x1234", {}, 400, "bad_hash"),
    ("GET", f"/v1/transactions/{HASH}", {}, 404, "transaction_not_found"),
    ("GET", f"/v1/receipts/{HASH}", {}, 404, "receipt_not_found"),
    ("GET", "/v1/accounts/cvm1qqqq", {}, 400, "bad_address"),
    ("GET", "/v1/accounts/" + ADDRESS.upper()[:-1] + "Q", {}, 400, "bad_address"),
    ("GET", f"/v1/contracts/{ADDRESS}", {}, 404, "contract_not_found"),
    ("GET", f"/v1/contracts/{ADDRESS}?code=maybe", {}, 400, "bad_parameter"),
    ("GET", f"/v1/contracts/{ADDRESS}/state", {}, 400, "bad_parameter"),
    ("GET", f"/v1/contracts/{ADDRESS}/state?key=xyz", {}, 400, "bad_hex"),
    ("GET", f"/v1/contracts/{ADDRESS}/state?key=00&height=5", {}, 404, "block_not_found"),
    ("GET", f"/v1/contracts/{ADDRESS}/state?key=00&key=01", {}, 400, "bad_parameter"),
    ("GET", "/v1/events?from=x", {}, 400, "bad_parameter"),
    ("GET", "/v1/events?limit=0", {}, 400, "bad_parameter"),
    ("GET", "/v1/events?contract=0x12", {}, 400, "bad_address"),
    ("GET", "/v1/stream?from=soon", {}, 400, "bad_parameter"),
])
def test_errors_are_json_4xx(node: Node, method: str, path: str, kwargs: dict[str, object], status: int,
                             code: str) -> None:
    expect_error(httpx.request(method, node.url + path, timeout=10, **kwargs), status, code)  # type: ignore[arg-type]


def test_call_errors_name_the_problem(node: Node, market_artifact: Artifact) -> None:
    address = deploy_market(node, market_artifact)
    message = expect_error(node.post("/v1/call", json={"contract": address, "function": "drain"}), 404,
                           "function_not_found")
    assert "has_access" in message
    message = expect_error(node.post("/v1/call", json={"contract": address, "function": "has_access",
                                                       "args": [0]}), 400, "bad_argument")
    assert "takes 2 arguments, 1 given" in message
    message = expect_error(node.post("/v1/call", json={"contract": address, "function": "has_access",
                                                       "args": [-1, ADDRESS]}), 400, "bad_argument")
    assert "out of range for u64" in message
    message = expect_error(node.post("/v1/call", json={"contract": address, "function": "has_access",
                                                       "args": [True, ADDRESS]}), 400, "bad_argument")
    assert "argument 1" in message
    expect_error(node.post("/v1/call", json={"contract": address, "function": "has_access",
                                             "args": [0, "cvm1" + "q" * 38]}), 400, "bad_argument")


def test_oversized_bodies_get_413(node: Node) -> None:
    big = b'{"transaction": "' + b"00" * (3 << 20) + b'"}'
    expect_error(node.post("/v1/transactions", content=big), 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the node counts what arrives
        yield b'{"transaction": "'
        for _ in range(48):
            yield b"00" * 65536
        yield b'"}'

    expect_error(node.post("/v1/transactions", content=chunks()), 413, "body_too_large")
    assert node.client.info().head_height == 0  # and the node is fine


def test_rejected_transactions_get_4xx(node: Node) -> None:
    chain_id = node.client.chain_id()
    builder = TxBuilder(SUPPLIER, chain_id)
    tx = builder.transfer(BUYER.address, 1, nonce=0)
    assert node.client.send_transaction(tx).status == "mined"
    message = expect_error(node.post("/v1/transactions", json={"transaction": tx.encode().hex()}), 409,
                           "transaction_known")
    assert "already known" in message
    cases = {
        "nonce 5 is ahead": builder.transfer(BUYER.address, 1, nonce=5),
        "wrong chain id": TxBuilder(SUPPLIER, chain_id + 1).transfer(BUYER.address, 1, nonce=1),
        "bad signature": replace(builder.transfer(BUYER.address, 1, nonce=1), signature=bytes(64)),
        "insufficient funds": TxBuilder(dev_keypair(42), chain_id).transfer(BUYER.address, 1, nonce=0),
        "gas limit": replace(builder.transfer(BUYER.address, 1, nonce=1), gas_limit=10).signed(SUPPLIER),
    }
    for expected, bad in cases.items():
        message = expect_error(node.post("/v1/transactions", json={"transaction": "0x" + bad.encode().hex()}), 422,
                               "transaction_rejected")
        assert expected in message, message
    with pytest.raises(ClientError) as info:
        node.client.send_transaction(cases["wrong chain id"])
    assert (info.value.code, info.value.status) == ("transaction_rejected", 422)
    assert node.client.info().head_height == 1


def test_client_reports_an_unreachable_node() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", timeout=2) as client, pytest.raises(NodeUnreachable) as info:
        client.info()
    assert info.value.code == "unreachable" and "cannot reach the node" in info.value.message


# ------------------------------------------------------------------------------------- the API's document


def test_openapi_describes_every_route(node: Node) -> None:
    document = node.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {route.path for route in ROUTES + DATA_ROUTES}
    for path, item in document["paths"].items():
        for operation in item.values():
            assert operation["responses"], path
    codes = set(document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert codes == set(ERROR_CODES)


def test_docs_list_every_endpoint_and_error_code() -> None:
    text = (DOCS / "node-api.md").read_text(encoding="utf-8")
    for route in ROUTES + DATA_ROUTES:
        for method in route.methods or ():
            if method != "HEAD":
                assert f"{method} {route.path}" in text, f"docs/node-api.md does not describe {method} {route.path}"
    for code in ERROR_CODES:
        assert f"`{code}`" in text, f"docs/node-api.md does not list the error code {code}"


# ------------------------------------------------------------------------------- the last lines of defence


def test_an_unexpected_exception_is_a_logged_500_json(caplog: pytest.LogCaptureFixture) -> None:
    service = NodeService(Chain.memory)

    def broken() -> object:
        raise RuntimeError("a bug")

    service.api.info = broken  # type: ignore[method-assign]
    with BackgroundNode(service) as background, caplog.at_level(logging.ERROR, logger="contractvm.node"):
        message = expect_error(httpx.get(background.url + "/v1/info", timeout=10), 500, "internal")
        assert "RuntimeError" in message and "a bug" not in message  # the details stay in the log
        assert httpx.get(background.url + "/v1/blocks/0", timeout=10).status_code == 200
    assert any("a bug" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_a_subscriber_that_falls_behind_is_dropped_with_an_error_event() -> None:
    from contractvm.node.stream import QUEUE_SIZE, Broadcaster, block_events

    async def scenario() -> list[str]:
        broadcaster = Broadcaster()
        broadcaster.bind(asyncio.get_running_loop())

        async def no_replay(height: int, count: int) -> list[dict[str, object]]:
            return []

        stream = block_events(broadcaster, None, no_replay)
        chunks = [await stream.__anext__()]  # subscribed
        broadcaster.publish([{"height": h} for h in range(QUEUE_SIZE + 5)])
        chunks += [chunk async for chunk in stream]
        assert not broadcaster.subscribers
        return chunks

    chunks = asyncio.run(scenario())
    assert len(chunks) == 2 and chunks[1].startswith("event: error\n") and "stream_overflow" in chunks[1]
