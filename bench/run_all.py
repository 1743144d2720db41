"""Run every bench/bench_*.py in turn, each in its own process, and say which failed.

Each script prints its own table and appends its figures to bench/results/latest.jsonl;
this run starts that file afresh (the previous run's is kept as previous.jsonl), so
"latest" always holds exactly one run. `BENCH_QUICK=1` is passed through to the scripts.
Usage: .venv/bin/python bench/run_all.py [name ...]   (e.g. `scoring` runs bench_scoring.py)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import BENCH_DIR, RESULTS, ROOT, quick


def run(script: Path) -> int:
    process = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The script got the same Ctrl-C and is stopping what it started: wait for that
        # (subprocess.run would SIGKILL it after 0.25s, leaving its servers running).
        process.wait(timeout=120)
        raise


def main(selected: list[str]) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in selected or s.stem in selected]
    if not scripts:
        print(f"no bench scripts match {selected}", file=sys.stderr)
        return 2
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if RESULTS.exists():
        RESULTS.replace(RESULTS.with_name("previous.jsonl"))

    print(
        f"Running {len(scripts)} bench script(s){' (BENCH_QUICK)' if quick() else ''}; "
        f"figures go to {RESULTS.relative_to(ROOT)}",
        flush=True,
    )
    failed = []
    began = time.monotonic()
    for script in scripts:
        started = time.monotonic()
        # Scripts run one after another, never together: they would measure each other.
        code = run(script)
        took = time.monotonic() - started
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"== {script.name}: {status} in {took:.0f}s", flush=True)
        if code:
            failed.append(script.name)
    print(
        f"All done in {time.monotonic() - began:.0f}s" + (f"; failed: {', '.join(failed)}" if failed else ""),
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        # The running script got the same Ctrl-C and cleans up after itself.
        sys.exit(130)
