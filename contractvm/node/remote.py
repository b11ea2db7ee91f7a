"""Fetching traceability data from the information server a record names (Y.4560 Appendix I.1.5 (2), step 8).

A traceability record names the information server that keeps its data and the data's hash. When the
queried node does not hold the data itself, it asks that server, another contractvm node, with a signed
request from its own service account (so the other node accounts the access like any other), and re-hashes
what comes back against the record: a server cannot pass off other bytes. This runs on the event loop, never on
the chain thread, so a slow server delays only the trace that asked.

Only `http://` and `https://` base addresses are fetched, with a timeout, at most `MAX_PARALLEL` at a time
and `MAX_FETCHES` per trace. A body is read as it streams in and dropped as soon as it passes `MAX_DATA` (or
declares more up front), so a server cannot make the node hold more than that per fetch; an error body is
read only far enough to quote it. The addresses come from records signed by registered participants; a
consortium that does not want its node to reach them can run it where it has no route to them (the record
then shows as not verified, as before).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from contractvm.chain.accounts import Keypair
from contractvm.data.auth import sign_request
from contractvm.node.data import check_data, summarize

TIMEOUT = 5.0  # seconds per information server
MAX_DATA = 16 * 1024 * 1024  # bytes of traceability data taken from a server
MAX_FETCHES = 64  # records fetched remotely per trace
MAX_PARALLEL = 8  # fetches in flight at once, per trace
MAX_REASON = 4096  # bytes of an error answer read, to quote its reason


async def fetch_missing(trace: dict[str, Any], keypair: Keypair, chain_id: int) -> dict[str, Any]:
    """`trace` with the data this node lacks fetched from each record's information server and re-checked."""
    missing = [r for r in trace["records"] if r["data_source"] is None and not r["checks"]["data"]][:MAX_FETCHES]
    if not missing:
        return trace
    slots = asyncio.Semaphore(MAX_PARALLEL)

    async def fetch(client: httpx.AsyncClient, record: dict[str, Any]) -> None:
        async with slots:
            await _fetch(client, record, keypair, chain_id)

    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        await asyncio.gather(*(fetch(client, r) for r in missing))
    return summarize(trace)


async def _fetch(client: httpx.AsyncClient, record: dict[str, Any], keypair: Keypair, chain_id: int) -> None:
    server = str(record["server"]).rstrip("/")
    if not server.startswith(("http://", "https://")):
        record["data_check"] = f"not stored on this node, and its information server {server!r} is not an http(s) " \
                               "address this node can ask"
        return
    target = f"/v1/data/{record['data_hash']}"
    headers = {"Authorization": sign_request(keypair, chain_id, "GET", target, b"", int(time.time()))}
    try:
        async with client.stream("GET", server + target, headers=headers) as response:
            if response.status_code != 200:
                answer = await _read(response, MAX_REASON)
                reason = "an answer too long to quote" if answer is None else _reason(answer)
                record["data_check"] = f"not stored on this node, and its information server {server} answered " \
                                       f"{response.status_code}: {reason}"
                return
            body = await _read(response, MAX_DATA)
    except httpx.HTTPError as exc:
        record["data_check"] = f"not stored on this node, and its information server {server} could not be " \
                               f"reached ({type(exc).__name__})"
        return
    if body is None:
        record["data_check"] = f"the data {server} sent is larger than {MAX_DATA} bytes"
        return
    check_data(record, body, server)


async def _read(response: httpx.Response, limit: int) -> bytes | None:
    """The body, read as it streams in; None as soon as it passes `limit` bytes (or declares more)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace")
