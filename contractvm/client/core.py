"""`Client`: a synchronous client for the node's HTTP API (docs/node-api.md), one typed method per endpoint.

API errors raise `ClientError(code, message)` with the node's stable error code; a node that cannot be reached
(refused, timed out, not an HTTP server) raises `NodeUnreachable`, a `ClientError` whose code is `unreachable`.
One `Client` keeps one pool of keep-alive connections; it is safe to share between threads (httpx's client is).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from contractvm.chain.accounts import Keypair, address_from_text, address_to_text
from contractvm.chain.builder import DEFAULT_GAS_LIMIT, TxBuilder
from contractvm.chain.model import Transaction
from contractvm.client.abi import storage_key
from contractvm.client.models import (
    Account,
    Block,
    CallResult,
    Contract,
    Event,
    EventsPage,
    Info,
    Receipt,
    StateValue,
    Submitted,
    TransactionInfo,
)
from contractvm.isa import codec
from contractvm.isa.program import Program

DEFAULT_URL = "http://127.0.0.1:8545"
DEFAULT_TIMEOUT = 30.0
STREAM_READ_TIMEOUT = 60.0  # the node sends a keep-alive every 15 s


class ClientError(Exception):
    """An error answered by the node (`code` is its stable error code), or a problem reaching it."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{message} [{code}]")
        self.code = code
        self.message = message
        self.status = status


class NodeUnreachable(ClientError):
    """The node could not be reached, or did not answer like a contractvm node."""

    def __init__(self, message: str) -> None:
        super().__init__("unreachable", message)


def _text_address(address: bytes | str) -> str:
    return address_to_text(address) if isinstance(address, bytes) else address


def _hex(raw: bytes | str) -> str:
    return "0x" + raw.hex() if isinstance(raw, bytes) else raw


