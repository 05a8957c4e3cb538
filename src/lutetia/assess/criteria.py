"""Loading and validating the criteria data files shipped in ``lutetia/assess/criteria``.

Every file has a ``[meta]`` header (id, title, version, source, status, verification
note), a list of ``[[rules]]`` (stable id, verbatim source text, citation, status) and
family-specific machine forms that the engine of that family validates with its own
pydantic model.  A file that does not validate raises :class:`~lutetia.errors.ProtocolError`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, ValidationError

from lutetia.assess.outcome import RuleRef
from lutetia.errors import ProtocolError

Status = Literal["verified", "secondary", "to verify", "project"]
Comparator = Literal["<", "<=", ">", ">="]

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of every criteria schema: unknown keys are errors, models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(Strict):
    """Header metadata of a criteria file."""

    id: str
    title: str
    version: str
    source: str
    status: Status
    verification: str


class Rule(Strict):
    """A rule: stable id, verbatim source text, citation and verification status."""

    id: str
    text: str
    citation: str
    status: Status


class CriteriaFile(Strict):
    """Generic shape of a criteria file (family sections are validated by the family)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    meta: Meta
    rules: list[Rule]

    def rule(self, rule_id: str) -> RuleRef:
        """The :class:`RuleRef` of ``rule_id`` (``ProtocolError`` if absent)."""
        for r in self.rules:
            if r.id == rule_id:
                return RuleRef(id=r.id, text=r.text, citation=r.citation, status=r.status)
        raise ProtocolError(f"{self.meta.id}: no rule {rule_id!r}; known: {[r.id for r in self.rules]}")

    def section(self, name: str) -> Any:
        """A family section of the file (raw, to be validated by the family's model)."""
        extra = self.model_extra or {}
        if name not in extra:
            raise ProtocolError(f"{self.meta.id}: missing section [{name}]")
        return extra[name]


SHIPPED: tuple[str, ...] = (
    "ctcae_v5", "pcwg3", "recist_1_1", "recip_1_0", "fdg", "spect_mtv", "prodigy2_aesi",
)


@lru_cache(maxsize=32)
def load_criteria(name: str) -> CriteriaFile:
    """Load and validate ``criteria/<name>.toml`` shipped with the package.

    Raises
    ------
    ProtocolError
        If the file is missing, is not TOML or does not match the schema.
    """
    try:
        raw = resources.files("lutetia.assess").joinpath("criteria", f"{name}.toml").read_text("utf-8")
    except FileNotFoundError as exc:
        raise ProtocolError(f"no criteria file {name!r}; shipped: {', '.join(SHIPPED)}") from exc
    return parse_criteria(raw, name)


def parse_criteria(text: str, name: str = "<text>") -> CriteriaFile:
    """Parse and validate the text of a criteria file (``ProtocolError`` when invalid)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"criteria file {name}: not valid TOML: {exc}") from exc
    try:
        parsed = CriteriaFile.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"criteria file {name}: {exc}") from exc
    ids = [r.id for r in parsed.rules]
    if len(ids) != len(set(ids)):
        raise ProtocolError(f"criteria file {name}: duplicate rule ids")
    return parsed


def validate_section(crit: CriteriaFile, name: str, model: type[M]) -> M:
    """Validate one family section of ``crit`` with ``model`` (``ProtocolError`` when invalid)."""
    try:
        return model.model_validate(crit.section(name))
    except ValidationError as exc:
        raise ProtocolError(f"criteria file {crit.meta.id}, section [{name}]: {exc}") from exc


#: Values are compared after rounding to this many significant digits (see :func:`compare`).
SIGNIFICANT_DIGITS = 12


def compare(value: float, comparator: Comparator, threshold: float, *, digits: int = SIGNIFICANT_DIGITS) -> bool:
    """``value <comparator> threshold`` after rounding both to ``digits`` significant digits.

    The rounding removes floating-point noise from unit conversion and from multiplying a
    reference (``3 × ULN``) so that a value exactly at a cut-off stays at it.
    """
    a = float(f"{value:.{digits}g}")
    b = float(f"{threshold:.{digits}g}")
    if comparator == "<":
        return a < b
    if comparator == "<=":
        return a <= b
    if comparator == ">":
        return a > b
    return a >= b

#: Relative distance beyond which rounding to 12 significant digits cannot change a comparison
#: (rounding moves a value by at most 5e-12 of itself): only closer pairs need :func:`compare`.
_NEAR = 1e-9


def compare_array(value: ArrayLike, comparator: Comparator, threshold: ArrayLike) -> NDArray[np.bool_]:
    """:func:`compare` element-wise over arrays, identical to it by construction.

    Pairs further apart than 1e-9 (relative) are compared directly — rounding to 12
    significant digits cannot flip them; the others (values at or next to a cut-off) go
    through the scalar :func:`compare` itself.  NaN compares false.
    """
    v = np.asarray(value, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)
    v, t = np.broadcast_arrays(v, t)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    with np.errstate(invalid="ignore"):
        out = np.asarray(ops[comparator](v, t), dtype=bool)
        scale = np.maximum(np.abs(v), np.abs(t))
        near = np.isfinite(v) & np.isfinite(t) & (np.abs(v - t) <= _NEAR * scale)
    for idx in zip(*np.nonzero(near), strict=True):
        out[idx] = compare(float(v[idx]), comparator, float(t[idx]))
    return out
