"""The example contracts in contracts/: every one compiles, and token, data market and data credits behave."""

from __future__ import annotations

from pathlib import Path

import pytest

from contractvm.compiler import compile_file
from contractvm.isa import codec, layout
from contractvm.isa.types import U8, U64, U256, StringT

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
ZERO_ADDRESS = bytes(20)
ALL = sorted(CONTRACTS.glob("*.ctr"))
DAY = 86400


def state_value(chain, contract, index, t):
    raw = chain.runner.state.storage.get((contract.address, layout.state_key(index)))
    return codec.default(t) if raw is None else codec.decode(t, raw)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_example_contract_compiles_cleanly(path):
    artifact = compile_file(path)
    assert artifact.warnings == ()
    assert artifact.bytecode
    for f in artifact.abi["functions"]:
        # only a function that calls another contract through an interface lacks a compile-time bound
        assert f["gas_bound"] is not None or "another contract" in f["gas_bound_reason"], f
    assert artifact.contract in path.read_text()


def test_example_abis_describe_the_functions():
    market = compile_file(CONTRACTS / "data_market.ctr")
    buy = market.function("buy")
    assert (buy["payable"], buy["view"], buy["signature"]) == (True, False, "buy(u64,u64)->u64")
    assert [i["name"] for i in buy["inputs"]] == ["id", "days"]
    assert market.function("certify")["requires"] == "regulator"
    assert market.function("offer")["view"] is True and market.function("offer")["output"] == "Offer"
    assert market.abi["roles"] == ["regulator", "operator"]
    assert market.abi["permissions"] == [{"name": "read", "resource": "u64"}]
    assert market.abi["types"]["Status"] == {"kind": "enum", "variants": ["Listed", "Certified", "Withdrawn"]}
    credits = compile_file(CONTRACTS / "data_credits.ctr")
    assert credits.abi["types"]["Credit"]["kind"] == "asset struct"
    token = compile_file(CONTRACTS / "token.ctr")
    assert token.function("mint")["requires"] == "minter"
    assert [e["name"] for e in token.abi["events"]] == ["Transfer", "Approval", "RoleGranted", "RoleRevoked"]
    assert token.function("move_tokens") is None  # internal functions are not in the ABI's functions
    assert [f["name"] for f in token.abi["internal_functions"]] == ["move_tokens"]


def test_the_examples_are_all_here():
    assert {p.name for p in ALL} >= {"token.ctr", "data_market.ctr", "data_credits.ctr"}


# Token


@pytest.fixture
def token(chain):
    return chain.deploy(CONTRACTS / "token.ctr", "Data Token", 1_000_000, sender=chain.account(0))


def token_balances(token, chain, n=6):
    return [token.view("balance_of", chain.account(i)) for i in range(n)]


def test_token_constructor(chain, token):
    assert token.view("balance_of", chain.account(0)) == 1_000_000
    assert token.view("balance_of", chain.account(1)) == 0
    assert state_value(chain, token, 0, U256) == 1_000_000
    assert state_value(chain, token, 3, StringT(32)) == "Data Token"
    result, _ = chain.construct((CONTRACTS / "token.ctr").read_text(), "T", 5, sender=chain.account(2))
    assert [(e.name, dict(e.fields)) for e in result.events] == [
        ("RoleGranted", {"role": "minter", "member": chain.account(2), "by": chain.account(2)}),
        ("Transfer", {"from": ZERO_ADDRESS, "to": chain.account(2), "amount": 5})]
    chain.deploy_fails((CONTRACTS / "token.ctr").read_text(), "x" * 33, 1)  # the name is a string<32>


def test_token_transfer(chain, token):
    owner, a, b = chain.account(0), chain.account(1), chain.account(2)
    r = token.call("transfer", a, 300, sender=owner)
    assert r.success and r.value is True
    assert r.event("Transfer") == {"from": owner, "to": a, "amount": 300}
    assert token.transact("transfer", b, 100, sender=a) is True
    assert token_balances(token, chain, 3) == [999_700, 200, 100]
    token.fails("transfer", b, 201, sender=a, message="insufficient balance")
    token.fails("transfer", a, 1, sender=chain.account(5), message="insufficient balance")
    assert token.transact("transfer", a, 200, sender=a) is True  # to oneself: nothing changes
    assert token.view("balance_of", a) == 200
    assert token.transact("transfer", b, 0, sender=chain.account(5)) is True  # zero is fine
    assert token_balances(token, chain, 3) == [999_700, 200, 100]


