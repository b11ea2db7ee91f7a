"""The OpenAPI 3.1 document of the node's API, served at `GET /openapi.json`.

Written by hand, from the same constants the routes use (error codes, limits), and checked by the test suite:
schemathesis fuzzes every operation from it (tests/functional/test_node_fuzz.py) and validates the answers
against the response schemas below, so the document cannot drift from what the node does.
"""

from __future__ import annotations

import functools
from typing import Any

from contractvm import __version__
from contractvm.chain.model import MAX_FUNCTION_NAME, TX_MAX_SIZE, U64_MAX
from contractvm.node.errors import ERROR_CODES
from contractvm.node.ops import DEFAULT_EVENTS, MAX_EVENTS

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], description: str = "") -> Schema:
    out: Schema = {"type": "object", "properties": properties, "required": list(properties)}
    if description:
        out["description"] = description
    return out


U64: Schema = {"type": "integer", "minimum": 0, "maximum": U64_MAX}
STR: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
ANY: Schema = {"description": "a contract value as JSON, by its ABI type (docs/node-api.md)"}

SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": obj({"code": {"type": "string", "enum": sorted(ERROR_CODES)}, "message": STR})},
                 "Every error: a stable snake_case code and a message for people."),
    "Address": {"type": "string", "pattern": "^cvm1[02-9ac-hj-np-z]{38}$",
                "description": "bech32 address (on input, 0x and 40 hex digits are accepted too)"},
    "AddressInput": {"type": "string", "description": "cvm1... (bech32) or 0x and 40 hex digits",
                     "pattern": "^(cvm1[02-9ac-hj-np-z]{38}|CVM1[02-9AC-HJ-NP-Z]{38}|0[xX][0-9a-fA-F]{40})$"},
    "Hash": {"type": "string", "pattern": "^0x[0-9a-f]{64}$"},
    "Hex": {"type": "string", "pattern": "^0x([0-9a-f]{2})*$"},
    "Amount": {"type": "string", "pattern": "^[0-9]+$", "description": "a token amount (u256), decimal"},
    "Status": {"type": "string", "enum": ["success", "reverted", "out_of_gas"]},
    "Event": obj({"contract": ref("Address"), "name": STR, "log_index": U64, "fields": ANY, "data": ref("Hex")},
                 "An event; `fields` decoded by the contract's declaration (null when it cannot be)."),
    "StoredEvent": {"allOf": [ref("Event"), obj({"height": U64, "tx_index": U64, "tx_hash": ref("Hash")})]},
    "Receipt": obj({
        "tx_hash": ref("Hash"), "block_height": U64, "block_hash": ref("Hash"), "index": U64, "status": ref("Status"),
        "gas_used": U64, "fee_paid": ref("Amount"), "return_value": ANY, "return_data": ref("Hex"),
        "error": nullable(STR), "error_location": nullable({"type": "string", "description": (
            "<contract hex>:<function>@<pc>; the artifact's source map turns it into a .ctr line")}),
        "contract_address": nullable(ref("Address")), "events": {"type": "array", "items": ref("Event")},
    }),
    "Transaction": obj({
        "hash": ref("Hash"), "status": {"type": "string", "enum": ["mined", "pending"]},
        "block_height": nullable(U64), "block_hash": nullable(ref("Hash")), "index": nullable(U64),
        "kind": {"type": "string", "enum": ["transfer", "deploy", "call"]}, "chain_id": U64, "nonce": U64,
        "sender": ref("Address"), "sender_public_key": ref("Hex"), "to": nullable(ref("Address")),
        "value": ref("Amount"), "gas_limit": U64, "fee_per_gas": U64, "payload_size": U64,
        "function": nullable(STR), "args": ANY, "raw": ref("Hex"),
    }),
    "BlockTransaction": obj({
        "index": U64, "hash": ref("Hash"), "kind": STR, "action": STR, "sender": ref("Address"),
        "to": nullable(ref("Address")), "status": nullable(ref("Status")), "gas_used": nullable(U64), "events": U64,
    }),
    "Block": obj({
        "height": U64, "hash": ref("Hash"), "prev_hash": ref("Hash"), "timestamp": U64, "time": STR,
        "proposer": ref("Address"), "version": U64, "chain_id": U64, "tx_root": ref("Hash"),
        "receipts_root": ref("Hash"), "state_root": ref("Hash"), "gas_used": U64, "authority_set_hash": ref("Hash"),
        "signatures": {"type": "array", "items": obj({"public_key": ref("Hex"), "signature": ref("Hex")})},
        "transactions": {"type": "array", "items": ref("BlockTransaction")},
    }),
    "StreamBlock": {"allOf": [ref("Block"), obj({"events": {"type": "array", "items": ref("StoredEvent")}})],
                    "description": "the data of each `block` event of /v1/stream"},
    "StreamEvent": {"type": "object", "required": ["event", "data"], "description": (
        "one server-sent event: `block` (id = height, data = a StreamBlock as JSON) or `error` (data = an Error)"),
        "properties": {"event": {"type": "string", "enum": ["block", "error"]}, "id": STR, "retry": {"type": "integer"},
                       "data": {"type": "string", "contentMediaType": "application/json",
                                "contentSchema": {"anyOf": [ref("StreamBlock"), ref("Error")]}}}},
    "Account": obj({
        "address": ref("Address"), "address_hex": ref("Hex"), "balance": ref("Amount"), "nonce": U64,
        "pending_nonce": U64, "is_contract": BOOL, "code_hash": nullable(ref("Hash")), "height": U64,
    }),
    "Function": obj({"name": STR, "signature": STR, "inputs": {"type": "array", "items": STR},
                     "output": nullable(STR), "view": BOOL, "payable": BOOL, "requires": nullable(STR)}),
    "Contract": obj({
        "address": ref("Address"), "code_hash": ref("Hash"), "code_size": U64,
        "functions": {"type": "array", "items": ref("Function")}, "constructor": nullable(ref("Function")),
        "events": {"type": "array", "items": obj({"name": STR, "fields": {"type": "array", "items": obj(
            {"name": STR, "type": STR})}})},
        "code": nullable(ref("Hex")),
    }),
    "StateValue": obj({
        "contract": ref("Address"), "key": ref("Hex"), "height": U64, "block_hash": ref("Hash"),
        "state_root": ref("Hash"), "tree_key": ref("Hash"), "value": nullable(ref("Hex")), "proof": ref("Hex"),
    }, "verify with contractvm.chain.smt.verify_proof(state_root, tree_key, value, proof)"),
    "EventsPage": obj({"events": {"type": "array", "items": ref("StoredEvent")}, "from": U64, "to": U64,
                       "next_from": nullable(U64)}),
    "Info": obj({
        "chain_id": U64, "version": STR, "genesis_hash": ref("Hash"), "genesis": {"type": "object"},
        "head": obj({"height": U64, "hash": ref("Hash"), "timestamp": U64, "state_root": ref("Hash")}),
        "authorities": {"type": "array", "items": ref("Hex")}, "threshold": U64, "block_gas_limit": U64,
        "mining": obj({"mode": {"type": "string", "enum": ["automine", "interval"]},
                       "block_time": nullable({"type": "number"})}),
        "pending": U64, "data_service": ref("Address"),
    }),
    "SubmitRequest": {"type": "object", "required": ["transaction"], "additionalProperties": False, "properties": {
        "transaction": {"type": "string", "maxLength": 2 + 2 * TX_MAX_SIZE, "description": (
            "the signed transaction's canonical encoding (docs/chain-formats.md), hex, 0x optional")}}},
    "Submitted": obj({"hash": ref("Hash"), "status": {"type": "string", "enum": ["mined", "pending"]},
                      "block_height": nullable(U64), "block_hash": nullable(ref("Hash")),
                      "receipt": nullable(ref("Receipt"))}),
    "CallRequest": {"type": "object", "required": ["contract", "function"], "additionalProperties": False,
                    "properties": {
                        "contract": ref("AddressInput"),
                        "function": {"type": "string", "minLength": 1, "maxLength": MAX_FUNCTION_NAME},
                        "args": {"type": "array", "items": ANY, "description": "by the function's parameter types"},
                        "sender": nullable(ref("AddressInput")), "gas_limit": nullable(U64)}},
    "CallResult": obj({"contract": ref("Address"), "function": STR, "height": U64, "status": ref("Status"),
                       "gas_used": U64, "return_value": ANY, "error": nullable(STR), "error_location": nullable(STR)}),
    "DataObject": obj({"fingerprint": ref("Hash"), "closed": BOOL, "size": U64, "owner": ref("Address"),
                       "access": ref("Address"), "stored_at": U64},
                      "a stored data object (its payload aside); `access` is the DataAccess contract governing it"),
    "DataObjectInfo": {"allOf": [ref("DataObject"), obj({"accesses": nullable(U64)})]},
    "AccessLog": obj({"fingerprint": ref("Hash"), "entries": {"type": "array", "items": {
        "type": "object", "required": ["seq", "time", "fingerprint", "reader", "closed", "outcome"],
        "properties": {"seq": U64, "time": U64, "fingerprint": ref("Hash"), "reader": ref("Address"), "closed": BOOL,
                       "outcome": {"type": "string", "enum": ["served", "refused"]}, "reason": STR,
                       "access_id": U64, "tx_hash": ref("Hash"), "block_height": nullable(U64)}}}},
                     "the node's log of access attempts on one object, newest first"),
    "SealedKeyStored": obj({"fingerprint": ref("Hash"), "reader": ref("Address"), "sealed_key_digest": ref("Hash")}),
    "TraceRecord": obj({
        "id": U64, "object_id": ref("Hash"), "server": STR, "data_hash": ref("Hash"), "transfer_out": ref("Address"),
        "transfer_in": ref("Address"), "timestamp": U64, "previous": U64, "confirmations": U64, "accepted": BOOL,
        "data": ANY, "data_source": nullable(STR), "data_check": STR,
        "checks": {"type": "object", "additionalProperties": BOOL}}),
    "Trace": obj({"object_id": ref("Hash"), "contract": ref("Address"),
                  "records": {"type": "array", "items": ref("TraceRecord")},
                  "lineage": {"type": "array", "items": obj({"object_id": ref("Hash"), "derived_from": {
                      "type": "array", "items": ref("Hash")}})},
                  "complete": BOOL, "verified": BOOL, "problems": {"type": "array", "items": STR}},
                 "an object's traceability history walked back, newest first, every record re-checked"),
}
OCTETS: Schema = {"type": "string", "format": "binary"}
SIGNED = " Signed: send `Authorization: CVM-Ed25519 key=..., time=..., nonce=..., sig=...` (docs/node-api.md)."


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Schema]:
    """Error responses by status, each listing the codes it can carry."""
    by_status: dict[int, list[str]] = {}
    for code in ("bad_request", "bad_parameter", "not_found", "internal", *codes):
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    return {str(status): _json(ref("Error"), "error: " + ", ".join(sorted(set(names))))
            for status, names in sorted(by_status.items())}


