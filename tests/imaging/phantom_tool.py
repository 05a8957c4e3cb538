"""The synthetic SPECT/CT phantom generator (``tools/make_spect_phantom.py``) loaded as a module,
for the imaging tests (one loader instead of one per test file)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_spect_phantom.py"


def load_tool() -> Any:
    """The generator module (registered as ``make_spect_phantom`` so its dataclasses pickle)."""
    spec = importlib.util.spec_from_file_location("make_spect_phantom", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_spect_phantom"] = module
    spec.loader.exec_module(module)
    return module