class Client:
    def __init__(self, url: str = DEFAULT_URL, *, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport,
                                  headers={"Accept": "application/json"})
        self._chain_id: int | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Transport

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 body: dict[str, Any] | None = None) -> Any:
        return self._decode(self.send(method, path, params=params, json=body))

    def send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One HTTP request to the node (httpx's options), transport failures raised as `NodeUnreachable`."""
        try:
            return self._http.request(method, path, **options)
        except httpx.TimeoutException as exc:
            raise NodeUnreachable(f"the node at {self.url} did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise NodeUnreachable(f"cannot reach the node at {self.url}: {exc or type(exc).__name__}") from None

    def decode(self, response: httpx.Response) -> Any:
        """A JSON answer, or `ClientError` with the node's error code."""
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> Any:
        try:
            document = response.json()
        except ValueError:
            raise NodeUnreachable(f"{self.url} answered {response.status_code} with something that is not JSON: "
                                  "is it a contractvm node?") from None
        if response.status_code >= 400:
            error = document.get("error") if isinstance(document, dict) else None
            if not isinstance(error, dict):
                raise ClientError("bad_response", f"HTTP {response.status_code} without an error object",
                                  response.status_code)
            raise ClientError(str(error.get("code")), str(error.get("message")), response.status_code)
        return document

    # One method per endpoint

    def info(self) -> Info:
        return Info.from_json(self._request("GET", "/v1/info"))

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.info().chain_id
        return self._chain_id

    def send_transaction(self, tx: Transaction | bytes) -> Submitted:
        raw = tx.encode() if isinstance(tx, Transaction) else tx
        return Submitted.from_json(self._request("POST", "/v1/transactions", body={"transaction": _hex(raw)}))

    def call(self, contract: bytes | str, function: str, args: list[Any] | tuple[Any, ...] = (), *,
             sender: bytes | str | None = None, gas_limit: int | None = None) -> CallResult:
        """A read-only call; `args` as JSON values (docs/node-api.md: numbers or decimal strings, cvm1..., 0x...)."""
        body: dict[str, Any] = {"contract": _text_address(contract), "function": function, "args": list(args)}
        if sender is not None:
            body["sender"] = _text_address(sender)
        if gas_limit is not None:
            body["gas_limit"] = gas_limit
        return CallResult.from_json(self._request("POST", "/v1/call", body=body))

    def block(self, which: int | bytes | str = "latest") -> Block:
        ref = _hex(which) if isinstance(which, bytes) else str(which)
        return Block.from_json(self._request("GET", f"/v1/blocks/{ref}"))

    def transaction(self, tx_hash: bytes | str) -> TransactionInfo:
        return TransactionInfo.from_json(self._request("GET", f"/v1/transactions/{_hex(tx_hash)}"))

    def receipt(self, tx_hash: bytes | str) -> Receipt:
        return Receipt.from_json(self._request("GET", f"/v1/receipts/{_hex(tx_hash)}"))

    def wait_for_receipt(self, tx_hash: bytes | str, timeout: float = 60.0, poll: float = 0.05) -> Receipt:
        """The receipt once the transaction is in a block; ClientError `timeout` if it is not within `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.receipt(tx_hash)
            except ClientError as exc:
                if exc.code != "receipt_not_found":
                    raise
            if time.monotonic() >= deadline:
                raise ClientError("timeout", f"transaction {_hex(tx_hash)} was not mined within {timeout} s")
            time.sleep(poll)
            poll = min(poll * 1.5, 0.5)

    def account(self, address: bytes | str) -> Account:
        return Account.from_json(self._request("GET", f"/v1/accounts/{_text_address(address)}"))

    def nonce(self, address: bytes | str) -> int:
        """The nonce the account's next transaction must carry (its pending transactions counted)."""
        return self.account(address).pending_nonce

    def contract(self, address: bytes | str, *, code: bool = False) -> Contract:
        params = {"code": "true"} if code else None
        return Contract.from_json(self._request("GET", f"/v1/contracts/{_text_address(address)}", params=params))

    def state(self, contract: bytes | str, key: bytes, height: int | None = None) -> StateValue:
        params: dict[str, Any] = {"key": _hex(key)}
        if height is not None:
            params["height"] = height
        path = f"/v1/contracts/{_text_address(contract)}/state"
        return StateValue.from_json(self._request("GET", path, params=params))

    def state_var(self, contract: bytes | str, abi: dict[str, Any], name: str, *map_keys: object,
                  height: int | None = None) -> tuple[object, StateValue]:
        """State variable `name` (indexed by `map_keys`, Python values) of a contract whose artifact ABI is `abi`:
        the decoded value (None when unset) and the proven raw value."""
        key, value_type = storage_key(abi, name, *map_keys)
        proven = self.state(contract, key, height)
        return (None if proven.value is None else codec.decode(value_type, proven.value)), proven

    def events_page(self, contract: bytes | str | None = None, name: str | None = None, from_height: int = 0,
                    to_height: int | None = None, limit: int | None = None) -> EventsPage:
        params: dict[str, Any] = {"from": from_height}
        if contract is not None:
            params["contract"] = _text_address(contract)
        if name is not None:
            params["name"] = name
        if to_height is not None:
            params["to"] = to_height
        if limit is not None:
            params["limit"] = limit
        return EventsPage.from_json(self._request("GET", "/v1/events", params=params))

    def events(self, contract: bytes | str | None = None, name: str | None = None, from_height: int = 0,
               to_height: int | None = None) -> list[Event]:
        """Every matching event in the range (following the pages), in chain order."""
        found: list[Event] = []
        start: int | None = from_height
        while start is not None:
            page = self.events_page(contract, name, start, to_height)
            found.extend(page.events)
            start = page.next_from
        return found

    def stream(self, from_height: int | None = None) -> Iterator[Block]:
        """New blocks with their events, as the node commits them (from `from_height` first, when given).

        Blocks until the next one; stop by leaving the loop (the connection is closed then).
        """
        params = {"from": from_height} if from_height is not None else None
        timeout = httpx.Timeout(DEFAULT_TIMEOUT, read=STREAM_READ_TIMEOUT)
        try:
            with self._http.stream("GET", "/v1/stream", params=params, timeout=timeout,
                                   headers={"Accept": "text/event-stream"}) as response:
                if response.status_code >= 400:
                    response.read()
                    self._decode(response)
                yield from _blocks(response.iter_lines())
        except httpx.TimeoutException:
            raise NodeUnreachable(f"the stream from {self.url} went silent (no keep-alive)") from None
        except httpx.TransportError as exc:
            raise NodeUnreachable(f"cannot reach the node at {self.url}: {exc or type(exc).__name__}") from None

    # Signing and sending in one step

    def deploy(self, keypair: Keypair, code: bytes, args: tuple[object, ...] = (), *, value: int = 0,
               gas_limit: int = DEFAULT_GAS_LIMIT, fee_per_gas: int = 0, timeout: float = 60.0) -> Receipt:
        """Deploy `code` (a program's bytes) with constructor `args` (Python values), wait for the receipt."""
        tx = TxBuilder(keypair, self.chain_id()).deploy(code, args, nonce=self.nonce(keypair.address), value=value,
                                                       gas_limit=gas_limit, fee_per_gas=fee_per_gas)
        return self._sent(self.send_transaction(tx), timeout)

    def transact(self, keypair: Keypair, contract: bytes | str, program: Program, function: str,
                 args: tuple[object, ...] = (), *, value: int = 0, gas_limit: int = DEFAULT_GAS_LIMIT,
                 fee_per_gas: int = 0, timeout: float = 60.0) -> Receipt:
        """Call `function` of `contract` in a signed transaction (`args` as Python values), wait for the receipt."""
        to = address_from_text(contract) if isinstance(contract, str) else contract
        tx = TxBuilder(keypair, self.chain_id()).call(to, program, function, args,
                                                     nonce=self.nonce(keypair.address), value=value,
                                                     gas_limit=gas_limit, fee_per_gas=fee_per_gas)
        return self._sent(self.send_transaction(tx), timeout)

    def _sent(self, submitted: Submitted, timeout: float) -> Receipt:
        if submitted.receipt is not None:
            return submitted.receipt
        return self.wait_for_receipt(submitted.hash, timeout)


def _blocks(lines: Iterator[str]) -> Iterator[Block]:
    """Server-sent events to blocks; an `error` event raises ClientError."""
    event = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                payload = json.loads("\n".join(data))
                if event == "block":
                    yield Block.from_json(payload)
                elif event == "error":
                    error = payload.get("error", {})
                    raise ClientError(str(error.get("code")), str(error.get("message")))
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
