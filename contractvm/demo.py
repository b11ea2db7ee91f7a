"""`python -m contractvm.demo` (`make demo`): a smart-city data exchange (Y.4560) end to end, step by step.

A fresh persistent chain (LMDB) and its node, with the data service, run on 127.0.0.1; every actor signs its own
transactions and requests through the client, as separate parties would. The chain is left behind in the
directory printed at the start (default `build/smart-city`, laid out as `contractvm node --data DIR` keeps it), and
it is verified at the end as `contractvm verify --data DIR --replay` would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from contractvm.chain.accounts import Keypair, address_from_text, address_to_text, dev_keypair
from contractvm.chain.audit import audit
from contractvm.chain.chain import Chain
from contractvm.chain.verify import verify_chain
from contractvm.cli_data import trace_text
from contractvm.client import Client, ClientError, Receipt
from contractvm.client.data import DataClient
from contractvm.compiler import compile_file
from contractvm.data.objects import ObjectStore
from contractvm.errors import ContractVMError
from contractvm.isa.program import Program
from contractvm.node.data import service_keypair
from contractvm.node.server import BackgroundNode
from contractvm.node.service import NodeService

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
DEFAULT_DIR = Path("build") / "smart-city"
SUPPLIER, DEMANDER, PROVIDER, REGULATOR = 0, 1, 2, 3  # Identity.Kind
OPEN, CLOSED = 0, 1  # DataRegistry.Access
DAY = 86_400


class DemoError(Exception):
    """A step did not do what the scenario expects."""


def step(text: str) -> None:
    print(f"\n== {text}")


def say(text: str) -> None:
    print(f"   {text}")


@dataclass
class Actor:
    name: str
    key: Keypair

    @property
    def address(self) -> str:
        return address_to_text(self.key.address)


@dataclass
class City:
    """The node, its clients, and the deployed contracts by name."""

    client: Client
    data: DataClient
    url: str
    contracts: dict[str, str] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)

    def deploy(self, name: str, file: str, deployer: Actor, *args: object) -> str:
        artifact = compile_file(CONTRACTS / file)
        receipt = self.client.deploy(deployer.key, artifact.bytecode, args)
        if not receipt.success or receipt.contract_address is None:
            raise DemoError(f"deploying {file} failed: {receipt.error}")
        self.contracts[name], self.programs[name] = receipt.contract_address, artifact.program
        say(f"{artifact.contract:<14} {receipt.contract_address}  ({file}, {len(artifact.bytecode)} bytes)")
        return receipt.contract_address

    def send(self, who: Actor, contract: str, function: str, *args: object, value: int = 0) -> Receipt:
        receipt = self.client.transact(who.key, self.contracts[contract], self.programs[contract], function, args,
                                       value=value)
        if not receipt.success:
            raise DemoError(f"{who.name}: {contract}.{function} reverted: {receipt.error}")
        return receipt

    def refused(self, who: Actor, contract: str, function: str, *args: object, value: int = 0) -> str:
        receipt = self.client.transact(who.key, self.contracts[contract], self.programs[contract], function, args,
                                       value=value)
        if receipt.success:
            raise DemoError(f"{who.name}: {contract}.{function} should have been refused")
        return receipt.error or receipt.status

    def view(self, contract: str, function: str, *args: object) -> object:
        result = self.client.call(self.contracts[contract], function, [_json_arg(a) for a in args])
        if not result.success:
            raise DemoError(f"{contract}.{function} failed: {result.error}")
        return result.return_value


def _json_arg(value: object) -> object:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def event(receipt: Receipt, name: str) -> dict[str, object]:
    for e in receipt.events:
        if e.name == name:
            return dict(e.fields)
    raise DemoError(f"no {name} event in the receipt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contractvm.demo", description=__doc__)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"where the chain and the data are kept (default {DEFAULT_DIR}; emptied first)")
    directory: Path = parser.parse_args(argv).dir
    try:
        run(directory)
    except (DemoError, ClientError, ContractVMError, OSError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    return 0


def run(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    chain_dir, objects_dir = directory, directory / "objects"  # the layout `contractvm node --data DIR` uses
    names = ("platform operator", "sensor operator", "buyer", "regulator", "validator", "stranger",
             "manufacturer", "wholesaler", "retailer")
    people = [Actor(name, dev_keypair(i)) for i, name in enumerate(names)]

    step(f"a fresh chain in {chain_dir}, its node and data service on 127.0.0.1")
    service = NodeService(lambda: Chain.open(chain_dir), open_objects=lambda: ObjectStore.open(objects_dir))
    with BackgroundNode(service) as node, Client(node.url) as client:
        city = City(client, DataClient(client), node.url)
        say(f"node {node.url}, data service account {address_to_text(service_keypair().address)}")
        for actor in people:
            say(f"{actor.name:<18} {actor.address}")
        certified = scenario(city, people, service)
        accesses = client.events(city.contracts["access"], "Accessed")
    report(chain_dir, accesses, people, certified)


def scenario(city: City, people: list[Actor], service: NodeService) -> bytes:
    """The whole story; returns the fingerprint of the reading that was certified and sold."""
    operator, sensors, buyer, regulator, validator, stranger, maker, wholesaler, retailer = people
    step("deploy the platform's contracts")
    founders = (operator.key.address, regulator.key.address, validator.key.address)
    city.deploy("identity", "identity.ctr", operator, founders, (PROVIDER, REGULATOR, PROVIDER))
    city.deploy("access", "data_access.ctr", operator)
    city.deploy("registry", "data_registry.ctr", operator, 10, _address(city.contracts["identity"]))
    city.deploy("exchange", "data_exchange.ctr", operator, 3_600, 3_600)
    city.deploy("trace", "traceability.ctr", operator, 1)
    city.send(operator, "access", "add_server", _address(city.client.info().data_service))
    city.send(operator, "access", "add_market", _address(city.contracts["exchange"]))
    city.send(operator, "exchange", "set_access", _address(city.contracts["access"]))
    city.send(operator, "exchange", "set_registry", _address(city.contracts["registry"]))
    city.send(operator, "registry", "add_validator", validator.key.address)
    city.send(operator, "registry", "add_regulator", regulator.key.address)
    city.send(operator, "registry", "fund", value=1_000)
    say("the node may record accesses; the exchange may grant reads and trades validated data only; the registry "
        "pays 10 per accepted check")

    step("the sensor operator and the buyer register: the existing members approve them")
    for actor, kind in ((sensors, SUPPLIER), (buyer, DEMANDER)):
        proposal = int(city.send(operator, "identity", "propose_member", actor.key.address, kind).return_value)
        city.send(validator, "identity", "approve", proposal)
        say(f"{actor.name} admitted by 2 of 3 active members (proposal {proposal})")

    step("two air-quality sensors are bound to their owner and signing keys, approved by the members")
    devices = []
    for serial in (b"air-17", b"air-18"):
        device_key = Keypair.from_seed(hashlib.sha256(b"demo device " + serial).digest())
        device_id = hashlib.sha256(b"serial " + serial).digest()
        proposal = int(city.send(sensors, "identity", "propose_device", device_id, device_key.public_key).return_value)
        city.send(operator, "identity", "approve", proposal)
        city.send(validator, "identity", "approve", proposal)
        status = city.view("identity", "device_status", device_id)
        say(f"device {serial.decode()} id {device_id.hex()[:12]}… status {status}")
        devices.append((device_id, device_key))
    entries = submissions(city, sensors, validator, regulator, stranger, devices)
    trade(city, operator, sensors, buyer, stranger, service, entries[0])
    traceability(city, operator, regulator, maker, wholesaler, retailer)
    return entries[0].fingerprint


@dataclass(frozen=True)
class Entry:
    """A reading registered in the DataRegistry, with the secret its owner keeps."""

    id: int
    fingerprint: bytes
    data_key: bytes
    payload: bytes


def submit(city: City, owner: Actor, device: tuple[bytes, Keypair], reading: dict[str, object],
           previous: int = 0) -> Entry:
    """Encrypt and store a reading, then register it, signed by its device, in the DataRegistry."""
    payload = _json(reading)
    published = city.data.publish(owner.key, payload, closed=True, access=city.contracts["access"])
    assert published.data_key is not None
    device_id, device_key = device
    fingerprint = published.fingerprint
    location = f"{city.url}/v1/data/0x{fingerprint.hex()}"
    signed = _hex(city.view("registry", "submission_hash", device_id, fingerprint, len(payload)))
    signature = device_key.sign(signed)
    args = (device_id, fingerprint, len(payload), "air-quality/v1", CLOSED, location, signature)
    receipt = (city.send(owner, "registry", "resubmit", previous, *args) if previous
               else city.send(owner, "registry", "submit", *args))
    return Entry(int(str(receipt.return_value)), fingerprint, published.data_key, payload)


def submissions(city: City, sensors: Actor, validator: Actor, regulator: Actor, stranger: Actor,
                devices: list[tuple[bytes, Keypair]]) -> list[Entry]:
    step("readings are encrypted on the gateway, stored off chain, and registered on chain signed by their device")
    good = submit(city, sensors, devices[0], {"sensor": "air-17", "pm25": 12, "no2": 31, "at": "2026-11-22T08:00Z"})
    bad = submit(city, sensors, devices[1], {"sensor": "air-18", "pm25": -4, "no2": 28, "at": "2026-11-22T08:00Z"})
    for entry in (good, bad):
        say(f"entry {entry.id}: fingerprint 0x{entry.fingerprint.hex()[:16]}…, {len(entry.payload)} bytes, closed; "
            "only the fingerprint is on chain")
    rogue = (hashlib.sha256(b"serial air-99").digest(), Keypair.from_seed(hashlib.sha256(b"rogue").digest()))
    try:
        submit(city, sensors, rogue, {"sensor": "air-99", "pm25": 1})
    except DemoError as exc:
        say(f"a reading from an unapproved device is refused: {str(exc).split(': ')[-1]}")
    else:
        raise DemoError("a reading from an unapproved device was accepted")

    step("the validator may read the closed readings for a day: a grant, and the data keys sealed to it")
    for entry in (good, bad):
        let_validator_read(city, sensors, validator, entry)
    say("granted read(fingerprint) until tomorrow, for 'conformance check (Y.4560 9.4)'")

    step("the validator downloads and checks each reading: one accepted (and rewarded), one rejected")
    reason = "pm25 cannot be negative: calibration fault"
    for entry in (good, bad):
        reading = json.loads(city.data.fetch(validator.key, entry.fingerprint).payload)
        if int(reading["pm25"]) >= 0:
            rewarded = event(city.send(validator, "registry", "validate", entry.id), "Validated")
            say(f"entry {entry.id} (pm25 {reading['pm25']}) validated; the validator is paid {rewarded['reward']}")
        else:
            city.send(validator, "registry", "reject", entry.id, reason)
            say(f"entry {entry.id} (pm25 {reading['pm25']}) rejected: {reason!r}, back to its submitter")
    say(f"re-submitting an entry that was not rejected is refused: "
        f"{city.refused(sensors, 'registry', 'resubmit', good.id, *_resubmit_args(good, devices[0]))}")

    step("the sensor operator corrects the reading and re-submits it, linked to the rejected entry")
    fixed = submit(city, sensors, devices[1], {"sensor": "air-18", "pm25": 4, "no2": 28, "at": "2026-11-22T08:00Z"},
                   previous=bad.id)
    let_validator_read(city, sensors, validator, fixed)
    if int(json.loads(city.data.fetch(validator.key, fixed.fingerprint).payload)["pm25"]) < 0:
        raise DemoError("the corrected reading is still wrong")
    city.send(validator, "registry", "validate", fixed.id)
    say(f"entry {fixed.id} re-submits entry {city.view('registry', 'previous_of', fixed.id)}, "
        f"now {city.view('registry', 'status', fixed.id)}; history {city.view('registry', 'history', fixed.id)}")

    step("a regulator certifies the validated reading; the certification stays with the entry")
    certificate = hashlib.sha256(b"air quality certificate AQ-2026-0042").digest()
    say(f"a stranger may not certify: {city.refused(stranger, 'registry', 'certify', good.id, certificate)}")
    city.send(regulator, "registry", "certify", good.id, certificate)
    certification = city.view("registry", "certification", good.id)
    say(f"entry {good.id} is {city.view('registry', 'status', good.id)}: {certification}")
    return [good, fixed]


def let_validator_read(city: City, owner: Actor, validator: Actor, entry: Entry) -> None:
    """The owner grants the validator a day's read of a closed entry and seals its data key to the validator."""
    until = city.client.block().timestamp + DAY
    city.send(owner, "access", "grant_read", entry.fingerprint, validator.key.address, until,
              "conformance check (Y.4560 9.4)")
    city.data.deliver_key(owner.key, entry.fingerprint, entry.data_key, validator.key.public_key)


