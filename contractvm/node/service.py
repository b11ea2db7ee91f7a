"""`NodeService`: the chain behind the HTTP API, owned by one thread.

A `Chain` is not thread-safe, and its LMDB store wants one thread, so every chain access (opening it, each
request's work, mining, closing it) runs on one dedicated worker thread, one job at a time, in arrival order.
The event loop only awaits those jobs, so it keeps answering (and streaming) while a block is being executed.

Mining: automine (a block per transaction, the default) or interval mining (`block_time` seconds: transactions
wait in the pending pool and a block, empty or not, is sealed every `block_time` seconds, like a development
node's `--block-time`). After every job that may have committed blocks, the new blocks are rendered on the
chain thread (only while someone listens) and handed to the stream's broadcaster.

The data service (`DataApi`) lives on the same thread: its object store is LMDB too, and every download
records its access on the chain before it is served.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from contractvm.chain.accounts import Keypair
from contractvm.chain.chain import Chain
from contractvm.data.auth import ReplayGuard
from contractvm.data.objects import ObjectStore
from contractvm.node.data import DEFAULT_PER_READER, DEFAULT_TOTAL, DataApi, service_keypair
from contractvm.node.errors import ApiError
from contractvm.node.limits import DownloadLimits, Rate
from contractvm.node.ops import ChainApi
from contractvm.node.stream import Broadcaster

T = TypeVar("T")
log = logging.getLogger("contractvm.node")
PUBLISH_BATCH = 100  # at most this many blocks rendered per job for the stream (a subscriber replays the rest)


class NodeService:
    """The node's chain, its worker thread, its miner and its stream broadcaster."""

    def __init__(self, open_chain: Callable[[], Chain], *, block_time: float | None = None,
                 open_objects: Callable[[], ObjectStore] = ObjectStore.memory,
                 service_key: Keypair | None = None, download_rate: Rate | None = DEFAULT_PER_READER,
                 node_download_rate: Rate | None = DEFAULT_TOTAL) -> None:
        if block_time is not None and not block_time > 0:
            raise ValueError("block_time must be a positive number of seconds")
        self.block_time = block_time
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contractvm-chain")
        self.broadcaster = Broadcaster()
        self.replays = ReplayGuard()
        self._miner: asyncio.Task[None] | None = None
        self._closed = False
        self._download_rates = (download_rate, node_download_rate)
        try:
            self.api, self.data = self._pool.submit(self._open, open_chain, open_objects,
                                                    service_key or service_keypair()).result()
        except BaseException:
            self._pool.shutdown(wait=True)
            raise
        self.published = self.api.chain.height
        self.chain_id = self.api.chain.genesis.chain_id

    def _open(self, open_chain: Callable[[], Chain], open_objects: Callable[[], ObjectStore],
              service_key: Keypair) -> tuple[ChainApi, DataApi]:
        chain = open_chain()
        try:
            objects = open_objects()
        except BaseException:
            chain.close()
            raise
        chain.automine = self.block_time is None
        mining = {"mode": "automine" if self.block_time is None else "interval", "block_time": self.block_time}
        api = ChainApi(chain, mining)
        limits = DownloadLimits(*self._download_rates, clock=time.time)
        return api, DataApi(api, objects, service_key, limits=limits)

    @property
    def chain(self) -> Chain:
        """The chain itself: touch it only through `run`/`run_sync`, which put the work on the chain thread."""
        return self.api.chain

    # Jobs on the chain thread

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the chain thread and await its result (its exception is raised here)."""
        if self._closed:
            raise ApiError("unavailable", "the node is shutting down")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args))

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Like `run`, for a job that may commit blocks: the stream is told about them afterwards."""
        return await self.run(self._then_publish, fn, args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the chain thread from a thread that is not the event loop's (tests, the CLI)."""
        return self._pool.submit(fn, *args).result()

    def _then_publish(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            return fn(*args)
        finally:
            self._publish_new_blocks()

    def _publish_new_blocks(self) -> None:
        height = self.api.chain.height
        if height <= self.published:
            return
        start, self.published = self.published + 1, height
        if self.broadcaster.active:
            first = max(start, height - PUBLISH_BATCH + 1)
            self.broadcaster.publish_threadsafe(self.api.blocks_from(first, height - first + 1))

    # Life cycle (called on the event loop)

    async def start(self) -> None:
        self.broadcaster.bind(asyncio.get_running_loop())
        if self.block_time is not None and self._miner is None:
            self._miner = asyncio.get_running_loop().create_task(self._mine_every(self.block_time))

    async def _mine_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.write(self.api.mine)
            except ApiError:
                return  # shutting down
            except Exception:  # a failed block must not stop the miner; the next interval tries again
                log.exception("mining a block failed")

    async def stop(self) -> None:
        """End the streams and the miner; the chain stays open until `close`."""
        self.broadcaster.close()
        if self._miner is not None:
            self._miner.cancel()
            try:
                await self._miner
            except asyncio.CancelledError:
                pass
            self._miner = None

    def _close_stores(self) -> None:
        try:
            self.data.objects.close()
        finally:
            self.api.chain.close()

    def close(self) -> None:
        """Close the chain (on its thread, after every job already queued) and stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._pool.submit(self._close_stores).result()
        finally:
            self._pool.shutdown(wait=True)
