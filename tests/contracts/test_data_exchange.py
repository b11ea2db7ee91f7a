"""contracts/data_exchange.ctr through the pytest plugin: offers with stakes, funded requests, bounded matching
(cheapest in the category within the maximum price, ties to the lowest id), escrow until delivery is
confirmed or the confirmation window ends, refunds with the stake as penalty after a missed delivery, grants
on release, and money conservation (balance == escrowed + deposited + staked). Connected to DataAccess
(contracts/data_access.ctr): only the data's registered owner publishes, and a settlement grants the buyer a read
there too. Open requests are listed per category (bounded), so a supplier can match against demand. Connected to
Identity (contracts/identity.ctr): only its active members publish offers and requests. Connected to DataRegistry
(contracts/data_registry.ctr): only validated (or certified) data is offered, after every other check of `publish`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from contractvm.crypto import ed25519_keypair, ed25519_sign
from contractvm.testing import Account, CallFailed, Contract, TestChain, reverts

DAY = 86_400
DELIVER = 2 * DAY
CONFIRM = 3 * DAY
STAKE = 100
PRICE = 1_000
FINGERPRINT = bytes(range(32))
KEY = bytes([7] * 32)
WINDOW = 32
OPEN, SOLD, COMPLETED, DEFAULTED, WITHDRAWN = range(5)
R_OPEN, R_MATCHED, R_CANCELLED = range(3)
PAID, DELIVERED, RELEASED, REFUNDED = range(4)
ZERO_ADDRESS = bytes(20)
PURPOSE = "purchased IoT data (Y.4560 9.7)"  # of the grants given on settlement
SUPPLIER_KIND, DEMANDER_KIND, REGULATOR_KIND = 0, 1, 3  # Identity's Kind
ACTIVE, REVOKED = 0, 2  # Identity's Status

People = tuple[Account, ...]
Deploy = Callable[..., Contract]


@pytest.fixture(scope="module")
def people(accounts):
    operator, supplier, buyer, other = accounts[:4]
    return operator, supplier, buyer, other


@pytest.fixture(scope="module")
def exchange(deploy, people):
    return deploy("contracts/data_exchange.ctr", DELIVER, CONFIRM, sender=people[0])


# Function-scoped: a module-scoped fixture stays set up (so its transactions stay on the chain) for the
# rest of the module once a test has asked for it, even in tests that do not.
@pytest.fixture
def offer(exchange, people):
    """Offer 1: 'air' data for PRICE, 30 days, staked STAKE by the supplier."""
    return exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=people[1], value=STAKE).return_value


@pytest.fixture
def bought(exchange, offer, people):
    """Purchase 1: the buyer bought offer 1 directly."""
    return exchange.buy(offer, sender=people[2], value=PRICE).return_value


def held(chain, exchange):
    return chain.balance(exchange.address)


def accounted(exchange):
    return exchange.escrow_balance() + exchange.deposit_balance() + exchange.stake_balance()


# Offers and requests


def test_publishing_an_offer_holds_its_stake(chain, exchange, offer, people):
    supplier = people[1]
    stored = exchange.offer(offer)
    assert (stored.supplier, stored.price, stored.days, stored.stake, stored.status) == (supplier, PRICE, 30,
                                                                                          STAKE, OPEN)
    assert stored.category == "air" and stored.fingerprint == FINGERPRINT
    assert exchange.open_in("air") == (offer,)
    assert exchange.stake_balance() == STAKE == held(chain, exchange)
    receipt = exchange.publish(FINGERPRINT, "air", 5, 1, sender=supplier, value=1)
    assert receipt.events == [exchange.OfferPublished(2, supplier, FINGERPRINT, "air", 5, 1, 1)]


def test_offer_rules(exchange, people):
    supplier = people[1]
    with reverts("a stake is required"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier)
    with reverts("price must be positive"):
        exchange.publish(FINGERPRINT, "air", 0, 30, sender=supplier, value=1)
    with reverts("days must be 1..365"):
        exchange.publish(FINGERPRINT, "air", PRICE, 366, sender=supplier, value=1)
    with reverts("category is empty"):
        exchange.publish(FINGERPRINT, "", PRICE, 1, sender=supplier, value=1)


def test_the_category_window_is_bounded(exchange, people):
    ids = [exchange.publish(FINGERPRINT, "soil", 10 + i, 1, sender=people[1], value=1).return_value
           for i in range(WINDOW)]
    assert exchange.open_in("soil") == tuple(ids)
    with reverts("category window full"):
        exchange.publish(FINGERPRINT, "soil", 1, 1, sender=people[1], value=1)
    exchange.publish(FINGERPRINT, "water", 1, 1, sender=people[1], value=1)  # other categories are unaffected
    exchange.withdraw(ids[3], sender=people[1])
    assert exchange.open_in("soil") == tuple(ids[:3] + ids[4:])
    exchange.publish(FINGERPRINT, "soil", 1, 1, sender=people[1], value=1)


def test_only_the_supplier_withdraws_and_gets_the_stake_back(chain, exchange, offer, people):
    _, supplier, buyer, _ = people
    with reverts("only the supplier"):
        exchange.withdraw(offer, sender=buyer)
    with reverts("no such offer"):
        exchange.withdraw(99, sender=supplier)
    before = chain.balance(supplier)
    receipt = exchange.withdraw(offer, sender=supplier)
    assert receipt.events == [exchange.OfferWithdrawn(offer, supplier, STAKE)]
    assert chain.balance(supplier) == before + STAKE
    assert exchange.offer(offer).status == WITHDRAWN and exchange.open_in("air") == ()
    assert held(chain, exchange) == 0 == exchange.stake_balance()
    with reverts("offer is not open"):
        exchange.withdraw(offer, sender=supplier)
    with reverts("offer is not open"):
        exchange.buy(offer, sender=buyer, value=PRICE)


def test_a_request_holds_its_deposit_until_cancelled(chain, exchange, people):
    buyer, other = people[2], people[3]
    receipt = exchange.publish_request("air", 500, 7, sender=buyer, value=500)
    request_id = receipt.return_value
    assert receipt.events == [exchange.RequestPublished(request_id, buyer, "air", 500, 7)]
    assert exchange.deposit_balance() == 500 == held(chain, exchange)
    with reverts("deposit must equal the maximum price"):
        exchange.publish_request("air", 500, 7, sender=buyer, value=499)
    with reverts("only the demander"):
        exchange.cancel_request(request_id, sender=other)
    before = chain.balance(buyer)
    assert exchange.cancel_request(request_id, sender=buyer).events == [
        exchange.RequestCancelled(request_id, buyer, 500)]
    assert chain.balance(buyer) == before + 500 and held(chain, exchange) == 0
    assert exchange.request(request_id).status == R_CANCELLED
    with reverts("request is not open"):
        exchange.cancel_request(request_id, sender=buyer)
    with reverts("request is not open"):
        exchange.match_request(request_id, sender=other)


# Open requests: the demand a supplier can match against


def test_open_requests_lists_the_demand_of_a_category_oldest_first(exchange, people):
    buyer, other = people[2], people[3]
    assert exchange.open_requests("air") == ()
    first = exchange.publish_request("air", 500, 7, sender=buyer, value=500).return_value
    exchange.publish_request("soil", 50, 1, sender=other, value=50)
    second = exchange.publish_request("air", 300, 30, sender=other, value=300).return_value
    third = exchange.publish_request("air", 200, 1, sender=buyer, value=200).return_value
    assert exchange.open_requests("air") == (first, second, third)
    assert exchange.open_requests("soil") == (2,) and exchange.open_requests("noise") == ()
    assert exchange.open_in("air") == ()  # offers and requests are listed apart
    exchange.cancel_request(second, sender=other)  # a cancelled request leaves the list, order kept
    assert exchange.open_requests("air") == (first, third)
    with reverts("request is not open"):
        exchange.cancel_request(second, sender=other)
    assert exchange.open_requests("air") == (first, third)


def test_a_supplier_matches_an_open_request(chain, exchange, people):
    _, supplier, buyer, _ = people
    request_id = exchange.publish_request("air", 500, 7, sender=buyer, value=500).return_value
    (found,) = exchange.open_requests("air")  # the supplier looks at the demand of its category
    wanted = exchange.request(found)
    assert (found, wanted.demander, wanted.max_price, wanted.days) == (request_id, buyer, 500, 7)
    offer_id = exchange.publish(FINGERPRINT, "air", wanted.max_price - 100, wanted.days, sender=supplier,
                                value=STAKE).return_value
    assert exchange.best_offer(found) == offer_id
    receipt = exchange.match_request(found, sender=supplier)
    assert receipt.emitted("Matched", request=found, offer=offer_id, purchase=receipt.return_value, price=400)
    assert exchange.open_requests("air") == () and exchange.open_in("air") == ()  # both leave their lists
    assert exchange.request(found).status == R_MATCHED
    assert held(chain, exchange) == accounted(exchange) == 400 + STAKE
    with reverts("request is not open"):
        exchange.match_request(found, sender=supplier)


def test_the_request_window_is_bounded(exchange, people):
    supplier, buyer, other = people[1], people[2], people[3]
    ids = [exchange.publish_request("soil", 10 + i, 1, sender=buyer, value=10 + i).return_value
           for i in range(WINDOW)]
    assert exchange.open_requests("soil") == tuple(ids)
    with reverts("category window full"):
        exchange.publish_request("soil", 1, 1, sender=other, value=1)
    exchange.publish_request("water", 1, 1, sender=other, value=1)  # other categories are unaffected
    exchange.publish(FINGERPRINT, "soil", 15, 1, sender=supplier, value=1)  # and so are the category's offers
    exchange.cancel_request(ids[3], sender=buyer)
    assert exchange.open_requests("soil") == tuple(ids[:3] + ids[4:])
    latest = exchange.publish_request("soil", 1, 1, sender=other, value=1).return_value
    with reverts("category window full"):
        exchange.publish_request("soil", 1, 1, sender=other, value=1)
    exchange.match_request(ids[10], sender=supplier)  # a matched request leaves the window too (offer at 15 <= 20)
    assert exchange.open_requests("soil") == tuple(ids[:3] + ids[4:10] + ids[11:] + [latest])
    exchange.publish_request("soil", 1, 1, sender=other, value=1)


# Matching


def test_matching_picks_the_cheapest_offer_in_the_category_within_the_maximum_price(chain, exchange, people):
    operator, supplier, buyer, other = people
    publish = exchange.publish
    publish(FINGERPRINT, "air", 300, 30, sender=supplier, value=STAKE)          # 1: too dear
    publish(FINGERPRINT, "noise", 50, 30, sender=supplier, value=STAKE)        # 2: other category
    publish(FINGERPRINT, "air", 80, 30, sender=other, value=STAKE)             # 3: cheapest, tie
    publish(FINGERPRINT, "air", 120, 30, sender=supplier, value=STAKE)         # 4
    publish(FINGERPRINT, "air", 80, 30, sender=supplier, value=STAKE)          # 5: tie, higher id
    publish(FINGERPRINT, "air", 10, 2, sender=supplier, value=STAKE)           # 6: too few days
    publish(FINGERPRINT, "air", 5, 30, sender=buyer, value=STAKE)              # 7: the demander's own
    request_id = exchange.publish_request("air", 200, 7, sender=buyer, value=200).return_value
    assert exchange.best_offer(request_id) == 3
    before = chain.balance(buyer)
    receipt = exchange.match_request(request_id, sender=operator)  # anyone may trigger the matching
    purchase_id = receipt.return_value
    assert receipt.emitted("Matched", request=request_id, offer=3, purchase=purchase_id, price=80)
    assert receipt.emitted("Purchased", purchase=purchase_id, offer=3, buyer=buyer, supplier=other, price=80)
    assert chain.balance(buyer) == before + 120  # the unused part of the deposit comes back
    assert exchange.request(request_id).status == R_MATCHED and exchange.request(request_id).purchase == purchase_id
    assert exchange.offer(3).status == SOLD and 3 not in exchange.open_in("air")
    purchase = exchange.purchase(purchase_id)
    assert (purchase.offer, purchase.request, purchase.buyer, purchase.price) == (3, request_id, buyer, 80)
    assert exchange.escrow_balance() == 80 and exchange.deposit_balance() == 0
    assert held(chain, exchange) == accounted(exchange) == 80 + 7 * STAKE
    # The next request in the category gets the tie's other half.
    second = exchange.publish_request("air", 200, 7, sender=buyer, value=200).return_value
    assert exchange.best_offer(second) == 5
    with reverts("request is not open"):
        exchange.match_request(request_id, sender=operator)


def test_no_match_when_nothing_fits(exchange, people):
    supplier, buyer = people[1], people[2]
    exchange.publish(FINGERPRINT, "air", 300, 30, sender=supplier, value=STAKE)
    request_id = exchange.publish_request("air", 299, 1, sender=buyer, value=299).return_value
    assert exchange.best_offer(request_id) == 0
    with reverts("no matching offer"):
        exchange.match_request(request_id, sender=buyer)
    with reverts("no such request"):
        exchange.match_request(99, sender=buyer)


def test_matching_scans_only_the_open_window(exchange, people):
    supplier, buyer = people[1], people[2]
    ids = [exchange.publish(FINGERPRINT, "heat", 100 - i, 1, sender=supplier, value=1).return_value
           for i in range(WINDOW)]
    cheapest = ids[-1]
    exchange.buy(cheapest, sender=people[3], value=100 - (WINDOW - 1))  # sold: leaves the window
    request_id = exchange.publish_request("heat", 1_000, 1, sender=buyer, value=1_000).return_value
    assert exchange.best_offer(request_id) == ids[-2]
    assert exchange.match_request(request_id, sender=buyer).emitted("Matched", offer=ids[-2])


# Escrow, delivery, release


def test_a_purchase_holds_the_price_in_escrow(chain, exchange, offer, people):
    _, supplier, buyer, _ = people
    supplier_before = chain.balance(supplier)
    now = chain.time
    receipt = exchange.buy(offer, sender=buyer, value=PRICE)
    purchase_id = receipt.return_value
    assert receipt.events == [exchange.Purchased(purchase_id, offer, buyer, supplier, PRICE, now + DELIVER)]
    assert chain.balance(supplier) == supplier_before  # nothing paid yet
    assert exchange.escrow_balance() == PRICE and held(chain, exchange) == PRICE + STAKE
    purchase = exchange.purchase(purchase_id)
    assert (purchase.status, purchase.deliver_by, purchase.stake) == (PAID, now + DELIVER, STAKE)
    assert not exchange.has_access(offer, buyer)


def test_purchase_rules(exchange, offer, people):
    supplier, buyer = people[1], people[2]
    with reverts("wrong price"):
        exchange.buy(offer, sender=buyer, value=PRICE - 1)
    with reverts("suppliers cannot buy their own offer"):
        exchange.buy(offer, sender=supplier, value=PRICE)
    with reverts("no such offer"):
        exchange.buy(99, sender=buyer, value=PRICE)
    exchange.buy(offer, sender=buyer, value=PRICE)
    with reverts("offer is not open"):  # an offer is sold once
        exchange.buy(offer, sender=people[3], value=PRICE)


def test_confirmed_delivery_releases_the_escrow_and_grants_access(chain, exchange, offer, bought, people):
    _, supplier, buyer, other = people
    with reverts("only the supplier"):
        exchange.deliver(bought, KEY, sender=buyer)
    with reverts("purchase is not delivered"):
        exchange.confirm(bought, sender=buyer)
    now = chain.time
    receipt = exchange.deliver(bought, KEY, sender=supplier)
    assert receipt.events == [exchange.Delivered(bought, KEY, now + CONFIRM)]
    assert exchange.sealed_key(bought) == KEY and exchange.purchase(bought).status == DELIVERED
    assert held(chain, exchange) == PRICE + STAKE  # still in escrow
    with reverts("purchase is not awaiting delivery"):
        exchange.deliver(bought, KEY, sender=supplier)
    with reverts("only the buyer"):
        exchange.confirm(bought, sender=other)
    before = chain.balance(supplier)
    now = chain.time
    receipt = exchange.confirm(bought, sender=buyer)
    until = now + 30 * DAY
    assert receipt.return_value == until
    assert receipt.emitted("Released", purchase=bought, supplier=supplier, amount=PRICE + STAKE, buyer=buyer,
                           until=until)
    assert receipt.emitted("AccessGranted", grantee=buyer, expires=until, grantor=supplier)
    assert chain.balance(supplier) == before + PRICE + STAKE  # the price and the stake back, exactly
    assert held(chain, exchange) == 0 == accounted(exchange)
    assert exchange.purchase(bought).status == RELEASED and exchange.offer(offer).status == COMPLETED
    assert exchange.has_access(offer, buyer) and exchange.access_until(offer, buyer) == until
    assert not exchange.has_access(offer, other)
    chain.advance_time(29 * DAY)
    assert exchange.has_access(offer, buyer)
    chain.set_time(until)
    assert not exchange.has_access(offer, buyer)


def test_double_release_and_refund_are_refused(chain, exchange, bought, people):
    supplier, buyer = people[1], people[2]
    exchange.deliver(bought, KEY, sender=supplier)
    exchange.confirm(bought, sender=buyer)
    chain.advance_time(CONFIRM + DELIVER)
    with reverts("purchase is not delivered"):
        exchange.confirm(bought, sender=buyer)
    with reverts("purchase is not delivered"):
        exchange.release(bought, sender=supplier)
    with reverts("purchase is not awaiting delivery"):
        exchange.refund(bought, sender=buyer)


def test_a_silent_buyer_lets_the_supplier_release_after_the_confirmation_window(chain, exchange, offer, bought,
                                                                               people):
    supplier, buyer = people[1], people[2]
    with reverts("purchase is not delivered"):
        exchange.release(bought, sender=supplier)
    exchange.deliver(bought, KEY, sender=supplier)
    confirm_by = exchange.purchase(bought).confirm_by
    chain.set_time(confirm_by - 1)
    with reverts("confirmation window still open"):
        exchange.release(bought, sender=supplier)
    chain.set_time(confirm_by)
    with reverts("only the supplier"):
        exchange.release(bought, sender=buyer)
    before = chain.balance(supplier)
    receipt = exchange.release(bought, sender=supplier)
    assert receipt.emitted("Released", purchase=bought, amount=PRICE + STAKE)
    assert chain.balance(supplier) == before + PRICE + STAKE
    assert exchange.has_access(offer, buyer)
    with reverts("purchase is not delivered"):
        exchange.release(bought, sender=supplier)


# Missed delivery: refund and penalty


def test_refund_after_the_deadline_returns_the_price_and_the_stake(chain, exchange, offer, bought, people):
    _, supplier, buyer, other = people
    deliver_by = exchange.purchase(bought).deliver_by
    with reverts("delivery deadline not reached"):
        exchange.refund(bought, sender=buyer)
    chain.set_time(deliver_by)
    with reverts("delivery deadline passed"):
        exchange.deliver(bought, KEY, sender=supplier)
    with reverts("only the buyer"):
        exchange.refund(bought, sender=other)
    before = chain.balance(buyer)
    receipt = exchange.refund(bought, sender=buyer)
    assert receipt.events == [exchange.Refunded(bought, buyer, PRICE), exchange.Penalized(bought, supplier, STAKE)]
    assert chain.balance(buyer) == before + PRICE + STAKE
    assert held(chain, exchange) == 0 == accounted(exchange)
    assert exchange.purchase(bought).status == REFUNDED and exchange.offer(offer).status == DEFAULTED
    assert not exchange.has_access(offer, buyer)
    with reverts("purchase is not awaiting delivery"):
        exchange.refund(bought, sender=buyer)
    with reverts("purchase is not awaiting delivery"):
        exchange.deliver(bought, KEY, sender=supplier)
    with reverts("purchase is not delivered"):
        exchange.release(bought, sender=supplier)


def test_a_delivery_just_before_the_deadline_counts(chain, exchange, bought, people):
    supplier, buyer = people[1], people[2]
    chain.set_time(exchange.purchase(bought).deliver_by - 1)
    exchange.deliver(bought, KEY, sender=supplier)
    with reverts("purchase is not awaiting delivery"):
        exchange.refund(bought, sender=buyer)


def test_views_of_unknown_ids(exchange):
    for view in (exchange.offer, exchange.request, exchange.purchase):
        with reverts(match="no such"):
            view(42)
    with reverts("not delivered"):
        exchange.sealed_key(1)


# Roles


def test_only_the_operator_sets_the_windows_for_new_purchases(chain, exchange, offer, bought, people):
    operator, supplier, buyer, _ = people
    assert tuple(exchange.windows()) == (DELIVER, CONFIRM)
    with reverts("caller lacks role 'operator'"):
        exchange.set_windows(1, 1, sender=buyer)
    with reverts("delivery window must be 1s..1 year"):
        exchange.set_windows(0, 1, sender=operator)
    assert exchange.set_windows(DAY, DAY, sender=operator).events == [exchange.WindowsChanged(DAY, DAY)]
    assert exchange.purchase(bought).deliver_by - exchange.purchase(bought).paid_at == DELIVER  # unchanged
    second = exchange.publish(FINGERPRINT, "air", 1, 1, sender=supplier, value=1).return_value
    purchase_id = exchange.buy(second, sender=buyer, value=1).return_value
    assert exchange.purchase(purchase_id).deliver_by - exchange.purchase(purchase_id).paid_at == DAY


def test_the_constructor_checks_the_windows(deploy, people):
    with reverts("confirmation window must be 1s..1 year"):
        deploy("contracts/data_exchange.ctr", DAY, 0, sender=people[0])


# Money conservation

ACTIONS = ["publish", "publish", "request", "match", "buy", "buy", "deliver", "deliver", "confirm", "release",
           "refund", "refund", "release", "withdraw", "cancel", "wait", "wait"]
STEP = st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=1, max_value=3),
                 st.integers(min_value=1, max_value=500))


@given(steps=st.lists(STEP, min_size=1, max_size=24))
def test_the_balance_is_always_escrow_plus_deposits_plus_stakes(chain, exchange, people, steps):
    _, supplier, buyer, other = people
    for i, seller in enumerate((supplier, other, supplier)):  # offers 1-3, purchases 1 and 2 of offers 1 and 2
        exchange.publish(FINGERPRINT, "air", 10 + i, 1, sender=seller, value=5)
    exchange.buy(1, sender=buyer, value=10)
    exchange.buy(2, sender=buyer, value=11)
    exchange.deliver(1, KEY, sender=supplier)  # purchase 1 awaits confirmation, purchase 2 delivery
    assert held(chain, exchange) == accounted(exchange) == 10 + 11 + 15
    for action, ref, amount in steps:
        try:
            if action == "publish":
                seller = (supplier, other)[ref % 2]
                exchange.publish(FINGERPRINT, "air", amount, 1, sender=seller, value=amount // 3 + 1)
            elif action == "request":
                exchange.publish_request("air", amount, 1, sender=buyer, value=amount)
            elif action == "match":
                exchange.match_request(ref, sender=other)
            elif action == "buy":
                exchange.buy(ref, sender=buyer, value=exchange.offer(ref).price)
            elif action == "deliver":
                exchange.deliver(ref, KEY, sender=exchange.purchase(ref).supplier)
            elif action == "confirm":
                exchange.confirm(ref, sender=buyer)
            elif action == "release":
                exchange.release(ref, sender=exchange.purchase(ref).supplier)
            elif action == "refund":
                exchange.refund(ref, sender=buyer)
            elif action == "withdraw":
                exchange.withdraw(ref, sender=exchange.offer(ref).supplier)
            elif action == "cancel":
                exchange.cancel_request(ref, sender=buyer)
            else:
                chain.advance_time(amount * 2_000)  # up to 11.6 days
            event(f"{action} done")
        except CallFailed:
            event(f"{action} refused")  # a refused step changes nothing
        assert held(chain, exchange) == accounted(exchange)


# Connected to DataAccess (contracts/data_access.ctr): ownership checked on publish, reads granted on settlement

@pytest.fixture
def data_access(deploy: Deploy, exchange: Contract, people: People) -> Contract:
    """A DataAccess where the supplier owns FINGERPRINT (closed data) and the exchange is a market, connected."""
    operator, supplier = people[0], people[1]
    contract = deploy("contracts/data_access.ctr", sender=operator)
    contract.register(FINGERPRINT, True, sender=supplier)
    contract.add_market(exchange.address, sender=operator)
    exchange.set_access(contract.address, sender=operator)
    return contract


@pytest.fixture
def connected_sale(exchange: Contract, data_access: Contract, people: People) -> tuple[int, int]:
    """Offer 1 published under DataAccess, bought (purchase 1) and delivered."""
    supplier, buyer = people[1], people[2]
    offer_id = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    purchase_id = exchange.buy(offer_id, sender=buyer, value=PRICE).return_value
    exchange.deliver(purchase_id, KEY, sender=supplier)
    return offer_id, purchase_id


def test_only_the_operator_connects_data_access(deploy: Deploy, exchange: Contract, people: People) -> None:
    operator, supplier = people[0], people[1]
    assert exchange.access_contract() == ZERO_ADDRESS  # not connected by default
    contract = deploy("contracts/data_access.ctr", sender=operator)
    with reverts("caller lacks role 'operator'"):
        exchange.set_access(contract.address, sender=supplier)
    receipt = exchange.set_access(contract.address, sender=operator)
    assert receipt.events == [exchange.AccessConnected(contract.address, operator)]
    assert exchange.access_contract() == contract.address
    assert exchange.set_access(ZERO_ADDRESS, sender=operator).events == [
        exchange.AccessConnected(ZERO_ADDRESS, operator)]
    assert exchange.access_contract() == ZERO_ADDRESS


def test_when_connected_only_the_data_owner_publishes(exchange: Contract, data_access: Contract,
                                                      people: People) -> None:
    _, supplier, _, other = people
    with reverts("not the data's owner"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=other, value=STAKE)
    unregistered = bytes([9] * 32)
    with reverts("not the data's owner"):
        exchange.publish(unregistered, "air", PRICE, 30, sender=supplier, value=STAKE)
    data_access.register(unregistered, False, sender=other)
    with reverts("not the data's owner"):  # registered, by someone else
        exchange.publish(unregistered, "air", PRICE, 30, sender=supplier, value=STAKE)
    offer_id = exchange.publish(unregistered, "air", PRICE, 30, sender=other, value=STAKE).return_value
    assert exchange.access_of(offer_id) == data_access.address
    receipt = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    assert receipt.events == [exchange.OfferPublished(receipt.return_value, supplier, FINGERPRINT, "air", PRICE,
                                                      30, STAKE)]
    assert exchange.access_of(receipt.return_value) == data_access.address
    with reverts("no such offer"):
        exchange.access_of(99)


def test_the_buyer_can_read_through_data_access_only_after_release(chain: TestChain, exchange: Contract,
                                                                   data_access: Contract,
                                                                   connected_sale: tuple[int, int],
                                                                   people: People) -> None:
    _, supplier, buyer, other = people
    offer_id, purchase_id = connected_sale
    assert not data_access.can_read(FINGERPRINT, buyer)  # bought and delivered, but not released
    assert data_access.read_until(FINGERPRINT, buyer) == 0
    now = chain.time
    receipt = exchange.confirm(purchase_id, sender=buyer)
    until = now + 30 * DAY
    assert receipt.return_value == until
    assert receipt.events.count(data_access.AccessGranted(permission="read", resource=FINGERPRINT, grantee=buyer,
                                                          expires=until, grantor=supplier, purpose=PURPOSE)) == 1
    assert receipt.events.count(exchange.AccessGranted(permission="read", resource=offer_id.to_bytes(8, "big"),
                                                       grantee=buyer, expires=until, grantor=supplier,
                                                       purpose=PURPOSE)) == 1  # the local grant, as before
    assert data_access.can_read(FINGERPRINT, buyer) and data_access.read_until(FINGERPRINT, buyer) == until
    assert exchange.has_access(offer_id, buyer) and exchange.access_until(offer_id, buyer) == until
    assert not data_access.can_read(FINGERPRINT, other)
    chain.set_time(until - 1)
    assert data_access.can_read(FINGERPRINT, buyer)
    chain.set_time(until)  # both grants expire together
    assert not data_access.can_read(FINGERPRINT, buyer) and not exchange.has_access(offer_id, buyer)


def test_a_release_by_the_supplier_also_grants_in_data_access(chain: TestChain, exchange: Contract,
                                                              data_access: Contract, connected_sale: tuple[int, int],
                                                              people: People) -> None:
    supplier, buyer = people[1], people[2]
    _, purchase_id = connected_sale
    chain.set_time(exchange.purchase(purchase_id).confirm_by)
    assert not data_access.can_read(FINGERPRINT, buyer)
    receipt = exchange.release(purchase_id, sender=supplier)
    until = receipt.return_value
    assert receipt.emitted("AccessGranted", resource=FINGERPRINT, grantee=buyer, expires=until, grantor=supplier)
    assert data_access.can_read(FINGERPRINT, buyer) and data_access.read_until(FINGERPRINT, buyer) == until


def test_no_read_in_data_access_before_release_or_after_a_refund(chain: TestChain, exchange: Contract,
                                                                 data_access: Contract, people: People) -> None:
    supplier, buyer = people[1], people[2]
    offer_id = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    purchase_id = exchange.buy(offer_id, sender=buyer, value=PRICE).return_value
    assert not data_access.can_read(FINGERPRINT, buyer)
    chain.set_time(exchange.purchase(purchase_id).deliver_by)
    exchange.refund(purchase_id, sender=buyer)
    assert not data_access.can_read(FINGERPRINT, buyer) and not exchange.has_access(offer_id, buyer)


def test_a_settlement_needs_the_market_role(exchange: Contract, data_access: Contract, connected_sale: tuple[int, int],
                                            people: People) -> None:
    operator, buyer = people[0], people[2]
    _, purchase_id = connected_sale
    data_access.remove_market(exchange.address, sender=operator)
    with reverts("not the owner"):  # DataAccess refuses the grant, and the whole settlement is undone
        exchange.confirm(purchase_id, sender=buyer)
    assert exchange.purchase(purchase_id).status == DELIVERED and exchange.escrow_balance() == PRICE
    data_access.add_market(exchange.address, sender=operator)
    exchange.confirm(purchase_id, sender=buyer)
    assert data_access.can_read(FINGERPRINT, buyer)


def test_offers_keep_the_data_access_they_were_published_under(deploy: Deploy, exchange: Contract,
                                                               people: People) -> None:
    operator, supplier, buyer, _ = people
    before = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    first = deploy("contracts/data_access.ctr", sender=operator)
    first.register(FINGERPRINT, True, sender=supplier)
    first.add_market(exchange.address, sender=operator)
    exchange.set_access(first.address, sender=operator)
    during = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    exchange.set_access(ZERO_ADDRESS, sender=operator)  # disconnected: no ownership check for new offers
    after = exchange.publish(bytes([5] * 32), "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    assert [exchange.access_of(i) for i in (before, during, after)] == [ZERO_ADDRESS, first.address, ZERO_ADDRESS]
    for offer_id in (before, during, after):
        purchase_id = exchange.buy(offer_id, sender=buyer, value=PRICE).return_value
        exchange.deliver(purchase_id, KEY, sender=supplier)
        receipt = exchange.confirm(purchase_id, sender=buyer)
        granted_there = [e for e in receipt.events if e.name == "AccessGranted" and e.address == first.address]
        assert len(granted_there) == (1 if offer_id == during else 0)
        assert exchange.has_access(offer_id, buyer)
    assert first.can_read(FINGERPRINT, buyer)


# Connected to Identity (contracts/identity.ctr): only active members publish offers and requests

@pytest.fixture
def identity(deploy: Deploy, exchange: Contract, people: People, accounts: People) -> Contract:
    """An Identity whose members are the supplier, the buyer and a regulator (not `other`), connected."""
    operator, supplier, buyer, _ = people
    contract = deploy("contracts/identity.ctr", (supplier, buyer, accounts[4]),
                      (SUPPLIER_KIND, DEMANDER_KIND, REGULATOR_KIND), sender=supplier)
    exchange.set_identity(contract.address, sender=operator)
    return contract


def test_only_the_operator_connects_identity(deploy: Deploy, exchange: Contract, people: People) -> None:
    operator, supplier, buyer, _ = people
    assert exchange.identity_contract() == ZERO_ADDRESS  # not connected by default
    contract = deploy("contracts/identity.ctr", (supplier,), (SUPPLIER_KIND,), sender=supplier)
    for who in (supplier, buyer):
        with reverts("caller lacks role 'operator'"):
            exchange.set_identity(contract.address, sender=who)
    receipt = exchange.set_identity(contract.address, sender=operator)
    assert receipt.events == [exchange.IdentityConnected(contract.address, operator)]
    assert exchange.identity_contract() == contract.address
    assert exchange.access_contract() == ZERO_ADDRESS  # a connection of its own
    assert exchange.set_identity(ZERO_ADDRESS, sender=operator).events == [
        exchange.IdentityConnected(ZERO_ADDRESS, operator)]
    assert exchange.identity_contract() == ZERO_ADDRESS


def test_when_connected_only_active_members_publish(exchange: Contract, identity: Contract, people: People) -> None:
    _, supplier, buyer, other = people
    with reverts("not an active member"):  # `other` is no member
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=other, value=STAKE)
    with reverts("not an active member"):
        exchange.publish_request("air", 500, 7, sender=other, value=500)
    with reverts("not an active member"):  # checked before anything else
        exchange.publish(FINGERPRINT, "", 0, 0, sender=other)
    with reverts("not an active member"):
        exchange.publish_request("", 0, 0, sender=other)
    receipt = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    assert receipt.events == [exchange.OfferPublished(receipt.return_value, supplier, FINGERPRINT, "air", PRICE,
                                                      30, STAKE)]
    receipt = exchange.publish_request("air", 500, 7, sender=buyer, value=500)
    assert receipt.events == [exchange.RequestPublished(receipt.return_value, buyer, "air", 500, 7)]
    with reverts("price must be positive"):  # then the usual checks
        exchange.publish(FINGERPRINT, "air", 0, 30, sender=supplier, value=STAKE)
    assert exchange.open_in("air") == (1,) and exchange.open_requests("air") == (1,)


def test_a_suspended_or_revoked_member_cannot_publish(chain: TestChain, exchange: Contract, identity: Contract,
                                                     people: People, accounts: People) -> None:
    operator, supplier, buyer, other = people
    regulator = accounts[4]
    offer_id = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    request_id = exchange.publish_request("air", 50, 7, sender=buyer, value=50).return_value
    identity.regulator_suspend_member(supplier, sender=regulator)
    identity.regulator_suspend_member(buyer, sender=regulator)
    with reverts("not an active member"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    with reverts("not an active member"):
        exchange.publish_request("air", 500, 7, sender=buyer, value=500)
    # What is already on the market goes on: a purchase, its delivery and confirmation, a cancellation.
    purchase_id = exchange.buy(offer_id, sender=other, value=PRICE).return_value
    exchange.deliver(purchase_id, KEY, sender=supplier)
    exchange.confirm(purchase_id, sender=other)
    exchange.cancel_request(request_id, sender=buyer)
    assert held(chain, exchange) == accounted(exchange) == 0
    # Revoked (a majority of the active members: the regulator alone, now): refused for good.
    proposal = identity.propose_member_status(supplier, REVOKED, sender=regulator).return_value
    assert identity.proposal(proposal).outcome == 1  # executed at once: 1 of 1 active member
    with reverts("not an active member"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    # Reactivated, the buyer publishes again; disconnected, anyone does, exactly as before.
    identity.propose_member_status(buyer, ACTIVE, sender=regulator)
    exchange.publish_request("air", 500, 7, sender=buyer, value=500)
    exchange.set_identity(ZERO_ADDRESS, sender=operator)
    exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    exchange.publish_request("air", 500, 7, sender=other, value=500)
    assert len(exchange.open_in("air")) == 1 and len(exchange.open_requests("air")) == 2


# Connected to DataRegistry (contracts/data_registry.ctr): only validated data is offered

DEVICE_SEED = bytes(range(32))
_, DEVICE_KEY = ed25519_keypair(DEVICE_SEED)
DEVICE = hashlib.sha256(b"sensor serial 0001").digest()
REWARD = 10
SIZE = 2048
CLOSED_DATA = 1  # DataRegistry's Access.Closed
CERTIFICATE = bytes([0xCE] * 32)
CORRECTED = bytes([0xF1] * 32)  # the fingerprint of a corrected payload


@pytest.fixture
def registry(deploy: Deploy, exchange: Contract, people: People, accounts: People) -> Contract:
    """A DataRegistry, connected. Its own Identity (not connected to the exchange) has the supplier, the buyer and
    a regulator as members and approved the supplier's DEVICE; accounts[5] validates, the regulator certifies."""
    operator, supplier, buyer, _ = people
    regulator, validator = accounts[4], accounts[5]
    members = deploy("contracts/identity.ctr", (supplier, buyer, regulator),
                     (SUPPLIER_KIND, DEMANDER_KIND, REGULATOR_KIND), sender=supplier)
    members.approve(members.propose_device(DEVICE, DEVICE_KEY, sender=supplier).return_value, sender=buyer)
    contract = deploy("contracts/data_registry.ctr", REWARD, members.address, sender=operator)
    contract.add_validator(validator, sender=operator)
    contract.add_regulator(regulator, sender=operator)
    contract.fund(sender=operator, value=10 * REWARD)
    exchange.set_registry(contract.address, sender=operator)
    return contract