def _resubmit_args(entry: Entry, device: tuple[bytes, Keypair]) -> tuple[object, ...]:
    return (device[0], entry.fingerprint, len(entry.payload), "air-quality/v1", CLOSED, "-", bytes(64))


def trade(city: City, operator: Actor, sensors: Actor, buyer: Actor, stranger: Actor, service: NodeService,
          entry: Entry) -> None:
    step("supply meets demand: the sensor operator offers the certified reading, the buyer asks for air quality")
    offer = int(str(city.send(sensors, "exchange", "publish", entry.fingerprint, "air-quality", 500, 30,
                              value=100).return_value))
    request = int(str(city.send(buyer, "exchange", "publish_request", "air-quality", 800, 30,
                                value=800).return_value))
    say(f"offer {offer}: price 500, 30 days of access, stake 100; request {request}: up to 800, deposit 800")
    say(f"only the data's registered owner may offer it: "
        f"{city.refused(stranger, 'exchange', 'publish', entry.fingerprint, 'air-quality', 1, 30, value=1)}")
    unchecked = city.data.publish(sensors.key, b'{"sensor": "air-17", "pm25": 13}', closed=True,
                                  access=city.contracts["access"]).fingerprint
    say(f"and only validated data: "
        f"{city.refused(sensors, 'exchange', 'publish', unchecked, 'air-quality', 400, 30, value=100)}")
    matched = event(city.send(operator, "exchange", "match_request", request), "Matched")
    purchase = int(str(matched["purchase"]))
    say(f"matched (cheapest offer in the category within the price): purchase {purchase} at {matched['price']}; "
        f"escrow holds {city.view('exchange', 'escrow_balance')}, the rest of the deposit went back to the buyer")

    step("the fee stays in escrow until the data key is delivered")
    say(f"the buyer cannot read yet: {refused_fetch(city, buyer, entry).code}")
    digest = city.data.deliver_key(sensors.key, entry.fingerprint, entry.data_key, buyer.key.public_key)
    city.send(sensors, "exchange", "deliver", purchase, digest)
    say(f"the data key, sealed to the buyer's key, is on the node; its digest 0x{digest.hex()[:16]}… is on chain")

    step("the buyer confirms the delivery: the fee is released to the supplier, the buyer gets a read grant")
    released = event(city.send(buyer, "exchange", "confirm", purchase), "Released")
    say(f"released {released['amount']} (price + stake) to the sensor operator; the buyer may read until "
        f"{released['until']}")
    say(f"confirming again is refused (no double spend of the escrow): "
        f"{city.refused(buyer, 'exchange', 'confirm', purchase)}")

    step("the buyer downloads the reading, decrypts it and re-checks its fingerprint")
    fetched = city.data.fetch(buyer.key, entry.fingerprint)
    if fetched.payload != entry.payload:
        raise DemoError("the buyer got other bytes than the supplier stored")
    say(f"{fetched.payload.decode()}  (access #{fetched.access_id} recorded on chain)")

    step("an unauthorised party is refused")
    refusal = refused_fetch(city, stranger, entry)
    say(f"{refusal.code}: {refusal.message}")

    step("a tampered payload is caught")
    original = service.run_sync(_tamper, service, entry.fingerprint, None)
    try:
        city.data.fetch(buyer.key, entry.fingerprint)
        raise DemoError("a tampered payload went unnoticed")
    except ClientError as exc:
        say(f"one byte flipped in the node's store: {exc.message}")
    finally:
        service.run_sync(_tamper, service, entry.fingerprint, original)


