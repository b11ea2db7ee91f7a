"""contracts/data_circulation.ctr through the pytest plugin: data asset circulation through a data proxy
(Y.4560 Appendix I.2, steps 1-4). Parties checked against contracts/identity.ctr (active members of the right
kind), the steps in order and once each by their own party, certifications and statements of permitted usage
per hop, the proxy never passing on more than the source permitted, and the attestation view."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contractvm.testing import Account, Contract, TestChain, reverts

People = tuple[Account, ...]
Deploy = Callable[..., Contract]

DAY = 86_400
SUPPLIER, DEMANDER, PROVIDER, REGULATOR = 0, 1, 2, 3  # Identity's Kind
REQUESTED, CONFIRMED, SOURCE_CERTIFIED, COMPLETED = range(4)  # Status
READ, DERIVE, RESELL, SHARE = 1, 2, 4, 8
FINGERPRINT = hashlib.sha256(b"salt|smart meter readings, building 7, 2026").digest()
SOURCE_CERTIFICATE = hashlib.sha256(b"delivery certificate: source -> proxy").digest()
PROXY_CERTIFICATE = hashlib.sha256(b"delivery certificate: proxy -> enterprise").digest()
ZERO_ADDRESS = bytes(20)


@pytest.fixture(scope="module")
def people(accounts: People) -> People:
    """source (DataSupplier), requester (DataDemander), proxy (ServiceProvider), regulator, outsider."""
    source, requester, proxy, regulator, outsider = accounts[:5]
    return source, requester, proxy, regulator, outsider


@pytest.fixture(scope="module")
def identity(deploy: Deploy, people: People) -> Contract:
    source, requester, proxy, regulator, _ = people
    return deploy("contracts/identity.ctr", (source, requester, proxy, regulator),
                  (SUPPLIER, DEMANDER, PROVIDER, REGULATOR), sender=source)


@pytest.fixture(scope="module")
def circulation(deploy: Deploy, identity: Contract, people: People) -> Contract:
    return deploy("contracts/data_circulation.ctr", identity.address, sender=people[4])


# Function-scoped, so that each test starts from the step it needs.
@pytest.fixture
def requested(circulation: Contract, people: People) -> int:
    """Step 1: the proxy requested FINGERPRINT from the source for the requester, to read and derive."""
    source, requester, proxy, _, _ = people
    return circulation.request(source, requester, FINGERPRINT, READ | DERIVE, "energy forecasting",
                               sender=proxy).return_value


@pytest.fixture
def confirmed(circulation: Contract, requested: int, people: People) -> int:
    """Step 2: the requester confirmed it."""
    circulation.confirm(requested, sender=people[1])
    return requested


@pytest.fixture
def sourced(chain: TestChain, circulation: Contract, confirmed: int, people: People) -> int:
    """Step 3: the source permitted the proxy READ | DERIVE | RESELL for 90 days."""
    circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ | DERIVE | RESELL, "resale to enterprises",
                               chain.time + 90 * DAY, sender=people[0])
    return confirmed


@pytest.fixture
def completed(chain: TestChain, circulation: Contract, sourced: int, people: People) -> int:
    """Step 4: the proxy permitted the requester READ | DERIVE for 30 days."""
    circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ | DERIVE, "energy forecasting",
                              chain.time + 30 * DAY, sender=people[2])
    return sourced


# The whole flow


def test_a_circulation_goes_through_the_four_steps(chain: TestChain, circulation: Contract, people: People) -> None:
    source, requester, proxy, _, _ = people
    assert circulation.circulation_count() == 0
    requested_at = chain.time
    receipt = circulation.request(source, requester, FINGERPRINT, READ | DERIVE, "energy forecasting", sender=proxy)
    cid = receipt.return_value
    assert cid == 1 and circulation.circulation_count() == 1
    assert receipt.events == [circulation.DataRequested(cid, proxy, source, requester, FINGERPRINT, READ | DERIVE,
                                                        "energy forecasting")]
    assert circulation.circulation(cid) == (proxy, source, requester, FINGERPRINT, READ | DERIVE,
                                            "energy forecasting", REQUESTED, requested_at, 0)
    assert circulation.status_of(cid) == REQUESTED

    confirmed_at = chain.time
    receipt = circulation.confirm(cid, sender=requester)
    assert receipt.events == [circulation.RequestConfirmed(cid, requester, confirmed_at)]
    assert circulation.status_of(cid) == CONFIRMED and circulation.circulation(cid).confirmed_at == confirmed_at

    sourced_at = chain.time
    source_expiry = sourced_at + 90 * DAY
    receipt = circulation.certify_source(cid, SOURCE_CERTIFICATE, READ | DERIVE | RESELL, "resale to enterprises",
                                         source_expiry, sender=source)
    assert receipt.events == [circulation.SourceCertified(cid, source, proxy, SOURCE_CERTIFICATE,
                                                          READ | DERIVE | RESELL, "resale to enterprises",
                                                          source_expiry)]
    assert circulation.status_of(cid) == SOURCE_CERTIFIED
    assert circulation.source_hop(cid) == (source, proxy, SOURCE_CERTIFICATE, "resale to enterprises",
                                           READ | DERIVE | RESELL, source_expiry, sourced_at)

    delivered_at = chain.time
    proxy_expiry = delivered_at + 30 * DAY
    receipt = circulation.certify_proxy(cid, PROXY_CERTIFICATE, READ | DERIVE, "energy forecasting", proxy_expiry,
                                        sender=proxy)
    assert receipt.events == [circulation.ProxyCertified(cid, proxy, requester, PROXY_CERTIFICATE, READ | DERIVE,
                                                         "energy forecasting", proxy_expiry)]
    assert circulation.status_of(cid) == COMPLETED
    hop = circulation.proxy_hop(cid)
    assert (hop.provider, hop.recipient, hop.certificate, hop.purpose, hop.usage, hop.expires, hop.recorded_at) == (
        proxy, requester, PROXY_CERTIFICATE, "energy forecasting", READ | DERIVE, proxy_expiry, delivered_at)
    assert circulation.source_hop(cid).certificate == SOURCE_CERTIFICATE  # kept


def test_circulations_are_independent(circulation: Contract, people: People) -> None:
    source, requester, proxy, _, _ = people
    first = circulation.request(source, requester, FINGERPRINT, READ, "one", sender=proxy).return_value
    second = circulation.request(source, requester, SOURCE_CERTIFICATE, SHARE, "two", sender=proxy).return_value
    assert (first, second) == (1, 2) and circulation.circulation_count() == 2
    circulation.confirm(second, sender=requester)
    assert circulation.status_of(first) == REQUESTED and circulation.status_of(second) == CONFIRMED
    assert circulation.circulation(second).fingerprint == SOURCE_CERTIFICATE


def test_the_identity_contract_is_required(deploy: Deploy, circulation: Contract, identity: Contract,
                                           people: People) -> None:
    assert circulation.identity_contract() == identity.address
    with reverts("identity contract required"):
        deploy("contracts/data_circulation.ctr", ZERO_ADDRESS, sender=people[4])


# Step 1


def test_only_an_active_service_provider_requests(circulation: Contract, identity: Contract, people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    for caller in (source, requester, regulator, outsider):  # other kinds, or not a member
        with reverts("proxy is not an active service provider"):
            circulation.request(source, requester, FINGERPRINT, READ, "study", sender=caller)
    identity.regulator_suspend_member(proxy, sender=regulator)
    with reverts("proxy is not an active service provider"):
        circulation.request(source, requester, FINGERPRINT, READ, "study", sender=proxy)
    assert circulation.circulation_count() == 0


def test_the_source_and_the_requester_must_be_active_members_of_their_kinds(circulation: Contract, identity: Contract,
                                                                            people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    for wrong in (requester, proxy, regulator, outsider):
        with reverts("source is not an active data supplier"):
            circulation.request(wrong, requester, FINGERPRINT, READ, "study", sender=proxy)
    for wrong in (source, proxy, regulator, outsider):
        with reverts("requester is not an active data demander"):
            circulation.request(source, wrong, FINGERPRINT, READ, "study", sender=proxy)
    identity.regulator_suspend_member(source, sender=regulator)
    with reverts("source is not an active data supplier"):
        circulation.request(source, requester, FINGERPRINT, READ, "study", sender=proxy)


def test_a_request_names_a_usage_and_a_purpose(circulation: Contract, people: People) -> None:
    source, requester, proxy, _, _ = people
    with reverts("no usage given"):
        circulation.request(source, requester, FINGERPRINT, 0, "study", sender=proxy)
    for bad in (16, 17, 0x80, 0xFF):
        with reverts("unknown usage bits"):
            circulation.request(source, requester, FINGERPRINT, bad, "study", sender=proxy)
    with reverts("purpose is empty"):
        circulation.request(source, requester, FINGERPRINT, READ, "", sender=proxy)
    cid = circulation.request(source, requester, FINGERPRINT, READ | DERIVE | RESELL | SHARE, "all", sender=proxy)
    assert circulation.circulation(cid.return_value).usage == 15


# Step 2


def test_only_the_named_requester_confirms_once(circulation: Contract, requested: int, people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    for caller in (source, proxy, regulator, outsider):
        with reverts("only the requester"):
            circulation.confirm(requested, sender=caller)
    with reverts("unknown circulation"):
        circulation.confirm(requested + 1, sender=requester)
    with reverts("unknown circulation"):
        circulation.confirm(0, sender=requester)
    circulation.confirm(requested, sender=requester)
    with reverts("already confirmed"):
        circulation.confirm(requested, sender=requester)
    assert circulation.status_of(requested) == CONFIRMED


def test_a_confirmation_comes_before_the_later_steps(circulation: Contract, completed: int, people: People) -> None:
    with reverts("already confirmed"):
        circulation.confirm(completed, sender=people[1])


def test_a_suspended_requester_cannot_confirm(circulation: Contract, identity: Contract, requested: int,
                                              people: People) -> None:
    requester, regulator = people[1], people[3]
    identity.regulator_suspend_member(requester, sender=regulator)
    with reverts("requester is not an active data demander"):
        circulation.confirm(requested, sender=requester)
    assert circulation.status_of(requested) == REQUESTED


# Step 3


def test_the_source_certifies_only_after_the_confirmation(chain: TestChain, circulation: Contract, requested: int,
                                                          people: People) -> None:
    source, requester = people[0], people[1]
    later = chain.time + DAY
    with reverts("request not confirmed"):
        circulation.certify_source(requested, SOURCE_CERTIFICATE, READ, "study", later, sender=source)
    circulation.confirm(requested, sender=requester)
    circulation.certify_source(requested, SOURCE_CERTIFICATE, READ, "study", later, sender=source)
    assert circulation.status_of(requested) == SOURCE_CERTIFIED


def test_step_3_refusals(chain: TestChain, circulation: Contract, confirmed: int, people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    later = chain.time + DAY
    for caller in (requester, proxy, regulator, outsider):
        with reverts("only the source"):
            circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", later, sender=caller)
    with reverts("unknown circulation"):
        circulation.certify_source(confirmed + 1, SOURCE_CERTIFICATE, READ, "study", later, sender=source)
    with reverts("no usage given"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, 0, "study", later, sender=source)
    with reverts("unknown usage bits"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, 32 | READ, "study", later, sender=source)
    with reverts("purpose is empty"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "", later, sender=source)
    with reverts("expiry in the past"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", chain.time, sender=source)
    with reverts("source hop not recorded"):
        circulation.source_hop(confirmed)
    circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", chain.time + 1, sender=source)
    with reverts("source hop already recorded"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", later, sender=source)


def test_the_source_certifies_once_even_after_completion(chain: TestChain, circulation: Contract, completed: int,
                                                         people: People) -> None:
    with reverts("source hop already recorded"):
        circulation.certify_source(completed, SOURCE_CERTIFICATE, SHARE, "more", chain.time + DAY, sender=people[0])
    assert circulation.source_hop(completed).usage == READ | DERIVE | RESELL


def test_both_parties_of_the_source_hop_must_be_active(chain: TestChain, circulation: Contract, identity: Contract,
                                                       confirmed: int, people: People) -> None:
    source, _, proxy, regulator, _ = people
    later = chain.time + DAY
    with chain.isolate():
        identity.regulator_suspend_member(source, sender=regulator)
        with reverts("source is not an active data supplier"):
            circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", later, sender=source)
    identity.regulator_suspend_member(proxy, sender=regulator)
    with reverts("proxy is not an active service provider"):
        circulation.certify_source(confirmed, SOURCE_CERTIFICATE, READ, "study", later, sender=source)


# Step 4


def test_the_proxy_certifies_only_after_the_source(chain: TestChain, circulation: Contract, requested: int,
                                                   people: People) -> None:
    source, requester, proxy, _, _ = people
    later = chain.time + DAY
    with reverts("source hop not recorded"):  # not even confirmed
        circulation.certify_proxy(requested, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    circulation.confirm(requested, sender=requester)
    with reverts("source hop not recorded"):
        circulation.certify_proxy(requested, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    with reverts("proxy hop not recorded"):
        circulation.proxy_hop(requested)
    circulation.certify_source(requested, SOURCE_CERTIFICATE, READ, "study", later, sender=source)
    circulation.certify_proxy(requested, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    assert circulation.status_of(requested) == COMPLETED


def test_step_4_refusals(chain: TestChain, circulation: Contract, sourced: int, people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    later = chain.time + DAY
    for caller in (source, requester, regulator, outsider):
        with reverts("only the proxy"):
            circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", later, sender=caller)
    with reverts("unknown circulation"):
        circulation.certify_proxy(sourced + 1, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    with reverts("no usage given"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, 0, "study", later, sender=proxy)
    with reverts("unknown usage bits"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, 64, "study", later, sender=proxy)
    with reverts("purpose is empty"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "", later, sender=proxy)
    with reverts("expiry in the past"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", chain.time, sender=proxy)
    circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    with reverts("proxy hop already recorded"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)


def test_the_proxy_cannot_permit_more_than_the_source(circulation: Contract, sourced: int, people: People) -> None:
    proxy = people[2]
    source_hop = circulation.source_hop(sourced)  # READ | DERIVE | RESELL until source_hop.expires
    for wider in (SHARE, READ | SHARE, READ | DERIVE | RESELL | SHARE):
        with reverts("usage wider than the source permitted"):
            circulation.certify_proxy(sourced, PROXY_CERTIFICATE, wider, "study", source_hop.expires, sender=proxy)
    with reverts("expiry later than the source permitted"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", source_hop.expires + 1, sender=proxy)
    # The same usage and the same expiry are not wider.
    circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ | DERIVE | RESELL, "study", source_hop.expires,
                              sender=proxy)
    assert circulation.proxy_hop(sourced).usage == source_hop.usage
    assert circulation.proxy_hop(sourced).expires == source_hop.expires


def test_both_parties_of_the_proxy_hop_must_be_active(chain: TestChain, circulation: Contract, identity: Contract,
                                                      sourced: int, people: People) -> None:
    _, requester, proxy, regulator, _ = people
    later = chain.time + DAY
    with chain.isolate():
        identity.regulator_suspend_member(proxy, sender=regulator)
        with reverts("proxy is not an active service provider"):
            circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)
    identity.regulator_suspend_member(requester, sender=regulator)
    with reverts("requester is not an active data demander"):
        circulation.certify_proxy(sourced, PROXY_CERTIFICATE, READ, "study", later, sender=proxy)


MASKS = st.integers(min_value=1, max_value=15)


@given(source_usage=MASKS, proxy_usage=MASKS, source_days=st.integers(1, 60), proxy_days=st.integers(1, 60))
def test_step_4_succeeds_exactly_when_it_is_within_step_3(chain: TestChain, circulation: Contract,
                                                         people: People, source_usage: int, proxy_usage: int,
                                                         source_days: int, proxy_days: int) -> None:
    source, requester, proxy, _, _ = people
    cid = circulation.request(source, requester, FINGERPRINT, READ, "study", sender=proxy).return_value
    circulation.confirm(cid, sender=requester)
    start = chain.time
    circulation.certify_source(cid, SOURCE_CERTIFICATE, source_usage, "study", start + source_days * DAY,
                               sender=source)
    args = (cid, PROXY_CERTIFICATE, proxy_usage, "study", start + proxy_days * DAY)
    if proxy_usage & ~source_usage:
        with reverts("usage wider than the source permitted"):
            circulation.certify_proxy(*args, sender=proxy)
    elif proxy_days > source_days:
        with reverts("expiry later than the source permitted"):
            circulation.certify_proxy(*args, sender=proxy)
    else:
        circulation.certify_proxy(*args, sender=proxy)
        assert circulation.status_of(cid) == COMPLETED


# Attesting responsibility


def test_permitted_usage_follows_each_hop_and_its_validity(chain: TestChain, circulation: Contract, completed: int,
                                                           people: People) -> None:
    source, requester, proxy, regulator, outsider = people
    source_hop, proxy_hop = circulation.source_hop(completed), circulation.proxy_hop(completed)
    now = proxy_hop.recorded_at
    assert circulation.permitted_usage(completed, proxy, now) == READ | DERIVE | RESELL
    assert circulation.permitted_usage(completed, requester, now) == READ | DERIVE
    for nobody in (source, regulator, outsider):
        assert circulation.permitted_usage(completed, nobody, now) == 0
        assert not circulation.permitted(completed, nobody, READ, now)
    assert circulation.permitted(completed, requester, READ, now)
    assert circulation.permitted(completed, requester, READ | DERIVE, now)
    assert not circulation.permitted(completed, requester, RESELL, now)
    assert not circulation.permitted(completed, requester, READ | SHARE, now)  # every bit must be permitted
    assert circulation.permitted(completed, proxy, RESELL, now)
    assert not circulation.permitted(completed, proxy, SHARE, now)
    assert not circulation.permitted(completed, requester, 0, now)  # no usage is not a permitted usage
    assert not circulation.permitted(completed, proxy, 16, now)
    # In time: from the block the statement was recorded in, until strictly before its expiry.
    assert not circulation.permitted(completed, requester, READ, proxy_hop.recorded_at - 1)
    assert circulation.permitted(completed, requester, READ, proxy_hop.expires - 1)
    assert not circulation.permitted(completed, requester, READ, proxy_hop.expires)
    assert circulation.permitted(completed, proxy, READ, source_hop.recorded_at)
    assert not circulation.permitted(completed, proxy, READ, source_hop.recorded_at - 1)
    assert circulation.permitted(completed, proxy, READ, source_hop.expires - 1)
    assert not circulation.permitted(completed, proxy, READ, source_hop.expires)
    assert circulation.permitted_usage(completed, proxy, source_hop.expires) == 0
    chain.advance_time(365 * DAY)  # the answer is about the time asked, not the time of asking
    assert circulation.permitted(completed, requester, DERIVE, now)


def test_nothing_is_permitted_before_the_hops_are_recorded(circulation: Contract, confirmed: int, chain: TestChain,
                                                           people: People) -> None:
    _, requester, proxy, _, _ = people
    assert circulation.permitted_usage(confirmed, proxy, chain.time) == 0
    assert not circulation.permitted(confirmed, requester, READ, chain.time)
    with reverts("unknown circulation"):
        circulation.permitted(confirmed + 1, requester, READ, chain.time)
    with reverts("unknown circulation"):
        circulation.permitted_usage(confirmed + 1, requester, chain.time)


def test_a_leak_by_resale_is_the_requesters_responsibility(chain: TestChain, circulation: Contract, completed: int,
                                                           people: People) -> None:
    """The data shows up for sale: the source permitted the proxy to resell, the proxy did not permit the
    requester; so a resale by the proxy was within its rights and one by the requester was not."""
    _, requester, proxy, _, _ = people
    leak = chain.time + 10 * DAY
    assert circulation.permitted(completed, proxy, RESELL, leak)
    assert not circulation.permitted(completed, requester, RESELL, leak)
    assert circulation.permitted(completed, requester, DERIVE, leak)


def test_views_of_unknown_circulations(circulation: Contract) -> None:
    for view in (circulation.circulation, circulation.status_of, circulation.source_hop, circulation.proxy_hop):
        with reverts("unknown circulation"):
            view(1)
