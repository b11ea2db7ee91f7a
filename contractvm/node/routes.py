"""The endpoints: parse the request (`params`), run the work on the chain thread (`ops` via the service), answer JSON.

docs/node-api.md describes each one, and `openapi.py` describes them for machines.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from contractvm.chain.model import MAX_FUNCTION_NAME, TX_MAX_SIZE
from contractvm.node import params
from contractvm.node.errors import ApiError
from contractvm.node.openapi import document
from contractvm.node.ops import DEFAULT_EVENTS, MAX_EVENTS
from contractvm.node.service import NodeService
from contractvm.node.stream import block_events

MAX_STATE_KEY = 4096  # bytes: far above any key a contract builds


def service(request: Request) -> NodeService:
    node: NodeService = request.app.state.service
    return node


async def info(request: Request) -> Response:
    params.query(request, ())
    node = service(request)
    return JSONResponse({**await node.run(node.api.info), "data_service": node.data.address})


async def submit_transaction(request: Request) -> Response:
    params.query(request, ())
    body = await params.json_body(request)
    params.fields(body, ("transaction",))
    raw = params.hex_bytes(params.string(body, "transaction"), "transaction", max_size=TX_MAX_SIZE)
    node = service(request)
    result = await node.write(node.api.submit, raw)
    return JSONResponse(result, status_code=200 if result["status"] == "mined" else 202)


async def get_transaction(request: Request) -> Response:
    params.query(request, ())
    raw = params.tx_hash(request.path_params["hash"])
    node = service(request)
    return JSONResponse(await node.run(node.api.transaction, raw))


async def get_receipt(request: Request) -> Response:
    params.query(request, ())
    raw = params.tx_hash(request.path_params["hash"])
    node = service(request)
    return JSONResponse(await node.run(node.api.receipt, raw))


async def call(request: Request) -> Response:
    params.query(request, ())
    body = await params.json_body(request)
    params.fields(body, ("contract", "function"), ("args", "sender", "gas_limit"))
    contract = params.address(body["contract"], "contract")
    function = params.string(body, "function", max_length=MAX_FUNCTION_NAME)
    sender = None if body.get("sender") is None else params.address(body["sender"], "sender")
    gas_limit = params.optional_uint(body, "gas_limit")
    args = body.get("args", [])
    if not isinstance(args, list | dict):
        raise ApiError("bad_request", "'args' must be a list of the function's arguments")
    if isinstance(args, dict):
        raise ApiError("bad_argument", "'args' must be a list (the node knows parameter types, not names)")
    node = service(request)
    return JSONResponse(await node.run(node.api.call, contract, function, args, sender, gas_limit))


async def get_block(request: Request) -> Response:
    params.query(request, ())
    ref = params.block_ref(request.path_params["ref"])
    node = service(request)
    return JSONResponse(await node.run(node.api.block, ref))


async def get_account(request: Request) -> Response:
    params.query(request, ())
    raw = params.address(request.path_params["address"], "address")
    node = service(request)
    return JSONResponse(await node.run(node.api.account, raw))


async def get_contract(request: Request) -> Response:
    query = params.query(request, ("code",))
    raw = params.address(request.path_params["address"], "address")
    include_code = params.boolean(query["code"], "code") if "code" in query else False
    node = service(request)
    return JSONResponse(await node.run(node.api.contract, raw, include_code))


async def get_state(request: Request) -> Response:
    query = params.query(request, ("key", "height"))
    raw = params.address(request.path_params["address"], "address")
    if "key" not in query:
        raise ApiError("bad_parameter", "the query parameter 'key' (the storage key, hex) is required")
    key = params.hex_bytes(query["key"], "key", max_size=MAX_STATE_KEY)
    height = params.uint(query["height"], "height") if "height" in query else None
    node = service(request)
    return JSONResponse(await node.run(node.api.state, raw, key, height))


async def get_events(request: Request) -> Response:
    query = params.query(request, ("contract", "name", "from", "to", "limit"))
    contract = params.address(query["contract"], "contract") if "contract" in query else None
    name = query.get("name")
    if name is not None and not 0 < len(name.encode("utf-8", "surrogatepass")) <= MAX_FUNCTION_NAME:
        raise ApiError("bad_parameter", f"'name' must be 1 to {MAX_FUNCTION_NAME} bytes")
    from_height = params.uint(query["from"], "from") if "from" in query else 0
    to_height = params.uint(query["to"], "to") if "to" in query else None
    limit = params.uint(query["limit"], "limit", minimum=1, maximum=MAX_EVENTS) if "limit" in query else DEFAULT_EVENTS
    node = service(request)
    return JSONResponse(await node.run(node.api.events, contract, name, from_height, to_height, limit))


async def stream(request: Request) -> Response:
    query = params.query(request, ("from",))
    start = params.uint(query["from"], "from") if "from" in query else None
    last_id = request.headers.get("last-event-id")
    if start is None and last_id:
        start = params.uint(last_id.strip(), "Last-Event-ID") + 1
    node = service(request)

    async def replay(height: int, count: int) -> list[dict[str, object]]:
        return await node.run(node.api.blocks_from, height, count)

    return StreamingResponse(block_events(node.broadcaster, start, replay), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def openapi(request: Request) -> Response:
    params.query(request, ())
    return JSONResponse(document())


ROUTES = [
    Route("/v1/info", info, methods=["GET"]),
    Route("/v1/transactions", submit_transaction, methods=["POST"]),
    Route("/v1/transactions/{hash}", get_transaction, methods=["GET"]),
    Route("/v1/receipts/{hash}", get_receipt, methods=["GET"]),
    Route("/v1/call", call, methods=["POST"]),
    Route("/v1/blocks/{ref}", get_block, methods=["GET"]),
    Route("/v1/accounts/{address}", get_account, methods=["GET"]),
    Route("/v1/contracts/{address}", get_contract, methods=["GET"]),
    Route("/v1/contracts/{address}/state", get_state, methods=["GET"]),
    Route("/v1/events", get_events, methods=["GET"]),
    Route("/v1/stream", stream, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