def refused_fetch(city: City, reader: Actor, entry: Entry) -> ClientError:
    """The node's refusal of `reader`'s download of `entry` (DemoError if it serves it)."""
    try:
        city.data.fetch(reader.key, entry.fingerprint)
    except ClientError as exc:
        return exc
    raise DemoError(f"{reader.name} could read entry {entry.id} without a valid grant")


def _tamper(service: NodeService, fingerprint: bytes, restore: bytes | None) -> bytes:
    """Flip the last byte of a stored object (or put `restore` back); returns what was stored."""
    store = service.data.objects.store
    stored = store.get("objects", fingerprint)
    assert stored is not None
    with store.write() as batch:
        batch.put("objects", fingerprint, restore if restore is not None else stored[:-1] + bytes([stored[-1] ^ 1]))
    return stored


def traceability(city: City, operator: Actor, regulator: Actor, maker: Actor, wholesaler: Actor,
                 retailer: Actor) -> None:
    step("a batch of smart meters travels the supply chain: every hop recorded, signed and confirmed")
    for actor in (maker, wholesaler, retailer):
        city.send(operator, "trace", "register_participant", actor.key.address, actor.key.public_key)
    city.send(operator, "trace", "add_regulator", regulator.key.address)
    batch = hashlib.sha256(b"smart meter batch 2026-11-A").digest()
    pallets = (hashlib.sha256(b"pallet 2026-11-A-1").digest(), hashlib.sha256(b"pallet 2026-11-A-2").digest())
    hop(city, maker, wholesaler, batch, {"event": "manufactured and shipped", "units": 200, "site": "plant 3"},
        regulator, "plant 3")
    city.send(wholesaler, "trace", "split", batch, pallets)
    say(f"the wholesaler splits batch {batch.hex()[:12]}… into pallets {pallets[0].hex()[:12]}… and "
        f"{pallets[1].hex()[:12]}…")
    hop(city, wholesaler, retailer, pallets[0], {"event": "delivered to store", "units": 100, "store": "north"},
        regulator, "north store")

    step("the pallet's history walked back from the node, every hash and signature re-checked")
    walked = city.data.trace(city.contracts["trace"], pallets[0])
    for line in trace_text(walked).splitlines():
        say(line)
    if not walked["verified"]:
        raise DemoError("the traceability history does not verify")


