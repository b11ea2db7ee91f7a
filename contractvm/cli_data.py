"""The data commands of `contractvm` (docs/cli.md, docs/data-service.md): `data put|seal|get|info|log` and `trace`.

Secrets stay on this machine: `data put --closed` encrypts before uploading and writes the data key to a
file only its owner can read; `data seal` seals that key to a buyer's public key; `data get` decrypts and
re-checks the fingerprint before it writes a byte. Exit codes follow `contractvm.cli`: 1 for a refusal or a
failed check (with the node's reason), 2 for bad usage.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from contractvm import cli_format
from contractvm.chain.accounts import address_from_public_key, address_to_text
from contractvm.cli import fail, guarded, main, note
from contractvm.cli_node import address_arg, json_option, key_options, keypair_of, node_errors, rpc_option
from contractvm.data.envelope import (
    Envelope,
    EnvelopeError,
    closed_secrets,
    parse_fingerprint,
    parse_hex32,
    wrap_closed,
)

KEY_FORMAT = "contractvm data key v1"
ACCESS_ENV = "CONTRACTVM_ACCESS"
TRACE_ENV = "CONTRACTVM_TRACEABILITY"


def fingerprint_arg(text: str) -> bytes:
    return hex32_arg(text, "a fingerprint")


def hex32_arg(text: str, what: str) -> bytes:
    try:
        return parse_hex32(text, what)
    except EnvelopeError as exc:
        raise click.BadParameter(str(exc)) from None


@main.group("data")
def data_group() -> None:
    """Off-chain data through a node's data service: put, seal a key, get, info, log (docs/data-service.md)."""


@data_group.command("put")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--access", required=True, envvar=ACCESS_ENV, metavar="ADDRESS",
              help=f"The DataAccess contract to register it in (or set {ACCESS_ENV}).")
@click.option("--closed", is_flag=True, help="Closed data: encrypt it under a fresh data key (default: open data).")
@click.option("--data-key", "data_key_path", type=click.Path(path_type=Path, dir_okay=False), metavar="PATH",
              help="Where to write the data key of closed data (default: FILE.datakey; never overwritten).")
@rpc_option
@key_options
@json_option
@guarded
def put_cmd(file: Path, access: str, closed: bool, data_key_path: Path | None, rpc: str, key_file: Path | None,
            password_file: Path | None, dev_account: int | None, as_json: bool) -> None:
    """Register FILE's salted fingerprint on chain as yours, then upload it; prints the fingerprint."""
    from contractvm.client.data import DataClient, prepare

    owner = keypair_of(key_file, password_file, dev_account)
    access_address = address_arg(access)
    payload = _read(file)
    key_path = data_key_path or file.with_name(file.name + ".datakey")
    resumed = closed and key_path.exists()
    if resumed:  # a publication cut short (or done): the same envelope again, from the key file's secrets
        envelope, data_key = _resume(key_path, payload, file)
    else:
        envelope, data_key = prepare(payload, closed=closed)
    fingerprint = "0x" + envelope.fingerprint.hex()
    if data_key is not None and not resumed:  # kept before anything leaves this machine: a lost key loses the data
        salt, nonce = closed_secrets(envelope, data_key)
        _write_private(key_path, json.dumps({"format": KEY_FORMAT, "fingerprint": fingerprint,
                                             "data_key": data_key.hex(), "salt": salt.hex(), "nonce": nonce.hex()},
                                            indent=2) + "\n")
    with node_errors(rpc) as client:
        published = DataClient(client).publish_envelope(owner, envelope, data_key, access_address)
    if as_json:
        click.echo(json.dumps({**published.info, "data_key_file": str(key_path) if closed else None}))
        return
    click.echo(fingerprint)
    note(f"{'closed (encrypted)' if closed else 'open'} data, {len(payload)} bytes, registered to "
         f"{address_to_text(owner.address)} in {access}")
    if resumed:
        note(f"resumed from {key_path}: the same fingerprint, registered and stored once")
    elif closed:
        note(f"data key written to {key_path}: keep it secret; `contractvm data seal` gives it to a buyer")


@data_group.command("seal")
@click.argument("fingerprint", callback=lambda ctx, param, value: fingerprint_arg(value))
@click.option("--to", "reader_key", required=True, metavar="PUBLIC_KEY",
              help="The reader's account public key, 64 hex digits (`contractvm keys show`).")
@click.option("--data-key", "data_key_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              metavar="PATH", help="The data key file `data put --closed` wrote.")
@rpc_option
@key_options
@json_option
@guarded
def seal_cmd(fingerprint: bytes, reader_key: str, data_key_path: Path, rpc: str, key_file: Path | None,
             password_file: Path | None, dev_account: int | None, as_json: bool) -> None:
    """Seal the data key of FINGERPRINT to a reader and deposit it on the node; prints the sealed key's digest
    (record it on chain with the exchange's `deliver`)."""
    from contractvm.client.data import DataClient

    owner = keypair_of(key_file, password_file, dev_account)
    public_key = _public_key(reader_key)
    data_key = _load_data_key(data_key_path, fingerprint)
    with node_errors(rpc) as client:
        digest = DataClient(client).deliver_key(owner, fingerprint, data_key, public_key)
    reader = address_to_text(address_from_public_key(public_key))
    if as_json:
        click.echo(json.dumps({"fingerprint": "0x" + fingerprint.hex(), "reader": reader,
                               "sealed_key_digest": "0x" + digest.hex()}))
        return
    click.echo("0x" + digest.hex())
    note(f"data key sealed to {reader} and deposited on the node")


@data_group.command("get")
@click.argument("fingerprint", callback=lambda ctx, param, value: fingerprint_arg(value))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Where to write the payload (written only once every check passed).")
@rpc_option
@key_options
@json_option
@guarded
def get_cmd(fingerprint: bytes, output: Path, rpc: str, key_file: Path | None, password_file: Path | None,
            dev_account: int | None, as_json: bool) -> None:
    """Download FINGERPRINT (a signed request: every access is accounted), decrypt it, re-check it, write it to
    FILE."""
    from contractvm.client import ClientError
    from contractvm.client.data import DataClient

    reader = keypair_of(key_file, password_file, dev_account)
    with node_errors(rpc) as client:
        try:
            fetched = DataClient(client).fetch(reader, fingerprint)
        except ClientError as exc:
            if exc.code == "tampered":
                fail(f"refused: {exc.message}; nothing was written")
            if exc.code in ("forbidden", "unauthorized", "key_not_found", "access_not_recorded"):
                fail(f"refused by the node: {exc.message}")
            raise
    _write_atomically(output, fetched.payload)
    if as_json:
        click.echo(json.dumps({"fingerprint": "0x" + fingerprint.hex(), "output": str(output),
                               "bytes": len(fetched.payload), "closed": fetched.closed,
                               "access_id": fetched.access_id, "access_tx": fetched.access_tx}))
        return
    click.echo(f"wrote {len(fetched.payload)} bytes to {output}")
    note(f"fingerprint checked{' after decryption' if fetched.closed else ''}; access #{fetched.access_id} "
         f"recorded on chain by transaction {fetched.access_tx}")


@data_group.command("info")
@click.argument("fingerprint", callback=lambda ctx, param, value: fingerprint_arg(value))
@rpc_option
@json_option
@guarded
def info_cmd(fingerprint: bytes, rpc: str, as_json: bool) -> None:
    """What the node knows about FINGERPRINT: kind, size, owner, access contract, accesses so far."""
    from contractvm.client.data import DataClient

    with node_errors(rpc) as client:
        info = DataClient(client).info(fingerprint)
    if as_json:
        click.echo(json.dumps(info))
        return
    rows = [(name, "-" if info.get(name) is None else str(info[name]))
            for name in ("fingerprint", "closed", "size", "owner", "access", "stored_at", "accesses")]
    click.echo(cli_format.table(("field", "value"), rows))


@data_group.command("log")
@click.argument("fingerprint", callback=lambda ctx, param, value: fingerprint_arg(value))
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True, help="Entries to show.")
@rpc_option
@key_options
@json_option
@guarded
def log_cmd(fingerprint: bytes, limit: int, rpc: str, key_file: Path | None, password_file: Path | None,
            dev_account: int | None, as_json: bool) -> None:
    """The node's access attempts on FINGERPRINT, newest first, refusals with their reason (its owner only)."""
    from contractvm.client.data import DataClient

    owner = keypair_of(key_file, password_file, dev_account)
    with node_errors(rpc) as client:
        entries = DataClient(client).access_log(owner, fingerprint, limit)
    if as_json:
        click.echo(json.dumps(entries))
        return
    rows = [(e["seq"], e["time"], e["reader"], e["outcome"],
             f"access #{e['access_id']}" if e["outcome"] == "served" else e.get("reason", "")) for e in entries]
    click.echo(cli_format.table(("#", "time", "reader", "outcome", "record or reason"), rows))


