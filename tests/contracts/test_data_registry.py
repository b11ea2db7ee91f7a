"""contracts/data_registry.ctr through the pytest plugin (Y.4560 9.2, 9.3, 9.4): submission from an approved
device of contracts/identity.ctr by its owner, an active member, with the device's Ed25519 signature over the entry;
validation rewarded from a pool the operator funds, rejection with a reason, re-submission linked to the rejected
entry, certification by a regulator, role checks, and the reward pool's accounting. One history per fingerprint:
a fingerprint is submitted once (again only as its own submitter's correction of rejected data), `entry_of` gives its
latest entry and `is_validated` whether that entry is Validated or Certified, which DataExchange asks (9.7)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from contractvm.crypto import ed25519_keypair, ed25519_sign
from contractvm.testing import reverts
from contractvm.testing.strategies import amounts

REWARD = 1_000
SIZE = 2048
FINGERPRINT = bytes(range(32))
FIXED = bytes([0xF1] * 32)
OTHER = bytes([0x0D] * 32)  # the fingerprint of another payload
CERTIFICATE = bytes([0xCE] * 32)
SCHEMA = "air-quality/v1"
LOCATION = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
SUBMITTED, VALIDATED, REJECTED, CERTIFIED, SUPERSEDED = range(5)
OPEN, CLOSED = 0, 1
SUPPLIER, DEMANDER, PROVIDER, REGULATOR = 0, 1, 2, 3  # Identity's Kind
ACTIVE, SUSPENDED, REVOKED = 0, 1, 2  # Identity's Status
ZERO_ADDRESS = bytes(20)

SEED = bytes(range(32))  # the submitter's device
_, DEVICE_KEY = ed25519_keypair(SEED)
DEVICE = hashlib.sha256(b"sensor serial 0001").digest()
SEED2 = b"\x22" * 32  # a second device of the submitter
_, DEVICE2_KEY = ed25519_keypair(SEED2)
DEVICE2 = hashlib.sha256(b"sensor serial 0002").digest()
VALIDATOR_SEED = b"\x33" * 32  # a device of the first validator
_, VALIDATOR_DEVICE_KEY = ed25519_keypair(VALIDATOR_SEED)
VALIDATOR_DEVICE = hashlib.sha256(b"sensor serial 0003").digest()


@pytest.fixture(scope="module")
def people(accounts):
    operator, submitter, validator, validator2, regulator, outsider = accounts[:6]
    return operator, submitter, validator, validator2, regulator, outsider


@pytest.fixture(scope="module")
def identity(deploy, people):
    """The Identity contract; its founders (a majority is 3 of 4): the submitter (a data supplier), the two
    validators (a data demander and a service provider) and the regulator. The operator and the outsider are not
    members."""
    _, submitter, validator, validator2, regulator, _ = people
    return deploy("contracts/identity.ctr", (submitter, validator, validator2, regulator),
                  (SUPPLIER, DEMANDER, PROVIDER, REGULATOR), sender=submitter)


def register_device(identity, owner, device, key, approvers):
    """`owner` proposes `device` with `key`; `approvers` (two more founders: a majority) approve it."""
    proposal = identity.propose_device(device, key, sender=owner).return_value
    for voter in approvers:
        identity.approve(proposal, sender=voter)
    assert identity.device_status(device) == ACTIVE
    return device


@pytest.fixture(scope="module")
def device(identity, people):
    """DEVICE, owned by the submitter, approved by the majority."""
    _, submitter, validator, validator2, _, _ = people
    return register_device(identity, submitter, DEVICE, DEVICE_KEY, (validator, validator2))


@pytest.fixture(scope="module")
def registry(deploy, identity, device, people):
    """A registry with two validators and a regulator, and a pool funded for ten rewards."""
    operator, _, validator, validator2, regulator, _ = people
    contract = deploy("contracts/data_registry.ctr", REWARD, identity.address, sender=operator)
    contract.add_validator(validator, sender=operator)
    contract.add_validator(validator2, sender=operator)
    contract.add_regulator(regulator, sender=operator)
    contract.fund(sender=operator, value=10 * REWARD)
    return contract


@pytest.fixture  # per test: its ids would otherwise shift the ids other tests expect
def entry(registry, people):
    """An open entry submitted by the submitter from DEVICE."""
    return submit(registry, people[1])


def submission_hash(registry, device, fingerprint, size):
    """What the device signs, computed here independently of the contract."""
    return hashlib.sha256(bytes(registry.address) + device + fingerprint + size.to_bytes(8, "big")).digest()


def sign(registry, fingerprint=FINGERPRINT, size=SIZE, device=DEVICE, seed=SEED):
    return ed25519_sign(seed, submission_hash(registry, device, fingerprint, size))


def submission(registry, sender, fingerprint=FINGERPRINT, size=SIZE, schema=SCHEMA, access=OPEN, location=LOCATION,
               device=DEVICE, seed=SEED, signature=None, **options):
    """The receipt of a submission signed by the device with `seed` (or carrying `signature`)."""
    if signature is None:
        signature = sign(registry, fingerprint, size, device, seed)
    return registry.submit(device, fingerprint, size, schema, access, location, signature, sender=sender, **options)


def submit(registry, sender, **fields):
    return submission(registry, sender, **fields).return_value


def resubmission(registry, previous, sender, fingerprint=FIXED, size=SIZE, schema=SCHEMA, access=OPEN,
                 location=LOCATION, device=DEVICE, seed=SEED, signature=None):
    if signature is None:
        signature = sign(registry, fingerprint, size, device, seed)
    return registry.resubmit(previous, device, fingerprint, size, schema, access, location, signature, sender=sender)


def resubmit(registry, previous, sender, **fields):
    return resubmission(registry, previous, sender, **fields).return_value


# Construction


def test_the_constructor_needs_a_positive_reward_and_the_identity_contract(deploy, identity, people):
    operator = people[0]
    with reverts("reward must be positive"):
        deploy("contracts/data_registry.ctr", 0, identity.address, sender=operator)
    with reverts("identity contract required"):
        deploy("contracts/data_registry.ctr", REWARD, ZERO_ADDRESS, sender=operator)
    registry = deploy("contracts/data_registry.ctr", REWARD, identity.address, sender=operator)
    assert registry.identity_contract() == identity.address
    assert registry.reward_per_check() == REWARD and registry.entry_count() == 0


# Submission (9.3)


def test_a_submission_is_stored_with_a_unique_id_and_announced(chain, registry, people):
    submitter = people[1]
    receipt = submission(registry, submitter)
    assert receipt.return_value == 1  # ids start at 1: previous == 0 means "none"
    assert receipt.events == [registry.Submitted(1, submitter, DEVICE, FINGERPRINT, SIZE, SCHEMA, OPEN, LOCATION)]
    stored = registry.entry(1)
    assert (stored.submitter, stored.device, stored.fingerprint, stored.size, stored.schema, stored.access,
            stored.location) == (submitter, DEVICE, FINGERPRINT, SIZE, SCHEMA, OPEN, LOCATION)
    assert (stored.status, stored.previous, stored.validations, stored.reason) == (SUBMITTED, 0, 0, "")
    assert stored.submitted_at == receipt.timestamp
    assert registry.status(1) == SUBMITTED and registry.previous_of(1) == 0
    assert submit(registry, submitter, fingerprint=OTHER) == 2  # a fingerprint is submitted once: another one
    assert registry.entry_count() == 2


def test_open_and_closed_entries_are_recorded_as_such(registry, people):
    submitter = people[1]
    open_id = submit(registry, submitter, access=OPEN)
    receipt = submission(registry, submitter, fingerprint=FIXED, size=10, access=CLOSED, location="vault://org/42")
    closed_id = receipt.return_value
    assert receipt.event("Submitted").access == CLOSED
    assert registry.entry(open_id).access == OPEN
    assert registry.entry(closed_id).access == CLOSED
    assert registry.entry(closed_id).location == "vault://org/42"


def test_submission_checks(registry, people):
    submitter = people[1]
    with reverts("size must be 1 byte to 1 TiB"):
        submission(registry, submitter, size=0)
    with reverts("size must be 1 byte to 1 TiB"):
        submission(registry, submitter, size=2**40 + 1)
    with reverts("a schema is required"):
        submission(registry, submitter, size=1, schema="")
    with reverts("a storage location is required"):
        submission(registry, submitter, size=1, location="")
    # an argument that does not fit its type is refused before anything is sent
    with pytest.raises(TypeError, match="string<64>"):
        submission(registry, submitter, size=1, schema="s" * 65)
    with pytest.raises(TypeError, match="Access"):
        submission(registry, submitter, size=1, access=2)
    with pytest.raises(TypeError, match="u64"):
        submission(registry, submitter, size=2**64, signature=bytes(64))
    with pytest.raises(TypeError, match="bytes<64>"):
        submission(registry, submitter, signature=bytes(65))
    assert submit(registry, submitter, size=2**40, access=CLOSED) == 1
    with reverts("no such entry"):
        registry.entry(99)
    with reverts("no such entry"):
        registry.status(99)
    assert registry.is_certified(99) is False


# Submission from an approved device (9.2, 9.3)


def test_the_device_signs_this_registry_the_device_the_fingerprint_and_the_size(registry, people):
    for device, fingerprint, size in ((DEVICE, FINGERPRINT, SIZE), (DEVICE2, FIXED, 1), (FIXED, bytes(32), 2**40)):
        assert registry.submission_hash(device, fingerprint, size) == submission_hash(registry, device, fingerprint,
                                                                                       size)
    # what the view returns is exactly what the device signs
    signature = ed25519_sign(SEED, registry.submission_hash(DEVICE, FIXED, 77))
    new = submit(registry, people[1], fingerprint=FIXED, size=77, signature=signature)
    assert (registry.entry(new).fingerprint, registry.entry(new).size) == (FIXED, 77)


def test_an_unknown_device_or_one_not_yet_approved_is_refused(registry, identity, people):
    """Identity's `device` view reverts for a device it does not know (never registered, or only proposed), and
    that revert fails the submission: the registry cannot catch it."""
    _, submitter, validator, validator2, _, _ = people
    count = registry.entry_count()
    with reverts("unapproved device"):
        submission(registry, submitter, device=DEVICE2, seed=SEED2)
    proposal = identity.propose_device(DEVICE2, DEVICE2_KEY, sender=submitter).return_value
    identity.approve(proposal, sender=validator)  # 2 of 4: not a majority yet
    with reverts("unapproved device"):
        submission(registry, submitter, device=DEVICE2, seed=SEED2)
    identity.approve(proposal, sender=validator2)  # 3 of 4: approved
    new = submit(registry, submitter, device=DEVICE2, seed=SEED2)
    assert registry.entry(new).device == DEVICE2
    assert registry.entry_count() == count + 1


def test_a_suspended_or_revoked_device_is_refused(registry, identity, entry, people):
    _, submitter, validator, validator2, regulator, _ = people
    identity.regulator_suspend_device(DEVICE, sender=regulator)
    with reverts("unapproved device"):
        submission(registry, submitter, fingerprint=FIXED)
    registry.reject(entry, "out of range", sender=validator)
    with reverts("unapproved device"):
        resubmission(registry, entry, submitter)
    assert registry.status(entry) == REJECTED  # nothing changed
    assert registry.entry(entry).device == DEVICE  # the recorded entry stays as it is

    reactivate = identity.propose_device_status(DEVICE, ACTIVE, sender=validator).return_value
    identity.approve(reactivate, sender=validator2)  # 2 of 4 ...
    identity.approve(reactivate, sender=regulator)  # ... 3 of 4: Active again
    new = resubmit(registry, entry, submitter)
    assert registry.previous_of(new) == entry

    revoke = identity.propose_device_status(DEVICE, REVOKED, sender=validator).return_value
    identity.approve(revoke, sender=validator2)
    identity.approve(revoke, sender=regulator)
    assert identity.device_status(DEVICE) == REVOKED
    with reverts("unapproved device"):
        submission(registry, submitter)
    assert registry.entry_count() == new


def test_only_the_devices_owner_submits_for_it(registry, identity, entry, people):
    _, submitter, validator, validator2, _, _ = people
    # an active member, with a genuine signature of the device, but not its owner
    with reverts("not the device's owner"):
        submission(registry, validator)
    register_device(identity, validator, VALIDATOR_DEVICE, VALIDATOR_DEVICE_KEY, (submitter, validator2))
    with reverts("not the device's owner"):
        submission(registry, submitter, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    registry.reject(entry, "wrong unit", sender=validator)
    with reverts("not the device's owner"):  # the submitter resubmits, through somebody else's device
        resubmission(registry, entry, submitter, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    assert registry.status(entry) == REJECTED
    assert registry.entry(submit(registry, validator, fingerprint=OTHER, device=VALIDATOR_DEVICE,
                                 seed=VALIDATOR_SEED)).submitter == validator


def test_the_submitter_must_be_an_active_member(registry, identity, entry, people):
    operator, submitter, validator, validator2, regulator, outsider = people
    for who in (outsider, operator):  # not members at all
        with reverts("submitter is not an active member"):
            submission(registry, who)
    registry.reject(entry, "gaps in the series", sender=validator)
    identity.regulator_suspend_member(submitter, sender=regulator)  # the owner is suspended, its device is not
    assert identity.device_status(DEVICE) == ACTIVE
    with reverts("submitter is not an active member"):
        submission(registry, submitter, fingerprint=FIXED)
    with reverts("submitter is not an active member"):
        resubmission(registry, entry, submitter)
    assert registry.status(entry) == REJECTED
    reactivate = identity.propose_member_status(submitter, ACTIVE, sender=validator).return_value
    identity.approve(reactivate, sender=validator2)  # 2 of 3 active members
    assert registry.previous_of(resubmit(registry, entry, submitter)) == entry
    revoke = identity.propose_member_status(submitter, REVOKED, sender=validator).return_value
    identity.approve(revoke, sender=validator2)
    identity.approve(revoke, sender=regulator)
    with reverts("submitter is not an active member"):
        submission(registry, submitter)


def test_a_bad_device_signature_is_refused(deploy, registry, identity, people):
    operator, submitter, validator, validator2, _, _ = people
    register_device(identity, submitter, DEVICE2, DEVICE2_KEY, (validator, validator2))
    genuine = sign(registry)
    forged = (
        ed25519_sign(b"\x09" * 32, submission_hash(registry, DEVICE, FINGERPRINT, SIZE)),  # an unknown key
        sign(registry, seed=SEED2),  # the key of another device of the same owner
        sign(registry, device=DEVICE2),  # DEVICE's key, but signed for DEVICE2
        sign(registry, fingerprint=FIXED),  # for another payload
        sign(registry, size=SIZE + 1),  # for another size
        bytes([genuine[0] ^ 1]) + genuine[1:],  # tampered
        bytes(64),
    )
    count = registry.entry_count()
    for signature in forged:
        with reverts("bad device signature"):
            submission(registry, submitter, signature=signature)
    # a signature for this registry cannot be replayed on another one, nor the other way round
    other = deploy("contracts/data_registry.ctr", REWARD, identity.address, sender=operator)
    with reverts("bad device signature"):
        submission(other, submitter, signature=genuine)
    with reverts("bad device signature"):
        submission(registry, submitter, signature=sign(other))
    assert registry.entry_count() == count and other.entry_count() == 0
    assert submit(registry, submitter, signature=genuine) == count + 1
    assert submit(other, submitter, signature=sign(other)) == 1


@settings(max_examples=25, deadline=None)
@given(fingerprint=st.binary(min_size=32, max_size=32), size=st.integers(min_value=1, max_value=2**40),
       field=st.sampled_from(["fingerprint", "size", "device"]))
def test_a_signature_covers_the_fingerprint_the_size_and_the_device(registry, identity, people, fingerprint, size,
                                                                   field):
    """A genuine signature is accepted; the same signature on an entry that differs in any signed field is not."""
    submitter = people[1]
    signature = sign(registry, fingerprint, size)
    changed = {"fingerprint": {"fingerprint": bytes([fingerprint[0] ^ 0x80]) + fingerprint[1:]},
               "size": {"size": size + 1 if size < 2**40 else size - 1},
               "device": {"device": DEVICE2}}[field]
    if field == "device":
        register_device(identity, submitter, DEVICE2, DEVICE2_KEY, people[2:4])
    fields = {"fingerprint": fingerprint, "size": size, **changed}
    count = registry.entry_count()
    with reverts("bad device signature"):
        submission(registry, submitter, signature=signature, **fields)
    assert registry.entry_count() == count
    new = submit(registry, submitter, fingerprint=fingerprint, size=size, signature=signature)
    assert (registry.entry(new).fingerprint, registry.entry(new).size, registry.entry(new).device) == (
        fingerprint, size, DEVICE)


# Validation (9.4)


def test_an_accepted_check_pays_the_reward_exactly(chain, registry, entry, people):
    _, submitter, validator, _, _, _ = people
    before = chain.balance(validator), chain.balance(registry.address), registry.reward_pool()
    receipt = registry.validate(entry, sender=validator)
    assert receipt.events == [registry.Validated(entry, validator, REWARD)]
    assert chain.balance(validator) == before[0] + REWARD  # fees are off: exact
    assert chain.balance(registry.address) == before[1] - REWARD
    assert registry.reward_pool() == before[2] - REWARD
    assert registry.total_paid() == REWARD
    assert registry.status(entry) == VALIDATED
    assert registry.has_validated(entry, validator) and not registry.has_validated(entry, submitter)


def test_a_validator_is_rewarded_at_most_once_per_entry(chain, registry, entry, people):
    _, submitter, validator, validator2, _, _ = people
    registry.validate(entry, sender=validator)
    balance = chain.balance(validator)
    with reverts("already validated by this validator"):
        registry.validate(entry, sender=validator)
    assert chain.balance(validator) == balance
    registry.validate(entry, sender=validator2)  # another validator's check is rewarded too
    assert registry.entry(entry).validations == 2
    assert registry.total_paid() == 2 * REWARD
    other = submit(registry, submitter, fingerprint=OTHER)
    registry.validate(other, sender=validator)  # the same validator, another entry
    assert registry.total_paid() == 3 * REWARD


def test_validation_with_an_unfunded_pool_is_refused_cleanly(chain, deploy, identity, device, people):
    operator, submitter, validator, _, _, _ = people
    registry = deploy("contracts/data_registry.ctr", REWARD, identity.address, sender=operator)
    registry.add_validator(validator, sender=operator)
    entry = submit(registry, submitter)
    with reverts("reward pool is empty"):
        registry.validate(entry, sender=validator)
    registry.fund(sender=operator, value=REWARD - 1)  # not enough for one reward
    with reverts("reward pool is empty"):
        registry.validate(entry, sender=validator)
    assert registry.status(entry) == SUBMITTED  # nothing changed
    assert not registry.has_validated(entry, validator)
    assert registry.reward_pool() == REWARD - 1 == chain.balance(registry.address)
    registry.fund(sender=operator, value=1)
    registry.validate(entry, sender=validator)
    assert registry.reward_pool() == 0 == chain.balance(registry.address)


def test_a_rejected_entry_goes_back_to_its_submitter_with_the_reason(registry, entry, people):
    _, submitter, validator, validator2, _, _ = people
    with reverts("a reason is required"):
        registry.reject(entry, "", sender=validator)
    receipt = registry.reject(entry, "timestamps out of order", sender=validator)
    assert receipt.events == [registry.Rejected(entry, submitter, validator, "timestamps out of order")]
    assert registry.status(entry) == REJECTED
    assert registry.entry(entry).reason == "timestamps out of order"
    assert registry.total_paid() == 0  # a rejection is not rewarded
    with reverts("entry is not open for validation"):
        registry.validate(entry, sender=validator2)
    with reverts("entry is not awaiting validation"):
        registry.reject(entry, "again", sender=validator2)


def test_a_validated_entry_cannot_be_rejected(registry, entry, people):
    registry.validate(entry, sender=people[2])
    with reverts("entry is not awaiting validation"):
        registry.reject(entry, "too late", sender=people[3])


def test_a_resubmission_is_linked_to_the_rejected_entry(registry, identity, entry, people):
    _, submitter, validator, validator2, _, outsider = people
    with reverts("only a rejected entry can be resubmitted"):
        resubmission(registry, entry, submitter)
    registry.reject(entry, "schema mismatch", sender=validator)
    with reverts("only the submitter can resubmit"):
        resubmission(registry, entry, outsider)
    with reverts("only the submitter can resubmit"):
        resubmission(registry, entry, validator)  # an active member, but not the submitter
    with reverts("no such entry"):
        resubmission(registry, 99, submitter)
    with reverts("bad device signature"):  # a re-submission is signed by the device like a submission
        resubmission(registry, entry, submitter, signature=sign(registry, FINGERPRINT))
    assert registry.status(entry) == REJECTED
    receipt = resubmission(registry, entry, submitter)
    new = receipt.return_value
    assert new == entry + 1
    assert receipt.events == [registry.Submitted(new, submitter, DEVICE, FIXED, SIZE, SCHEMA, OPEN, LOCATION),
                              registry.Resubmitted(new, entry, submitter)]
    assert registry.previous_of(new) == entry
    assert registry.status(new) == SUBMITTED
    assert registry.status(entry) == SUPERSEDED
    assert registry.entry(entry).reason == "schema mismatch"  # the rejection stays on record
    with reverts("only a rejected entry can be resubmitted"):
        resubmission(registry, entry, submitter)  # only once
    registry.reject(new, "still wrong", sender=validator)
    # the corrected data may come from another approved device of the same owner (a replaced sensor)
    register_device(identity, submitter, DEVICE2, DEVICE2_KEY, (validator, validator2))
    third = resubmit(registry, new, submitter, fingerprint=FINGERPRINT, size=4096, access=CLOSED, device=DEVICE2,
                     seed=SEED2)
    assert registry.entry(third).device == DEVICE2 and registry.entry(new).device == DEVICE
    # the submitter went back to its first payload: the fingerprint's latest entry is the newest re-submission
    assert (registry.entry_of(FINGERPRINT), registry.entry_of(FIXED)) == (third, new)
    assert registry.history(third) == (third, new, entry)
    assert registry.history(entry) == (entry,)


def test_history_follows_at_most_sixteen_links(registry, entry, people):
    _, submitter, validator, _, _, _ = people
    current = entry
    for _ in range(17):
        registry.reject(current, "no", sender=validator)
        current = resubmit(registry, current, submitter, size=1)
    assert registry.history(current) == tuple(range(current, current - 16, -1))


def test_certification_only_after_validation_and_it_stays_with_the_entry(registry, entry, people):
    _, _, validator, validator2, regulator, _ = people
    with reverts("entry is not validated"):
        registry.certify(entry, CERTIFICATE, sender=regulator)
    with reverts("entry is not certified"):
        registry.certification(entry)
    registry.validate(entry, sender=validator)
    receipt = registry.certify(entry, CERTIFICATE, sender=regulator)
    assert receipt.events == [registry.Certified(entry, regulator, CERTIFICATE, receipt.timestamp)]
    assert registry.is_certified(entry) and registry.status(entry) == CERTIFIED
    assert registry.certification(entry) == (regulator, receipt.timestamp, CERTIFICATE)
    with reverts("entry is not validated"):
        registry.certify(entry, CERTIFICATE, sender=regulator)  # once
    with reverts("entry is not open for validation"):
        registry.validate(entry, sender=validator2)  # checks close with the certification
    with reverts("no such entry"):
        registry.certify(99, CERTIFICATE, sender=regulator)


def test_a_rejected_entry_cannot_be_certified(registry, entry, people):
    registry.reject(entry, "corrupt", sender=people[2])
    with reverts("entry is not validated"):
        registry.certify(entry, CERTIFICATE, sender=people[4])
    assert not registry.is_certified(entry)


# One history per fingerprint: what a market asks before the data is traded (9.4, 9.7)


def test_entry_of_and_is_validated_follow_a_fingerprint_through_validation_and_certification(registry, people):
    _, submitter, validator, validator2, regulator, _ = people
    assert registry.entry_of(FINGERPRINT) == 0 and registry.is_validated(FINGERPRINT) is False  # never submitted
    entry = submit(registry, submitter)
    assert registry.entry_of(FINGERPRINT) == entry
    assert registry.is_validated(FINGERPRINT) is False  # awaiting its check
    assert registry.entry_of(FIXED) == 0 and registry.is_validated(FIXED) is False  # other fingerprints untouched
    registry.validate(entry, sender=validator)
    assert registry.is_validated(FINGERPRINT) is True
    registry.validate(entry, sender=validator2)  # a further check changes nothing
    assert registry.is_validated(FINGERPRINT) is True
    registry.certify(entry, CERTIFICATE, sender=regulator)
    assert registry.status(entry) == CERTIFIED and registry.is_validated(FINGERPRINT) is True
    assert registry.entry_of(FINGERPRINT) == entry and registry.entry_count() == 1


def test_a_rejected_fingerprint_is_not_validated_until_its_corrected_entry_is(registry, entry, people):
    """The payload was right but its schema was not: the correction carries the same fingerprint, and becomes the
    fingerprint's latest entry."""
    _, submitter, validator, _, _, _ = people
    registry.reject(entry, "wrong schema", sender=validator)
    assert registry.entry_of(FINGERPRINT) == entry and registry.is_validated(FINGERPRINT) is False
    corrected = resubmit(registry, entry, submitter, fingerprint=FINGERPRINT, schema="air-quality/v2")
    assert registry.entry_of(FINGERPRINT) == corrected and registry.previous_of(corrected) == entry
    assert registry.status(entry) == SUPERSEDED and registry.is_validated(FINGERPRINT) is False
    registry.validate(corrected, sender=validator)
    assert registry.is_validated(FINGERPRINT) is True
    assert registry.status(entry) == SUPERSEDED  # the earlier entry stays as it was