def submit_data(registry: Contract, supplier: Account, fingerprint: bytes, previous: int = 0) -> int:
    """The supplier registers `fingerprint` from DEVICE, signed by it (as a re-submission of `previous`, if given);
    returns the entry id."""
    signature = ed25519_sign(DEVICE_SEED, registry.submission_hash(DEVICE, fingerprint, SIZE))
    fields = (DEVICE, fingerprint, SIZE, "air-quality/v1", CLOSED_DATA, "vault://supplier/1", signature)
    if previous:
        return registry.resubmit(previous, *fields, sender=supplier).return_value
    return registry.submit(*fields, sender=supplier).return_value


def test_only_the_operator_connects_the_registry(deploy: Deploy, exchange: Contract, people: People) -> None:
    operator, supplier, buyer, _ = people
    assert exchange.registry_contract() == ZERO_ADDRESS  # not connected by default
    members = deploy("contracts/identity.ctr", (supplier,), (SUPPLIER_KIND,), sender=supplier)
    contract = deploy("contracts/data_registry.ctr", REWARD, members.address, sender=operator)
    for who in (supplier, buyer):
        with reverts("caller lacks role 'operator'"):
            exchange.set_registry(contract.address, sender=who)
    assert exchange.registry_contract() == ZERO_ADDRESS
    receipt = exchange.set_registry(contract.address, sender=operator)
    assert receipt.events == [exchange.RegistryConnected(contract.address, operator)]
    assert exchange.registry_contract() == contract.address
    assert exchange.access_contract() == ZERO_ADDRESS == exchange.identity_contract()  # connections of their own
    assert exchange.set_registry(ZERO_ADDRESS, sender=operator).events == [
        exchange.RegistryConnected(ZERO_ADDRESS, operator)]
    assert exchange.registry_contract() == ZERO_ADDRESS


