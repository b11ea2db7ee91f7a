"""`contractvm node`, `deploy`, `call` and `send`, as a user runs them: every command a subprocess.

The node listens on a free port of 127.0.0.1; readiness is polled on /v1/info; teardown sends SIGTERM and
expects a clean exit 0 (a node that does not stop is killed, and the test fails).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contractvm.chain.accounts import address_to_text, dev_keypair, save_keyfile
from contractvm.node.server import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
MARKET = ROOT / "contracts" / "data_market.ctr"
REGULATOR = address_to_text(dev_keypair(3).address)
BUYER = address_to_text(dev_keypair(2).address)
FINGERPRINT = "0x" + "11" * 32
Run = subprocess.CompletedProcess[str]


@dataclass
class NodeProcess:
    process: subprocess.Popen[str]
    url: str
    banner: str

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the node; its exit code and stderr (killed, and failing the test, if it does not stop)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            pytest.fail("the node did not stop within 15 s of the signal")
        return self.process.returncode, err


def start_node(*args: str, cwd: Path = ROOT) -> NodeProcess:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "contractvm", "node", "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/v1/info", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"the node did not start: exit {process.returncode}\n{out}\n{err}")
        time.sleep(0.05)
    assert process.stdout is not None
    lines = []
    while not (lines and lines[-1].startswith("Ctrl-C")):
        lines.append(process.stdout.readline().rstrip("\n"))
    return NodeProcess(process, url, "\n".join(lines))


@pytest.fixture
def node() -> Iterator[NodeProcess]:
    running = start_node()
    try:
        yield running
    finally:
        code, err = running.stop()
        assert code == 0, err
        assert "Traceback" not in err, err


def cvm(*args: str, rpc: str | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("CONTRACTVM_DEBUG", None)
    if rpc is not None:
        full_env["CONTRACTVM_RPC"] = rpc
    result = subprocess.run([sys.executable, "-m", "contractvm", *args], capture_output=True, text=True, cwd=cwd,
                            env=full_env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def deploy_market(node: NodeProcess) -> str:
    result = cvm("deploy", str(MARKET), REGULATOR, "5", "--dev-account", "0", "--json", rpc=node.url)
    assert result.returncode == 0, result.stderr
    receipt = json.loads(result.stdout)
    assert receipt["status"] == "success"
    return str(receipt["contract_address"])


def revert_line() -> tuple[int, int, str]:
    for number, line in enumerate(MARKET.read_text(encoding="utf-8").splitlines(), start=1):
        if '"offer not certified"' in line:
            return number, line.index("require") + 1, line
    raise AssertionError("the market has no 'offer not certified' revert")


def test_node_prints_url_chain_and_accounts(node: NodeProcess) -> None:
    assert f"listening on {node.url}" in node.banner
    assert "chain id 1337" in node.banner and "automine" in node.banner and "temporary" in node.banner
    for i in range(10):
        assert re.search(rf"^\s+{i}\s+{address_to_text(dev_keypair(i).address)}\s+1000000000000000000000000$",
                         node.banner, re.M), node.banner


def test_deploy_send_call_and_a_revert_at_its_line(node: NodeProcess) -> None:
    market = deploy_market(node)
    listed = cvm("send", market, "list", FINGERPRINT, "1_000", "--dev-account", "1", "--artifact", str(MARKET),
                 rpc=node.url)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^status\s+success$", listed.stdout, re.M) and re.search(r"^returned\s+0$", listed.stdout, re.M)
    assert re.search(r"^  Listed  id=0 owner=cvm1\S+ fingerprint=0x(11){32} price=1000$", listed.stdout, re.M)
    assert re.search(r"^transaction\s+0x[0-9a-f]{64}$", listed.stdout, re.M)
    assert re.search(r"^gas used\s+\d+$", listed.stdout, re.M) and re.search(r"^block\s+2 ", listed.stdout, re.M)

    # A revert: the message, the .ctr line and a caret under the failing statement; exit 1.
    bought = cvm("send", market, "buy", "0", "30", "--value", "1000", "--dev-account", "2", "--artifact",
                 str(MARKET), rpc=node.url)
    assert bought.returncode == 1
    assert re.search(r"^status\s+reverted$", bought.stdout, re.M)
    line, col, text = revert_line()
    lines = bought.stderr.splitlines()
    assert lines[0] == f"error: {MARKET}:{line}:{col}: Revert: offer not certified", bought.stderr
    assert lines[1].strip() == text.strip() and lines[2].strip().startswith("^")

    # Views need no key: arguments typed by the ABI the node reads from the deployed program.
    assert cvm("call", market, "has_access", "0", BUYER, rpc=node.url).stdout.strip() == "false"
    offer = cvm("call", market, "offer", "0", "--json", rpc=node.url)
    assert offer.returncode == 0, offer.stderr
    document = json.loads(offer.stdout)
    assert document["status"] == "success"
    assert document["return_value"]["fingerprint"] == FINGERPRINT and document["return_value"]["status"] == "Listed"
    missing = cvm("call", market, "offer", "7", "--artifact", str(MARKET), rpc=node.url)
    assert missing.returncode == 1 and "Revert: no such offer" in missing.stderr


def test_artifact_found_in_build_by_code_hash(node: NodeProcess, tmp_path: Path) -> None:
    market = deploy_market(node)
    shutil.copy(MARKET, tmp_path / MARKET.name)
    assert cvm("compile", MARKET.name, "-o", "build", "-q", cwd=tmp_path).returncode == 0
    failed = cvm("send", market, "certify", "0", "--dev-account", "1", "--json", rpc=node.url, cwd=tmp_path)
    assert failed.returncode == 1
    where = json.loads(failed.stdout)["location"]
    assert (where["function"], where["file"]) == ("certify", MARKET.name)
    assert "Revert: caller lacks role 'regulator'" in failed.stderr and "^" in failed.stderr


def test_signing_with_a_key_file(node: NodeProcess, tmp_path: Path) -> None:
    market = deploy_market(node)
    key, password = tmp_path / "key.json", tmp_path / "password"
    save_keyfile(key, dev_keypair(4), "secret", n=2**10)
    password.write_text("secret\n")
    listed = cvm("send", market, "list", FINGERPRINT, "5", "--key", str(key), "--password-file", str(password),
                 "--json", rpc=node.url)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["events"][0]["fields"]["owner"] == address_to_text(dev_keypair(4).address)
    password.write_text("wrong\n")
    refused = cvm("send", market, "list", FINGERPRINT, "5", "--key", str(key), "--password-file", str(password),
                  rpc=node.url)
    assert refused.returncode == 1 and "wrong password" in refused.stderr


def test_mistakes_are_reported_without_tracebacks(node: NodeProcess) -> None:
    market = deploy_market(node)
    cases = [
        (("call", market, "offer", "zero"), 1, "'zero' is not an integer"),
        (("call", market, "offer"), 1, "takes 1 argument, 0 given"),
        (("call", market, "steal"), 1, "no public function 'steal'"),
        (("call", "cvm1nothere", "offer", "0"), 1, "invalid address"),
        (("call", address_to_text(dev_keypair(9).address), "offer", "0"), 1, "contract_not_found"),
        (("send", market, "certify", "0"), 2, "exactly one of --key FILE and --dev-account N"),
        (("send", market, "certify", "0", "--dev-account", "1", "--key", "k.json"), 2, "exactly one"),
        (("deploy", str(MARKET), "--dev-account", "0"), 1, "takes 2 arguments, 0 given"),
        (("deploy", "missing.ctr", "--dev-account", "0"), 1, "missing.ctr: no such file"),
        (("send", market, "certify", "0", "--dev-account", "3", "--gas-limit", str(2**64)), 1,
         "cannot build the transaction"),
        (("send", market, "certify", "0", "--dev-account", "3", "--gas-limit", str(10**9)), 1,
         "exceeds the block gas limit"),
        (("send", market, "list", FINGERPRINT, "1", "--dev-account", "42", "--fee-per-gas", "1"), 1,
         "insufficient funds"),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: cvm(*case[0], rpc=node.url), cases))
    for (args, code, message), result in zip(cases, results, strict=True):
        assert result.returncode == code and message in result.stderr, (args, result.stderr)
    unreachable = cvm("call", market, "offer", "0", rpc=f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 1 and "cannot reach the node" in unreachable.stderr


def test_sigterm_stops_cleanly_and_a_data_dir_persists(tmp_path: Path) -> None:
    data = tmp_path / "chain"
    first = start_node("--data", str(data), "--block-time", "0.2")
    try:
        assert "a block every 0.2 s" in first.banner and str(data) in first.banner
        deployed = cvm("deploy", str(MARKET), REGULATOR, "5", "--dev-account", "0", "--json", rpc=first.url)
        assert deployed.returncode == 0, deployed.stderr
        height = httpx.get(first.url + "/v1/info").json()["head"]["height"]
    finally:
        code, err = first.stop(signal.SIGTERM)
    assert code == 0 and "stopped at block" in err, err
    assert (data / "data.mdb").is_file()

    second = start_node("--data", str(data))
    try:
        assert httpx.get(second.url + "/v1/info").json()["head"]["height"] >= height
        contract = json.loads(deployed.stdout)["contract_address"]
        assert cvm("call", contract, "has_access", "0", BUYER, rpc=second.url).stdout.strip() == "false"
        temporary = start_node()
        directory = re.search(r"data (\S+) \(temporary", temporary.banner)
        assert directory is not None and Path(directory.group(1)).is_dir()
        code, _ = temporary.stop(signal.SIGINT)
        assert code == 0 and not Path(directory.group(1)).exists()
    finally:
        code, err = second.stop()
    assert code == 0, err


def test_a_busy_port_is_an_error(node: NodeProcess) -> None:
    port = node.url.rsplit(":", 1)[1]
    result = cvm("node", "--port", port)
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr


# docs/tutorial.md stays true: its session against a node, run line by line

TUTORIAL = ROOT / "docs" / "tutorial.md"


def tutorial_session() -> list[tuple[str, list[str]]]:
    """The `$ contractvm` lines of the tutorial's node session, each with the output lines shown after it."""
    text = TUTORIAL.read_text(encoding="utf-8")
    block = text.split("## 4. A local chain, deploy and call", 1)[1]
    session = block.split("```text\n")[2].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in session.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    return steps


