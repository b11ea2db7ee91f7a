"""The data service (Y.4560 9.3-9.7, 6.3): off-chain objects served only as the chain allows, every access accounted.

`DataApi` runs on the node's chain thread, beside `ChainApi`, and reads the chain directly:

- **Upload**: an envelope (`contractvm.data.envelope`) signed for by its owner. The node takes it only when the
  named `DataAccess` contract registers its fingerprint, with the uploader as owner and the same open/closed
  kind: the node stores only what the chain knows about, and nobody can squat someone else's fingerprint.
- **Download**: always a signed request, so every access is accounted to an account: open data to anyone,
  closed data only to a requester for whom `DataAccess.can_read` holds now. Before a byte is served, the node
  records the access on chain (`DataAccess.record`, sent with the node's service key and executed; mined at
  once with automine, in the next block with interval mining): if it cannot be recorded, it is not served.
  Every attempt, refusals included, also goes into the node's own access log.
- **Sealed keys**: the owner deposits the data key sealed to a reader (`PUT .../keys/{reader}`); the reader
  fetches it with a signed request while the grant holds.
- **Trace**: an object's traceability history (Appendix I.1.5 (2)), walked back through the `Traceability`
  contract, with every record hash recomputed, every signature and every piece of traceability data re-checked.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, NoReturn

from contractvm import crypto
from contractvm.chain.accounts import Keypair, address_from_text
from contractvm.chain.builder import TxBuilder
from contractvm.chain.chain import ChainError
from contractvm.chain.model import ReceiptStatus
from contractvm.data.auth import Requester
from contractvm.data.envelope import SEALED_KEY_SIZE, Envelope, EnvelopeError
from contractvm.data.objects import ObjectConflict, ObjectStore
from contractvm.isa.codec import decode
from contractvm.isa.program import Program
from contractvm.isa.types import U64, StructT
from contractvm.node import render
from contractvm.node.errors import ApiError
from contractvm.node.limits import DownloadLimits, Rate
from contractvm.node.ops import ChainApi

ZERO = bytes(20)
ACCESS_FUNCTIONS = ("owner_of", "is_closed", "can_read", "record")
TRACE_FUNCTIONS = ("latest_of", "previous_of", "parents_of", "record_of", "key_of")
MAX_TRACE = 1000  # records one trace request walks at most
RECORD_GAS = 1_000_000
DEFAULT_PER_READER = Rate(60, 60)  # downloads per reader: a minute's burst of 60, then one a second
DEFAULT_TOTAL = Rate(600, 60)  # downloads through the node, every reader together


def service_keypair() -> Keypair:
    """The development data-service key: the same on every machine, like the development accounts."""
    return Keypair.from_seed(crypto.blake2b256(b"contractvm dev data service"))


class DataApi:
    """The data service's operations; one per node, used from the chain thread only."""

    def __init__(self, api: ChainApi, objects: ObjectStore, keypair: Keypair,
                 clock: Callable[[], float] = time.time, limits: DownloadLimits | None = None) -> None:
        self.api = api
        self.objects = objects
        self.keypair = keypair
        self.clock = clock
        self.limits = limits or DownloadLimits(DEFAULT_PER_READER, DEFAULT_TOTAL, clock)

    @property
    def address(self) -> str:
        return render.address(self.keypair.address)

    # ------------------------------------------------------------------------------------------ objects

    def upload(self, requester: Requester, raw: bytes, access: bytes) -> tuple[dict[str, Any], bool]:
        """Store an uploaded envelope; returns its info and whether it was new."""
        try:
            envelope = Envelope.decode(raw)
        except EnvelopeError as exc:
            raise ApiError("bad_object", str(exc)) from None
        self._program(access, ACCESS_FUNCTIONS, "a DataAccess contract")
        fp = envelope.fingerprint
        owner = self._view(access, "owner_of", fp)
        if owner == ZERO:
            raise ApiError("forbidden", f"0x{fp.hex()} is not registered in {render.address(access)}: its owner "
                           "registers it there (register(fingerprint, closed)) before uploading")
        if owner != requester.address:
            raise ApiError("forbidden", f"only the registered owner {render.address(owner)} may upload "
                           f"0x{fp.hex()}, not {render.address(requester.address)}")
        closed = bool(self._view(access, "is_closed", fp))
        if closed != envelope.closed:
            registered, sent = ("closed", "open") if closed else ("open", "closed")
            raise ApiError("bad_object", f"{render.address(access)} registers 0x{fp.hex()} as {registered} data, "
                           f"but the upload is {sent}")
        try:
            info, created = self.objects.put(envelope, render.address(owner), render.address(access),
                                             int(self.clock()))
        except ObjectConflict as exc:
            raise ApiError("object_conflict", str(exc)) from None
        return info.to_json(), created

    def info(self, fp: bytes) -> dict[str, Any]:
        info = self.objects.info(fp)
        if info is None:
            raise ApiError("object_not_found", f"this node stores no object 0x{fp.hex()}")
        return {**info.to_json(), "accesses": self._view(address_from_text(info.access), "access_count", fp)
                if self._has(address_from_text(info.access), "access_count") else None}

    def download(self, requester: Requester, fp: bytes) -> tuple[bytes, dict[str, Any]]:
        """The stored envelope, once the chain allows it and the access is recorded; raises ApiError otherwise."""
        info = self.objects.info(fp)
        if info is None:
            raise ApiError("object_not_found", f"this node stores no object 0x{fp.hex()}")
        access = address_from_text(info.access)
        reader = requester.address
        entry: dict[str, Any] = {"time": int(self.clock()), "fingerprint": info.fingerprint,
                                 "reader": render.address(reader), "closed": info.closed}
        if not self._view(access, "can_read", fp, reader):
            self._refuse(entry, "forbidden", f"{render.address(reader)} holds no valid read grant for the closed "
                         f"object {info.fingerprint} in {info.access}: none was granted, or it expired or was "
                         "revoked")
        wait = self.limits.take(reader)
        if wait:
            self._refuse(entry, "rate_limited", f"too many downloads (this node serves at most "
                         f"{self.limits.describe()}); retry in {wait} s", {"Retry-After": str(wait)})
        try:
            receipt, height = self._record(access, fp, reader)
        except ApiError as exc:  # the record transaction was rejected outright: refused, and logged as such
            self._refuse(entry, exc.code, exc.message)
        if receipt.status != ReceiptStatus.SUCCESS:
            why = receipt.error or receipt.status.name.lower()
            self._refuse(entry, "access_not_recorded", f"the access could not be recorded on chain ({why}), so "
                         f"it is not served; the node's service account {self.address} needs the role server "
                         f"in {info.access}")
        record_id = decode(U64, receipt.return_data)
        entry.update(outcome="served", access_id=record_id, tx_hash=render.hex0x(receipt.tx_hash),
                     block_height=height)
        self.objects.log(entry)
        raw = self.objects.get(fp)
        assert raw is not None
        return raw, {"access_id": record_id, "tx_hash": receipt.tx_hash.hex(), "block_height": height,
                     "closed": info.closed}

    def _record(self, access: bytes, fp: bytes, reader: bytes) -> tuple[Any, int | None]:
        """Send `record(fp, reader)` with the service key; its receipt, and its block (None while pending: with
        interval mining it ran in the open block and is sealed with the next one)."""
        chain = self.api.chain
        program = self.api.programs.at(access)
        assert program is not None
        builder = TxBuilder(self.keypair, chain.genesis.chain_id)
        try:
            nonce = chain.nonce(self.keypair.address) + sum(1 for tx in chain.pending
                                                            if tx.sender == self.keypair.public_key)
            tx = builder.call(access, program, "record", (fp, reader), nonce=nonce, gas_limit=RECORD_GAS)
            receipt = chain.execute(tx)
        except ChainError as exc:
            raise ApiError("access_not_recorded", f"the access could not be recorded on chain ({exc}), so it is "
                           "not served") from None
        where = chain.locate(tx.hash)
        return receipt, None if where is None else where[0]

    def _refuse(self, entry: dict[str, Any], code: str, message: str,
                headers: dict[str, str] | None = None) -> NoReturn:
        self.objects.log({**entry, "outcome": "refused", "reason": message})
        raise ApiError(code, message, headers)

    def access_log(self, requester: Requester, fp: bytes, limit: int) -> dict[str, Any]:
        """The node's log of attempts on an object, for its owner only (refusals say who tried, and why)."""
        info = self.objects.info(fp)
        if info is None:
            raise ApiError("object_not_found", f"this node stores no object 0x{fp.hex()}")
        owner = self._view(address_from_text(info.access), "owner_of", fp)
        if owner != requester.address:
            raise ApiError("forbidden", f"only the owner {render.address(owner)} reads the access log of "
                           f"{info.fingerprint}; the accesses served are public on chain (Accessed events)")
        return {"fingerprint": "0x" + fp.hex(), "entries": self.objects.access_log("0x" + fp.hex(), limit)}

    # ------------------------------------------------------------------------------------- sealed keys

    def put_key(self, requester: Requester, fp: bytes, reader: bytes, sealed: bytes) -> dict[str, Any]:
        info = self.objects.info(fp)
        if info is None:
            raise ApiError("object_not_found", f"this node stores no object 0x{fp.hex()}: upload it first")
        if not info.closed:
            raise ApiError("bad_object", f"0x{fp.hex()} is open data: it has no data key")
        owner = self._view(address_from_text(info.access), "owner_of", fp)
        if owner != requester.address:
            raise ApiError("forbidden", f"only the owner {render.address(owner)} deposits data keys for "
                           f"0x{fp.hex()}")
        if len(sealed) != SEALED_KEY_SIZE:
            raise ApiError("bad_object", f"a sealed data key is {SEALED_KEY_SIZE} bytes, not {len(sealed)}")
        self.objects.put_key(fp, reader, sealed)
        return {"fingerprint": info.fingerprint, "reader": render.address(reader),
                "sealed_key_digest": render.hex0x(hashlib.sha256(sealed).digest())}

    def get_key(self, requester: Requester, fp: bytes) -> bytes:
        info = self.objects.info(fp)
        if info is None:
            raise ApiError("object_not_found", f"this node stores no object 0x{fp.hex()}")
        if not self._view(address_from_text(info.access), "can_read", fp, requester.address):
            entry = {"time": int(self.clock()), "fingerprint": info.fingerprint,
                     "reader": render.address(requester.address), "closed": info.closed}
            self._refuse(entry, "forbidden", f"{render.address(requester.address)} holds no valid read grant for "
                         f"{info.fingerprint}: none was granted, or it expired or was revoked (data key refused)")
        sealed = self.objects.get_key(fp, requester.address)
        if sealed is None:
            raise ApiError("key_not_found", f"no data key for {info.fingerprint} is sealed to "
                           f"{render.address(requester.address)} yet: its owner deposits it on delivery")
        return sealed

    # ------------------------------------------------------------------------------------------ tracing

    def trace(self, contract: bytes, object_id: bytes) -> dict[str, Any]:
        """An object's whole history walked back (I.1.5 (2)), each record re-checked.

        Unlike the contract's bounded `trace_back`, the node walks as far as the history goes (up to
        `MAX_TRACE` records, else it says the history was cut): the object's records newest first, then, from its
        first record, those of the objects it was derived from (one parent for a split or a relabel, several for
        a merge), depth first. Each record's `linked` check: the party that handed it over is the one that held
        the object, i.e. the transfer-in of the record before it (the previous record of the same object, or
        the last record of each parent). Its `quantity` check, for a record with a previous one: no more was
        handed over than that record's quantity (goods are lost along a chain, never created)."""
        self._program(contract, TRACE_FUNCTIONS, "a Traceability contract")
        records: list[dict[str, Any]] = []
        lineage: list[dict[str, Any]] = []
        pending, seen, cut = [object_id], set(), False
        while pending and not cut:
            current_object = pending.pop(0)
            if current_object in seen:
                continue
            seen.add(current_object)
            record_id = int(self._view(contract, "latest_of", current_object))
            while record_id and not cut:
                if len(records) >= MAX_TRACE:
                    cut = True
                    break
                records.append(self._checked_record(contract, record_id))
                record_id = int(self._view(contract, "previous_of", record_id))
            parents = [bytes(p) for p in self._view(contract, "parents_of", current_object)]
            if parents:
                lineage.append({"object_id": render.hex0x(current_object),
                                "derived_from": [render.hex0x(p) for p in parents]})
            pending.extend(parents)
        self._check_links(contract, records)
        return summarize({"object_id": render.hex0x(object_id), "contract": render.address(contract),
                          "records": records, "lineage": lineage, "complete": not cut})

    def _check_links(self, contract: bytes, records: list[dict[str, Any]]) -> None:
        by_id = {r["id"]: r for r in records}
        last_of: dict[str, dict[str, Any]] = {}
        for r in records:  # newest first: the first one seen for an object is its last record
            last_of.setdefault(r["object_id"], r)
        for r in records:
            if r["previous"]:
                before = [by_id[r["previous"]]] if r["previous"] in by_id else []
                if before:
                    r["checks"]["quantity"] = r["quantity"] <= before[0]["quantity"]
            else:
                parents = self._view(contract, "parents_of", bytes.fromhex(r["object_id"][2:]))
                before = [last_of[render.hex0x(bytes(p))] for p in parents if render.hex0x(bytes(p)) in last_of]
            if before:
                r["checks"]["linked"] = all(b["transfer_in"] == r["transfer_out"] for b in before)

    def _checked_record(self, contract: bytes, record_id: int) -> dict[str, Any]:
        r = self._view(contract, "record_of", record_id)
        server = str(r["server"])
        location = str(r["location"])
        recomputed = hashlib.sha256(contract + r["object_id"] + server.encode() + r["data_hash"] + r["transfer_out"]
                                    + r["transfer_in"] + int(r["quantity"]).to_bytes(8, "big")
                                    + hashlib.sha256(location.encode()).digest()
                                    + int(r["previous"]).to_bytes(8, "big")).digest()
        checks = {"record_hash": recomputed == r["record_hash"],
                  "signature": self._signed_by(contract, r["transfer_out"], r["record_hash"], r["signature"])}
        record = {"id": record_id, "object_id": render.hex0x(r["object_id"]), "server": server,
                  "data_hash": render.hex0x(r["data_hash"]), "transfer_out": render.address(r["transfer_out"]),
                  "transfer_in": render.address(r["transfer_in"]), "quantity": r["quantity"], "location": location,
                  "timestamp": r["timestamp"],
                  "previous": r["previous"], "confirmations": r["confirmations"], "accepted": r["accepted"],
                  "data": None, "data_source": None, "data_check": "", "checks": checks}
        raw = self.objects.get(r["data_hash"])
        if raw is None:
            checks["data"] = False
            record["data_check"] = f"not stored on this node (its information server is {server})"
        else:
            check_data(record, raw, "this node")
        return record

    def _signed_by(self, contract: bytes, participant: bytes, message: bytes, signature: bytes) -> bool:
        """Whether `participant` signed: with its key now, or with a key the operator registered for it before
        (the contract checked the signature against the key of the time; a key may have been replaced since)."""
        if crypto.ed25519_verify(bytes(self._view(contract, "key_of", participant)), message, signature):
            return True
        program = self.api.programs.at(contract)
        declared = None if program is None else next(
            (e for e in program.events if e.name == "ParticipantRegistered"), None)
        if declared is None:
            return False
        shape = StructT(declared.name, declared.fields)
        for stored in self.api.chain.events(contract, "ParticipantRegistered"):
            who, key = decode(shape, stored.event.data)  # type: ignore[misc]
            if who == participant and crypto.ed25519_verify(bytes(key), message, signature):
                return True
        return False

    # ------------------------------------------------------------------------------------------ helpers

    def _program(self, address: bytes, needs: tuple[str, ...], what: str) -> Program:
        program = self.api.programs.at(address)
        if program is None:
            raise ApiError("contract_not_found", f"no contract at {render.address(address)}")
        missing = [n for n in needs if not self._has(address, n)]
        if missing:
            raise ApiError("bad_parameter", f"{render.address(address)} is not {what} (it lacks "
                           f"{', '.join(missing)})")
        return program

    def _has(self, address: bytes, name: str) -> bool:
        program = self.api.programs.at(address)
        f = None if program is None else program.function(name)
        return f is not None and f.public and not f.constructor

    def _view(self, address: bytes, function: str, *args: object) -> Any:
        """A public function's value at the head, without a transaction; a struct comes back as a dict."""
        result = self.api.chain.call(address, function, args)
        if not result.success:
            failure = result.failure.message if result.failure is not None else "failed"
            raise ApiError("bad_parameter", f"{function} on {render.address(address)} failed: {failure}")
        program = self.api.programs.at(address)
        f = None if program is None else program.function(function)
        if f is not None and isinstance(f.returns, StructT):
            return {name: item for (name, _), item in zip(f.returns.fields, result.value, strict=True)}
        return result.value