def test_token_allowances(chain, token):
    owner, spender, to = chain.account(0), chain.account(1), chain.account(2)
    r = token.call("approve", spender, 500, sender=owner)
    assert r.event("Approval") == {"owner": owner, "spender": spender, "amount": 500}
    assert token.view("allowance", owner, spender) == 500
    assert token.view("allowance", spender, owner) == 0
    r = token.call("transfer_from", owner, to, 200, sender=spender)
    assert r.success and r.event("Transfer") == {"from": owner, "to": to, "amount": 200}
    assert token.view("allowance", owner, spender) == 300
    assert token.view("balance_of", to) == 200
    token.fails("transfer_from", owner, to, 301, sender=spender, message="allowance exceeded")
    token.fails("transfer_from", owner, to, 1, sender=to, message="allowance exceeded")
    token.transact("approve", spender, 10**9, sender=to)  # more than `to` holds
    token.fails("transfer_from", to, owner, 201, sender=spender, message="insufficient balance")
    assert token.view("allowance", to, spender) == 10**9  # the failed call did not spend the allowance
    token.transact("approve", spender, 0, sender=owner)
    token.fails("transfer_from", owner, to, 1, sender=spender, message="allowance exceeded")


def test_token_mint_requires_the_minter_role(chain, token):
    owner, a = chain.account(0), chain.account(1)
    r = token.call("mint", a, 50, sender=owner)
    assert r.event("Transfer") == {"from": ZERO_ADDRESS, "to": a, "amount": 50}
    assert state_value(chain, token, 0, U256) == 1_000_050
    token.fails("mint", a, 50, sender=a, message="caller lacks role 'minter'")
    token.fails("mint", a, U256.hi, sender=owner, message="arithmetic overflow")
    assert token.view("balance_of", a) == 50


def test_token_supply_is_conserved(chain, token):
    import random

    rng = random.Random(7)
    for _ in range(60):
        i, j = rng.randrange(5), rng.randrange(5)
        amount = rng.randrange(0, 400_000)
        action = rng.randrange(3)
        if action == 0:
            token.call("transfer", chain.account(j), amount, sender=chain.account(i))
        elif action == 1:
            token.call("approve", chain.account(j), amount, sender=chain.account(i))
        else:
            token.call("transfer_from", chain.account(i), chain.account(rng.randrange(5)), amount,
                       sender=chain.account(j))
    assert sum(token_balances(token, chain, 5)) == state_value(chain, token, 0, U256) == 1_000_000


# Data market


@pytest.fixture
def market(chain):
    return chain.deploy(CONTRACTS / "data_market.ctr", chain.account(9), 5, sender=chain.account(0))


FP = bytes(range(32))


def listed(chain, market, price=1000, owner=1):
    r = market.call("list", FP, price, sender=chain.account(owner))
    assert r.success
    return r.value


def certified(chain, market, price=1000, owner=1):
    offer = listed(chain, market, price, owner)
    market.transact("certify", offer, sender=chain.account(9))
    return offer


def test_market_constructor_checks_the_fee(chain):
    source = (CONTRACTS / "data_market.ctr").read_text()
    chain.deploy_fails(source, chain.account(9), 21, message="fee too high")
    chain.deploy(CONTRACTS / "data_market.ctr", chain.account(9), 20)
    chain.deploy_fails(source, chain.account(9), 256)  # not a u8


def test_market_listing(chain, market):
    owner = chain.account(1)
    r = market.call("list", FP, 1000, sender=owner)
    assert r.value == 0
    assert r.event("Listed") == {"id": 0, "owner": owner, "fingerprint": FP, "price": 1000}
    assert market.transact("list", FP, 5, sender=chain.account(2)) == 1
    assert market.view("offer", 0) == (owner, FP, 1000, 0, 0)
    assert market.view("offer", 1) == (chain.account(2), FP, 5, 0, 0)
    market.fails("list", FP, 0, sender=owner, message="price must be positive")
    assert state_value(chain, market, 1, U64) == 2
    assert state_value(chain, market, 2, U8) == 5
    with pytest.raises(Exception, match="no such offer"):
        market.view("offer", 2)


def test_market_certification(chain, market):
    offer = listed(chain, market)
    market.fails("certify", offer, sender=chain.account(1), message="caller lacks role 'regulator'")
    market.fails("certify", offer, sender=chain.account(0), message="caller lacks role 'regulator'")
    market.fails("certify", 77, sender=chain.account(9), message="no such offer")
    r = market.call("certify", offer, sender=chain.account(9))
    assert r.event("Certified") == {"id": offer, "regulator": chain.account(9)}
    assert market.view("offer", offer)[3] == 1
    market.fails("certify", offer, sender=chain.account(9), message="offer is not awaiting certification")


