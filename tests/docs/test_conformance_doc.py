"""docs/conformance.md stays honest: what it cites exists, and it covers every requirement of Y.4560.

The Recommendation's text is read from ../shared/requirements/Y.4560.md relative to the repository root (CI
checks the repository out with that `shared` directory beside it); the checks that count its sentences and
procedure steps are skipped when it is absent.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "conformance.md"
RECOMMENDATION = ROOT.parent / "shared" / "requirements" / "Y.4560.md"

STATUSES = ("met", "partly", "open")
CLAUSES = ("7.1", "7.2", "8", "9")  # the clauses whose requirement sentences the page must cover
ROW_ID = re.compile(r"^(?:\d+(?:\.\d+)*-[RFO]\d+|I\.[\d.]+(?:\(\d+\))?-(?:step\d+|F\d+))$")
TEST_REF = re.compile(r"`(tests/[\w/.-]+\.py)((?:::[\w\[\]-]+)+)`")
PATH_REF = re.compile(r"`((?:contracts|contractvm|docs|tests|grammar|benchmarks)/[\w/.-]*)[^`]*`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
KINDS = {"required": re.compile(r"\bis required (?:to|that)\b"), "recommended": re.compile(r"\bis recommended\b"),
         "optional": re.compile(r"\bcan optionally\b")}
CLAUSE_HEADING = re.compile(r"^#+\s+(?:\*\*)?(\d+(?:\.\d+)*)\s+\S", re.M)


# ------------------------------------------------------------------------------------------------ the page


@cache
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


@cache
def rows() -> list[dict[str, str]]:
    """Every table row whose first cell is a requirement id, as {id, requirement, how, proven, status}."""
    found = []
    for line in doc_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not ROW_ID.match(cells[0]):
            continue
        assert len(cells) == 5, f"{cells[0]}: expected 5 cells, found {len(cells)}: {line}"
        found.append(dict(zip(("id", "requirement", "how", "proven", "status"), cells, strict=True)))
    return found


def status_of(row: dict[str, str]) -> str:
    return re.split(r"[:\s]", row["status"].strip("* "), maxsplit=1)[0]


def clause_of(row_id: str) -> str:
    """The clause a row belongs to: `7.1.3-R2` -> 7.1.3, `I.1.5(1)-step4` -> I.1.5(1)."""
    return row_id.rsplit("-", 1)[0]


def test_the_page_has_rows_for_every_clause() -> None:
    ids = [row["id"] for row in rows()]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for prefix in (*(c + "." for c in CLAUSES), "I.1.5(1)", "I.1.5(2)", "I.2"):
        assert any(i.startswith(prefix) for i in ids), f"no row for {prefix}"


# ------------------------------------------------------------------------------------ (a) cited tests exist


@cache
def definitions(path: Path) -> frozenset[str]:
    """`name` for module-level test functions and `Class::name` for methods of module-level classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return frozenset(names)


def cited_tests() -> list[tuple[str, str]]:
    return [(m.group(1), re.sub(r"\[.*?\]", "", m.group(2))[2:]) for m in TEST_REF.finditer(doc_text())]


def test_the_page_cites_tests() -> None:
    assert len(cited_tests()) >= 50


@pytest.mark.parametrize(("path", "name"), sorted(set(cited_tests())), ids=lambda v: v)
def test_every_cited_test_exists(path: str, name: str) -> None:
    file = ROOT / path
    assert file.is_file(), f"{path} does not exist"
    assert name.split("::")[-1].startswith("test"), f"{path}::{name} is not a test"
    assert name in definitions(file), f"{path} defines no {name}"


# ------------------------------------------------------------------------------------ (b) cited files exist


def cited_paths() -> list[str]:
    paths = [m.group(1).rstrip(".") for m in PATH_REF.finditer(doc_text())]
    for target in LINK.findall(doc_text()):
        if "://" not in target:
            paths.append(str((DOC.parent / target).resolve().relative_to(ROOT)))
    return sorted(set(paths))


def test_the_page_cites_files() -> None:
    assert {"contracts/identity.ctr", "contracts/traceability.ctr", "docs/chain.md"} <= set(cited_paths())


@pytest.mark.parametrize("path", cited_paths())
def test_every_cited_path_exists(path: str) -> None:
    assert (ROOT / path).exists(), f"docs/conformance.md cites {path}, which does not exist"


# ------------------------------------------------------------------------------------------- (c) statuses


def test_every_status_is_met_partly_or_open_and_says_why() -> None:
    for row in rows():
        status = status_of(row)
        assert status in STATUSES, f"{row['id']}: status {row['status']!r}"
        reason = row["status"].strip("* ")[len(status):].strip(" :—-")
        if status == "met":
            assert not reason, f"{row['id']}: a met row needs no reason ({reason!r}); is it partly?"
            assert TEST_REF.search(row["proven"]), f"{row['id']} is met but cites no test"
        else:
            assert len(reason) >= 10, f"{row['id']} is {status}: say why"
        if "pending" in row["status"]:
            assert status != "met", f"{row['id']}: a row with a pending test is not met"


