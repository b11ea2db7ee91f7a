"""The data service's endpoints: objects, sealed keys, the access log, and traceability histories.

Bodies are raw bytes (`application/octet-stream`), not JSON; answers are JSON except the object and key
downloads. Requests that act for an account carry a signed `Authorization` header (`contractvm.data.auth`).
docs/node-api.md describes each endpoint; `data.py` does the work on the chain thread.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from contractvm.data.auth import AuthError, Requester, verify_request
from contractvm.data.envelope import SEALED_KEY_SIZE
from contractvm.node import params
from contractvm.node.errors import ApiError
from contractvm.node.remote import fetch_missing
from contractvm.node.service import NodeService

OCTETS = "application/octet-stream"
MAX_LOG = 1000


def _service(request: Request) -> NodeService:
    node: NodeService = request.app.state.service
    return node


def _fingerprint(text: str, what: str = "fingerprint") -> bytes:
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if len(digits) != 64:
        raise ApiError("bad_hex", f"{what} must be 64 hex digits (0x optional)")
    return params.hex_bytes(digits, what, max_size=32)


async def _requester(request: Request, body: bytes) -> Requester:
    """Who signed the request (every data request acts for an account); ApiError `unauthorized` otherwise."""
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError("unauthorized", "this request must be signed: send 'Authorization: CVM-Ed25519 key=..., "
                       "time=..., nonce=..., sig=...' (the client and `contractvm data` sign for you)")
    node = _service(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    now = int(time.time())
    try:
        requester = verify_request(header, node.chain_id, request.method, target, body, now)
        node.replays.admit(requester, now)
    except AuthError as exc:
        raise ApiError("unauthorized", str(exc)) from None
    return requester


async def upload(request: Request) -> Response:
    query = params.query(request, ("access",))
    if "access" not in query:
        raise ApiError("bad_parameter", "the query parameter 'access' (the DataAccess contract) is required")
    access = params.address(query["access"], "access")
    body = await request.body()
    requester = await _requester(request, body)
    node = _service(request)
    info, created = await node.run(node.data.upload, requester, body, access)
    return JSONResponse(info, status_code=201 if created else 200)


async def download(request: Request) -> Response:
    params.query(request, ())
    fp = _fingerprint(request.path_params["fingerprint"])
    requester = await _requester(request, b"")
    node = _service(request)
    raw, served = await node.write(node.data.download, requester, fp)
    block = "pending" if served["block_height"] is None else str(served["block_height"])
    return Response(raw, media_type=OCTETS, headers={
        "X-Access-Id": str(served["access_id"]), "X-Access-Tx": "0x" + served["tx_hash"],
        "X-Access-Block": block, "X-Object-Closed": "true" if served["closed"] else "false"})


async def object_info(request: Request) -> Response:
    params.query(request, ())
    fp = _fingerprint(request.path_params["fingerprint"])
    node = _service(request)
    return JSONResponse(await node.run(node.data.info, fp))


async def access_log(request: Request) -> Response:
    query = params.query(request, ("limit",))
    fp = _fingerprint(request.path_params["fingerprint"])
    limit = params.uint(query["limit"], "limit", minimum=1, maximum=MAX_LOG) if "limit" in query else 100
    requester = await _requester(request, b"")
    node = _service(request)
    return JSONResponse(await node.run(node.data.access_log, requester, fp, limit))


async def put_key(request: Request) -> Response:
    params.query(request, ())
    fp = _fingerprint(request.path_params["fingerprint"])
    reader = params.address(request.path_params["reader"], "reader")
    body = await request.body()
    if len(body) != SEALED_KEY_SIZE:
        raise ApiError("bad_object", f"a sealed data key is {SEALED_KEY_SIZE} bytes, not {len(body)}")
    requester = await _requester(request, body)
    node = _service(request)
    return JSONResponse(await node.run(node.data.put_key, requester, fp, reader, body))


async def get_key(request: Request) -> Response:
    params.query(request, ())
    fp = _fingerprint(request.path_params["fingerprint"])
    requester = await _requester(request, b"")
    node = _service(request)
    return Response(await node.run(node.data.get_key, requester, fp), media_type=OCTETS)


async def trace(request: Request) -> Response:
    query = params.query(request, ("contract",))
    if "contract" not in query:
        raise ApiError("bad_parameter", "the query parameter 'contract' (the Traceability contract) is required")
    contract = params.address(query["contract"], "contract")
    object_id = _fingerprint(request.path_params["object_id"], "object id")
    node = _service(request)
    walked = await node.run(node.data.trace, contract, object_id)
    return JSONResponse(await fetch_missing(walked, node.data.keypair, node.chain_id))


DATA_ROUTES = [
    Route("/v1/data", upload, methods=["POST"]),
    Route("/v1/data/{fingerprint}", download, methods=["GET"]),
    Route("/v1/data/{fingerprint}/info", object_info, methods=["GET"]),
    Route("/v1/data/{fingerprint}/log", access_log, methods=["GET"]),
    Route("/v1/data/{fingerprint}/keys/{reader}", put_key, methods=["PUT"]),
    Route("/v1/data/{fingerprint}/key", get_key, methods=["GET"]),
    Route("/v1/trace/{object_id}", trace, methods=["GET"]),
]