def test_market_purchase_pays_the_owner_and_grants_access(chain, market):
    offer = certified(chain, market, price=1000)
    owner, buyer = chain.account(1), chain.account(2)
    owner_before, buyer_before = chain.balance(owner), chain.balance(buyer)
    now = chain.runner.time
    r = market.call("buy", offer, 30, sender=buyer, value=1000)
    assert r.success and r.value == now + 30 * DAY
    assert r.event("Purchased") == {"id": offer, "buyer": buyer, "until": now + 30 * DAY, "paid": 1000}
    assert chain.balance(owner) == owner_before + 950
    assert chain.balance(buyer) == buyer_before - 1000
    assert chain.balance(market.address) == 50
    assert market.view("has_access", offer, buyer) is True
    assert market.view("access_until", offer, buyer) == now + 30 * DAY
    assert market.view("has_access", offer, owner) is False
    assert market.view("offer", offer)[4] == 1
    grant = chain.runner.state.storage[(market.address, layout.grant_key("read", U64, offer, buyer))]
    assert codec.decode(layout.GRANT_RECORD, grant) == (now + 30 * DAY, owner, "traffic research")  # by the owner
    chain.runner.advance_time(30 * DAY - 1)
    assert market.view("has_access", offer, buyer) is True
    chain.runner.advance_time(1)
    assert market.view("has_access", offer, buyer) is False


def test_market_purchase_checks(chain, market):
    buyer = chain.account(2)
    offer = listed(chain, market, price=1000)
    market.fails("buy", 42, 1, sender=buyer, value=1000, message="no such offer")
    market.fails("buy", offer, 1, sender=buyer, value=1000, message="offer not certified")
    market.transact("certify", offer, sender=chain.account(9))
    market.fails("buy", offer, 0, sender=buyer, value=1000, message="days must be 1..365")
    market.fails("buy", offer, 366, sender=buyer, value=1000, message="days must be 1..365")
    market.fails("buy", offer, 10, sender=buyer, value=999, message="wrong price")
    market.fails("buy", offer, 10, sender=buyer, value=1001, message="wrong price")
    market.fails("buy", offer, 10, sender=buyer, message="wrong price")
    assert market.transact("buy", offer, 365, sender=buyer, value=1000) == chain.runner.time + 365 * DAY
    assert market.transact("buy", offer, 1, sender=chain.account(3), value=1000) == chain.runner.time + DAY
    assert market.view("offer", offer)[4] == 2


def test_market_fee_rounds_down(chain):
    market = chain.deploy(CONTRACTS / "data_market.ctr", chain.account(9), 3, sender=chain.account(0))
    offer = certified(chain, market, price=99)
    owner_before = chain.balance(chain.account(1))
    market.transact("buy", offer, 1, sender=chain.account(2), value=99)
    assert chain.balance(chain.account(1)) == owner_before + 97  # 99 * 3 / 100 = 2 stays as the fee
    assert chain.balance(market.address) == 2
    free = chain.deploy(CONTRACTS / "data_market.ctr", chain.account(9), 0, sender=chain.account(0))
    offer = certified(chain, free, price=10)
    free.transact("buy", offer, 1, sender=chain.account(2), value=10)
    assert chain.balance(free.address) == 0


def test_market_withdraw(chain, market):
    offer = certified(chain, market)
    market.fails("withdraw", offer, sender=chain.account(2), message="only the owner can withdraw")
    market.fails("withdraw", 55, sender=chain.account(2), message="no such offer")
    market.transact("withdraw", offer, sender=chain.account(1))
    assert market.view("offer", offer)[3] == 2
    market.fails("buy", offer, 1, sender=chain.account(2), value=1000, message="offer not certified")
    market.fails("certify", offer, sender=chain.account(9), message="offer is not awaiting certification")


def test_market_revoke_access(chain, market):
    offer = certified(chain, market)
    buyer = chain.account(2)
    market.transact("buy", offer, 10, sender=buyer, value=1000)
    market.fails("revoke_access", offer, buyer, sender=chain.account(3), message="not allowed")
    market.fails("revoke_access", offer, buyer, sender=buyer, message="not allowed")
    r = market.call("revoke_access", offer, buyer, sender=chain.account(1))
    assert r.event("AccessRevoked") == {"permission": "read", "resource": offer.to_bytes(8, "big"),
                                        "grantee": buyer, "by": chain.account(1)}
    assert market.view("has_access", offer, buyer) is False
    assert market.view("access_until", offer, buyer) == 0
    market.transact("buy", offer, 10, sender=buyer, value=1000)
    market.transact("revoke_access", offer, buyer, sender=chain.account(9))  # the regulator may too
    assert market.view("has_access", offer, buyer) is False


