"""`make bench`: every benchmark in one run, so the figures compare on the same machine at the same time.

`make bench` runs this in .venv-bench, the project with the `bench` extra (titanoboa, to measure against).
Not a test: CI never runs it. Each part prints its own table; see docs/performance.md for what limits them.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = [
    ("contractvm beside titanoboa: in-process calls, tight loop, compile time", ["versus_titanoboa.py"]),
    ("compile time by phase, the example contracts", ["compile_speed.py"]),
    ("VM: the reference loop against the fast path", ["vm_loop.py"]),
    ("chain: signed transactions committed to LMDB", ["chain_bench.py", "--quick"]),
    ("state root: committing 100 keys as the state grows", ["smt_commit.py", "5"]),
    ("node: signed transactions over HTTP on loopback", ["node_bench.py"]),
]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    status = 0
    for title, command in PARTS:
        print(f"\n=== {title}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], check=False)
        status = status or done.returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main())
