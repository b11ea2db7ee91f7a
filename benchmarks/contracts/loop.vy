# pragma version ~=0.4.0
# Benchmark loop (benchmarks/contracts/loop.ctr is the same loop in contractvm's language): checked uint64
# arithmetic, 10,000 rounds of an add, a multiply and a modulo.


@external
@view
def run(seed: uint64) -> uint64:
    total: uint64 = seed
    for i: uint64 in range(10000):
        total = total + i * 3
        total = total % 1000000007
    return total