def test_tutorial_session_runs_as_shown(tmp_path: Path) -> None:
    assert cvm("init", "my-project", cwd=tmp_path).returncode == 0
    project = tmp_path / "my-project"
    assert cvm("compile", "contracts/counter.ctr", "-o", "build", cwd=project).returncode == 0
    running = start_node(cwd=project)
    try:
        steps = tutorial_session()
        assert [s[0].split()[1] for s in steps] == ["deploy", "send", "call", "send"]
        for command, shown in steps:
            done = cvm(*shlex.split(command)[1:], rpc=running.url, cwd=project)
            output = done.stdout + done.stderr
            failing = any(line.startswith("error:") for line in shown)
            assert (done.returncode != 0) == failing, (command, output)
            for line in shown:
                if "…" not in line:  # abbreviated lines (hashes) are not compared
                    assert line.strip() in output, (command, line, output)
    finally:
        code, err = running.stop()
        assert code == 0, err


# ------------------------------------------------------------------------------------------ data commands

ACCESS = ROOT / "contracts" / "data_access.ctr"
TRACEABILITY = ROOT / "contracts" / "traceability.ctr"
SERVICE = "cvm1w70erf3yn2fe2lawffnxsla8fm62pajtfn629c"  # the development data-service account


def deploy_access(node: NodeProcess) -> str:
    deployed = cvm("deploy", str(ACCESS), "--dev-account", "0", "--json", rpc=node.url)
    assert deployed.returncode == 0, deployed.stderr
    access = str(json.loads(deployed.stdout)["contract_address"])
    assert cvm("send", access, "add_server", SERVICE, "--dev-account", "0", rpc=node.url).returncode == 0
    return access