def test_when_connected_only_validated_data_is_offered(chain: TestChain, exchange: Contract, registry: Contract,
                                                       people: People, accounts: People) -> None:
    operator, supplier, buyer, _ = people
    regulator, validator = accounts[4], accounts[5]
    with reverts("data not validated"):  # never submitted to the registry
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    entry = submit_data(registry, supplier, FINGERPRINT)
    with reverts("data not validated"):  # submitted, awaiting its check
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    assert exchange.open_in("air") == () and held(chain, exchange) == 0
    registry.validate(entry, sender=validator)
    receipt = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    offer_id = receipt.return_value
    assert receipt.events == [exchange.OfferPublished(offer_id, supplier, FINGERPRINT, "air", PRICE, 30, STAKE)]
    registry.certify(entry, CERTIFICATE, sender=regulator)  # certified data is validated data too
    dearer = exchange.publish(FINGERPRINT, "air", PRICE + 1, 30, sender=supplier, value=STAKE).return_value
    assert exchange.open_in("air") == (offer_id, dearer)
    # the trade goes on as before; a request names no data, so it is not checked
    request_id = exchange.publish_request("air", PRICE, 7, sender=buyer, value=PRICE).return_value
    purchase_id = exchange.match_request(request_id, sender=operator).return_value
    assert exchange.purchase(purchase_id).offer == offer_id
    exchange.deliver(purchase_id, KEY, sender=supplier)
    exchange.confirm(purchase_id, sender=buyer)
    assert exchange.has_access(offer_id, buyer)
    assert held(chain, exchange) == accounted(exchange) == STAKE  # the dearer offer's stake


