"""Helpers: does a rule's quoted text occur verbatim in the seed study text it cites?

Normalisation (documented in docs/protocols.md): markdown escapes of the source pages
(backslash before ``[ ] < > * _``) are dropped and whitespace runs collapse to one space;
a quotation may join fragments with `` [...] ``, each fragment found in order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# the steering repo's shared/ folder sits beside this repository (../shared/seeds)
SEEDS = Path(os.environ.get("LUTETIA_SEEDS", Path(__file__).resolve().parents[3] / "shared" / "seeds"))


def normalise(text: str) -> str:
    text = re.sub(r"\\([\[\]<>*_])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def seed_text(seed: str) -> str | None:
    files = sorted(SEEDS.glob(f"{seed}_*.txt")) if SEEDS.is_dir() else []
    return normalise(files[0].read_text(encoding="utf-8")) if files else None


def missing_fragments(text: str, seed: str) -> list[str] | None:
    """Fragments of ``text`` not found (in order) in seed ``seed``; None if no seed file."""
    source = seed_text(seed)
    if source is None:
        return None
    missing: list[str] = []
    pos = 0
    for fragment in normalise(text).split(" [...] "):
        found = source.find(fragment, pos)
        if found < 0:
            missing.append(fragment)
        else:
            pos = found + len(fragment)
    return missing