def test_a_correction_with_a_new_fingerprint_leaves_the_old_one_superseded(registry, entry, people):
    _, submitter, validator, _, _, _ = people
    registry.reject(entry, "timestamps out of order", sender=validator)
    corrected = resubmit(registry, entry, submitter, fingerprint=FIXED)
    assert (registry.entry_of(FINGERPRINT), registry.entry_of(FIXED)) == (entry, corrected)
    registry.validate(corrected, sender=validator)
    assert registry.is_validated(FIXED) is True
    assert registry.is_validated(FINGERPRINT) is False  # the faulty payload is never validated


def test_a_fingerprint_is_submitted_only_once(registry, identity, entry, people):
    """Whoever sends it and whatever its entry's status, a fingerprint already submitted is refused, after the
    other checks; a validated fingerprint cannot be put back to Submitted by a newer entry."""
    _, submitter, validator, validator2, regulator, _ = people
    register_device(identity, validator, VALIDATOR_DEVICE, VALIDATOR_DEVICE_KEY, (submitter, validator2))
    register_device(identity, submitter, DEVICE2, DEVICE2_KEY, (validator, validator2))
    with reverts("fingerprint already submitted"):  # the same submitter and device, while it awaits its check
        submission(registry, submitter)
    with reverts("fingerprint already submitted"):  # another device of the submitter, another size and schema
        submission(registry, submitter, size=1, schema="other/v1", device=DEVICE2, seed=SEED2)
    with reverts("fingerprint already submitted"):  # another member's device: a copy of somebody else's data
        submission(registry, validator, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    # the other checks come first
    with reverts("size must be 1 byte to 1 TiB"):
        submission(registry, submitter, size=0)
    with reverts("not the device's owner"):
        submission(registry, submitter, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    registry.validate(entry, sender=validator)
    with reverts("fingerprint already submitted"):
        submission(registry, submitter)
    # nor through a re-submission: the submitter's other, rejected entry cannot take over a validated fingerprint
    other = submit(registry, submitter, fingerprint=OTHER)
    registry.reject(other, "gaps in the series", sender=validator)
    with reverts("fingerprint already submitted"):
        resubmission(registry, other, submitter, fingerprint=FINGERPRINT)
    assert registry.status(other) == REJECTED  # nothing changed
    registry.certify(entry, CERTIFICATE, sender=regulator)
    with reverts("fingerprint already submitted"):
        submission(registry, validator, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    assert registry.entry_of(FINGERPRINT) == entry and registry.is_validated(FINGERPRINT) is True
    assert registry.entry_count() == other


def test_a_rejected_fingerprint_comes_back_only_as_its_own_submitters_resubmission(registry, identity, entry,
                                                                                    people):
    """A correction is linked to the rejected entry (9.4): a fresh submission of a rejected fingerprint is refused,
    even to its submitter, and nobody else may take the fingerprint over."""
    _, submitter, validator, validator2, _, _ = people
    register_device(identity, validator, VALIDATOR_DEVICE, VALIDATOR_DEVICE_KEY, (submitter, validator2))
    registry.reject(entry, "calibration fault", sender=validator)
    with reverts("fingerprint already submitted"):
        submission(registry, submitter)
    with reverts("fingerprint already submitted"):
        submission(registry, validator, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    own = submit(registry, validator, fingerprint=OTHER, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    registry.reject(own, "wrong unit", sender=validator2)
    with reverts("fingerprint already submitted"):  # the validator's own rejected entry, re-submitted as FINGERPRINT
        resubmission(registry, own, validator, fingerprint=FINGERPRINT, device=VALIDATOR_DEVICE,
                     seed=VALIDATOR_SEED)
    assert registry.status(own) == REJECTED and registry.entry_of(FINGERPRINT) == entry
    corrected = resubmit(registry, entry, submitter, fingerprint=FINGERPRINT)
    assert registry.entry_of(FINGERPRINT) == corrected and registry.history(corrected) == (corrected, entry)


SUBMIT = st.tuples(st.just("submit"), st.integers(0, 1), st.integers(0, 3))
# a re-submission of entry `ref` by its own submitter, or now and then by the other one
RESUBMIT = st.tuples(st.just("resubmit"), st.sampled_from([False, False, False, True]), st.integers(0, 7),
                     st.integers(0, 3))
VERDICT = st.tuples(st.sampled_from(["validate", "validate", "reject", "reject", "certify"]), st.integers(0, 7))


@settings(max_examples=80, deadline=None)
@given(steps=st.lists(st.one_of(SUBMIT, RESUBMIT, VERDICT, VERDICT), min_size=4, max_size=16))
def test_entry_of_and_is_validated_match_a_model_and_a_validation_is_never_taken_back(registry, identity, device,
                                                                                      people, steps):
    """Two submitters (one entry each to start with), four fingerprints, random submissions, re-submissions and
    verdicts: every step succeeds or is refused as a model predicts, `entry_of` and `is_validated` agree with it
    after each step, and a fingerprint once validated stays validated."""
    operator, submitter, validator, validator2, regulator, _ = people
    register_device(identity, validator, VALIDATOR_DEVICE, VALIDATOR_DEVICE_KEY, (submitter, validator2))
    registry.fund(sender=operator, value=(len(steps) + 1) * REWARD)  # every check can be paid
    senders = ((submitter, DEVICE, SEED), (validator, VALIDATOR_DEVICE, VALIDATOR_SEED))
    fingerprints = (FINGERPRINT, FIXED, OTHER, bytes([0x44] * 32))
    submit(registry, submitter)
    submit(registry, validator, fingerprint=FIXED, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    entries = [[0, 0, SUBMITTED], [1, 1, SUBMITTED]]  # [submitter, fingerprint, status]; entry id = position + 1
    latest = {0: 1, 1: 2}  # fingerprint -> entry id
    validated: set[int] = set()
    checked: set[int] = set()  # entries validator2 has checked
    for step in steps:
        if step[0] == "submit":
            who, fp = step[1], step[2]
            sender, device_id, seed = senders[who]
            event(f"submit: {'refused' if fp in latest else 'done'}")
            if fp in latest:
                with reverts("fingerprint already submitted"):
                    submission(registry, sender, fingerprint=fingerprints[fp], device=device_id, seed=seed)
            else:
                assert submit(registry, sender, fingerprint=fingerprints[fp], device=device_id,
                              seed=seed) == len(entries) + 1
                entries.append([who, fp, SUBMITTED])
                latest[fp] = len(entries)
        elif step[0] == "resubmit":
            ref, fp = step[2] % len(entries) + 1, step[3]
            previous = entries[ref - 1]
            who = 1 - previous[0] if step[1] else previous[0]
            sender, device_id, seed = senders[who]
            holder = entries[latest[fp] - 1] if fp in latest else None
            if previous[0] != who:
                message = "only the submitter can resubmit"
            elif previous[2] != REJECTED:
                message = "only a rejected entry can be resubmitted"
            elif holder is not None and not (holder[0] == who and holder[2] in (REJECTED, SUPERSEDED)):
                message = "fingerprint already submitted"
            else:
                message = None
            event(f"resubmit: {message or 'done'}")
            if message:
                with reverts(message):
                    resubmission(registry, ref, sender, fingerprint=fingerprints[fp], device=device_id, seed=seed)
            else:
                assert resubmit(registry, ref, sender, fingerprint=fingerprints[fp], device=device_id,
                                seed=seed) == len(entries) + 1
                previous[2] = SUPERSEDED
                entries.append([who, fp, SUBMITTED])
                latest[fp] = len(entries)
        else:
            action, ref = step[0], step[1] % len(entries) + 1
            entry = entries[ref - 1]
            if action == "validate":
                if entry[2] not in (SUBMITTED, VALIDATED):
                    with reverts("entry is not open for validation"):
                        registry.validate(ref, sender=validator2)
                elif ref in checked:
                    with reverts("already validated by this validator"):
                        registry.validate(ref, sender=validator2)
                else:
                    registry.validate(ref, sender=validator2)
                    checked.add(ref)
                    entry[2] = VALIDATED
            elif action == "reject":
                if entry[2] != SUBMITTED:
                    with reverts("entry is not awaiting validation"):
                        registry.reject(ref, "no", sender=validator2)
                else:
                    registry.reject(ref, "no", sender=validator2)
                    entry[2] = REJECTED
            elif entry[2] != VALIDATED:
                with reverts("entry is not validated"):
                    registry.certify(ref, CERTIFICATE, sender=regulator)
            else:
                registry.certify(ref, CERTIFICATE, sender=regulator)
                entry[2] = CERTIFIED
        for fp, fingerprint in enumerate(fingerprints):
            expected = fp in latest and entries[latest[fp] - 1][2] in (VALIDATED, CERTIFIED)
            assert registry.entry_of(fingerprint) == latest.get(fp, 0)
            assert registry.is_validated(fingerprint) is expected
            assert expected or fp not in validated  # never taken back
            if expected:
                validated.add(fp)
    event(f"validated fingerprints at the end: {len(validated)}")
    assert registry.entry_count() == len(entries)
    assert [registry.status(i + 1) for i in range(len(entries))] == [entry[2] for entry in entries]


# Roles


def test_role_checks(registry, entry, people):
    operator, submitter, validator, _, regulator, outsider = people
    for who in (submitter, regulator, outsider, operator):
        with reverts("caller lacks role 'validator'"):
            registry.validate(entry, sender=who)
        with reverts("caller lacks role 'validator'"):
            registry.reject(entry, "no", sender=who)
    for who in (validator, submitter, outsider):
        with reverts("caller lacks role 'regulator'"):
            registry.certify(entry, CERTIFICATE, sender=who)
    for who in (validator, regulator, outsider):
        with reverts("caller lacks role 'operator'"):
            registry.fund(sender=who, value=REWARD)
        with reverts("caller lacks role 'operator'"):
            registry.add_validator(who, sender=who)
        with reverts("caller lacks role 'operator'"):
            registry.add_regulator(who, sender=who)
        with reverts("caller lacks role 'operator'"):
            registry.set_reward(1, sender=who)


def test_the_operator_appoints_and_removes_validators(registry, entry, people):
    operator, _, validator, _, _, outsider = people
    receipt = registry.add_validator(outsider, sender=operator)
    assert receipt.emitted("RoleGranted", role="validator", member=outsider, by=operator)
    registry.validate(entry, sender=outsider)
    receipt = registry.remove_validator(validator, sender=operator)
    assert receipt.emitted("RoleRevoked", role="validator", member=validator, by=operator)
    with reverts("caller lacks role 'validator'"):
        registry.validate(entry, sender=validator)
    registry.remove_regulator(people[4], sender=operator)
    with reverts("caller lacks role 'regulator'"):
        registry.certify(entry, CERTIFICATE, sender=people[4])


def test_a_submitter_cannot_check_its_own_entry(registry, identity, people):
    _, submitter, validator, validator2, _, _ = people
    register_device(identity, validator, VALIDATOR_DEVICE, VALIDATOR_DEVICE_KEY, (submitter, validator2))
    own = submit(registry, validator, device=VALIDATOR_DEVICE, seed=VALIDATOR_SEED)
    with reverts("a submitter cannot check its own entry"):
        registry.validate(own, sender=validator)
    with reverts("a submitter cannot check its own entry"):
        registry.reject(own, "mine", sender=validator)
    registry.validate(own, sender=validator2)


# The reward pool


def test_funding_and_the_reward(chain, registry, people):
    operator, _, validator, _, _, _ = people
    receipt = registry.fund(sender=operator, value=5)
    assert receipt.events == [registry.Funded(operator, 5, 10 * REWARD + 5)]
    assert registry.total_funded() == 10 * REWARD + 5 == chain.balance(registry.address)
    with reverts("nothing to fund"):
        registry.fund(sender=operator)
    with reverts("reward must be positive"):
        registry.set_reward(0, sender=operator)
    assert registry.set_reward(7, sender=operator).events == [registry.RewardChanged(7)]
    assert registry.reward_per_check() == 7
    entry = submit(registry, people[1])
    assert registry.validate(entry, sender=validator).event("Validated").reward == 7


def test_only_fund_accepts_tokens(registry, entry, people):
    operator, submitter, validator, _, regulator, _ = people
    with reverts():
        submission(registry, submitter, value=1)
    with reverts():
        registry.validate(entry, sender=validator, value=1)
    with reverts():
        registry.add_regulator(regulator, sender=operator, value=1)
    assert registry.status(entry) == SUBMITTED


FUND = st.tuples(st.just("fund"), amounts(min=1, max=3 * REWARD))
CHECK = st.tuples(st.just("validate"), st.integers(min_value=0, max_value=1), st.integers(min_value=0, max_value=2))


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.one_of(FUND, CHECK), max_size=10))
def test_the_pool_plus_paid_rewards_always_equals_the_funds(chain, deploy, identity, device, people, steps):
    """Against a model: every check is paid or refused as predicted, and pool + paid == funded."""
    operator, submitter, validator, validator2, _, _ = people
    registry = deploy("contracts/data_registry.ctr", REWARD, identity.address, sender=operator)
    validators = (validator, validator2)
    for who in validators:
        registry.add_validator(who, sender=operator)
    entries = [submit(registry, submitter, fingerprint=bytes([n] * 32)) for n in range(3)]
    pool = funded = paid = 0
    done: set[tuple[int, int]] = set()
    for step in steps:
        if step[0] == "fund":
            registry.fund(sender=operator, value=step[1])
            pool, funded = pool + step[1], funded + step[1]
            continue
        who, index = step[1], step[2]
        if (who, index) in done:
            with reverts("already validated by this validator"):
                registry.validate(entries[index], sender=validators[who])
        elif pool < REWARD:
            with reverts("reward pool is empty"):
                registry.validate(entries[index], sender=validators[who])
        else:
            registry.validate(entries[index], sender=validators[who])
            done.add((who, index))
            pool, paid = pool - REWARD, paid + REWARD
        assert registry.reward_pool() + registry.total_paid() == registry.total_funded()
    assert (registry.reward_pool(), registry.total_paid(), registry.total_funded()) == (pool, paid, funded)
    assert chain.balance(registry.address) == pool
