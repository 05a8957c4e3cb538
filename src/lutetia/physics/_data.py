"""Loading of the physics data files shipped under ``lutetia/data/physics`` (read-only)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from lutetia.errors import ProtocolError

_REQUIRED_META = ("id", "title", "edition", "source", "status")


@lru_cache(maxsize=8)
def load_table(name: str) -> dict[str, Any]:
    """Parse ``lutetia/data/physics/<name>.toml`` and check its ``[meta]`` header.

    Raises
    ------
    ProtocolError
        If the file is missing or its header lacks a required key.
    """
    ref = resources.files("lutetia").joinpath(f"data/physics/{name}.toml")
    try:
        data = tomllib.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProtocolError(f"physics data file {name}.toml is missing") from exc
    meta = data.get("meta", {})
    missing = [k for k in _REQUIRED_META if k not in meta]
    if missing:
        raise ProtocolError(f"{name}.toml: [meta] lacks {', '.join(missing)}")
    return data
