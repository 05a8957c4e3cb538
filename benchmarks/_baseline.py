"""A baseline Lutetia for benchmarks: the package as it was at a git revision, extracted to a
temporary folder and put first on ``PYTHONPATH`` of a child process, so a benchmark times the
code before and after a change in the same run (interleaved) on the same machine."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The revision before issue 16's speed work (main at 55cda46).
DEFAULT_BASELINE = "55cda46"


def extract(rev: str, into: Path) -> Path:
    """``src/`` of ``rev`` under ``into``; returns the folder to put on ``PYTHONPATH``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def env_for(src: Path | None) -> dict[str, str]:
    """The environment of a child that imports Lutetia from ``src`` (None: the working tree)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src if src is not None else ROOT / "src")
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def run_timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of a child process.  On a shared machine the CPU
    time swings far less than the wall time; both are reported."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