def test_node_banner_names_its_data_service_account(node: NodeProcess) -> None:
    from contractvm.node.data import service_keypair

    assert address_to_text(service_keypair().address) == SERVICE
    assert f"data service account {SERVICE}" in node.banner


def test_data_put_seal_get_closed_data_with_a_grant(node: NodeProcess, tmp_path: Path) -> None:
    access = deploy_access(node)
    reading = tmp_path / "reading.json"
    reading.write_bytes(b'{"pm25": 12}\n')
    put = cvm("data", "put", str(reading), "--closed", "--access", access, "--dev-account", "1", rpc=node.url)
    assert put.returncode == 0, put.stderr
    fingerprint = put.stdout.strip()
    assert re.fullmatch(r"0x[0-9a-f]{64}", fingerprint)
    key_file = tmp_path / "reading.json.datakey"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(key_file.read_text())["fingerprint"] == fingerprint
    key_text = key_file.read_text()
    # Put again (as after an interruption): the same envelope is rebuilt from the key file, nothing is redone.
    again = cvm("data", "put", str(reading), "--closed", "--access", access, "--dev-account", "1", rpc=node.url)
    assert again.returncode == 0 and again.stdout.strip() == fingerprint and "resumed" in again.stderr
    assert key_file.read_text() == key_text  # a data key is never overwritten
    assert cvm("call", access, "owner_of", fingerprint, rpc=node.url).stdout.strip() == address_to_text(
        dev_keypair(1).address)
    changed = tmp_path / "changed.json"
    changed.write_bytes(b'{"pm25": 13}\n')
    other = cvm("data", "put", str(changed), "--closed", "--access", access, "--data-key", str(key_file),
                "--dev-account", "1", rpc=node.url)
    assert other.returncode == 1 and "made for other contents" in other.stderr and key_file.read_text() == key_text

    out = tmp_path / "out.json"
    refused = cvm("data", "get", fingerprint, "-o", str(out), "--dev-account", "2", rpc=node.url)
    assert refused.returncode == 1 and "holds no valid read grant" in refused.stderr and not out.exists()
    unsigned = cvm("data", "get", fingerprint, "-o", str(out), rpc=node.url)
    assert unsigned.returncode == 2 and "--dev-account" in unsigned.stderr and not out.exists()

    until = str(int(time.time()) + 3600)
    grant = cvm("send", access, "grant_read", fingerprint, BUYER, until, "research", "--dev-account", "1",
                rpc=node.url)
    assert grant.returncode == 0, grant.stderr
    no_key = cvm("data", "get", fingerprint, "-o", str(out), "--dev-account", "2", rpc=node.url)
    assert no_key.returncode == 1 and "no data key" in no_key.stderr and not out.exists()

    sealed = cvm("data", "seal", fingerprint, "--to", dev_keypair(2).public_key.hex(), "--data-key", str(key_file),
                 "--dev-account", "1", "--json", rpc=node.url)
    assert sealed.returncode == 0, sealed.stderr
    assert json.loads(sealed.stdout)["reader"] == BUYER
    got = cvm("data", "get", fingerprint, "-o", str(out), "--dev-account", "2", "--json", rpc=node.url)
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == reading.read_bytes()
    assert json.loads(got.stdout)["closed"] is True and json.loads(got.stdout)["access_id"] == 1

    info = cvm("data", "info", fingerprint, "--json", rpc=node.url)
    assert json.loads(info.stdout)["accesses"] == 1 and json.loads(info.stdout)["closed"] is True
    log = json.loads(cvm("data", "log", fingerprint, "--json", "--dev-account", "1", rpc=node.url).stdout)
    not_owner = cvm("data", "log", fingerprint, "--dev-account", "2", rpc=node.url)
    assert not_owner.returncode == 1 and "only the owner" in not_owner.stderr
    outcomes = [entry["outcome"] for entry in log]  # newest first
    assert outcomes[0] == "served" and "refused" in outcomes
    on_chain = cvm("call", access, "reads_by", BUYER, rpc=node.url)
    assert on_chain.stdout.strip() == "1"


