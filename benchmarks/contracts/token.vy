# pragma version ~=0.4.0
# Benchmark token (benchmarks/contracts/token.ctr is the same contract in contractvm's language): balances,
# a transfer that checks the sender's balance, and a Transfer event.

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    amount: uint256

total_supply: public(uint256)
balances: HashMap[address, uint256]


@deploy
def __init__(supply: uint256):
    self.balances[msg.sender] = supply
    self.total_supply = supply
    log Transfer(sender=empty(address), receiver=msg.sender, amount=supply)


@external
def transfer(to: address, amount: uint256) -> bool:
    available: uint256 = self.balances[msg.sender]
    assert available >= amount, "insufficient balance"
    self.balances[msg.sender] = available - amount
    self.balances[to] += amount
    log Transfer(sender=msg.sender, receiver=to, amount=amount)
    return True


@external
@view
def balance_of(who: address) -> uint256:
    return self.balances[who]