def test_market_fee_collection(chain, market):
    offer = certified(chain, market, price=2000)
    for i in (2, 3, 4):
        market.transact("buy", offer, 1, sender=chain.account(i), value=2000)
    assert chain.balance(market.address) == 300
    market.fails("collect_fees", chain.account(9), sender=chain.account(9), message="caller lacks role 'operator'")
    treasury = bytes([0xEE] * 20)
    market.transact("collect_fees", treasury, sender=chain.account(0))
    assert chain.balance(treasury) == 300
    assert chain.balance(market.address) == 0
    market.transact("collect_fees", treasury, sender=chain.account(0))  # nothing left: pays 0
    assert chain.balance(treasury) == 300


def test_market_functions_are_not_payable_except_buy(chain, market):
    offer = listed(chain, market)
    market.fails("certify", offer, sender=chain.account(9), value=1)
    market.fails("list", FP, 1, sender=chain.account(1), value=1)
    assert market.view("offer", offer)[3] == 0


# Data credits


@pytest.fixture
def credits(chain):
    return chain.deploy(CONTRACTS / "data_credits.ctr", sender=chain.account(0))


def credit_supply(chain, credits):
    return state_value(chain, credits, 1, U64)


def test_credits_mint(chain, credits):
    issuer, a = chain.account(0), chain.account(1)
    r = credits.call("mint", a, 100, sender=issuer)
    assert r.event("Minted") == {"to": a, "amount": 100}
    credits.transact("mint", a, 5, sender=issuer)
    assert credits.view("balance", a) == 105
    assert credit_supply(chain, credits) == 105
    credits.fails("mint", a, 0, sender=issuer, message="nothing to mint")
    credits.fails("mint", a, 1, sender=a, message="caller lacks role 'issuer'")
    credits.fails("mint", a, U64.hi, sender=issuer, message="arithmetic overflow")
    assert credits.view("balance", chain.account(2)) == 0


def test_credits_send(chain, credits):
    issuer, a, b = chain.account(0), chain.account(1), chain.account(2)
    credits.transact("mint", a, 100, sender=issuer)
    r = credits.call("send", b, 40, sender=a)
    assert r.event("Moved") == {"from": a, "to": b, "amount": 40}
    assert (credits.view("balance", a), credits.view("balance", b)) == (60, 40)
    credits.fails("send", a, 1, sender=a, message="cannot send to yourself")
    credits.fails("send", b, 61, sender=a, message="insufficient credits")
    credits.fails("send", a, 1, sender=chain.account(3), message="no asset to take")
    credits.transact("send", b, 60, sender=a)  # everything: a keeps an empty credit
    assert credits.view("balance", a) == 0
    credits.transact("send", a, 0, sender=b)  # zero credits may move
    assert (credits.view("balance", a), credits.view("balance", b)) == (0, 100)
    assert credit_supply(chain, credits) == 100


def test_credits_burn(chain, credits):
    issuer, a = chain.account(0), chain.account(1)
    credits.transact("mint", a, 10, sender=issuer)
    r = credits.call("burn", 4, sender=a)
    assert r.event("Burned") == {"holder": a, "amount": 4}
    assert credits.view("balance", a) == 6
    assert credit_supply(chain, credits) == 6
    credits.fails("burn", 7, sender=a, message="insufficient credits")
    credits.fails("burn", 1, sender=chain.account(5), message="no asset to take")
    credits.transact("burn", 6, sender=a)
    assert credit_supply(chain, credits) == 0
    assert credits.view("balance", a) == 0


def test_credits_are_conserved(chain, credits):
    import random

    rng = random.Random(11)
    issuer = chain.account(0)
    for _ in range(80):
        action = rng.randrange(3)
        i, j = rng.randrange(1, 6), rng.randrange(1, 6)
        amount = rng.randrange(0, 60)
        if action == 0:
            credits.call("mint", chain.account(i), amount, sender=issuer)
        elif action == 1:
            credits.call("send", chain.account(j), amount, sender=chain.account(i))
        else:
            credits.call("burn", amount, sender=chain.account(i))
    total = sum(credits.view("balance", chain.account(i)) for i in range(1, 6))
    assert total == credit_supply(chain, credits)
