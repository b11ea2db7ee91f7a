"""The fast path's translator: the code it writes, when it writes it, and exactness where it is hardest.

The broad equivalence with the reference loop is `tests/properties/test_fastpath_differential.py`; here:
the shape of generated code, caching and laziness, that no program text reaches the source, out of gas at
every single gas limit, integer edges where the range analysis leaves checks out, the soundness of that
analysis, large, deep and branchy functions, and per-element gas for comparing tuples.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractvm.compiler import compile_text
from contractvm.isa.binary import to_bytes
from contractvm.isa.opcodes import BY_NAME, ELEM_CHUNK
from contractvm.isa.program import Event, Import, Program
from contractvm.isa.types import ADDRESS, BOOL, DIGEST, INT_WIDTHS, U64, BytesT, IntT, StringT
from contractvm.runner import Runner
from contractvm.vm import (
    BlockContext,
    ExecutionResult,
    Journal,
    MemoryState,
    ProgramCache,
    deploy,
    execute,
    fast_codegen,
    fastpath,
)
from contractvm.vm import fast_analysis as fa
from contractvm.vm.loader import HANDLERS, load

BYTES_T = BytesT(64)

LOOP = """
contract Loop {
    pub view fn run(n: u64) -> u64 {
        let total: u64 = n;
        for i in 0..%d {
            total = total + i * 3;
            total = total %% 1000000007;
        }
        return total;
    }
}
"""


@pytest.fixture(autouse=True, scope="module")
def strict_translation() -> Iterator[None]:
    """A function the translator cannot translate is a failure here, not a quiet fallback."""
    saved, fastpath.STRICT = fastpath.STRICT, True
    yield
    fastpath.STRICT = saved


def both(h: SimpleNamespace, prog: Program | bytes, function: str, *args: object, gas: int = 1_000_000,
         deploy_gas: int = 1_000_000, **kw: object) -> ExecutionResult:
    """Deploy and call on the fast path and on the reference loop; results and deltas must be identical."""
    outcomes = []
    for fast in (True, False):
        vm = h.VM()
        vm.cache = ProgramCache(fast=fast, warmup=0)
        vm.deploy(prog, gas=deploy_gas)
        result = vm.call(function, *args, gas=gas, **kw)
        outcomes.append((result, vm.state.changes()))
    (fast_result, fast_changes), (ref_result, ref_changes) = outcomes
    assert repr(fast_result) == repr(ref_result), (function, args, gas)
    assert fast_changes == ref_changes
    return ref_result


def source(code: bytes, name: str) -> list[str]:
    from contractvm.isa.binary import from_bytes

    loaded = load(from_bytes(code))
    fid = next(i for i, lf in enumerate(loaded.functions) if lf.name == name)
    return fastpath.Translator(loaded, HANDLERS).source(fid).lines


# The code it writes


def test_a_counted_loop_becomes_a_python_loop_with_one_gas_check_per_unit() -> None:
    code = compile_text((LOOP % 100000).replace("let total: u64 = n;", "let total: u64 = 0;")
                        .replace("return total;", "return total + n;")).bytecode
    lines = source(code, "run")
    text = "\n".join(lines)
    assert "while True:" in text
    assert "H_" not in text  # every instruction inline: no handler calls
    assert all(line.strip().startswith("if g < 0:") for line in lines if "RESUME" in line)
    assert "1000000007" not in text and "100000" not in text  # constants are names, never literals
    assert text.count("g -= ") == 4  # the entry, the loop test, the loop body, the exit
    # The loop's counter and sum are known u64s: no type checks, and only the overflow checks that can fail
    # (an underflow only in `total + n`, after the loop, as nothing is known of a parameter).
    assert "type(" not in text and text.count("UNDERFLOW") == 1
    assert "MOD(" not in text  # `%` of a known non-negative by a positive constant is Python's own


def test_program_text_never_reaches_the_source(h: SimpleNamespace) -> None:
    hostile = "x'); __import__('os').system('false'); ('"
    prog = h.program(
        h.fn(hostile, f"""
            PUSH {hostile!r}
            EMIT 0
            PUSH b"\\n import os"
            POP
            PUSH {hostile!r}
            REVERT
        """),
        events=(Event(hostile, (("f" + hostile, StringT(200)),)),),
    )
    lines = source(to_bytes(prog), hostile)
    assert not any("import" in line or "system" in line for line in lines)
    result = both(h, prog, hostile)
    assert result.failure.message == hostile


# When it writes it


def test_each_function_is_translated_once_warm(h: SimpleNamespace) -> None:
    prog = h.program(h.fn("init", "RET", constructor=True, public=False), h.fn("a", "PUSH 1\nRET", returns=U64),
                     h.fn("b", "PUSH 2\nRET", returns=U64))  # fmt: skip
    vm = h.VM()
    assert vm.cache.fast and vm.cache.warmup == fastpath.WARMUP  # the default
    vm.cache = ProgramCache(warmup=3)  # translated once its frames used 3 gas per instruction: 6 for `a`
    assert vm.deploy(prog).success
    loaded = vm.cache.load(to_bytes(prog))
    init, a, b = loaded.functions
    assert init.fast is None  # constructors run once: they stay on the reference loop
    assert a.fast.__name__ == b.fast.__name__ == "cold"
    assert vm.call("a").value == 1 and vm.call("a").value == 1  # 4 gas each: still on the reference loop
    assert a.fast.__name__ == "cold"
    assert vm.call("a").value == 1
    assert a.fast.__name__ == "E1" and b.fast.__name__ == "cold"
    entry = a.fast
    assert vm.call("a").value == 1 and a.fast is entry
    assert vm.cache.load(to_bytes(prog)) is loaded


def test_a_reference_cache_never_translates(h: SimpleNamespace) -> None:
    vm = h.VM()
    vm.cache = ProgramCache(fast=False)
    prog = h.program(h.fn("a", "PUSH 1\nRET", returns=U64))
    assert vm.deploy(prog).success and vm.call("a").value == 1
    assert all(lf.fast is None for lf in vm.cache.load(to_bytes(prog)).functions)


def test_functions_too_large_stay_on_the_reference_loop(h: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "MAX_INSTRUCTIONS", 8)
    big = "\n".join(["LOAD 0"] + ["PUSH 1\nADD u64"] * 6 + ["RET"])
    prog = h.program(
        h.fn("main", "LOAD 0\nCALL 1\nPUSH 2\nMUL u64\nRET", (U64,), U64),
        h.fn("big", big, (U64,), U64, public=False),
    )
    loaded = load(prog)
    fastpath.translate_now(loaded, HANDLERS)
    assert loaded.functions[0].fast is not None and loaded.functions[1].fast is None
    assert both(h, prog, "main", 1).value == 14
    assert both(h, prog, "main", 2**64 - 4).failure.message == "arithmetic overflow"


def test_a_function_the_translator_fails_on_stays_on_the_reference_loop(
    h: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    prog = h.program(
        h.fn("main", "LOAD 0\nCALL 1\nPUSH 2\nMUL u64\nRET", (U64,), U64),
        h.fn("helper", "LOAD 0\nPUSH 1\nADD u64\nRET", (U64,), U64, public=False),
    )
    write = fast_codegen.FunctionWriter.write

    def broken(self: fast_codegen.FunctionWriter) -> None:
        if self.fid == 1:
            raise RecursionError("a translator bug")  # an operand error, were it to leak into the contract
        write(self)

    monkeypatch.setattr(fast_codegen.FunctionWriter, "write", broken)
    monkeypatch.setattr(fastpath, "STRICT", False)
    assert both(h, prog, "main", 4).value == 10
    cache = ProgramCache(warmup=0)
    loaded = cache.load(to_bytes(prog))
    vm = h.VM()
    vm.cache = cache
    assert vm.deploy(prog).success and vm.call("main", 2**64 - 1).failure.message == "arithmetic overflow"
    assert loaded.translator.failures == {1: "RecursionError: a translator bug"}
    assert loaded.functions[0].fast.__name__ == "E0" and loaded.functions[1].fast is None
    monkeypatch.setattr(fastpath, "STRICT", True)
    strict = h.VM()
    strict.cache = ProgramCache(warmup=0)
    assert strict.deploy(prog).success
    with pytest.raises(fastpath.TranslationError, match="a translator bug"):
        strict.call("main", 1)


# Exactness where it is hardest


def test_out_of_gas_at_every_limit(h: SimpleNamespace) -> None:
    """Every gas limit up to what the call needs: the same pc, gas used and delta as the reference."""
    counter = h.program(
        h.fn("bump", "PUSH b'n'\nSLOAD 0\nPUSH 1\nADD u64\nDUP\nPUSH b'n'\nSWAP\nSSTORE 0\nDUP\nEMIT 0\nRET", (),
             U64),
        types=(U64,), events=(Event("E", (("n", U64),)),),
    )
    text = """
        PUSH 0
        STORE 2
    top:
        LOAD 2
        PUSH 3
        LT
        JUMPN done
        LOAD 0
        XCALL 0
        LOAD 2
        CALL 1
        ADD u64
        STORE 1
        PUSH (1, 2, 3)
        LOAD 2
        PUSH 2
        PUSH 3
        MAKE 3
        EQ
        POP
        LOAD 2
        PUSH 1
        ADD u64
        STORE 2
        JUMP top
    done:
        LOAD 1
        RET
    """
    caller = h.program(
        h.fn("run", text, (ADDRESS,), U64),
        h.fn("sq", "LOAD 0\nDUP\nMUL u64\nRET", (U64,), U64, public=False),
        imports=(Import("C", "bump", (), U64),),
    )
    outcomes = {}
    for fast in (True, False):
        vm = h.VM()
        vm.cache = ProgramCache(fast=fast, warmup=0)
        assert vm.deploy(counter, address=h.OTHER).success and vm.deploy(caller).success
        full = vm.call("run", h.OTHER)
        assert full.success
        runs = []
        for gas in range(full.gas_used + 2):
            journal = Journal(vm.state)
            result = execute(journal, vm.block, caller=h.ALICE, address=h.CONTRACT, function="run", args=(h.OTHER,),
                             gas_limit=gas, cache=vm.cache)  # fmt: skip
            runs.append((repr(result), journal.changes()))
        outcomes[fast] = runs
    assert outcomes[True] == outcomes[False]
    assert sum("out_of_gas=True" in r for r, _ in outcomes[True]) > 100


MAPS = """
contract Maps {
    state by_int: map<i64, u64>;
    state by_flag: map<bool, u64>;
    state by_who: map<address, u64>;
    state by_id: map<digest, u64>;
    state by_name: map<string<8>, u64>;

    pub fn put(k: i64, f: bool, who: address, id: digest, name: string<8>) -> u64 {
        by_int[k] += 1;
        by_flag[f] += 2;
        by_who[who] += 3;
        by_id[id] += 4;
        by_name[name] += 5;
        return by_int[k] + by_flag[f] + by_who[who] + by_id[id] + by_name[name];
    }
}
"""


def test_inline_encodings_and_concatenations_at_every_gas_limit(h: SimpleNamespace) -> None:
    """Map keys of every fixed-size type (encoded and joined inline) and a string key (through the handlers):
    at every gas limit, the same result, pc, gas used and delta as the reference."""
    code = compile_text(MAPS).bytecode
    text = "\n".join(source(code, "put"))
    assert re.search(r"g -= 1; t\d+ = l2\n", text)  # the address key: its own encoding, inline
    assert re.search(r"g -= gc; t\d+ = K\d+ \+ t\d+", text) and "H_ENCODE" in text  # the string's: handler
    args = (-3, True, h.OTHER, bytes(range(32)), "key")
    outcomes = {}
    for fast in (True, False):
        vm = h.VM()
        vm.cache = ProgramCache(fast=fast, warmup=0)
        assert vm.deploy(code).success
        full = vm.call("put", *args)
        assert full.success and full.value == 15
        runs = []
        for gas in range(full.gas_used + 2):
            journal = Journal(vm.state)
            result = execute(journal, vm.block, caller=h.ALICE, address=h.CONTRACT, function="put", args=args,
                             gas_limit=gas, cache=vm.cache)  # fmt: skip
            runs.append((repr(result), journal.changes()))
        outcomes[fast] = runs
    assert outcomes[True] == outcomes[False]
    assert sum("out_of_gas=True" in r for r, _ in outcomes[True]) > 100


@pytest.mark.parametrize(("t", "value"), [(ADDRESS, b"short"), (ADDRESS, 7), (U64, -1), (U64, 2**64), (U64, True),
                                          (BOOL, 1), (DIGEST, bytes(20))])
def test_encoding_a_value_of_the_wrong_type_faults_as_on_the_reference_loop(h: SimpleNamespace, t: object,
                                                                            value: object) -> None:
    prog = h.program(h.fn("f", f"PUSH b'k'\nPUSH {value!r}\nENCODE 0\nCONCAT 2\nRET", (), BYTES_T),
                     types=(t,))
    result = both(h, prog, "f")
    assert not result.success and result.failure.pc >= 0


def test_a_fault_before_the_gas_runs_out_inside_a_unit(h: SimpleNamespace) -> None:
    # The unit needs 2 + 2 + 3 + 10 * (2 + 1) + 2 gas; with less, the reference still reports the overflow
    # at ADD when the gas covers it, and out of gas at the first instruction it cannot pay otherwise.
    text = "PUSH 255\nPUSH 1\nADD u8\n" + "PUSH 1\nPOP\n" * 10 + "RET"
    prog = h.program(h.fn("f", text, (), U64))
    for gas in range(0, 45):
        result = both(h, prog, "f", gas=gas)
        if gas >= 7:
            assert result.failure.message == "arithmetic overflow" and result.gas_used == 7
        else:
            assert result.failure.out_of_gas and result.gas_used == gas


INT_TYPES = [IntT(bits, signed) for bits in INT_WIDTHS for signed in (False, True)]


@pytest.mark.parametrize("t", [t for t in INT_TYPES if t.bits in (8, 64, 256)], ids=str)
def test_integer_edges_with_known_and_unknown_operands(h: SimpleNamespace, t: IntT) -> None:
    """Constants (exact ranges: checks left out where they cannot fail) and parameters (no knowledge)."""
    edges = sorted({t.lo, t.lo + 1, -1 if t.signed else 0, 0, 1, 2, t.hi // 2, t.hi // 2 + 1, t.hi - 1, t.hi})
    pairs = [(a, b) for a in edges for b in (t.lo, -1 if t.signed else 0, 0, 1, 2, t.hi)]
    for op in ("ADD", "SUB", "MUL", "DIV", "MOD", "NEG", "CAST"):
        for a, b in pairs:
            unary = op in ("NEG", "CAST")
            body = f"PUSH {a}\n" + ("" if unary else f"PUSH {b}\n") + f"{op} {t}\nRET"
            known = h.program(h.fn("f", body, (), t))
            unknown = h.program(h.fn("f", "LOAD 0\n" + ("" if unary else "LOAD 1\n") + f"{op} {t}\nRET", (t, t), t))
            for prog, args in ((known, ()), (unknown, (a, b))):
                if not (t.lo <= b <= t.hi):
                    continue
                vms = [h.VM(), h.VM()]
                vms[0].cache, vms[1].cache = ProgramCache(warmup=0), ProgramCache(fast=False)
                results = []
                for vm in vms:
                    assert vm.deploy(prog).success
                    results.append(repr(vm.call("f", *args)))
                assert results[0] == results[1], (op, t, a, b, args)


intervals = st.one_of(
    st.tuples(st.none(), st.none()),
    st.tuples(st.integers(-300, 300), st.integers(0, 300)).map(lambda p: (p[0], p[0] + p[1])),
    st.tuples(st.integers(-300, 300), st.none()),
    st.tuples(st.none(), st.integers(-300, 300)),
)


def _member(draw: st.DrawFn, lo: int | None, hi: int | None) -> int:
    return draw(st.integers(lo if lo is not None else -1000, hi if hi is not None else 1000)
                .filter(lambda v: (lo is None or v >= lo) and (hi is None or v <= hi)))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["ADD", "SUB", "MUL", "DIV", "MOD", "NEG", "CAST", "SHR", "BAND", "BOR", "BXOR", "BNOT"]),
       st.sampled_from([IntT(8, False), IntT(8, True), IntT(16, False)]), intervals, intervals, st.data())
def test_the_range_analysis_is_sound(op: str, t: IntT, ia: tuple, ib: tuple, data: st.DataObject) -> None:
    """Whatever values lie in the operands' ranges, a result that passes the checks lies in the result's range,
    and a check the translator leaves out can never fail."""
    from contractvm.isa import arith
    from contractvm.vm.runtime import INT_RANGES

    if ia[0] is not None and ia[1] is not None and ia[0] > ia[1]:
        return
    a_abs, b_abs = (fa.INT, *ia), (fa.INT, *ib)
    a, b = _member(data.draw, *ia), _member(data.draw, *ib)
    r = INT_RANGES[t.code]
    ins = fa.Ins(0, 0, BY_NAME[op], t.code, r, 1 if op in ("NEG", "CAST", "BNOT") else 2, 1)
    fn = {"ADD": lambda: arith.fit(r, a + b), "SUB": lambda: arith.fit(r, a - b), "MUL": lambda: arith.fit(r, a * b),
          "DIV": lambda: arith.div(r, a, b), "MOD": lambda: arith.mod(r, a, b), "NEG": lambda: arith.fit(r, -a),
          "CAST": lambda: arith.cast(r, a), "SHR": lambda: a >> b, "BAND": lambda: a & b, "BOR": lambda: a | b,
          "BXOR": lambda: a ^ b, "BNOT": lambda: arith.bnot(r, a)}[op]
    try:
        value = fn()
    except (arith.ArithmeticFault, ValueError):
        return
    kind, lo, hi = fa.results(ins, [a_abs, b_abs][: ins.pops])[0]
    assert kind == fa.INT
    assert (lo is None or lo <= value) and (hi is None or value <= hi), (op, ia, ib, a, b, value, lo, hi)
    if op in ("ADD", "SUB", "MUL"):
        lo, hi = fa.add_range(op, a_abs, b_abs)
        raw = {"ADD": a + b, "SUB": a - b, "MUL": a * b}[op]
        assert (lo is None or lo <= raw) and (hi is None or raw <= hi)


# Large, deep and branchy functions


def test_long_chains_of_conditions_and_many_cases_translate() -> None:
    body = "\n".join(f'        require(x != {i}, "hit {i}");' for i in range(300))
    cases = "\n".join(f"        if x == {i} {{ y = y + {i}; }} else {{ y = y * 2 %% 1000; }}" for i in range(300))
    text = f"""
    contract Big {{
        pub fn chain(x: u64) -> u64 {{
{body}
            return x;
        }}
        pub fn branches(x: u64) -> u64 {{
            let y: u64 = 1;
{cases.replace("%%", "%")}
            return y;
        }}
    }}
    """
    code = compile_text(text).bytecode
    from contractvm.isa.binary import from_bytes

    loaded = load(from_bytes(code))
    fastpath.translate_now(loaded, HANDLERS)  # no SyntaxError, RecursionError or nesting limit
    runner = [Runner(cache=ProgramCache(fast=fast, warmup=0)) for fast in (True, False)]
    deployed = [r.deploy(compile_text(text)) for r in runner]
    for x in (0, 5, 299, 300, 10**6):
        for name in ("chain", "branches"):
            a, b = (d.call(name, x) for d in deployed)
            assert a == b


# Comparing tuples costs gas per element


def test_tuple_equality_costs_gas_per_element(h: SimpleNamespace) -> None:
    eq = BY_NAME["EQ"]
    assert eq.unit == "elem" and BY_NAME["NE"].unit == "elem"
    for n in (0, 1, 16, 17, 100, 1000):
        text = f"PUSH {tuple(range(n))!r}\nPUSH {tuple(range(n))!r}\nEQ\nRET"
        result = both(h, h.program(h.fn("f", text, (), BOOL)), "f")
        units = (max(n, 1) + ELEM_CHUNK - 1) // ELEM_CHUNK
        assert result.value is True
        assert result.gas_used == 2 + 2 + eq.gas + eq.unit_gas * units + BY_NAME["RET"].gas
    scalar = both(h, h.program(h.fn("f", "PUSH 1\nPUSH 1\nNE\nRET", (), BOOL)), "f")
    assert scalar.gas_used == 2 + 2 + eq.gas + BY_NAME["RET"].gas  # no unit gas without a tuple


def test_struct_equality_stays_within_the_compilers_bound() -> None:
    text = """
    contract S {
        struct P { a: u64, tags: vec<u8, 40>, inner: [u16; 8] }
        pub fn same(p: P, q: P) -> bool { return p == q || p != q; }
    }
    """
    artifact = compile_text(text)
    bound = artifact.function("same")["gas_bound"]
    p = (1, tuple(range(40)), tuple(range(8)))
    for fast in (True, False):
        runner = Runner(cache=ProgramCache(fast=fast, warmup=0))
        result = runner.deploy(artifact).call("same", p, p)
        assert result.success and result.value is True
        assert result.gas_used <= bound


def test_a_warm_cache_runs_the_fast_path() -> None:
    code = compile_text(LOOP % 10).bytecode
    state, cache = Journal(MemoryState()), ProgramCache(warmup=0)
    address, caller = b"\xc0" * 20, b"\xa0" * 20
    block = BlockContext(1, 1)
    assert deploy(state, block, caller=caller, address=address, code=code, args=(), gas_limit=10**6, cache=cache)
    result = execute(state, block, caller=caller, address=address, function="run", args=(7,), gas_limit=10**6,
                     cache=cache)  # fmt: skip
    assert result.success
    assert cache.load(code).by_name["run"].fast.__name__ == "E0"
