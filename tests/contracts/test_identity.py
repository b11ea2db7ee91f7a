"""contracts/identity.ctr through the pytest plugin: distributed identification (Y.4560 8.1, 9.2). Founding
members, admission of members and devices by a majority of the active members, status changes by the same rule
or a regulator's suspension, devices bound to their owner and Ed25519 key, signed readings checked on chain."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.crypto import ed25519_keypair, ed25519_sign
from contractvm.testing import reverts

SUPPLIER, DEMANDER, PROVIDER, REGULATOR = 0, 1, 2, 3  # Kind
ACTIVE, SUSPENDED, REVOKED = 0, 1, 2  # Status
ADMIT_MEMBER, REGISTER_DEVICE, CHANGE_MEMBER_STATUS, CHANGE_DEVICE_STATUS = 0, 1, 2, 3  # Action
OPEN, EXECUTED, LAPSED = 0, 1, 2  # Outcome
KINDS = (SUPPLIER, DEMANDER, PROVIDER, REGULATOR)  # of the founders

SEED = bytes(range(32))
_, DEVICE_KEY = ed25519_keypair(SEED)
DEVICE = hashlib.sha256(b"sensor serial 0001").digest()
READING = b'{"pm25": 12, "at": 1700000000}'


@pytest.fixture(scope="module")
def founders(accounts):
    """Four founding members, one of each kind: a majority is 3 approvals."""
    return tuple(accounts[:4])


@pytest.fixture(scope="module")
def identity(deploy, founders):
    return deploy("contracts/identity.ctr", founders, KINDS, sender=founders[0])


@pytest.fixture  # per test: its ids would otherwise shift the ids other tests expect
def device(identity, founders):
    """DEVICE registered by the supplier with DEVICE_KEY, approved by the demander and the provider."""
    supplier, demander, provider, _ = founders
    proposal = identity.propose_device(DEVICE, DEVICE_KEY, sender=supplier).return_value
    identity.approve(proposal, sender=demander)
    identity.approve(proposal, sender=provider)
    return DEVICE


def pass_proposal(identity, proposal, voters):
    """Approves `proposal` by each of `voters`; returns the last receipt."""
    receipt = None
    for voter in voters:
        receipt = identity.approve(proposal, sender=voter)
    return receipt


def test_the_founders_are_active_members_of_their_kinds(identity, founders, accounts):
    events = identity.deployment.events
    assert [e for e in events if e.name == "MemberRegistered"] == [
        identity.MemberRegistered(who, kind) for who, kind in zip(founders, KINDS, strict=True)
    ]
    assert identity.deployment.emitted("RoleGranted", member=founders[3])
    for who, kind in zip(founders, KINDS, strict=True):
        assert identity.member_kind(who) == kind
        assert identity.member_status(who) == ACTIVE
        assert identity.is_active(who)
    assert identity.active_members() == 4 and identity.approvals_needed() == 3
    assert not identity.is_member(accounts[5]) and not identity.is_active(accounts[5])
    with reverts("not a member"):
        identity.member_status(accounts[5])


def test_the_founding_list_is_checked(deploy, accounts):
    with reverts("duplicate founder"):
        deploy("contracts/identity.ctr", (accounts[0], accounts[0]), (SUPPLIER, DEMANDER), sender=accounts[0])
    with reverts("one kind per founder"):
        deploy("contracts/identity.ctr", (accounts[0], accounts[1]), (SUPPLIER,), sender=accounts[0])
    with reverts("no founding members"):
        deploy("contracts/identity.ctr", (), (), sender=accounts[0])


def test_a_new_member_is_admitted_once_a_majority_approves(identity, founders, accounts):
    supplier, demander, provider, regulator = founders
    newcomer = accounts[5]
    receipt = identity.propose_member(newcomer, DEMANDER, sender=supplier)
    assert receipt.return_value == 0
    assert receipt.events == [identity.Proposed(0, ADMIT_MEMBER, supplier), identity.Approved(0, supplier, 1, 4)]
    assert identity.approve(0, sender=demander).return_value == OPEN
    assert not identity.is_member(newcomer)  # 2 of 4 is not a majority
    receipt = identity.approve(0, sender=provider)
    assert receipt.return_value == EXECUTED
    assert receipt.events == [identity.Approved(0, provider, 3, 4), identity.MemberRegistered(newcomer, DEMANDER)]
    assert identity.member(newcomer)[:2] == (DEMANDER, ACTIVE)
    assert identity.active_members() == 5 and identity.approvals_needed() == 3
    assert identity.proposal(0).outcome == EXECUTED and identity.proposal(0).approvals == 3
    with reverts("proposal is closed"):
        identity.approve(0, sender=regulator)
    with reverts("already a member"):
        identity.propose_member(newcomer, SUPPLIER, sender=supplier)


def test_an_admitted_regulator_gets_the_role(identity, founders, accounts):
    supplier, demander, provider, _ = founders
    proposal = identity.propose_member(accounts[5], REGULATOR, sender=supplier).return_value
    identity.approve(proposal, sender=demander)
    receipt = identity.approve(proposal, sender=provider)
    assert receipt.emitted("RoleGranted", member=accounts[5])


def test_duplicate_votes_are_refused(identity, founders, accounts):
    supplier, demander, _, _ = founders
    proposal = identity.propose_member(accounts[5], SUPPLIER, sender=supplier).return_value
    with reverts("already approved"):
        identity.approve(proposal, sender=supplier)  # the proposer approved when proposing
    identity.approve(proposal, sender=demander)
    with reverts("already approved"):
        identity.approve(proposal, sender=demander)
    assert identity.proposal(proposal).approvals == 2
    assert identity.has_approved(proposal, demander) and not identity.has_approved(proposal, founders[2])


def test_non_members_are_refused(identity, founders, accounts):
    outsider = accounts[6]
    proposal = identity.propose_member(accounts[5], SUPPLIER, sender=founders[0]).return_value
    with reverts("caller is not an active member"):
        identity.approve(proposal, sender=outsider)
    with reverts("caller is not an active member"):
        identity.propose_member(outsider, SUPPLIER, sender=outsider)
    with reverts("caller is not an active member"):
        identity.propose_device(DEVICE, DEVICE_KEY, sender=outsider)
    with reverts("no such proposal"):
        identity.approve(99, sender=founders[1])


def test_status_changes_follow_the_majority_rule(identity, founders):
    supplier, demander, provider, regulator = founders
    suspend = identity.propose_member_status(demander, SUSPENDED, sender=supplier).return_value
    identity.approve(suspend, sender=provider)
    assert identity.member_status(demander) == ACTIVE
    receipt = identity.approve(suspend, sender=regulator)
    assert receipt.events[-1] == identity.MemberStatusChanged(demander, ACTIVE, SUSPENDED, identity.address)
    assert identity.member_status(demander) == SUSPENDED and identity.active_members() == 3

    # 3 active members: 2 approvals are a majority
    reactivate = identity.propose_member_status(demander, ACTIVE, sender=supplier).return_value
    receipt = identity.approve(reactivate, sender=provider)
    assert receipt.events[-1] == identity.MemberStatusChanged(demander, SUSPENDED, ACTIVE, identity.address)
    assert identity.is_active(demander) and identity.active_members() == 4

    with reverts("status change not allowed"):
        identity.propose_member_status(demander, ACTIVE, sender=supplier)
    revoke = identity.propose_member_status(demander, REVOKED, sender=supplier).return_value
    receipt = pass_proposal(identity, revoke, [provider, regulator])
    assert receipt.events[-1] == identity.MemberStatusChanged(demander, ACTIVE, REVOKED, identity.address)
    for status in (ACTIVE, SUSPENDED, REVOKED):  # revoked is final
        with reverts("status change not allowed"):
            identity.propose_member_status(demander, status, sender=supplier)


def test_a_regulator_suspends_at_once(identity, founders, accounts):
    supplier, demander, _, regulator = founders
    with reverts("caller lacks role 'regulator'"):
        identity.regulator_suspend_member(demander, sender=supplier)
    receipt = identity.regulator_suspend_member(demander, sender=regulator)
    assert receipt.events == [identity.MemberStatusChanged(demander, ACTIVE, SUSPENDED, regulator)]
    assert identity.member_status(demander) == SUSPENDED
    with reverts("member is not active"):
        identity.regulator_suspend_member(demander, sender=regulator)
    with reverts("not a member"):
        identity.regulator_suspend_member(accounts[6], sender=regulator)


def test_a_regulator_out_of_office_loses_the_role(identity, founders):
    supplier, demander, provider, regulator = founders
    suspend = identity.propose_member_status(regulator, SUSPENDED, sender=supplier).return_value
    receipt = pass_proposal(identity, suspend, [demander, provider])
    assert receipt.emitted("RoleRevoked", member=regulator)
    with reverts("caller lacks role 'regulator'"):
        identity.regulator_suspend_member(supplier, sender=regulator)
    reactivate = identity.propose_member_status(regulator, ACTIVE, sender=supplier).return_value
    receipt = identity.approve(reactivate, sender=demander)
    assert receipt.emitted("RoleGranted", member=regulator)
    identity.regulator_suspend_member(provider, sender=regulator)


def test_suspended_and_revoked_members_cannot_act(identity, founders, accounts):
    supplier, demander, provider, regulator = founders
    pending = identity.propose_member(accounts[5], SUPPLIER, sender=supplier).return_value
    identity.regulator_suspend_member(demander, sender=regulator)
    with reverts("caller is not an active member"):
        identity.approve(pending, sender=demander)
    with reverts("caller is not an active member"):
        identity.propose_member(accounts[6], SUPPLIER, sender=demander)
    revoke = identity.propose_member_status(provider, REVOKED, sender=supplier).return_value
    identity.approve(revoke, sender=regulator)  # 2 of 3 active members
    assert identity.member_status(provider) == REVOKED
    with reverts("caller is not an active member"):
        identity.approve(pending, sender=provider)
    with reverts("caller is not an active member"):
        identity.propose_device(DEVICE, DEVICE_KEY, sender=provider)


def test_a_device_is_bound_to_its_owner_and_key(identity, founders, device):
    supplier, demander, _, _ = founders
    assert identity.device_owner(device) == supplier
    assert identity.device_key(device) == DEVICE_KEY
    assert identity.device_status(device) == ACTIVE
    assert identity.device(device)[:3] == (supplier, DEVICE_KEY, ACTIVE)
    with reverts("device already registered"):
        identity.propose_device(device, ed25519_keypair(bytes(32))[1], sender=demander)
    with reverts("key already bound to a device"):
        identity.propose_device(hashlib.sha256(b"other").digest(), DEVICE_KEY, sender=demander)
    with reverts("no such device"):
        identity.device_owner(bytes(32))


def test_device_registration_needs_the_majority_and_emits(identity, founders):
    supplier, demander, provider, _ = founders
    other = hashlib.sha256(b"sensor serial 0002").digest()  # not DEVICE: the module's `device` may be set up
    key = ed25519_keypair(b"\x07" * 32)[1]
    proposal = identity.propose_device(other, key, sender=demander).return_value
    assert identity.approve(proposal, sender=supplier).return_value == OPEN
    with reverts("no such device"):
        identity.device_status(other)
    receipt = identity.approve(proposal, sender=provider)
    assert receipt.events[-1] == identity.DeviceRegistered(other, demander, key)
    assert identity.device_owner(other) == demander


def test_a_signed_reading_is_verified_and_a_tampered_one_is_not(identity, device):
    signature = ed25519_sign(SEED, READING)
    assert identity.verify_reading(device, READING, signature)
    assert identity.signature_valid(device, READING, signature)
    tampered = READING.replace(b"12", b"13")
    assert not identity.verify_reading(device, tampered, signature)
    assert not identity.verify_reading(device, READING, bytes([signature[0] ^ 1]) + signature[1:])
    assert not identity.verify_reading(device, READING, ed25519_sign(b"\x09" * 32, READING))  # another key
    assert not identity.verify_reading(hashlib.sha256(b"unknown").digest(), READING, signature)


def test_readings_of_a_suspended_device_or_owner_are_not_trusted(identity, founders, device):
    regulator = founders[3]
    signature = ed25519_sign(SEED, READING)
    receipt = identity.regulator_suspend_device(device, sender=regulator)
    assert receipt.events == [identity.DeviceStatusChanged(device, ACTIVE, SUSPENDED, regulator)]
    assert not identity.verify_reading(device, READING, signature)
    assert identity.signature_valid(device, READING, signature)  # the signature itself is still good
    with reverts("device is not active"):
        identity.regulator_suspend_device(device, sender=regulator)


def test_an_owner_suspension_distrusts_its_devices(identity, founders, device):
    supplier, _, _, regulator = founders
    identity.regulator_suspend_member(supplier, sender=regulator)
    assert identity.device_status(device) == ACTIVE
    assert not identity.verify_reading(device, READING, ed25519_sign(SEED, READING))


def test_device_status_changes_by_majority(identity, founders, device):
    supplier, demander, provider, regulator = founders
    revoke = identity.propose_device_status(device, REVOKED, sender=demander).return_value
    receipt = pass_proposal(identity, revoke, [provider, regulator])
    assert receipt.events[-1] == identity.DeviceStatusChanged(device, ACTIVE, REVOKED, identity.address)
    assert identity.device_status(device) == REVOKED
    with reverts("status change not allowed"):
        identity.propose_device_status(device, ACTIVE, sender=supplier)
    with reverts("no such device"):
        identity.propose_device_status(bytes(32), SUSPENDED, sender=supplier)


def test_a_proposal_overtaken_by_another_lapses(identity, founders, accounts):
    supplier, demander, provider, regulator = founders
    first = identity.propose_member(accounts[5], SUPPLIER, sender=supplier).return_value
    second = identity.propose_member(accounts[5], DEMANDER, sender=demander).return_value
    pass_proposal(identity, first, [provider, regulator])
    identity.approve(second, sender=supplier)
    receipt = identity.approve(second, sender=provider)  # 3 of 5 active members
    assert receipt.return_value == LAPSED
    assert receipt.events[-1] == identity.Lapsed(second, "already a member")
    assert identity.member_kind(accounts[5]) == SUPPLIER
    assert identity.proposal(second).outcome == LAPSED


@given(voters=st.lists(st.integers(min_value=0, max_value=5), max_size=8))
def test_a_status_changes_only_with_a_majority_of_distinct_active_members(identity, founders, accounts, voters):
    """Founder 0 proposes to suspend founder 1; random accounts (index 4 and 5: outsiders) then try to approve.
    The suspension happens exactly when 3 distinct founders (a majority of 4) have approved, never earlier."""
    target = founders[1]
    proposal = identity.propose_member_status(target, SUSPENDED, sender=founders[0]).return_value
    approved = {0}
    for index in voters:
        voter = accounts[index]
        executed = len(approved) * 2 > 4
        if index >= 4 or (executed and index == 1):  # outsiders, and the target once suspended
            with reverts("caller is not an active member"):
                identity.approve(proposal, sender=voter)
        elif executed:
            with reverts("proposal is closed"):
                identity.approve(proposal, sender=voter)
        elif index in approved:
            with reverts("already approved"):
                identity.approve(proposal, sender=voter)
        else:
            identity.approve(proposal, sender=voter)
            approved.add(index)
        expected = SUSPENDED if len(approved) * 2 > 4 else ACTIVE
        assert identity.member_status(target) == expected
        assert identity.proposal(proposal).approvals == len(approved)