def test_data_put_open_and_get_by_anyone(node: NodeProcess, tmp_path: Path) -> None:
    access = deploy_access(node)
    notice = tmp_path / "notice.txt"
    notice.write_text("road works on 5th avenue\n")
    put = cvm("data", "put", str(notice), "--access", access, "--dev-account", "1", rpc=node.url)
    assert put.returncode == 0, put.stderr
    assert not (tmp_path / "notice.txt.datakey").exists()
    out = tmp_path / "copy.txt"
    got = cvm("data", "get", put.stdout.strip(), "-o", str(out), "--dev-account", "5", rpc=node.url)
    assert got.returncode == 0, got.stderr
    assert out.read_text() == notice.read_text()


def test_data_commands_refuse_bad_input_clearly(node: NodeProcess, tmp_path: Path) -> None:
    access = deploy_access(node)
    bad_fingerprint = cvm("data", "get", "0x1234", "-o", str(tmp_path / "x"), "--dev-account", "2", rpc=node.url)
    assert bad_fingerprint.returncode == 2 and "64 hex digits" in bad_fingerprint.stderr
    missing = cvm("data", "put", str(tmp_path / "nope"), "--access", access, "--dev-account", "1", rpc=node.url)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    unknown = cvm("data", "get", "0x" + "ab" * 32, "-o", str(tmp_path / "x"), "--dev-account", "2", rpc=node.url)
    assert unknown.returncode == 1 and "stores no object" in unknown.stderr
    not_access = cvm("data", "put", str(ACCESS), "--access", BUYER, "--dev-account", "1", rpc=node.url)
    assert not_access.returncode == 1
    wrong_key = tmp_path / "other.datakey"
    wrong_key.write_text(json.dumps({"format": "contractvm data key v1", "fingerprint": "0x" + "cd" * 32,
                                     "data_key": "00" * 32}))
    seal = cvm("data", "seal", "0x" + "ab" * 32, "--to", dev_keypair(2).public_key.hex(), "--data-key",
               str(wrong_key), "--dev-account", "1", rpc=node.url)
    assert seal.returncode == 1 and "holds the key of 0x" in seal.stderr