def test_rejected_or_superseded_data_is_refused_until_its_correction_is_validated(exchange: Contract,
                                                                                 registry: Contract, people: People,
                                                                                 accounts: People) -> None:
    supplier, validator = people[1], accounts[5]
    entry = submit_data(registry, supplier, FINGERPRINT)
    registry.reject(entry, "calibration fault", sender=validator)
    with reverts("data not validated"):  # rejected
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    corrected = submit_data(registry, supplier, CORRECTED, previous=entry)
    for fingerprint in (FINGERPRINT, CORRECTED):  # superseded; the correction awaits its check
        with reverts("data not validated"):
            exchange.publish(fingerprint, "air", PRICE, 30, sender=supplier, value=STAKE)
    registry.validate(corrected, sender=validator)
    with reverts("data not validated"):  # the faulty payload stays refused
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    offer_id = exchange.publish(CORRECTED, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    assert exchange.offer(offer_id).fingerprint == CORRECTED and exchange.open_in("air") == (offer_id,)


def test_the_validation_check_comes_after_the_other_checks(exchange: Contract, registry: Contract,
                                                           data_access: Contract, identity: Contract, people: People,
                                                           accounts: People) -> None:
    """Identity, DataAccess and DataRegistry all connected: who publishes, then what is offered, then whose data
    it is, then whether it is validated."""
    _, supplier, buyer, other = people
    with reverts("not an active member"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=other, value=STAKE)
    with reverts("price must be positive"):
        exchange.publish(FINGERPRINT, "air", 0, 30, sender=supplier, value=STAKE)
    with reverts("a stake is required"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier)
    with reverts("not the data's owner"):  # an active member, but not the owner
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=buyer, value=STAKE)
    with reverts("data not validated"):  # the owner, an active member, but the data is not validated
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    registry.validate(submit_data(registry, supplier, FINGERPRINT), sender=accounts[5])
    with reverts("not the data's owner"):  # validated data is still sold by its owner only
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=buyer, value=STAKE)
    offer_id = exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    assert exchange.access_of(offer_id) == data_access.address and exchange.open_in("air") == (offer_id,)


