"""`python -m contractvm.demo_language` keeps working: the language tour runs to the end and shows what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_end_to_end() -> None:
    done = subprocess.run([sys.executable, "-m", "contractvm.demo_language"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Revert: offer not certified" in out and "caller lacks role 'regulator'" in out
    assert "has_access(buyer) = True, has_access(stranger) = False" in out
    assert "OutOfGas: out of gas" in out
    assert "proof: True" in out and "verify --replay: ok" in out
    assert "AssetError: asset 'c' is used after it was moved" in out
    assert out.rstrip().endswith("done.")