def _path_param(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _op(summary: str, ok: dict[str, Schema], errors: dict[str, Schema], parameters: list[Schema] | None = None,
        body: str | None = None, operation_id: str = "", octets: bool = False) -> Schema:
    out: Schema = {"summary": summary, "operationId": operation_id, "responses": {**ok, **errors}}
    if parameters:
        out["parameters"] = parameters
    if body:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    if octets:
        out["requestBody"] = {"required": True, "content": {"application/octet-stream": {"schema": OCTETS}}}
    return out


def _bytes(description: str) -> Schema:
    return {"description": description, "content": {"application/octet-stream": {"schema": OCTETS}}}


ADDRESS_PARAM = _path_param("address", ref("AddressInput"), "an address, cvm1... or 0x and 40 hex digits")
HASH_PARAM = _path_param("hash", {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"}, "transaction hash")
HEIGHT: Schema = {"type": "integer", "minimum": 0, "maximum": U64_MAX}
FINGERPRINT_PARAM = _path_param("fingerprint", {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"},
                                "the object's salted fingerprint, 64 hex digits")


def _data_paths() -> dict[str, Schema]:
    return {
        "/v1/data": {"post": _op(
            "Upload a data object (an envelope: docs/data-service.md) registered to the signer." + SIGNED, {
                "201": _json(ref("DataObject"), "stored"),
                "200": _json(ref("DataObject"), "the same object was already stored")},
            _errors("bad_address", "bad_object", "unauthorized", "forbidden", "contract_not_found",
                    "object_conflict", "body_too_large"),
            [{**_query("access", ref("AddressInput"), "the DataAccess contract that registers it"),
              "required": True}], operation_id="upload_object", octets=True)},
        "/v1/data/{fingerprint}": {"get": _op(
            "Download an object: open data to any signer, closed data with a valid grant; the access is recorded "
            "on chain first." + SIGNED, {"200": _bytes("the envelope; X-Access-Id and X-Access-Tx name the record")},
            _errors("bad_hex", "unauthorized", "forbidden", "object_not_found", "rate_limited", "access_not_recorded"),
            [FINGERPRINT_PARAM], operation_id="download_object")},
        "/v1/data/{fingerprint}/info": {"get": _op("What the node knows about an object", {
            "200": _json(ref("DataObjectInfo"), "the object")}, _errors("bad_hex", "object_not_found"),
            [FINGERPRINT_PARAM], operation_id="object_info")},
        "/v1/data/{fingerprint}/log": {"get": _op(
            "The node's access log of an object, refusals included (its owner only)." + SIGNED, {
                "200": _json(ref("AccessLog"), "newest first")},
            _errors("bad_hex", "unauthorized", "forbidden", "object_not_found"),
            [FINGERPRINT_PARAM, _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                                       "entries (default 100)")], operation_id="access_log")},
        "/v1/data/{fingerprint}/keys/{reader}": {"put": _op(
            "Deposit the object's data key sealed to a reader (the owner only)." + SIGNED, {
                "200": _json(ref("SealedKeyStored"), "stored; record sealed_key_digest on chain on delivery")},
            _errors("bad_hex", "bad_address", "bad_object", "unauthorized", "forbidden", "object_not_found",
                    "body_too_large"),
            [FINGERPRINT_PARAM, _path_param("reader", ref("AddressInput"), "the reader it is sealed to")],
            operation_id="put_sealed_key", octets=True)},
        "/v1/data/{fingerprint}/key": {"get": _op(
            "The data key sealed to the signer, while the signer holds a valid grant." + SIGNED, {
                "200": _bytes("the sealed data key")},
            _errors("bad_hex", "unauthorized", "forbidden", "object_not_found", "key_not_found"),
            [FINGERPRINT_PARAM], operation_id="get_sealed_key")},
        "/v1/trace/{object_id}": {"get": _op(
            "An object's traceability history walked back (Y.4560 I.1.5 (2)), every hash re-checked", {
                "200": _json(ref("Trace"), "newest record first")},
            _errors("bad_hex", "bad_address", "contract_not_found"),
            [_path_param("object_id", {"type": "string", "pattern": "^(0[xX])?[0-9a-fA-F]{64}$"},
                         "the object identifier, 64 hex digits"),
             {**_query("contract", ref("AddressInput"), "the Traceability contract"), "required": True}],
            operation_id="trace")},
    }


def _paths() -> dict[str, Schema]:
    return {
        "/v1/info": {"get": _op("The chain: id, genesis, head, authorities, mining mode", {
            "200": _json(ref("Info"), "chain information")}, _errors(), operation_id="info")},
        "/v1/transactions": {"post": _op(
            "Submit a signed transaction (hex of its canonical encoding)", {
                "200": _json(ref("Submitted"), "included in a block at once (automine): with its receipt"),
                "202": _json(ref("Submitted"), "accepted into the pending pool (interval mining)")},
            _errors("bad_json", "bad_hex", "bad_transaction", "transaction_known", "transaction_rejected",
                    "body_too_large", "unsupported_media_type"), body="SubmitRequest",
            operation_id="send_transaction")},
        "/v1/transactions/{hash}": {"get": _op("A transaction, mined or pending", {
            "200": _json(ref("Transaction"), "the transaction")}, _errors("bad_hash", "transaction_not_found"),
            [HASH_PARAM], operation_id="transaction")},
        "/v1/receipts/{hash}": {"get": _op("A mined transaction's receipt, return value and events decoded", {
            "200": _json(ref("Receipt"), "the receipt")}, _errors("bad_hash", "receipt_not_found"), [HASH_PARAM],
            operation_id="receipt")},
        "/v1/call": {"post": _op("Call a function read-only against the latest state", {
            "200": _json(ref("CallResult"), "the outcome (a revert is an outcome, not an error)")},
            _errors("bad_json", "bad_address", "bad_argument", "contract_not_found", "function_not_found",
                    "body_too_large", "unsupported_media_type"), body="CallRequest", operation_id="call")},
        "/v1/blocks/{ref}": {"get": _op("A block by height, hash or `latest`", {
            "200": _json(ref("Block"), "the block")}, _errors("block_not_found"), [_path_param(
                "ref", {"type": "string"}, "a height, `latest`, or a block hash (64 hex digits, 0x optional)")],
            operation_id="block")},
        "/v1/accounts/{address}": {"get": _op("An account: balance, nonce, code hash", {
            "200": _json(ref("Account"), "the account (zero balance and nonce when it never appeared)")},
            _errors("bad_address"), [ADDRESS_PARAM], operation_id="account")},
        "/v1/contracts/{address}": {"get": _op("A contract's interface (from its deployed program)", {
            "200": _json(ref("Contract"), "the contract")}, _errors("bad_address", "contract_not_found"),
            [ADDRESS_PARAM, _query("code", {"type": "boolean"}, "include the bytecode (hex)")],
            operation_id="contract")},
        "/v1/contracts/{address}/state": {"get": _op("A storage value with its sparse Merkle proof", {
            "200": _json(ref("StateValue"), "the value (null when unset) and its inclusion or exclusion proof")},
            _errors("bad_address", "bad_hex", "block_not_found"), [
                ADDRESS_PARAM,
                {**_query("key", {"type": "string", "pattern": "^(0[xX])?([0-9a-fA-F]{2})*$"},
                          "the storage key, hex (contractvm.isa.layout)"), "required": True},
                _query("height", HEIGHT, "the block height (default: the head)")], operation_id="state")},
        "/v1/events": {"get": _op("Events in chain order, filtered", {
            "200": _json(ref("EventsPage"), "a page of events; continue from next_from while it is not null")},
            _errors("bad_address"), [
                _query("contract", ref("AddressInput"), "only this contract's events"),
                _query("name", {"type": "string", "minLength": 1, "maxLength": MAX_FUNCTION_NAME}, "event name"),
                _query("from", HEIGHT, "first height (default 0)"),
                _query("to", HEIGHT, "last height (default: the head)"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_EVENTS},
                       f"events per page (default {DEFAULT_EVENTS}; a page never splits a block)")],
            operation_id="events")},
        "/v1/stream": {"get": _op("New blocks and their events as server-sent events", {
            "200": {"description": "text/event-stream of `block` events (id = height, data = StreamBlock JSON), "
                    "`: keep-alive` comments, and an `error` event before the node drops a slow client",
                    "content": {"text/event-stream": {"schema": ref("StreamEvent")}}}}, _errors(),
            [_query("from", HEIGHT, "replay from this height first (or send Last-Event-ID)")],
            operation_id="stream")},
        "/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                                     _errors(), operation_id="openapi")},
        **_data_paths(),
    }


@functools.cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "contractvm node", "version": __version__, "description": (
            "JSON over HTTP (ITU-T Y.4560 Appendix I.1.4): POST to submit, GET to query. Addresses as bech32 "
            "cvm1..., hashes and bytes as 0x hex, token amounts as decimal strings. Errors are "
            '{"error": {"code", "message"}}. See docs/node-api.md.')},
        "paths": _paths(),
        "components": {"schemas": SCHEMAS},
    }