def test_offers_published_while_not_connected_are_unaffected(exchange: Contract, registry: Contract,
                                                             people: People) -> None:
    operator, supplier, buyer, _ = people
    unvalidated = bytes([5] * 32)
    exchange.set_registry(ZERO_ADDRESS, sender=operator)  # the fixture connected it
    before = exchange.publish(unvalidated, "air", PRICE, 30, sender=supplier, value=STAKE).return_value
    exchange.set_registry(registry.address, sender=operator)
    with reverts("data not validated"):
        exchange.publish(unvalidated, "air", PRICE, 30, sender=supplier, value=STAKE)
    # only `publish` checks: the offer published before is still bought, delivered and settled
    purchase_id = exchange.buy(before, sender=buyer, value=PRICE).return_value
    exchange.deliver(purchase_id, KEY, sender=supplier)
    assert exchange.confirm(purchase_id, sender=buyer).emitted("Released", purchase=purchase_id)
    assert exchange.has_access(before, buyer)
    # disconnected again: exactly as before
    exchange.set_registry(ZERO_ADDRESS, sender=operator)
    receipt = exchange.publish(unvalidated, "air", PRICE, 30, sender=supplier, value=STAKE)
    assert receipt.events == [exchange.OfferPublished(receipt.return_value, supplier, unvalidated, "air", PRICE, 30,
                                                      STAKE)]


def test_connecting_something_other_than_a_data_registry_stops_publishing(deploy: Deploy, exchange: Contract,
                                                                          people: People) -> None:
    """The exchange does not check what the operator connects: any `publish` then fails, until it is fixed."""
    operator, supplier = people[0], people[1]
    not_a_registry = deploy("contracts/data_access.ctr", sender=operator)
    exchange.set_registry(not_a_registry.address, sender=operator)
    with reverts(match=r"interface mismatch: .* has no is_validated\(digest\)->bool"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    exchange.set_registry(people[2], sender=operator)  # an account, not a contract
    with reverts(match="no contract at"):
        exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE)
    exchange.set_registry(ZERO_ADDRESS, sender=operator)
    assert exchange.publish(FINGERPRINT, "air", PRICE, 30, sender=supplier, value=STAKE).return_value == 1