def test_rows_say_what_kind_of_requirement_they_are() -> None:
    for row in rows():
        expected = ("Step",) if "-step" in row["id"] else ("Required", "Recommended", "Optional", "Function")
        assert row["requirement"].startswith(expected), f"{row['id']}: {row['requirement']!r}"
        assert row["how"], f"{row['id']}: say how (or what is missing)"


def test_the_summary_adds_up() -> None:
    counts = Counter(status_of(row) for row in rows())
    summary = doc_text().split("## Summary", 1)[1]
    for status in STATUSES:
        found = re.search(rf"^\| {status} \| (\d+) \|$", summary, re.M)
        assert found, f"the summary has no count for {status}"
        assert int(found.group(1)) == counts[status], f"{status}: summary says {found.group(1)}, rows {counts[status]}"
    total = re.search(r"^\| total \| (\d+) \|$", summary, re.M)
    assert total and int(total.group(1)) == len(rows())


def test_every_open_or_partly_row_is_listed_with_its_reason() -> None:
    listing = doc_text().split("## Open and partly met items", 1)[1]
    open_part, partly_part = listing.split("Partly met:", 1)
    for row in rows():
        status = status_of(row)
        if status == "open":
            assert row["id"] in open_part, f"{row['id']} is open but not in the list of open items"
        elif status == "partly":
            assert row["id"] in partly_part, f"{row['id']} is partly met but not in the list"
        else:
            assert row["id"] not in listing, f"{row['id']} is met but listed as open or partly met"


# ------------------------------------------------------------------ (d) every requirement of the text is covered


@cache
def recommendation() -> str:
    if not RECOMMENDATION.is_file():
        pytest.skip(f"the Recommendation's text is not at {RECOMMENDATION} (the `shared` directory beside the "
                    "repository): its requirements cannot be counted")
    return RECOMMENDATION.read_text(encoding="utf-8")


def sentences_per_clause() -> dict[str, Counter[str]]:
    """{leaf clause: Counter(kind)} for the requirement sentences of clauses 7 to 9 (before Appendix I)."""
    body = recommendation().split("## Appendix I", 1)[0]
    counts: dict[str, Counter[str]] = {}
    headings = list(CLAUSE_HEADING.finditer(body))
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        clause = heading.group(1)
        if not any(clause == c or clause.startswith(c + ".") for c in CLAUSES):
            continue
        text = body[heading.end():following.start() if following else len(body)]
        counts[clause] = Counter({kind: len(pattern.findall(text)) for kind, pattern in KINDS.items()})
    return counts


def steps_per_procedure() -> dict[str, set[int]]:
    """{procedure: step numbers} for the numbered procedures of Appendix I."""
    appendix = recommendation().split("## Appendix I", 1)[1]
    procedures: dict[str, set[int]] = {}
    current = None
    for line in appendix.splitlines():
        heading = re.match(r"^#+\s+(?:(\(\d+\))|(I(?:\.\d+)+))\s", line)
        if heading:
            current = f"I.1.5{heading.group(1)}" if heading.group(1) else heading.group(2)
        for number in re.findall(r"\bStep (\d+):", line):
            assert current is not None, f"a step outside any procedure: {line}"
            procedures.setdefault(current, set()).add(int(number))
    return procedures


def test_the_recommendation_is_read_as_expected() -> None:
    counts = sentences_per_clause()
    total = sum(counts.values(), Counter())
    assert total["required"] >= 10 and total["recommended"] >= 3, total
    assert counts["7.1.3"] == Counter(required=1, recommended=1, optional=0)
    steps = steps_per_procedure()
    assert steps["I.1.5(1)"] == set(range(1, 8)) and steps["I.1.5(2)"] == set(range(1, 9))
    assert steps["I.2"] == set(range(5))


@pytest.mark.parametrize("clause", CLAUSES)
def test_each_clause_has_a_row_per_requirement_sentence(clause: str) -> None:
    counts = sentences_per_clause()
    sentences = sum((n for c, n in counts.items() if c == clause or c.startswith(clause + ".")), Counter())
    in_doc = [row for row in rows() if row["id"].startswith(clause + ".") or row["id"].startswith(clause + "-")]
    assert len(in_doc) >= sum(sentences.values()), f"{clause}: {len(in_doc)} rows for {dict(sentences)}"
    for leaf, kinds in counts.items():
        if not (leaf == clause or leaf.startswith(clause + ".")):
            continue
        leaf_rows = [row for row in rows() if clause_of(row["id"]) == leaf]
        for kind, number in kinds.items():
            label = kind.capitalize()
            have = sum(1 for row in leaf_rows if row["requirement"].startswith(label))
            assert have >= number, f"{leaf}: the text has {number} '{kind}' sentences, the page {have} rows"
            assert have <= number or kind == "optional", f"{leaf}: more {label} rows ({have}) than sentences"
        if clause in ("8", "9") and leaf != clause:  # no requirement sentences: a row per function described
            assert leaf_rows, f"{leaf}: no row for the function this sub-clause describes"


def test_each_procedure_step_of_appendix_i_has_a_row() -> None:
    ids = {row["id"] for row in rows()}
    for procedure, numbers in steps_per_procedure().items():
        missing = [n for n in sorted(numbers) if f"{procedure}-step{n}" not in ids]
        assert not missing, f"{procedure}: no row for steps {missing}"
