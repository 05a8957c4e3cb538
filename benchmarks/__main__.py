"""Run every benchmark in turn: ``python -m benchmarks`` (``make bench``).

Each benchmark reports its figures as ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        saved = sys.argv
        sys.argv = [str(script)]
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved


if __name__ == "__main__":
    main()