@main.command("trace")
@click.argument("object_id", callback=lambda ctx, param, value: hex32_arg(value, "an object identifier"))
@click.option("--contract", required=True, envvar=TRACE_ENV, metavar="ADDRESS",
              help=f"The Traceability contract (or set {TRACE_ENV}).")
@rpc_option
@json_option
@guarded
def trace_cmd(object_id: bytes, contract: str, rpc: str, as_json: bool) -> None:
    """Walk OBJECT_ID's traceability history back (Y.4560 I.1.5 (2)), every hash and signature re-checked."""
    from contractvm.client.data import DataClient

    address_arg(contract)
    with node_errors(rpc) as client:
        trace = DataClient(client).trace(contract, object_id)
    if as_json:
        click.echo(json.dumps(trace))
    else:
        click.echo(trace_text(trace))
    if not trace["verified"]:
        fail("the history does not verify: " + ("; ".join(trace["problems"]) or "no records for this object"))


def trace_text(trace: dict[str, Any]) -> str:
    lines = [f"object {trace['object_id']}: {len(trace['records'])} record(s), newest first"]
    for r in trace["records"]:
        checks = ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in r["checks"].items())
        state = "accepted" if r["accepted"] else "not accepted"
        lines.append(f"  #{r['id']} {r['object_id'][:18]}... {r['transfer_out']} -> {r['transfer_in']} "
                     f"at {r['timestamp']} ({state}, {r['confirmations']} confirmation(s))")
        lines.append(f"     {r['quantity']} handed over at {r['location']}")
        lines.append(f"     data {r['data_hash'][:18]}... on {r['server']}: {r['data_check']}")
        if r["data"] is not None:
            lines.append(f"     {json.dumps(r['data'], ensure_ascii=False)[:110]}")
        lines.append(f"     checks: {checks}")
    for link in trace.get("lineage", []):
        parents = ", ".join(p[:18] + "..." for p in link["derived_from"])
        lines.append(f"  {link['object_id'][:18]}... was derived from {parents}")
    lines.append("verified: every hash, signature and hand-over checks" if trace["verified"]
                 else "NOT verified")
    return "\n".join(lines)


# files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")


def _public_key(text: str) -> bytes:
    try:
        return parse_hex32(text, "a public key")
    except EnvelopeError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None


def _resume(path: Path, payload: bytes, file: Path) -> tuple[Envelope, bytes]:
    """The envelope a key file was made for, rebuilt from its secrets; refuses if FILE is not that payload."""
    try:
        document = json.loads(_read(path))
        if document.get("format") != KEY_FORMAT:
            raise ValueError("not a data key file")
        stored = parse_fingerprint(document["fingerprint"])
        key, salt, nonce = (bytes.fromhex(document[name]) for name in ("data_key", "salt", "nonce"))
        envelope, _ = wrap_closed(payload, data_key=key, salt=salt, nonce=nonce)
    except (ValueError, KeyError, TypeError, AttributeError, EnvelopeError):
        fail(f"{path} already exists and cannot resume this publication: choose another --data-key (a data key "
             "is never overwritten)")
    if envelope.fingerprint != stored:
        fail(f"{path} was made for other contents than {file}'s: choose another --data-key (a data key is never "
             "overwritten)")
    return envelope, key


def _load_data_key(path: Path, fingerprint: bytes) -> bytes:
    try:
        document = json.loads(_read(path))
        if document.get("format") != KEY_FORMAT:
            raise ValueError("not a data key file")
        stored, key = parse_fingerprint(document["fingerprint"]), bytes.fromhex(document["data_key"])
    except (ValueError, KeyError, TypeError, AttributeError, EnvelopeError):
        fail(f"{path}: not a contractvm data key file")
    if stored != fingerprint:
        fail(f"{path} holds the key of 0x{stored.hex()}, not of 0x{fingerprint.hex()}")
    if len(key) != 32:
        fail(f"{path}: the data key is not 32 bytes")
    return key


def _write_private(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{path} already exists (a data key is never overwritten)")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"{path}: cannot write: {exc.strerror or exc}")