def hop(city: City, sender: Actor, receiver: Actor, object_id: bytes, data: dict[str, object],
        regulator: Actor, location: str) -> None:
    published = city.data.publish(sender.key, _json(data), closed=False, access=city.contracts["access"])
    server = city.url
    units = data["units"]
    signed = _hex(city.view("trace", "record_hash", object_id, server, published.fingerprint, sender.key.address,
                            receiver.key.address, units, location))
    receipt = city.send(sender, "trace", "record", object_id, server, published.fingerprint, receiver.key.address,
                        units, location, sender.key.sign(signed))
    record = int(str(receipt.return_value))
    city.send(regulator, "trace", "confirm", record)
    say(f"record {record}: {sender.name} -> {receiver.name}, object {object_id.hex()[:12]}…, data "
        f"0x{published.fingerprint.hex()[:12]}… ({data['event']}), accepted by the regulator")


def report(chain_dir: Path, accesses: list[object], people: list[Actor], entry: bytes) -> None:
    step("audit report: who touched the certified reading, and every access served")
    names = {actor.address: actor.name for actor in people}
    names[address_to_text(service_keypair().address)] = "data service"
    chain = Chain.open(chain_dir)
    try:
        for item in audit(chain, entry):
            what = item.event or item.function or item.tx_kind
            outcome = "" if item.status == "success" else f"  ({item.status}: {item.error})"
            say(f"block {item.height:>3}  {item.kind:<11} {what:<16} by "
                f"{names.get(address_to_text(item.sender), '?')}{outcome}")
    finally:
        chain.close()
    for access in accesses:
        fields = dict(access.fields)  # type: ignore[attr-defined]
        say(f"access #{fields['id']}: {names.get(str(fields['reader']), fields['reader'])} read "
            f"{str(fields['fingerprint'])[:18]}… ({'closed' if fields['closed'] else 'open'}) at {fields['at']}")

    step("verify the chain the demo leaves behind")


    result = verify_chain(chain_dir, replay=True)
    say(f"every block, signature, index and state value re-checked, every transaction re-executed: "
        f"{'ok' if result.ok else result.render()}")
    if not result.ok:
        raise DemoError("the chain does not verify")
    say(f"check it yourself: contractvm verify --data {chain_dir} --replay")
    say(f"                   contractvm audit 0x{entry.hex()} --data {chain_dir}")
    say(f"explore it:        contractvm node --data {chain_dir}")
    print("\ndone.")


def _address(text: str) -> bytes:
    return address_from_text(text)


def _hex(value: object) -> bytes:
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


if __name__ == "__main__":
    raise SystemExit(main())