def check_data(record: dict[str, Any], raw: bytes, source: str) -> None:
    """Re-hash the traceability data `raw` (an open envelope) against the record's data hash; sets the record's
    `data`, `data_source`, `data_check` and `checks["data"]`."""
    record["data_source"] = source
    try:
        envelope = Envelope.decode(raw)
        if "0x" + envelope.fingerprint.hex() != record["data_hash"]:
            raise EnvelopeError(f"the object {source} holds under {record['data_hash']} is "
                                f"{render.hex0x(envelope.fingerprint)}: it was altered")
        record["data"] = _readable(envelope.payload())
        record["checks"]["data"] = True
        record["data_check"] = ("re-hashed: matches data_hash" if source == "this node"
                                else f"fetched from {source} and re-hashed: matches data_hash")
    except EnvelopeError as exc:
        record["data"] = None
        record["checks"]["data"] = False
        record["data_check"] = str(exc)


def summarize(trace: dict[str, Any]) -> dict[str, Any]:
    """`trace` with its `problems` (every failed check, and a cut history) and `verified`."""
    records = trace["records"]
    problems = [f"record {r['id']}: {name}" for r in records for name, ok in r["checks"].items() if not ok]
    if not trace["complete"]:
        problems.append(f"the history is longer than {MAX_TRACE} records: it was cut there")
    return {**trace, "verified": bool(records) and not problems, "problems": problems}


def _readable(payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return {"bytes": len(payload)}
    try:
        return json.loads(text)
    except ValueError:
        return text
