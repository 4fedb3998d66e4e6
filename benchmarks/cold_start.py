"""Cold start of the command line: `chemagent ask "formula of CCO"` in a fresh process, against
`python -c "import rdkit"` measured in the same run as the baseline (what any RDKit tool pays).

Each run is a new interpreter with an empty data folder (no threads, no caches of answers); the
offline name index in the user cache folder is built beforehand (once, untimed), as it is on any
machine after its first question. Prints the median of `--runs` runs of each and their ratio.

Run: `python benchmarks/cold_start.py [--runs 7] [--question "formula of CCO"]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one run; a failing command stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--question", default="formula of CCO")
    args = ap.parse_args()
    chemagent = str(BIN / "chemagent")
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHEMAGENT_")}
        env.update(CHEMAGENT_HOME=home, CHEMAGENT_PUBCHEM__OFFLINE="1", NO_COLOR="1")
        ask = [chemagent, "ask", args.question]
        timed(ask, env)  # builds the name index if this machine has none yet; not timed
        baseline = [sys.executable, "-c", "import rdkit"]
        ours, base = [], []
        for _ in range(args.runs):  # interleaved, so a load change hits both alike
            base.append(timed(baseline, env))
            ours.append(timed(ask, env))
    b, o = statistics.median(base), statistics.median(ours)
    print(f"runs: {args.runs} each, interleaved; median wall-clock seconds")
    print(f'python -c "import rdkit"           {b:6.3f} s  (min {min(base):.3f})')
    print(f'chemagent ask "{args.question}"  {o:6.3f} s  (min {min(ours):.3f})')
    print(f"ratio                              {o / b:6.1f}x")


if __name__ == "__main__":
    main()
