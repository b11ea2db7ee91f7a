# pragma version ~=0.4.0
# Benchmark data market (benchmarks/contracts/market.ctr is the same contract in contractvm's language): a
# supplier lists an offer (a fingerprint and a price); a buyer pays the price, which goes to the supplier, and
# receives a read grant on the offer that expires after the days bought; `has_access` tells whether a grant is
# in force. The grant records its expiry, its grantor and its purpose, and emits AccessGranted, as
# contractvm's built-in `grant` does.

SECONDS_PER_DAY: constant(uint64) = 86400
MAX_DAYS: constant(uint64) = 365


struct Offer:
    owner: address
    fingerprint: bytes32
    price: uint256


struct Grant:
    expires: uint64
    grantor: address
    purpose: String[256]


event Listed:
    id: uint64
    owner: address
    fingerprint: bytes32
    price: uint256

event Purchased:
    id: uint64
    buyer: address
    until: uint64
    paid: uint256

event AccessGranted:
    permission: String[4]
    resource: uint64
    grantee: address
    expires: uint64
    grantor: address
    purpose: String[256]


offers: HashMap[uint64, Offer]
next_id: uint64
grants: HashMap[uint64, HashMap[address, Grant]]


@external
def list(fingerprint: bytes32, price: uint256) -> uint64:
    assert price > 0, "price must be positive"
    id: uint64 = self.next_id
    self.offers[id] = Offer(owner=msg.sender, fingerprint=fingerprint, price=price)
    self.next_id = id + 1
    log Listed(id=id, owner=msg.sender, fingerprint=fingerprint, price=price)
    return id


@external
@payable
def buy(id: uint64, days: uint64) -> uint64:
    offer: Offer = self.offers[id]
    assert offer.owner != empty(address), "no such offer"
    assert days > 0 and days <= MAX_DAYS, "days must be 1..365"
    assert msg.value == offer.price, "wrong price"
    send(offer.owner, msg.value)
    until: uint64 = convert(block.timestamp, uint64) + days * SECONDS_PER_DAY
    self.grants[id][msg.sender] = Grant(expires=until, grantor=offer.owner, purpose="traffic research")
    log AccessGranted(
        permission="read", resource=id, grantee=msg.sender, expires=until, grantor=offer.owner, purpose="traffic research"
    )
    log Purchased(id=id, buyer=msg.sender, until=until, paid=msg.value)
    return until


@external
@view
def has_access(id: uint64, who: address) -> bool:
    return convert(block.timestamp, uint64) < self.grants[id][who].expires
