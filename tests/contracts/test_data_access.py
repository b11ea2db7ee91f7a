"""contracts/data_access.ctr through the pytest plugin: access control and access accounting for off-chain data
keyed by its fingerprint (Y.4560 6.3, 7.2.5, 8.4). Roles (operator, server, market), registration of open and
closed data, read grants by the owner or a market (recorded by the owner, with expiry and purpose), revocation,
`can_read`, and the accounting of every served access (who, what, when, which server)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from contractvm.testing import Account, Contract, Event, TestChain, reverts

People = tuple[Account, ...]
Deploy = Callable[..., Contract]

DAY = 86_400
CLOSED = hashlib.sha256(b"salt|air quality, district 4, May").digest()
OPEN = hashlib.sha256(b"salt|public traffic counts").digest()
UNKNOWN = hashlib.sha256(b"never registered").digest()
ZERO_ADDRESS = bytes(20)
PURPOSE = "traffic research"


@pytest.fixture(scope="module")
def people(accounts: People) -> People:
    operator, owner, reader, server, market, other = accounts[:6]
    return operator, owner, reader, server, market, other


@pytest.fixture(scope="module")
def access(deploy: Deploy, people: People) -> Contract:
    operator, owner, _, server, market, _ = people
    contract = deploy("contracts/data_access.ctr", sender=operator)
    contract.add_server(server, sender=operator)
    contract.add_market(market, sender=operator)
    contract.register(CLOSED, True, sender=owner)
    contract.register(OPEN, False, sender=owner)
    return contract


# Roles


def test_the_deployer_is_the_operator(deploy: Deploy, accounts: People) -> None:
    contract = deploy("contracts/data_access.ctr", sender=accounts[7])
    assert contract.deployment.events == [
        contract.RoleGranted(role="operator", member=accounts[7], by=accounts[7])]


def test_only_the_operator_appoints_and_removes_servers_and_markets(access: Contract, people: People) -> None:
    operator, owner, _, server, market, other = people
    for name in ("add_server", "remove_server", "add_market", "remove_market"):
        with reverts("caller lacks role 'operator'"):
            access.functions[name](other, sender=owner)
        with reverts("caller lacks role 'operator'"):
            access.functions[name](other, sender=server)
    assert access.is_server(server) and access.is_market(market)
    assert not access.is_server(other) and not access.is_market(other)
    receipt = access.add_server(other, sender=operator)
    assert receipt.events == [access.RoleGranted(role="server", member=other, by=operator)]
    assert access.is_server(other)
    receipt = access.remove_server(server, sender=operator)
    assert receipt.events == [access.RoleRevoked(role="server", member=server, by=operator)]
    assert not access.is_server(server)
    receipt = access.add_market(other, sender=operator)
    assert receipt.events == [access.RoleGranted(role="market", member=other, by=operator)]
    receipt = access.remove_market(market, sender=operator)
    assert receipt.events == [access.RoleRevoked(role="market", member=market, by=operator)]
    assert access.is_market(other) and not access.is_market(market)


def test_a_removed_server_can_no_longer_record(access: Contract, people: People) -> None:
    operator, _, reader, server, _, _ = people
    access.record(OPEN, reader, sender=server)
    access.remove_server(server, sender=operator)
    with reverts("caller lacks role 'server'"):
        access.record(OPEN, reader, sender=server)


def test_a_removed_market_can_no_longer_grant(access: Contract, people: People) -> None:
    operator, _, reader, _, market, _ = people
    access.remove_market(market, sender=operator)
    with reverts("not the owner"):
        access.grant_read(CLOSED, reader, 2_000_000_000, PURPOSE, sender=market)


# Registration


def test_registration_makes_the_caller_the_owner(access: Contract, people: People) -> None:
    owner, other = people[1], people[5]
    fingerprint = hashlib.sha256(b"salt|noise levels").digest()
    assert not access.is_registered(fingerprint) and access.owner_of(fingerprint) == ZERO_ADDRESS
    receipt = access.register(fingerprint, True, sender=other)
    assert receipt.events == [access.Registered(fingerprint, other, True)]
    assert access.is_registered(fingerprint) and access.owner_of(fingerprint) == other
    assert access.is_closed(fingerprint)
    assert access.owner_of(CLOSED) == owner and access.is_closed(CLOSED)
    assert access.owner_of(OPEN) == owner and not access.is_closed(OPEN)
    assert not access.is_closed(UNKNOWN) and not access.is_registered(UNKNOWN)


def test_a_fingerprint_is_registered_once(access: Contract, people: People) -> None:
    owner, other = people[1], people[5]
    with reverts("already registered"):
        access.register(CLOSED, False, sender=other)
    with reverts("already registered"):
        access.register(CLOSED, True, sender=owner)
    assert access.owner_of(CLOSED) == owner and access.is_closed(CLOSED)


# Grants


def test_the_owner_grants_a_read_with_expiry_and_purpose(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, _, _, other = people
    assert not access.can_read(CLOSED, reader)
    until = chain.time + 30 * DAY
    receipt = access.grant_read(CLOSED, reader, until, PURPOSE, sender=owner)
    assert receipt.events == [access.AccessGranted(permission="read", resource=CLOSED, grantee=reader,
                                                   expires=until, grantor=owner, purpose=PURPOSE)]
    assert access.can_read(CLOSED, reader) and access.read_until(CLOSED, reader) == until
    assert not access.can_read(CLOSED, other)


def test_a_market_grants_on_behalf_of_the_owner(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, _, market, _ = people
    until = chain.time + DAY
    receipt = access.grant_read(CLOSED, reader, until, "purchased", sender=market)
    assert receipt.emitted("AccessGranted", grantee=reader, expires=until, grantor=owner)  # recorded by the owner
    assert access.can_read(CLOSED, reader)


def test_grant_refusals(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, server, _, other = people
    later = chain.time + DAY
    with reverts("not registered"):
        access.grant_read(UNKNOWN, reader, later, PURPOSE, sender=owner)
    for stranger in (other, reader, server):  # a server is not a market
        with reverts("not the owner"):
            access.grant_read(CLOSED, stranger, later, PURPOSE, sender=stranger)
    with reverts("expiry in the past"):
        access.grant_read(CLOSED, reader, chain.time, PURPOSE, sender=owner)  # until == block.time
    with reverts("expiry in the past"):
        access.grant_read(CLOSED, reader, chain.time - 1, PURPOSE, sender=owner)
    assert not access.can_read(CLOSED, reader)
    until = chain.time + 2  # the grant is mined at chain.time; views then see the next second
    access.grant_read(CLOSED, reader, until, PURPOSE, sender=owner)
    assert chain.time == until - 1 and access.can_read(CLOSED, reader)


def test_a_grant_expires_with_block_time(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, server, _, _ = people
    until = chain.time + 10 * DAY
    access.grant_read(CLOSED, reader, until, PURPOSE, sender=owner)
    chain.set_time(until - 1)
    assert access.can_read(CLOSED, reader)
    access.record(CLOSED, reader, sender=server)  # still valid in the last second
    chain.set_time(until)
    assert not access.can_read(CLOSED, reader)
    assert access.read_until(CLOSED, reader) == until  # kept until revoked
    with reverts("no valid grant"):
        access.record(CLOSED, reader, sender=server)
    assert access.access_count(CLOSED) == 1


def test_a_new_grant_replaces_the_old_one(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, _, _, _ = people
    access.grant_read(CLOSED, reader, chain.time + 30 * DAY, PURPOSE, sender=owner)
    shorter = chain.time + DAY
    access.grant_read(CLOSED, reader, shorter, "a shorter study", sender=owner)
    assert access.read_until(CLOSED, reader) == shorter
    chain.set_time(shorter)
    assert not access.can_read(CLOSED, reader)


def test_the_owner_revokes_a_grant(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, server, market, other = people
    access.grant_read(CLOSED, reader, chain.time + DAY, PURPOSE, sender=owner)
    with reverts("not the owner"):
        access.revoke_read(CLOSED, reader, sender=other)
    with reverts("not the owner"):
        access.revoke_read(CLOSED, reader, sender=market)  # markets grant, only owners revoke
    with reverts("not the owner"):
        access.revoke_read(CLOSED, reader, sender=reader)
    with reverts("no grant"):
        access.revoke_read(CLOSED, other, sender=owner)
    with reverts("not registered"):
        access.revoke_read(UNKNOWN, reader, sender=owner)
    receipt = access.revoke_read(CLOSED, reader, sender=owner)
    assert receipt.events == [access.AccessRevoked(permission="read", resource=CLOSED, grantee=reader, by=owner)]
    assert not access.can_read(CLOSED, reader) and access.read_until(CLOSED, reader) == 0
    with reverts("no valid grant"):
        access.record(CLOSED, reader, sender=server)
    with reverts("no grant"):
        access.revoke_read(CLOSED, reader, sender=owner)  # already revoked


def test_an_expired_grant_can_still_be_revoked(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, _, _, _ = people
    until = chain.time + DAY
    access.grant_read(CLOSED, reader, until, PURPOSE, sender=owner)
    chain.set_time(until)
    access.revoke_read(CLOSED, reader, sender=owner)
    assert access.read_until(CLOSED, reader) == 0


def test_grants_are_per_fingerprint(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, _, _, other = people
    mine = hashlib.sha256(b"salt|someone else's data").digest()
    access.register(mine, True, sender=other)
    access.grant_read(CLOSED, reader, chain.time + DAY, PURPOSE, sender=owner)
    assert access.can_read(CLOSED, reader) and not access.can_read(mine, reader)
    with reverts("not the owner"):  # owning some data gives no rights over other data
        access.grant_read(mine, reader, chain.time + DAY, PURPOSE, sender=owner)


# can_read


def test_who_can_read(access: Contract, people: People) -> None:
    _, owner, reader, server, market, other = people
    for who in (owner, reader, server, market, other, ZERO_ADDRESS):
        assert access.can_read(OPEN, who)          # open data: anybody
        assert not access.can_read(UNKNOWN, who)   # unregistered: nobody
    assert access.can_read(CLOSED, owner)          # closed data: its owner, always
    for who in (reader, server, market, other):
        assert not access.can_read(CLOSED, who)    # ... and nobody else without a grant


def test_the_owner_can_always_read_without_a_grant(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, _, server, _, _ = people
    assert access.read_until(CLOSED, owner) == 0
    chain.advance_time(400 * DAY)
    assert access.can_read(CLOSED, owner)
    assert access.record(CLOSED, owner, sender=server).return_value == 1


# Accounting


def test_a_server_records_an_access_to_open_data_by_anyone(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, _, server, _, other = people
    now = chain.time
    receipt = access.record(OPEN, other, sender=server)
    assert receipt.return_value == 1
    assert receipt.events == [access.Accessed(1, OPEN, other, owner, False, server, now)]
    assert access.access(1) == (OPEN, other, owner, False, server, now)
    stored = access.access(1)
    assert (stored.fingerprint, stored.reader, stored.owner, stored.closed, stored.server, stored.at) == (
        OPEN, other, owner, False, server, now)


def test_a_server_records_a_granted_access_to_closed_data(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, server, _, _ = people
    with reverts("no valid grant"):
        access.record(CLOSED, reader, sender=server)
    access.grant_read(CLOSED, reader, chain.time + DAY, PURPOSE, sender=owner)
    now = chain.time
    receipt = access.record(CLOSED, reader, sender=server)
    assert receipt.events == [access.Accessed(1, CLOSED, reader, owner, True, server, now)]
    assert access.access(1).closed and access.access(1).at == now


def test_record_refusals(access: Contract, people: People) -> None:
    _, owner, reader, server, market, other = people
    for caller in (owner, reader, market, other):
        with reverts("caller lacks role 'server'"):
            access.record(OPEN, reader, sender=caller)
    with reverts("not registered"):
        access.record(UNKNOWN, reader, sender=server)
    with reverts("no valid grant"):
        access.record(CLOSED, other, sender=server)
    assert access.total_accesses() == 0 and access.reads_by(other) == 0


def test_accesses_are_counted_per_fingerprint_per_reader_and_in_total(chain: TestChain, access: Contract,
                                                                      people: People) -> None:
    operator, owner, reader, server, _, other = people
    second_server = people[4]
    access.add_server(second_server, sender=operator)
    access.grant_read(CLOSED, reader, chain.time + DAY, PURPOSE, sender=owner)
    ids = [access.record(OPEN, reader, sender=server).return_value,
           access.record(OPEN, other, sender=second_server).return_value,
           access.record(CLOSED, reader, sender=server).return_value,
           access.record(OPEN, reader, sender=second_server).return_value,
           access.record(CLOSED, owner, sender=server).return_value]
    assert ids == [1, 2, 3, 4, 5]
    assert access.total_accesses() == 5
    assert access.access_count(OPEN) == 3 and access.access_count(CLOSED) == 2
    assert access.access_count(UNKNOWN) == 0
    assert access.reads_by(reader) == 3 and access.reads_by(other) == 1 and access.reads_by(owner) == 1
    assert access.reads_by(server) == 0
    assert [access.access(i).server for i in ids] == [server, second_server, server, second_server, server]
    assert [access.access(i).reader for i in ids] == [reader, other, reader, reader, owner]


def test_unknown_accesses(access: Contract, people: People) -> None:
    with reverts("no such access"):
        access.access(0)
    with reverts("no such access"):
        access.access(1)
    access.record(OPEN, people[2], sender=people[3])
    assert access.access(1).reader == people[2]
    with reverts("no such access"):
        access.access(2)


def test_the_history_is_auditable_from_events(chain: TestChain, access: Contract, people: People) -> None:
    _, owner, reader, server, market, _ = people
    until = chain.time + DAY
    granted = access.grant_read(CLOSED, reader, until, "purchased", sender=market)
    recorded = access.record(CLOSED, reader, sender=server)
    revoked = access.revoke_read(CLOSED, reader, sender=owner)
    trail = granted.events + recorded.events + revoked.events
    assert [e.name for e in trail] == ["AccessGranted", "Accessed", "AccessRevoked"]
    assert trail[0] == Event("AccessGranted", permission="read", resource=CLOSED, grantee=reader, expires=until,
                             grantor=owner, purpose="purchased")
    assert trail[1].reader == reader and trail[1].server == server and trail[1].closed is True
    assert trail[2].by == owner
