"""`make demo` keeps working: the smart-city scenario runs to the end, shows each step of the issue, and leaves a
chain behind that `contractvm verify` accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_the_smart_city_demo_runs_end_to_end_and_leaves_a_chain_that_verifies(tmp_path: Path) -> None:
    directory = tmp_path / "city"
    done = subprocess.run([sys.executable, "-m", "contractvm.demo", "--dir", str(directory)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    steps = [
        "sensor operator admitted by 2 of 3 active members",  # a sensor operator and a buyer register
        "buyer admitted by 2 of 3 active members",
        "device air-17", "device air-18",  # two devices approved
        "only the fingerprint is on chain",  # readings submitted
        "a reading from an unapproved device is refused: unapproved device",
        "rejected: 'pm25 cannot be negative: calibration fault'",  # one rejected, with its reason
        "re-submitting an entry that was not rejected is refused: only a rejected entry can be resubmitted",
        "re-submits entry 2, now Validated",  # and re-submitted, linked
        "a stranger may not certify: caller lacks role 'regulator'",
        "entry 1 is Certified",  # a regulator certifies
        "only the data's registered owner may offer it: not the data's owner",
        "and only validated data: data not validated",
        "matched (cheapest offer in the category within the price): purchase 1 at 500; escrow holds 500",
        "the buyer cannot read yet: forbidden",  # the fee waits in escrow
        "its digest 0x",  # the key is delivered
        "released 600 (price + stake) to the sensor operator",  # and the fee released
        "confirming again is refused (no double spend of the escrow)",
        "entry 1 (pm25 12) validated; the validator is paid 10",  # validators read closed data under a grant
        "entry 2 (pm25 -4) rejected",
        '"pm25": 12, "sensor": "air-17"}  (access #',  # the buyer downloads and decrypts
        "forbidden: cvm1",  # an unauthorised party is refused
        "one byte flipped in the node's store: the data object does not decrypt",  # a tampered payload is caught
        "checks: record_hash ok, signature ok, data ok, linked ok",  # a history walked back, re-checked
        "verified: every hash, signature and hand-over checks",
        "transaction record           by data service",  # the audit report
        "access #1: validator read 0x",
        ": buyer read 0x",
        "every transaction re-executed: ok",
    ]
    for expected in steps:
        assert expected in out, f"the demo no longer shows {expected!r}"
    assert out.rstrip().endswith("done.")
    verified = subprocess.run([sys.executable, "-m", "contractvm", "verify", "--data", str(directory), "--replay"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_demo_says_what_went_wrong_without_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = subprocess.run([sys.executable, "-m", "contractvm.demo", "--dir", str(blocker / "city")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr
