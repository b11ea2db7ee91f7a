"""API errors: one exception carrying an HTTP status and a stable snake_case code, rendered as JSON.

Every error response of the node is `{"error": {"code": "...", "message": "..."}}`. The codes are part of the
API (docs/node-api.md lists them); the messages are for people and may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

# code -> (HTTP status, what it means); the OpenAPI document and docs/node-api.md are built from / checked
# against this table.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "bad_json": (400, "the body is not valid JSON"),
    "bad_request": (400, "the body or a parameter has a missing, unknown or wrongly typed field"),
    "bad_hex": (400, "a hex string that is not an even number of hex digits (0x optional) or has the wrong size"),
    "bad_address": (400, "an address that is neither cvm1... (bech32) nor 0x and 40 hex digits"),
    "bad_hash": (400, "a hash that is not 32 bytes of hex"),
    "bad_parameter": (400, "a query or path parameter out of range or malformed"),
    "bad_transaction": (400, "bytes that are not a canonical signed transaction encoding"),
    "bad_argument": (400, "call arguments that do not match the function's parameter types"),
    "bad_object": (400, "a data object or sealed key that is malformed or does not match what the chain registers"),
    "unauthorized": (401, "a data request that must be signed is not, or its signature is wrong, stale or replayed"),
    "forbidden": (403, "the chain does not allow it: no valid grant (none, expired, revoked) or not the owner"),
    "not_found": (404, "no such route"),
    "object_not_found": (404, "this node stores no data object with that fingerprint"),
    "key_not_found": (404, "no data key is sealed to the requester for that object yet"),
    "block_not_found": (404, "no block at that height or with that hash"),
    "transaction_not_found": (404, "the node has no transaction with that hash"),
    "receipt_not_found": (404, "the transaction is not in a block yet (pending) or unknown"),
    "contract_not_found": (404, "no contract code at that address"),
    "function_not_found": (404, "the contract has no public function of that name"),
    "method_not_allowed": (405, "the route exists but not with this HTTP method"),
    "transaction_known": (409, "the transaction is already in the chain or pending"),
    "object_conflict": (409, "a different data object is already stored under that fingerprint"),
    "body_too_large": (413, "the request body is larger than the node accepts"),
    "unsupported_media_type": (415, "the body is not JSON (send Content-Type: application/json)"),
    "transaction_rejected": (422, "the transaction cannot be included: wrong chain, bad signature, nonce, gas, funds"),
    "rate_limited": (429, "too many downloads, by this reader or through this node: retry after Retry-After seconds"),
    "internal": (500, "a bug in the node; the details are in its log"),
    "unavailable": (503, "the node is shutting down"),
    "access_not_recorded": (503, "the access could not be recorded on chain (the node's service account lacks the "
                                 "role), so nothing was served"),
}


class ApiError(Exception):
    """An error answered to the client: `code` is one of ERROR_CODES, which gives the HTTP status."""

    def __init__(self, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        if code not in ERROR_CODES:  # pragma: no cover - a typo in the node's own code
            raise KeyError(f"unknown API error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})  # sent with the error response (e.g. Retry-After)

    @property
    def status(self) -> int:
        return ERROR_CODES[self.code][0]


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=ERROR_CODES[code][0], headers=headers)
