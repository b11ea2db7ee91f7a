"""The ASGI application: routes, the JSON error contract, the request size limit, the service's life cycle.

Every answer is JSON, errors included: `{"error": {"code": "...", "message": "..."}}` with a 4xx status for
anything the client got wrong (unknown route or method, malformed JSON, wrong types, bad hex, a rejected
transaction, a body over `MAX_BODY`). An exception the node did not expect is a bug: it is logged with its
traceback and answered `500 {"error": {"code": "internal", ...}}` (the tests assert it never happens).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contractvm.chain.model import TX_MAX_SIZE
from contractvm.node.data_routes import DATA_ROUTES
from contractvm.node.errors import ApiError, error_response
from contractvm.node.routes import ROUTES
from contractvm.node.service import NodeService

log = logging.getLogger("contractvm.node")
MAX_BODY = 2 * TX_MAX_SIZE + 4096  # the largest transaction, hex-encoded, in its JSON wrapper: ~2 MiB
MAX_OBJECT = 64 * 1024 * 1024  # the largest data object the data service takes (POST /v1/data)


class BodyTooLarge(Exception):
    pass


class Guard:
    """Outermost middleware: refuse bodies over `max_body` (413), turn any escaped exception into a 500 JSON."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, max_object: int = MAX_OBJECT) -> None:
        self.app = app
        self.max_body = max_body
        self.max_object = max_object

    def _limit(self, scope: Scope) -> int:
        return self.max_object if scope.get("path") == "/v1/data" else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        limit = self._limit(scope)
        problem = self._declared_length_problem(scope, limit)
        if problem is not None:
            await error_response(*problem, headers={"Connection": "close"})(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ApiError("body_too_large", f"the request body is larger than {limit} bytes")
            return message

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception as exc:
            if isinstance(exc, ApiError):
                response = error_response(exc.code, exc.message, exc.headers)
            else:
                log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
                response = error_response("internal", f"internal error ({type(exc).__name__}); see the node's log")
            if not started:
                await response(scope, receive, send)

    def _declared_length_problem(self, scope: Scope, limit: int) -> tuple[str, str] | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return "bad_request", "the Content-Length header is not a number"
                if length > limit:
                    return "body_too_large", f"the request body ({length} bytes) is larger than {limit} bytes"
        return None


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response("not_found", f"no route {request.method} {request.url.path} (see /openapi.json)")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return error_response("method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
                              + (f" (allowed: {allowed})" if allowed else ""), headers=exc.headers)
    code = "bad_request" if 400 <= exc.status_code < 500 else "internal"
    return error_response(code, str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> Response:
    """Starlette's last handler: it answers with this, then re-raises to `Guard`, which logs the traceback."""
    return error_response("internal", f"internal error ({type(exc).__name__}); see the node's log")


def create_app(node: NodeService, *, max_body: int = MAX_BODY, max_object: int = MAX_OBJECT) -> ASGIApp:
    """The node's ASGI application around `node` (which the caller opened and will close)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    handlers: dict[Any, Any] = {ApiError: _api_error, HTTPException: _http_error, Exception: _internal_error}
    app = Starlette(routes=ROUTES + DATA_ROUTES, exception_handlers=handlers, lifespan=lifespan)
    app.state.service = node
    return Guard(app, max_body, max_object)
