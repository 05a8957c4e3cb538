"""docs/interchange.md is generated from the models and must be up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_interchange_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location("make_doc", ROOT / "tools" / "make_interchange_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "interchange.md").read_text(encoding="utf-8")
    assert current == module.render(), "run: .venv/bin/python tools/make_interchange_doc.py"
