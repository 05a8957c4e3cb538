"""Load, merge and validate the protocol data files shipped with Lutetia.

Files live in ``lutetia/protocols/data/*.toml`` and are read with :mod:`tomllib` through
:mod:`importlib.resources` (the only I/O of this package).  Inheritance is resolved here:
a protocol with ``inherits = "pluvicto-label"`` takes the parent's criteria,
modifications, schedule visits and endpoints unless it redefines a rule with the same id
or lists its id in ``drop``; each arm's treatment takes the parent's treatment parts
(activity, interval, cycles, reduction, kidney_cap, holiday) that it does not set.
A protocol without ``arms`` takes the parent's arms.  Every problem is raised as a
:class:`~lutetia.errors.ProtocolError` naming the file, the rule id, the field and what is
accepted.
"""

from __future__ import annotations

import copy
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import ValidationError

from lutetia.errors import ProtocolError
from lutetia.protocols.schema import Protocol

DATA_PACKAGE = "lutetia.protocols.data"
RULE_LISTS = ("criteria", "modifications", "schedule", "endpoints")
TREATMENT_PARTS = ("activity", "interval", "cycles", "reduction", "kidney_cap", "holiday", "progression_stop")
_MAX_DEPTH = 5


def parse_text(text: str, filename: str) -> dict[str, Any]:
    """Parse TOML ``text``; a syntax error becomes a :class:`ProtocolError` naming the file."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{filename}: not valid TOML: {exc}") from exc


@lru_cache(maxsize=1)
def _raw_files() -> dict[str, tuple[str, dict[str, Any]]]:
    """Protocol id → (file name, raw data) for every shipped file."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for entry in sorted(resources.files(DATA_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = parse_text(entry.read_text(encoding="utf-8"), entry.name)
        pid = data.get("id")
        if not isinstance(pid, str) or not pid:
            raise ProtocolError(f"{entry.name}: header field 'id' is missing or not a string")
        if pid in out:
            raise ProtocolError(f"{entry.name}: protocol id {pid!r} is also used by {out[pid][0]}")
        out[pid] = (entry.name, data)
    return out


def protocol_ids() -> list[str]:
    """Ids of the shipped protocols, sorted."""
    return sorted(_raw_files())


def list_protocols() -> list[Protocol]:
    """Every shipped protocol, loaded and validated, sorted by id."""
    return [load_protocol(pid) for pid in protocol_ids()]


def load_protocol(protocol_id: str) -> Protocol:
    """Load protocol ``protocol_id`` with its inheritance resolved.

    Returns a fresh copy: callers may not alter the cached protocol.

    Raises
    ------
    ProtocolError
        Unknown id (the message lists the known ids) or an invalid file.
    """
    return _load_cached(protocol_id).model_copy(deep=True)


@lru_cache(maxsize=32)
def _load_cached(protocol_id: str) -> Protocol:
    files = _raw_files()
    if protocol_id not in files:
        raise ProtocolError(f"unknown protocol {protocol_id!r}; known: {', '.join(sorted(files))}")
    filename, raw = files[protocol_id]
    return validate_raw(raw, filename, parents=files)


def validate_raw(
    raw: dict[str, Any],
    filename: str,
    *,
    parents: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> Protocol:
    """Resolve inheritance of ``raw`` against ``parents`` and validate it.

    ``parents`` maps protocol id → (file name, raw data); by default the shipped files.
    """
    known = _raw_files() if parents is None else parents
    merged = _resolve(raw, filename, known, depth=0)
    try:
        return Protocol.model_validate(merged)
    except ValidationError as exc:
        raise ProtocolError(_format_errors(exc, merged, filename)) from exc


def _resolve(
    raw: dict[str, Any], filename: str, known: dict[str, tuple[str, dict[str, Any]]], depth: int
) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    pid = data.get("id")
    for key in RULE_LISTS:
        for rule in _rule_list(data, key, filename):
            rule.setdefault("defined_in", pid)
    for arm in data.get("arms", []) if isinstance(data.get("arms"), list) else []:
        treatment = arm.get("treatment", {}) if isinstance(arm, dict) else {}
        visits = arm.get("schedule", []) if isinstance(arm, dict) else []
        parts = list(treatment.values()) if isinstance(treatment, dict) else []
        for part in parts + (visits if isinstance(visits, list) else []):
            if isinstance(part, dict):
                part.setdefault("defined_in", pid)
    parent_id = data.get("inherits")
    if parent_id is None:
        return data
    if depth >= _MAX_DEPTH:
        raise ProtocolError(f"{filename}: inheritance deeper than {_MAX_DEPTH} (a cycle?)")
    if parent_id not in known:
        raise ProtocolError(
            f"{filename}: field 'inherits' = {parent_id!r} is not a known protocol; "
            f"accepted: {', '.join(sorted(known))}"
        )
    parent_file, parent_raw = known[parent_id]
    parent = _resolve(parent_raw, parent_file, known, depth + 1)
    return _merge(parent, data, filename)


def _rule_list(data: dict[str, Any], key: str, filename: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ProtocolError(f"{filename}: field {key!r} must be an array of tables ([[{key}]])")
    return value


def _merge(parent: dict[str, Any], child: dict[str, Any], filename: str) -> dict[str, Any]:
    drop = set(child.get("drop", []))
    out = dict(child)
    for key in RULE_LISTS:
        own = _rule_list(child, key, filename)
        own_ids = {r.get("id") for r in own}
        inherited = [r for r in _rule_list(parent, key, filename)
                     if r.get("id") not in own_ids and r.get("id") not in drop]
        out[key] = inherited + own
    parent_arms = parent.get("arms", [])
    if "arms" not in child:
        out["arms"] = copy.deepcopy(parent_arms)
        return out
    base: dict[str, Any] = parent_arms[0].get("treatment", {}) if parent_arms else {}
    for arm in out["arms"]:
        if not isinstance(arm, dict):
            continue
        treatment = arm.setdefault("treatment", {})
        for part in TREATMENT_PARTS:
            parent_part: dict[str, Any] | None = base.get(part)
            if part not in treatment and parent_part is not None and parent_part.get("id") not in drop:
                treatment[part] = copy.deepcopy(parent_part)
    return out


def _format_errors(exc: ValidationError, data: dict[str, Any], filename: str) -> str:
    lines = [f"{filename}: {exc.error_count()} problem(s) in protocol {data.get('id')!r}"]
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        rule_id = _rule_id_at(data, err["loc"])
        where = f"rule {rule_id!r}, " if rule_id else ""
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" (value {value!r})"
        lines.append(f"  {where}field {'.'.join(loc) or '(top)'}{shown}: {err['msg']}")
    return "\n".join(lines)


def _rule_id_at(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """The id of the innermost rule (a table with an ``id``) on the path ``loc``."""
    found: str | None = None
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            break
        node = node[part]
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        found = node["id"]
    return found