def test_trace_walks_a_history_back(node: NodeProcess, tmp_path: Path) -> None:
    from contractvm.client import Client
    from contractvm.client.data import DataClient
    from contractvm.compiler import compile_file

    access = deploy_access(node)
    maker, shop, regulator = dev_keypair(6), dev_keypair(7), dev_keypair(3)
    traceability = compile_file(TRACEABILITY)
    obj = bytes(range(32))
    with Client(node.url) as client:
        trace = client.deploy(dev_keypair(0), traceability.bytecode, (1,)).contract_address
        assert trace is not None
        program = traceability.program
        assert client.transact(dev_keypair(0), trace, program, "register_participant",
                               (maker.address, maker.public_key)).success
        assert client.transact(dev_keypair(0), trace, program, "add_regulator", (regulator.address,)).success
        stored = DataClient(client).publish(maker, b'{"event": "shipped"}', closed=False, access=access)
        signed = client.call(trace, "record_hash", ["0x" + obj.hex(), node.url, "0x" + stored.fingerprint.hex(),
                                                    address_to_text(maker.address), address_to_text(shop.address),
                                                    40, "plant 3"])
        digest = bytes.fromhex(str(signed.return_value)[2:])
        recorded = client.transact(maker, trace, program, "record", (obj, node.url, stored.fingerprint,
                                                                     shop.address, 40, "plant 3", maker.sign(digest)))
        assert recorded.success, recorded.error
        assert client.transact(regulator, trace, program, "confirm", (1,)).success
    done = cvm("trace", "0x" + obj.hex(), "--contract", trace, rpc=node.url)
    assert done.returncode == 0, done.stderr
    assert "1 record(s)" in done.stdout and "record_hash ok, signature ok, data ok" in done.stdout
    assert "40 handed over at plant 3" in done.stdout
    assert "verified: every hash" in done.stdout and '"event": "shipped"' in done.stdout
    unknown = cvm("trace", "0x" + "ee" * 32, "--contract", trace, rpc=node.url)
    assert unknown.returncode == 1 and "does not verify" in unknown.stderr


def test_node_records_accesses_with_the_service_key_it_is_given(tmp_path: Path) -> None:
    key, password = tmp_path / "service.json", tmp_path / "password"
    save_keyfile(key, dev_keypair(7), "secret", n=2**10)
    password.write_text("secret\n")
    running = start_node("--service-key", str(key), "--service-password-file", str(password))
    try:
        service = address_to_text(dev_keypair(7).address)
        assert f"data service account {service}" in running.banner
        assert httpx.get(running.url + "/v1/info", timeout=10).json()["data_service"] == service
    finally:
        code, err = running.stop()
        assert code == 0, err
    usage = cvm("node", "--service-password-file", str(password))
    assert usage.returncode == 2 and "--service-password-file goes with --service-key" in usage.stderr


def test_download_rates_are_options_and_a_bad_one_is_a_usage_error(tmp_path: Path) -> None:
    running = start_node("--download-rate", "1/hour", "--node-download-rate", "off")
    try:
        access = deploy_access(running)
        notice = tmp_path / "notice.txt"
        notice.write_text("road works on 5th avenue\n")
        put = cvm("data", "put", str(notice), "--access", access, "--dev-account", "1", rpc=running.url)
        assert put.returncode == 0, put.stderr
        get = ("data", "get", put.stdout.strip(), "-o", str(tmp_path / "copy.txt"), "--dev-account", "5")
        assert cvm(*get, rpc=running.url).returncode == 0
        again = cvm(*get, rpc=running.url)
        assert again.returncode == 1 and "too many downloads" in again.stderr and "1/hour per reader" in again.stderr
        assert "Traceback" not in again.stderr
    finally:
        code, err = running.stop()
        assert code == 0, err
    usage = cvm("node", "--download-rate", "5/fortnight")
    assert usage.returncode == 2 and "'5/fortnight' is not a rate" in usage.stderr
