"""The node commands of `contractvm` (docs/cli.md, docs/node-api.md): `node`, `deploy`, `call` and `send`.

`node` serves a chain over HTTP; the others talk to a node through `contractvm.client` (`--rpc URL`, or the
CONTRACTVM_RPC environment variable). They follow `contractvm.cli`'s rules: results on stdout (`--json` for
scripts), errors on stderr, exit 0 on success, 1 for an error in what was asked (an unreachable node, a rejected
transaction, a call or transaction that reverted), 2 for bad usage. Arguments are parsed by the function's ABI
types (`contractvm.node.values.from_text`).
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from contractvm import cli_format
from contractvm.chain.accounts import (
    AddressError,
    KeyfileError,
    Keypair,
    address_from_text,
    address_to_text,
    dev_keypair,
    load_keyfile,
)
from contractvm.chain.builder import DEFAULT_GAS_LIMIT, TxBuilder
from contractvm.chain.model import EncodingError, Genesis, GenesisError, contract_address
from contractvm.cli import fail, guarded, load_contract, main, note
from contractvm.cli_keys import ask_password
from contractvm.cli_node_output import Known, locate, receipt_json, receipt_text, value_text, wait_for_receipt
from contractvm.isa.program import Function, Program
from contractvm.node.limits import Rate, parse_rate
from contractvm.node.values import ArgumentError, args_from_text, to_json

if TYPE_CHECKING:  # the client (httpx) is imported when a command needs it: ~0.2 s off every other command
    from contractvm.client import Client, Receipt

RPC_ENV = "CONTRACTVM_RPC"
DEFAULT_URL = "http://127.0.0.1:8545"  # contractvm.client.DEFAULT_URL
ARTIFACT_DIRS = (Path("build"),)  # where call/send look for a contract's artifact (by code hash) when not given
DEV_ACCOUNTS = 10

rpc_option = click.option("--rpc", default=DEFAULT_URL, envvar=RPC_ENV, show_default=True, metavar="URL",
                          help=f"The node's URL (or set {RPC_ENV}).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
timeout_option = click.option("--timeout", type=click.FloatRange(min=0), default=60.0, show_default=True,
                              help="Seconds to wait for the transaction's block.")


KEY_OPTIONS = [
    click.option("--key", "key_file", type=click.Path(path_type=Path), metavar="FILE",
                 help="Sign with this key file (`contractvm keys new`)."),
    click.option("--password-file", type=click.Path(path_type=Path), metavar="F",
                 help="The key file's password: the first line of F (else it is asked for)."),
    click.option("--dev-account", type=click.IntRange(min=0), metavar="N",
                 help="Sign with development account N (public keys: development chains only)."),
]


def key_options(fn: Any) -> Any:
    """--key FILE [--password-file F] | --dev-account N: who signs (`keypair_of` reads them)."""
    for option in reversed(KEY_OPTIONS):
        fn = option(fn)
    return fn


def signing_options(fn: Any) -> Any:
    """The key options, and what a transaction carries: value, gas limit, fee."""
    for option in reversed([
        *KEY_OPTIONS,
        click.option("--value", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Native tokens to attach."),
        click.option("--gas-limit", type=click.IntRange(min=0), default=DEFAULT_GAS_LIMIT, show_default=True,
                     help="The most gas the transaction may use."),
        click.option("--fee-per-gas", type=click.IntRange(min=0), default=0, show_default=True,
                     help="What each unit of gas costs the sender."),
    ]):
        fn = option(fn)
    return fn


@contextmanager
def node_errors(rpc: str) -> Iterator[Client]:
    """A client for `rpc`; its errors become CLI errors (exit 1)."""
    from contractvm.client import Client, ClientError

    client = Client(rpc)
    try:
        yield client
    except ClientError as exc:
        fail(exc.message if exc.code in ("unreachable", "timeout") else f"{exc.message} ({exc.code})")
    finally:
        client.close()


def keypair_of(key_file: Path | None, password_file: Path | None, dev_account: int | None) -> Keypair:
    if (key_file is None) == (dev_account is None):
        raise click.UsageError("give exactly one of --key FILE and --dev-account N")
    if dev_account is not None:
        if password_file is not None:
            raise click.UsageError("--password-file goes with --key")
        return dev_keypair(dev_account)
    assert key_file is not None
    if not key_file.is_file():
        fail(f"{key_file}: no such file")
    try:
        return load_keyfile(key_file, ask_password(password_file, confirm=False))
    except KeyfileError as exc:
        fail(f"{key_file}: {exc}")
    except OSError as exc:
        fail(f"{key_file}: cannot read: {exc.strerror or exc}")


def address_arg(text: str) -> bytes:
    try:
        return address_from_text(text)
    except AddressError as exc:
        fail(str(exc))


def parse_args(f: Function, names: list[str] | None, texts: tuple[str, ...]) -> tuple[object, ...]:
    try:
        return args_from_text(f.params, texts, names)
    except ArgumentError as exc:
        fail(f"{f.signature}: {exc}")


def public_function(program: Program, name: str) -> Function:
    f = program.function(name)
    if f is None or not f.public or f.constructor:
        names = ", ".join(g.name for g in program.functions if g.public and not g.constructor)
        fail(f"the contract has no public function {name!r} (it has: {names or 'none'})")
    return f


def input_names(known: Known | None, function: str) -> list[str] | None:
    entry = known.artifact.function(function) if known is not None else None
    return [i["name"] for i in entry["inputs"]] if entry else None


def contract_target(client: Client, address: bytes, artifact_path: Path | None) -> tuple[Program, Known | None]:
    """The program to type arguments with, and the artifact (given, or found in build/ by code hash) if any."""
    if artifact_path is not None:
        loaded = load_contract(artifact_path)
        on_chain = client.account(address).code_hash
        if on_chain is None:
            fail(f"there is no contract at {client.account(address).address}")
        if on_chain.hex() != loaded.artifact.code_hash:
            note(f"{artifact_path} is not the code deployed at this address (code hash differs); using it anyway")
        return loaded.artifact.program, Known(address, loaded.artifact, loaded.source)
    contract = client.contract(address, code=True)
    for directory in ARTIFACT_DIRS:
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            try:
                matches = json.loads(path.read_text(encoding="utf-8")).get("code_hash") == contract.code_hash.hex()
            except (OSError, ValueError, AttributeError):
                continue
            if matches:
                loaded = load_contract(path)
                return loaded.artifact.program, Known(address, loaded.artifact, loaded.source)
    return contract.program, None


def finish(receipt: Receipt, known: Known | None, as_json: bool, deployed: str | None = None) -> None:
    """Print the receipt; a failed transaction prints where it failed and exits 1."""
    where = None if receipt.success else locate(receipt.error_location, receipt.status, receipt.error or "", known)
    if as_json:
        click.echo(json.dumps(receipt_json(receipt, where), indent=1, ensure_ascii=False))
    else:
        click.echo(receipt_text(receipt, deployed=deployed if receipt.success else None))
    if not receipt.success:
        kind = "OutOfGas" if receipt.status == "out_of_gas" else "Revert"
        click.echo(f"error: {where['rendered'] if where else f'{kind}: {receipt.error}'}", err=True)
        raise click.exceptions.Exit(1)


@contextmanager
def building() -> Iterator[None]:
    """A transaction field out of range (a value over 2**256, a gas limit over 2**64) is an error in what was asked."""
    try:
        yield
    except EncodingError as exc:
        fail(f"cannot build the transaction: {exc}")


def submit(client: Client, tx: Any, timeout: float) -> Receipt:
    submitted = client.send_transaction(tx)
    return submitted.receipt or wait_for_receipt(client, submitted.hash, timeout)


# deploy


@main.command("deploy")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("args", nargs=-1)
@rpc_option
@signing_options
@timeout_option
@json_option
@guarded
def deploy_cmd(file: Path, args: tuple[str, ...], rpc: str, key_file: Path | None, password_file: Path | None,
               dev_account: int | None, value: int, gas_limit: int, fee_per_gas: int, timeout: float,
               as_json: bool) -> None:
    """Deploy a contract (.ctr source, compiled first, or .json artifact) with constructor ARGS."""
    loaded = load_contract(file)
    artifact = loaded.artifact
    program = artifact.program
    ctor = program.constructor
    values: tuple[object, ...] = ()
    if ctor is not None:
        values = parse_args(ctor, [i["name"] for i in artifact.abi["constructor"]["inputs"]], args)
    elif args:
        fail(f"{artifact.contract} has no constructor: it takes no arguments, {len(args)} given")
    keypair = keypair_of(key_file, password_file, dev_account)
    with node_errors(rpc) as client:
        nonce = client.nonce(keypair.address)
        with building():
            tx = TxBuilder(keypair, client.chain_id()).deploy(artifact.bytecode, values, nonce=nonce, value=value,
                                                             gas_limit=gas_limit, fee_per_gas=fee_per_gas)
        known = Known(contract_address(keypair.address, nonce), artifact, loaded.source)
        if not as_json:
            note(f"deploying {artifact.contract} ({len(artifact.bytecode)} bytes) from "
                 f"{client.account(keypair.address).address} to {rpc}")
        receipt = submit(client, tx, timeout)
        finish(receipt, known, as_json, deployed=receipt.contract_address)


# call


@main.command("call")
@click.argument("address")
@click.argument("function")
@click.argument("args", nargs=-1)
@rpc_option
@click.option("--artifact", "artifact_path", type=click.Path(path_type=Path), metavar="FILE",
              help="The contract's .ctr or artifact .json (default: its code's ABI, and build/*.json by code hash).")
@click.option("--from", "sender", metavar="ADDRESS", help="The caller the function sees (default: zero address).")
@json_option
@guarded
def call_cmd(address: str, function: str, args: tuple[str, ...], rpc: str, artifact_path: Path | None,
             sender: str | None, as_json: bool) -> None:
    """Call FUNCTION of the contract at ADDRESS read-only (no transaction, no key) and print what it returns."""
    raw = address_arg(address)
    caller = address_arg(sender) if sender is not None else None
    with node_errors(rpc) as client:
        program, known = contract_target(client, raw, artifact_path)
        f = public_function(program, function)
        values = parse_args(f, input_names(known, function), args)
        result = client.call(raw, function, [to_json(t, v) for t, v in zip(f.params, values, strict=True)],
                             sender=caller)
    where = None if result.success else locate(result.error_location, result.status, result.error or "", known)
    if as_json:
        click.echo(json.dumps({**result.raw, "location": where}, indent=1, ensure_ascii=False))
    elif result.success:
        click.echo(value_text(result.return_value) if f.returns is not None else "(no return value)")
    if not result.success:
        kind = "OutOfGas" if result.status == "out_of_gas" else "Revert"
        click.echo(f"error: {where['rendered'] if where else f'{kind}: {result.error}'}", err=True)
        raise click.exceptions.Exit(1)


# send


@main.command("send")
@click.argument("address")
@click.argument("function")
@click.argument("args", nargs=-1)
@rpc_option
@click.option("--artifact", "artifact_path", type=click.Path(path_type=Path), metavar="FILE",
              help="The contract's .ctr or artifact .json: maps a revert to its source line.")
@signing_options
@timeout_option
@json_option
@guarded
def send_cmd(address: str, function: str, args: tuple[str, ...], rpc: str, artifact_path: Path | None,
             key_file: Path | None, password_file: Path | None, dev_account: int | None, value: int, gas_limit: int,
             fee_per_gas: int, timeout: float, as_json: bool) -> None:
    """Call FUNCTION of the contract at ADDRESS in a signed transaction; print its receipt."""
    raw = address_arg(address)
    keypair = keypair_of(key_file, password_file, dev_account)
    with node_errors(rpc) as client:
        program, known = contract_target(client, raw, artifact_path)
        f = public_function(program, function)
        values = parse_args(f, input_names(known, function), args)
        with building():
            tx = TxBuilder(keypair, client.chain_id()).call(raw, program, function, values,
                                                           nonce=client.nonce(keypair.address), value=value,
                                                           gas_limit=gas_limit, fee_per_gas=fee_per_gas)
        finish(submit(client, tx, timeout), known, as_json)


# node


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    return sock


def _genesis(path: Path | None) -> Genesis | None:
    if path is None:
        return None
    try:
        return Genesis.from_json(path.read_bytes())
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    except GenesisError as exc:
        fail(f"{path}: not a valid genesis file: {exc}")


def funded_accounts(genesis: Genesis) -> list[dict[str, Any]]:
    """The genesis accounts, with the index of those that are development accounts."""
    dev = {dev_keypair(i).address: i for i in range(DEV_ACCOUNTS)}
    return [{"index": dev.get(address), "address": address_to_text(address), "balance": str(balance)}
            for address, balance in genesis.accounts]


def _rate(ctx: click.Context, param: click.Parameter, value: str) -> Rate | None:
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command("node")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Keep the chain in DIR (created if empty); default: a temporary directory deleted on exit.")
@click.option("--port", type=click.IntRange(0, 65535), default=8545, show_default=True,
              help="TCP port (0: any free port, printed at start).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--block-time", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Mine a block every SECONDS (default: automine, a block per transaction).")
@click.option("--genesis", "genesis_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Genesis file for a new chain (default: the development genesis, docs/chain-formats.md).")
@click.option("--service-key", "service_key_file", type=click.Path(path_type=Path), metavar="FILE",
              help="The data service's key file: it signs the on-chain records of the accesses it serves "
                   "(default: the development service key).")
@click.option("--service-password-file", type=click.Path(path_type=Path), metavar="F",
              help="The service key file's password: the first line of F (else it is asked for).")
@click.option("--download-rate", default="60/min", show_default=True, metavar="RATE", callback=_rate,
              help="Downloads served per reader (each is an access record on chain): COUNT/UNIT (s, min, hour, "
                   "day), or off.")
@click.option("--node-download-rate", default="600/min", show_default=True, metavar="RATE", callback=_rate,
              help="Downloads served through this node, every reader together (new accounts cost nothing, so this "
                   "bounds what any number of them can make the node record), or off.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the start-up information as one line of JSON.")
@guarded
def node_cmd(data_dir: Path | None, port: int, host: str, block_time: float | None, genesis_path: Path | None,
             service_key_file: Path | None, service_password_file: Path | None, download_rate: Rate | None,
             node_download_rate: Rate | None, verbose: bool, as_json: bool) -> None:
    """Serve a chain and its data service over HTTP (docs/node-api.md, docs/data-service.md) until Ctrl-C or
    SIGTERM, then close it cleanly. Data objects are kept in DIR/objects."""
    from contractvm.chain.chain import Chain
    from contractvm.data.objects import ObjectStore
    from contractvm.node.data import service_keypair
    from contractvm.node.server import make_server
    from contractvm.node.service import NodeService

    if service_password_file is not None and service_key_file is None:
        raise click.UsageError("--service-password-file goes with --service-key")
    service_key = (service_keypair() if service_key_file is None
                   else keypair_of(service_key_file, service_password_file, None))
    genesis = _genesis(genesis_path)
    sock = _listen(host, port)
    temporary = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="contractvm-node-")) if data_dir is None else data_dir
    try:
        authorities = set((genesis or Genesis.dev()).authorities)
        signers = tuple(k for k in (dev_keypair(i) for i in range(DEV_ACCOUNTS)) if k.public_key in authorities)
        service = NodeService(lambda: Chain.open(directory, genesis, signers=signers), block_time=block_time,
                              open_objects=lambda: ObjectStore.open(directory / "objects"), service_key=service_key,
                              download_rate=download_rate, node_download_rate=node_download_rate)
        try:
            chain_genesis = service.chain.genesis
            if len(signers) < chain_genesis.threshold or not signers:
                fail("this node can sign blocks only with development keys, and the genesis's authorities are not "
                     f"{chain_genesis.threshold} of development accounts 0-{DEV_ACCOUNTS - 1}")
            info = service.run_sync(service.api.info)
            url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}"
            info["data_service"] = address_to_text(service_key.address)
            banner(url, info, directory, temporary, funded_accounts(chain_genesis), as_json)
            server = make_server(service, host, sock.getsockname()[1], log_level="info" if verbose else "warning",
                                 access_log=verbose)
            server.run(sockets=[sock])
            if not as_json:
                note(f"stopped at block {service.chain.height}" + (" (signal)" if server.stop_signal else ""))
        finally:
            service.close()
    finally:
        sock.close()
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def banner(url: str, info: dict[str, Any], directory: Path, temporary: bool, accounts: list[dict[str, Any]],
           as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"url": url, "chain_id": info["chain_id"], "data": str(directory),
                               "temporary": temporary, "mining": info["mining"], "head": info["head"],
                               "data_service": info["data_service"], "accounts": accounts}, ensure_ascii=False))
        return
    mining = info["mining"]
    mode = ("automine (a block per transaction)" if mining["mode"] == "automine"
            else f"a block every {mining['block_time']:g} s")
    lines = [f"contractvm node listening on {url}",
             f"  chain id {info['chain_id']}, head at block {info['head']['height']}, mining: {mode}",
             f"  data {directory}{' (temporary: deleted on exit)' if temporary else ''}",
             f"  data service account {info['data_service']} (give it the role server in your DataAccess)",
             "", "funded accounts (development keys are public: never use them for value)",
             cli_format.table(("index", "address", "balance"),
                              [("-" if a["index"] is None else a["index"], a["address"], a["balance"])
                               for a in accounts], align=">", indent=2),
             "", "Ctrl-C to stop."]
    click.echo("\n".join(lines))
