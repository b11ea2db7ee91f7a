"""contracts/traceability.ctr: supply chain traceability mapping records (Y.4560 Appendix I.1). Records, hops,
identifier changes, regulators' confirmations and disputes (a failed verification, I.1.5 (1) step 5), trace_back,
and the optional Identity connection (contracts/identity.ctr): only its active members move objects."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.crypto import ed25519_keypair, ed25519_sign
from contractvm.testing import reverts

ZERO_ADDRESS = bytes(20)
SUPPLIER, DEMANDER, REGULATOR = 0, 1, 3  # Identity's Kind
ACTIVE, REVOKED = 0, 2  # Identity's Status
REASON = "data hash does not match the information server's data"

THRESHOLD = 2
SERVER = "https://trace.example.org/lots"
DATA = hashlib.sha256(b"origin: farm 12, harvested 2026-05-01").digest()
APPLES = hashlib.sha256(b"lot:apples-001").digest()
QUANTITY = 1_200  # kg, say: the unit is the object's, named in its traceability data
PLACE = "farm 12, Lleida"


def obj(name):
    return hashlib.sha256(name.encode()).digest()


def seed_of(index):
    return bytes([index + 1]) * 32


def record_hash(contract, object_id, server, data_hash, transfer_out, transfer_in, previous, quantity=QUANTITY,
                location=PLACE):
    packed = (contract.address + object_id + server.encode() + data_hash + transfer_out + transfer_in
              + quantity.to_bytes(8, "big") + hashlib.sha256(location.encode()).digest() + previous.to_bytes(8, "big"))
    return hashlib.sha256(packed).digest()


@pytest.fixture(scope="module")
def people(accounts):
    operator, farm, packer, shop, reg1, reg2, reg3, outsider = accounts[:8]
    return operator, farm, packer, shop, (reg1, reg2, reg3), outsider


@pytest.fixture(scope="module")
def trace(deploy, people, accounts):
    operator, *_, regulators, _ = people
    contract = deploy("contracts/traceability.ctr", THRESHOLD, sender=operator)
    for index in (1, 2, 3):
        contract.register_participant(accounts[index], ed25519_keypair(seed_of(index))[1], sender=operator)
    for regulator in regulators:
        contract.add_regulator(regulator, sender=operator)
    return contract


@pytest.fixture(scope="module")
def seeds(people):
    _, farm, packer, shop, _, _ = people
    return {farm: seed_of(1), packer: seed_of(2), shop: seed_of(3)}


@pytest.fixture(scope="module")
def hop(trace, seeds):
    """Records a hop signed by `sender` with its registered key (or `seed`), as the contract expects."""

    def send(object_id, sender, transfer_in, data_hash=DATA, server=SERVER, seed=None, quantity=QUANTITY,
             location=PLACE):
        previous = trace.latest_of(object_id)
        h = record_hash(trace, object_id, server, data_hash, sender, transfer_in, previous, quantity, location)
        signature = ed25519_sign(seed or seeds[sender], h)
        return trace.record(object_id, server, data_hash, transfer_in, quantity, location, signature, sender=sender)

    return send


# Recording


def test_a_signed_record_is_stored_and_announced(chain, trace, hop, people):
    _, farm, packer, _, _, _ = people
    expected = record_hash(trace, APPLES, SERVER, DATA, farm, packer, 0)
    assert trace.record_hash(APPLES, SERVER, DATA, farm, packer, QUANTITY, PLACE) == expected
    now = chain.time
    receipt = hop(APPLES, farm, packer)
    assert receipt.return_value == 1
    assert receipt.events == [trace.Recorded(1, APPLES, 0, farm, packer, SERVER, DATA, QUANTITY, PLACE, now)]
    stored = trace.record_of(1)
    assert (stored.object_id, stored.server, stored.data_hash) == (APPLES, SERVER, DATA)
    assert (stored.transfer_out, stored.transfer_in, stored.timestamp, stored.previous) == (farm, packer, now, 0)
    assert (stored.quantity, stored.location) == (QUANTITY, PLACE)
    assert stored.record_hash == expected and len(stored.signature) == 64
    assert (stored.confirmations, stored.accepted) == (0, False)
    assert trace.latest_of(APPLES) == 1 and trace.holder_of(APPLES) == packer and trace.record_count() == 1


def test_a_bad_signature_is_refused(trace, hop, people):
    _, farm, packer, _, _, _ = people
    with reverts("bad signature"):
        hop(APPLES, farm, packer, seed=seed_of(2))  # the packer's key, not the farm's
    signature = ed25519_sign(seed_of(1), record_hash(trace, APPLES, SERVER, DATA, farm, packer, 0))
    with reverts("bad signature"):  # signed a different data hash
        trace.record(APPLES, SERVER, obj("other data"), packer, QUANTITY, PLACE, signature, sender=farm)
    with reverts("bad signature"):
        trace.record(APPLES, SERVER, DATA, packer, QUANTITY, PLACE, bytes(64), sender=farm)
    assert trace.latest_of(APPLES) == 0


def test_an_unregistered_participant_is_refused(trace, people):
    *_, outsider = people
    seed = bytes([99]) * 32
    signature = ed25519_sign(seed, record_hash(trace, APPLES, SERVER, DATA, outsider, people[1], 0))
    with reverts("not a registered participant"):
        trace.record(APPLES, SERVER, DATA, people[1], QUANTITY, PLACE, signature, sender=outsider)


def test_only_the_operator_registers_participants_and_regulators(trace, people):
    operator, farm, _, _, _, outsider = people
    key = ed25519_keypair(bytes([99]) * 32)[1]
    with reverts("caller lacks role 'operator'"):
        trace.register_participant(outsider, key, sender=farm)
    with reverts("caller lacks role 'operator'"):
        trace.add_regulator(outsider, sender=farm)
    with reverts("a key is 32 bytes"):
        trace.register_participant(outsider, key[:31], sender=operator)
    receipt = trace.register_participant(outsider, key, sender=operator)
    assert receipt.events == [trace.ParticipantRegistered(outsider, key)]
    assert trace.key_of(outsider) == key


def test_record_field_rules(trace, hop, people):
    _, farm, packer, _, _, _ = people
    with reverts("an information server is required"):
        hop(APPLES, farm, packer, server="")
    with reverts("a record needs a quantity"):
        hop(APPLES, farm, packer, quantity=0)
    with reverts("a record needs a location"):
        hop(APPLES, farm, packer, location="")
    with reverts("no transfer-in account"):
        hop(APPLES, farm, bytes(20))
    with reverts("transfer-in must differ from transfer-out"):
        hop(APPLES, farm, farm)


def test_goods_can_be_lost_along_the_chain_but_never_created(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    hop(APPLES, farm, packer, quantity=1_000, location="farm 12")
    with reverts("quantity exceeds the previous record's"):
        hop(APPLES, packer, shop, quantity=1_001)
    second = hop(APPLES, packer, shop, quantity=980, location="packing house 3").return_value  # 20 lost
    assert (trace.record_of(second).quantity, trace.record_of(second).location) == (980, "packing house 3")
    with reverts("quantity exceeds the previous record's"):
        hop(APPLES, shop, farm, quantity=981)
    assert trace.record_of(hop(APPLES, shop, farm, quantity=980).return_value).quantity == 980


def test_quantity_and_location_are_signed(trace, people, seeds):
    _, farm, packer, _, _, _ = people
    signature = ed25519_sign(seeds[farm], record_hash(trace, APPLES, SERVER, DATA, farm, packer, 0))
    with reverts("bad signature"):
        trace.record(APPLES, SERVER, DATA, packer, QUANTITY + 1, PLACE, signature, sender=farm)
    with reverts("bad signature"):
        trace.record(APPLES, SERVER, DATA, packer, QUANTITY, "elsewhere", signature, sender=farm)
    assert trace.record(APPLES, SERVER, DATA, packer, QUANTITY, PLACE, signature, sender=farm).success


def test_a_signed_record_cannot_be_replayed(trace, hop, people):
    _, farm, packer, _, _, _ = people
    hop(APPLES, farm, packer)
    signature = trace.record_of(1).signature
    with reverts("transfer-out is not the object's holder"):
        trace.record(APPLES, SERVER, DATA, packer, QUANTITY, PLACE, signature, sender=farm)


# Hop chaining


def test_hops_chain_transfer_in_to_transfer_out(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    first = hop(APPLES, farm, packer).return_value
    with reverts("transfer-out is not the object's holder"):
        hop(APPLES, farm, shop)  # the farm no longer holds the apples
    second = hop(APPLES, packer, shop).return_value
    assert trace.previous_of(second) == first and trace.previous_of(first) == 0
    assert trace.record_of(second).previous == first
    assert trace.latest_of(APPLES) == second and trace.holder_of(APPLES) == shop
    with reverts("no such record"):
        trace.previous_of(99)
    with reverts("no such record"):
        trace.record_of(99)


# Split, merge, relabel


def test_split_maps_both_ways(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    hop(APPLES, farm, packer)
    boxes = (obj("box-1"), obj("box-2"), obj("box-3"))
    with reverts("caller does not hold the object"):
        trace.split(APPLES, boxes, sender=farm)
    with reverts("a split needs at least 2 children"):
        trace.split(APPLES, boxes[:1], sender=packer)
    with reverts("identifier already in use"):
        trace.split(APPLES, (boxes[0], boxes[0]), sender=packer)
    receipt = trace.split(APPLES, boxes, sender=packer)
    assert receipt.events == [trace.Split(APPLES, boxes, packer)]
    assert trace.children_of(APPLES) == boxes
    assert all(trace.parents_of(box) == (APPLES,) and trace.holder_of(box) == packer for box in boxes)
    assert trace.is_retired(APPLES)
    with reverts("object was split, merged or relabelled"):
        hop(APPLES, packer, shop)
    with reverts("object was split, merged or relabelled"):
        trace.relabel(APPLES, obj("again"), sender=packer)
    box_hop = hop(boxes[0], packer, shop).return_value
    assert trace.previous_of(box_hop) == 0


def test_merge_maps_both_ways(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    lots = (obj("lot-a"), obj("lot-b"))
    for lot in lots:
        hop(lot, farm, packer)
    pallet = obj("pallet-7")
    with reverts("a merge needs at least 2 parents"):
        trace.merge(lots[:1], pallet, sender=packer)
    with reverts("caller does not hold the object"):
        trace.merge(lots, pallet, sender=shop)
    with reverts("object was split, merged or relabelled"):
        trace.merge((lots[0], lots[0]), pallet, sender=packer)
    with reverts("identifier already in use"):
        trace.merge(lots, lots[0], sender=packer)
    receipt = trace.merge(lots, pallet, sender=packer)
    assert receipt.events == [trace.Merged(lots, pallet, packer)]
    assert trace.parents_of(pallet) == lots
    assert trace.children_of(lots[0]) == (pallet,) and trace.children_of(lots[1]) == (pallet,)
    assert trace.is_retired(lots[0]) and trace.is_retired(lots[1]) and not trace.is_retired(pallet)
    hop(pallet, packer, shop)
    assert trace.holder_of(pallet) == shop


def test_relabel_maps_both_ways(trace, hop, people):
    _, farm, packer, _, _, _ = people
    hop(APPLES, farm, packer)
    label = obj("gtin:0123456789012")
    with reverts("caller does not hold the object"):
        trace.relabel(APPLES, label, sender=farm)
    with reverts("caller does not hold the object"):
        trace.relabel(obj("never seen"), label, sender=packer)
    receipt = trace.relabel(APPLES, label, sender=packer)
    assert receipt.events == [trace.Relabelled(APPLES, label, packer)]
    assert trace.children_of(APPLES) == (label,) and trace.parents_of(label) == (APPLES,)
    assert trace.children_of(label) == () and trace.parents_of(APPLES) == ()


# Regulator verification


def test_acceptance_needs_the_threshold_of_distinct_regulators(chain, trace, hop, people):
    _, farm, packer, _, (reg1, reg2, reg3), _ = people
    record_id = hop(APPLES, farm, packer).return_value
    assert trace.threshold() == THRESHOLD
    receipt = trace.confirm(record_id, sender=reg1)
    assert receipt.events == [trace.Confirmed(record_id, reg1, 1)]
    assert not trace.is_accepted(record_id) and trace.confirmations(record_id) == 1
    with reverts("already confirmed by this regulator"):
        trace.confirm(record_id, sender=reg1)
    now = chain.time
    receipt = trace.confirm(record_id, sender=reg2)
    assert receipt.events == [trace.Confirmed(record_id, reg2, 2), trace.Accepted(record_id, 2, now)]
    assert trace.is_accepted(record_id) and trace.record_of(record_id).accepted
    receipt = trace.confirm(record_id, sender=reg3)  # counted, but accepted only once
    assert receipt.events == [trace.Confirmed(record_id, reg3, 3)]
    assert trace.confirmations(record_id) == 3
    assert trace.has_confirmed(record_id, reg3) and not trace.has_confirmed(record_id, farm)


def test_only_regulators_confirm(trace, hop, people):
    operator, farm, packer, _, (reg1, _, _), outsider = people
    record_id = hop(APPLES, farm, packer).return_value
    for who in (operator, farm, outsider):
        with reverts("caller lacks role 'regulator'"):
            trace.confirm(record_id, sender=who)
    with reverts("no such record"):
        trace.confirm(99, sender=reg1)
    trace.remove_regulator(reg1, sender=operator)
    with reverts("caller lacks role 'regulator'"):
        trace.confirm(record_id, sender=reg1)
    assert not trace.is_accepted(99)


def test_a_regulator_cannot_confirm_its_own_record(trace, people):
    operator, farm, _, _, (reg1, reg2, _), _ = people
    seed = bytes([42]) * 32
    trace.register_participant(reg1, ed25519_keypair(seed)[1], sender=operator)
    signature = ed25519_sign(seed, record_hash(trace, APPLES, SERVER, DATA, reg1, farm, 0))
    record_id = trace.record(APPLES, SERVER, DATA, farm, QUANTITY, PLACE, signature, sender=reg1).return_value
    with reverts("a submitter cannot confirm its own record"):
        trace.confirm(record_id, sender=reg1)
    trace.confirm(record_id, sender=reg2)
    assert trace.confirmations(record_id) == 1


def test_a_zero_threshold_is_refused(deploy, people):
    with reverts("threshold must be positive"):
        deploy("contracts/traceability.ctr", 0, sender=people[0])


# Disputes: a failed verification (I.1.5 (1) step 5)


def test_a_regulator_records_a_failed_verification(trace, hop, people):
    _, farm, packer, _, (reg1, reg2, _), _ = people
    record_id = hop(APPLES, farm, packer).return_value
    assert not trace.disputed(record_id) and trace.dispute_count(record_id) == 0
    receipt = trace.dispute(record_id, REASON, sender=reg1)
    assert receipt.events == [trace.Disputed(record_id, reg1, REASON)]
    assert trace.disputed(record_id) and trace.dispute_count(record_id) == 1
    assert trace.has_disputed(record_id, reg1) and not trace.has_disputed(record_id, reg2)
    receipt = trace.dispute(record_id, "location does not match the route", sender=reg2)
    assert receipt.events == [trace.Disputed(record_id, reg2, "location does not match the route")]
    assert trace.dispute_count(record_id) == 2
    stored = trace.record_of(record_id)  # the record itself is unchanged
    assert (stored.confirmations, stored.accepted) == (0, False)
    assert not trace.disputed(99) and trace.dispute_count(99) == 0 and not trace.has_disputed(99, reg1)


def test_dispute_refusals(trace, hop, people):
    operator, farm, packer, _, (reg1, reg2, _), outsider = people
    record_id = hop(APPLES, farm, packer).return_value
    for who in (operator, farm, packer, outsider):
        with reverts("caller lacks role 'regulator'"):
            trace.dispute(record_id, REASON, sender=who)
    with reverts("no such record"):
        trace.dispute(99, REASON, sender=reg1)
    with reverts("a reason is required"):
        trace.dispute(record_id, "", sender=reg1)
    trace.dispute(record_id, REASON, sender=reg1)
    with reverts("already disputed by this regulator"):  # a regulator disputes a record once
        trace.dispute(record_id, "again", sender=reg1)
    with reverts("already disputed by this regulator"):  # and then cannot confirm it
        trace.confirm(record_id, sender=reg1)
    trace.confirm(record_id, sender=reg2)
    with reverts("already confirmed by this regulator"):  # one verdict per regulator
        trace.dispute(record_id, REASON, sender=reg2)
    trace.remove_regulator(reg1, sender=operator)
    other = hop(obj("lot-x"), farm, packer).return_value
    with reverts("caller lacks role 'regulator'"):
        trace.dispute(other, REASON, sender=reg1)
    assert trace.dispute_count(record_id) == 1 and trace.confirmations(record_id) == 1
    assert trace.dispute_count(other) == 0


def test_a_regulator_cannot_dispute_its_own_record(trace, people):
    operator, farm, _, _, (reg1, reg2, _), _ = people
    seed = bytes([42]) * 32
    trace.register_participant(reg1, ed25519_keypair(seed)[1], sender=operator)
    signature = ed25519_sign(seed, record_hash(trace, APPLES, SERVER, DATA, reg1, farm, 0))
    record_id = trace.record(APPLES, SERVER, DATA, farm, QUANTITY, PLACE, signature, sender=reg1).return_value
    with reverts("a submitter cannot dispute its own record"):
        trace.dispute(record_id, REASON, sender=reg1)
    trace.dispute(record_id, REASON, sender=reg2)
    assert trace.dispute_count(record_id) == 1 and not trace.has_disputed(record_id, reg1)


def test_a_disputed_record_can_still_be_accepted_but_is_not_clean(chain, trace, hop, people):
    _, farm, packer, _, (reg1, reg2, reg3), _ = people
    record_id = hop(APPLES, farm, packer).return_value
    trace.dispute(record_id, REASON, sender=reg1)
    trace.confirm(record_id, sender=reg2)
    now = chain.time
    receipt = trace.confirm(record_id, sender=reg3)  # the other regulators still reach the threshold
    assert receipt.events == [trace.Confirmed(record_id, reg3, 2), trace.Accepted(record_id, 2, now)]
    assert trace.is_accepted(record_id) and trace.record_of(record_id).accepted  # unchanged meaning
    assert trace.disputed(record_id) and not trace.is_clean(record_id)
    # An accepted record is clean until a regulator disputes it.
    clean = hop(APPLES, packer, farm).return_value
    trace.confirm(clean, sender=reg1)
    assert not trace.is_clean(clean)  # not accepted yet
    trace.confirm(clean, sender=reg2)
    assert trace.is_accepted(clean) and trace.is_clean(clean)
    assert trace.dispute(clean, REASON, sender=reg3).events == [trace.Disputed(clean, reg3, REASON)]
    assert trace.is_accepted(clean) and not trace.is_clean(clean) and trace.confirmations(clean) == 2
    assert not trace.is_clean(99)


# Connected to Identity (contracts/identity.ctr): only its active members record, split, merge and relabel


@pytest.fixture
def identity(deploy, trace, people):
    """An Identity whose members are the farm, the packer and regulator 1 (not the shop), connected."""
    operator, farm, packer, _, (reg1, _, _), _ = people
    contract = deploy("contracts/identity.ctr", (farm, packer, reg1), (SUPPLIER, SUPPLIER, REGULATOR),
                      sender=farm)
    trace.set_identity(contract.address, sender=operator)
    return contract


def test_only_the_operator_connects_identity(deploy, trace, people):
    operator, farm, _, _, (reg1, _, _), _ = people
    assert trace.identity_contract() == ZERO_ADDRESS  # not connected by default
    contract = deploy("contracts/identity.ctr", (farm,), (SUPPLIER,), sender=farm)
    for who in (farm, reg1):
        with reverts("caller lacks role 'operator'"):
            trace.set_identity(contract.address, sender=who)
    receipt = trace.set_identity(contract.address, sender=operator)
    assert receipt.events == [trace.IdentityConnected(contract.address, operator)]
    assert trace.identity_contract() == contract.address
    assert trace.set_identity(ZERO_ADDRESS, sender=operator).events == [
        trace.IdentityConnected(ZERO_ADDRESS, operator)]
    assert trace.identity_contract() == ZERO_ADDRESS


def test_when_connected_a_registered_participant_must_also_be_an_active_member(trace, identity, hop, people):
    _, farm, packer, shop, _, _ = people
    first = hop(APPLES, farm, packer).return_value  # an active member
    hop(APPLES, packer, shop)
    with reverts("not an active member"):  # the shop is registered here, but not an Identity member
        hop(APPLES, shop, farm)
    with reverts("not an active member"):  # checked before anything else
        trace.record(APPLES, "", DATA, shop, QUANTITY, PLACE, bytes(64), sender=shop)
    with reverts("not an active member"):
        trace.relabel(APPLES, obj("shop-label"), sender=shop)
    assert trace.trace_back(APPLES) == (first + 1, first) and trace.holder_of(APPLES) == shop


def test_a_suspended_or_revoked_member_cannot_record_split_merge_or_relabel(trace, identity, hop, people):
    operator, farm, packer, shop, (reg1, reg2, _), _ = people
    lots = (obj("lot-a"), obj("lot-b"))
    for lot in (*lots, APPLES):
        hop(lot, farm, packer)
    identity.regulator_suspend_member(packer, sender=reg1)
    with reverts("not an active member"):
        hop(APPLES, packer, shop)
    with reverts("not an active member"):
        trace.split(APPLES, (obj("box-1"), obj("box-2")), sender=packer)
    with reverts("not an active member"):
        trace.merge(lots, obj("pallet"), sender=packer)
    with reverts("not an active member"):
        trace.relabel(APPLES, obj("label"), sender=packer)
    trace.confirm(1, sender=reg2)  # regulators confirm and dispute whatever Identity says of them
    trace.dispute(2, REASON, sender=reg2)
    # Reactivated by a majority of the active members (farm and regulator 1): it acts again.
    proposal = identity.propose_member_status(packer, ACTIVE, sender=farm).return_value
    identity.approve(proposal, sender=reg1)
    trace.relabel(APPLES, obj("label"), sender=packer)
    trace.merge(lots, obj("pallet"), sender=packer)
    # Revoked (final): refused again.
    proposal = identity.propose_member_status(packer, REVOKED, sender=farm).return_value
    identity.approve(proposal, sender=reg1)
    with reverts("not an active member"):
        hop(obj("pallet"), packer, shop)
    with reverts("not an active member"):
        trace.split(obj("pallet"), (obj("box-1"), obj("box-2")), sender=packer)
    # Disconnected: exactly as before, the registered holder acts.
    trace.set_identity(ZERO_ADDRESS, sender=operator)
    hop(obj("pallet"), packer, shop)
    assert trace.holder_of(obj("pallet")) == shop


# trace_back


def test_trace_back_walks_records_newest_first_through_splits_and_relabels(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    first = hop(APPLES, farm, packer).return_value
    boxes = (obj("box-1"), obj("box-2"))
    trace.split(APPLES, boxes, sender=packer)
    second = hop(boxes[1], packer, shop).return_value
    label = obj("shop-label")
    trace.relabel(boxes[1], label, sender=shop)
    third = hop(label, shop, farm).return_value
    assert trace.trace_back(label) == (third, second, first)
    assert trace.trace_back(boxes[1]) == (second, first)
    assert trace.trace_back(boxes[0]) == (first,)  # no record of its own yet: its parent's
    assert trace.trace_back(obj("unknown")) == ()


def test_trace_back_stops_at_a_merge(trace, hop, people):
    _, farm, packer, shop, _, _ = people
    lots = (obj("lot-a"), obj("lot-b"))
    for lot in lots:
        hop(lot, farm, packer)
    trace.merge(lots, obj("pallet"), sender=packer)
    last = hop(obj("pallet"), packer, shop).return_value
    assert trace.trace_back(obj("pallet")) == (last,)
    assert trace.trace_back(lots[0]) == (1,) and trace.trace_back(lots[1]) == (2,)


def test_trace_back_returns_at_most_16_ids(trace, hop, people):
    _, farm, packer, _, _, _ = people
    ids = []
    for index in range(20):
        sender, receiver = (farm, packer) if index % 2 == 0 else (packer, farm)
        ids.append(hop(APPLES, sender, receiver).return_value)
    assert ids == list(range(1, 21))
    assert trace.trace_back(APPLES) == tuple(reversed(ids))[:16]


# Property


@given(threshold=st.integers(min_value=1, max_value=3),
       confirmations=st.lists(st.integers(min_value=0, max_value=2), max_size=6))
def test_accepted_exactly_when_distinct_confirmations_reach_the_threshold(deploy, people, seeds, threshold,
                                                                           confirmations):
    operator, farm, packer, _, regulators, _ = people
    contract = deploy("contracts/traceability.ctr", threshold, sender=operator)
    contract.register_participant(farm, ed25519_keypair(seeds[farm])[1], sender=operator)
    for regulator in regulators:
        contract.add_regulator(regulator, sender=operator)
    signature = ed25519_sign(seeds[farm], record_hash(contract, APPLES, SERVER, DATA, farm, packer, 0))
    record_id = contract.record(APPLES, SERVER, DATA, packer, QUANTITY, PLACE, signature, sender=farm).return_value
    seen = set()
    for index in confirmations:
        regulator = regulators[index]
        if regulator in seen:
            with reverts("already confirmed by this regulator"):
                contract.confirm(record_id, sender=regulator)
        else:
            receipt = contract.confirm(record_id, sender=regulator)
            seen.add(regulator)
            assert bool(receipt.emitted("Accepted")) == (len(seen) == threshold)
        assert contract.is_accepted(record_id) == (len(seen) >= threshold)
    assert contract.confirmations(record_id) == len(seen)


@given(verdicts=st.lists(st.tuples(st.integers(min_value=0, max_value=2), st.booleans()), max_size=8))
def test_clean_exactly_when_accepted_and_never_disputed(deploy, people, seeds, verdicts):
    operator, farm, packer, _, regulators, _ = people
    contract = deploy("contracts/traceability.ctr", 2, sender=operator)
    contract.register_participant(farm, ed25519_keypair(seeds[farm])[1], sender=operator)
    for regulator in regulators:
        contract.add_regulator(regulator, sender=operator)
    signature = ed25519_sign(seeds[farm], record_hash(contract, APPLES, SERVER, DATA, farm, packer, 0))
    record_id = contract.record(APPLES, SERVER, DATA, packer, QUANTITY, PLACE, signature, sender=farm).return_value
    confirmed, disputed = set(), set()
    for index, confirms in verdicts:
        regulator = regulators[index]
        if regulator in confirmed or regulator in disputed:  # one verdict per regulator, whichever it was
            verdict = "confirmed" if regulator in confirmed else "disputed"
            with reverts(f"already {verdict} by this regulator"):
                if confirms:
                    contract.confirm(record_id, sender=regulator)
                else:
                    contract.dispute(record_id, REASON, sender=regulator)
        elif confirms:
            contract.confirm(record_id, sender=regulator)
            confirmed.add(regulator)
        else:
            contract.dispute(record_id, REASON, sender=regulator)
            disputed.add(regulator)
        assert contract.is_accepted(record_id) == (len(confirmed) >= 2)
        assert contract.dispute_count(record_id) == len(disputed)
        assert contract.disputed(record_id) == bool(disputed)
        assert contract.is_clean(record_id) == (len(confirmed) >= 2 and not disputed)
