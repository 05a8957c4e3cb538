"""Physiological plausibility of recorded values: ranges per analyte and unit, organ masses,
and the activity balance of dosimetry measurements.

Types say a haemoglobin is a non-negative number; plausibility says 1,906.974 g/L is not a
haemoglobin.  The limits are data (``plausibility.toml``, each with its source or a named
*project default*), read by one engine:

- a **hard** limit refuses the value (import, edit, ``grade``, ``dose``), naming the field,
  the value and the accepted range;
- a **soft** limit accepts it with a warning that the caller shows and records.

Values are compared in the canonical unit of their field (a lab value is converted from its
reported unit first), and messages use display units (``10⁹/L``, ``µmol/L``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from lutetia.errors import ProtocolError
from lutetia.records.base import RecordModel
from lutetia.records.clinical import ANALYTES, Analyte, LabResult
from lutetia.records.patient import Patient
from lutetia.records.record import PatientRecord
from lutetia.records.treatment import DosimetryMeasurement
from lutetia.units import display_unit, to_unit

Severity = Literal["hard", "soft"]


@dataclass(frozen=True)
class Limits:
    """Hard and soft ranges of one field, in ``unit``, with their source."""

    unit: str
    hard: tuple[float, float]
    soft: tuple[float, float]
    source: str

    def severity(self, value: float) -> Severity | None:
        """``hard`` outside the hard range, ``soft`` outside the soft one, else None."""
        if not math.isfinite(value) or not self.hard[0] <= value <= self.hard[1]:
            return "hard"
        if not self.soft[0] <= value <= self.soft[1]:
            return "soft"
        return None


@dataclass(frozen=True)
class Finding:
    """One implausible value: what, how bad, and what is accepted."""

    severity: Severity
    field: str
    value: float
    unit: str
    accepted: tuple[float, float]
    source: str

    def text(self) -> str:
        """``field F: value V U is outside the plausible range …; accepted: lo–hi U (source)``."""
        u = display_unit(self.unit)
        lo, hi = self.accepted
        what = "impossible" if self.severity == "hard" else "implausible (accepted; please check)"
        basis = self.source.split(":")[0].split(";")[0].strip()
        return (f"field {self.field}: value {self.value:.10g} {u} is {what}; accepted: {lo:.6g}–{hi:.6g} {u} "
                f"({basis}; see lutetia/records/plausibility.toml)")


@dataclass(frozen=True)
class Table:
    lab: Mapping[Analyte, Limits]
    patient: Mapping[str, Limits]
    organ_mass: Mapping[str, Limits]
    balance_hard: float
    balance_soft: float
    balance_source: str
    half_life_h: float


def _limits(name: str, raw: Mapping[str, Any]) -> Limits:
    try:
        lim = Limits(str(raw["unit"]), (float(raw["hard"][0]), float(raw["hard"][1])),
                     (float(raw["soft"][0]), float(raw["soft"][1])), str(raw["source"]))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ProtocolError(f"plausibility.toml [{name}]: needs unit, hard [lo, hi], soft [lo, hi], source") from exc
    if not (lim.hard[0] <= lim.soft[0] <= lim.soft[1] <= lim.hard[1]) or not lim.source.strip():
        raise ProtocolError(f"plausibility.toml [{name}]: the soft range must lie within the hard range and a "
                            "source (or 'project default: why') is required")
    return lim


@cache
def limits() -> Table:
    """The shipped limits (validated at first use; a test loads them)."""
    raw = tomllib.loads(resources.files("lutetia.records").joinpath("plausibility.toml").read_text("utf-8"))
    lab = {}
    for name, item in raw.get("lab", {}).items():
        analyte = Analyte(name)
        lim = _limits(f"lab.{name}", item)
        if lim.unit != ANALYTES[analyte].canonical_unit:
            raise ProtocolError(f"plausibility.toml [lab.{name}]: unit {lim.unit!r}; accepted: the canonical unit "
                                f"{ANALYTES[analyte].canonical_unit!r}")
        lab[analyte] = lim
    decay = tomllib.loads(resources.files("lutetia.data.physics").joinpath("lu177.toml").read_text("utf-8"))
    half_life_h = to_unit(float(decay["half_life"]["value"]), str(decay["half_life"]["unit"]), "h")
    bal = raw["activity_balance"]
    return Table(
        lab=lab,
        patient={k: _limits(f"patient.{k}", v) for k, v in raw.get("patient", {}).items()},
        organ_mass={k: _limits(f"organ_mass.{k}", v) for k, v in raw.get("organ_mass", {}).items()},
        balance_hard=float(bal["hard_margin"]), balance_soft=float(bal["soft_margin"]),
        balance_source=str(bal["source"]), half_life_h=half_life_h,
    )


def _check(field: str, value: float | None, lim: Limits | None) -> Iterator[Finding]:
    if value is None or lim is None:
        return
    sev = lim.severity(value)
    if sev is not None:
        yield Finding(sev, field, value, lim.unit, lim.hard if sev == "hard" else lim.soft, lim.source)


def lab_findings(lab: LabResult) -> list[Finding]:
    """The lab value against its analyte's limits, in the canonical unit."""
    lim = limits().lab.get(lab.analyte)
    if lim is None:
        return []
    value, _lln, _uln = lab.canonical()
    return list(_check(f"value ({lab.analyte.value})", value, lim))


def record_findings(record: RecordModel) -> list[Finding]:
    """Single-record findings (labs, patient weight and height, dosimetry mass and volume)."""
    table = limits()
    if isinstance(record, LabResult):
        return lab_findings(record)
    if isinstance(record, Patient):
        return [*_check("weight", record.weight_kg, table.patient.get("weight_kg")),
                *_check("height", record.height_cm, table.patient.get("height_cm"))]
    if isinstance(record, DosimetryMeasurement):
        lim = table.organ_mass.get(record.region.value)
        vol = None if lim is None else Limits("mL", lim.hard, lim.soft, lim.source + "; volume at about 1 g/mL")
        return [*_check(f"mass ({record.region.value})", record.mass_g, lim),
                *_check(f"volume ({record.region.value})", record.volume_ml, vol)]
    return []


def region_findings(region: str, *, time_h: float, activity_mbq: float, mass_g: float | None = None,
                    net_administered_mbq: float | None = None) -> list[Finding]:
    """Findings of one region time point given outside a record (``dose tac`` rows): organ
    mass by region name, and the activity balance when the administered activity is known."""
    table = limits()
    found = list(_check(f"mass ({region})", mass_g, table.organ_mass.get(region)))
    if net_administered_mbq is not None:
        found += _balance(region, time_h, activity_mbq, net_administered_mbq, "")
    return found


def _balance(region: str, time_h: float, activity_mbq: float, net_mbq: float, what: str) -> list[Finding]:
    table = limits()
    left = net_mbq * 2.0 ** (-time_h / table.half_life_h)
    checks: tuple[tuple[Severity, float], ...] = (("hard", table.balance_hard), ("soft", table.balance_soft))
    for sev, margin in checks:
        hi = left * (1.0 + margin)
        if activity_mbq > hi:
            return [Finding(sev, f"activity ({region})", activity_mbq, "MBq", (0.0, hi),
                            f"{net_mbq:g} MBq given{what}, decayed to {time_h:g} h, +{margin:.0%}; "
                            f"{table.balance_source}")]
    return []


def activity_balance(rec: PatientRecord) -> list[tuple[DosimetryMeasurement, Finding]]:
    """Dosimetry activities above the net administered activity decayed to their time.

    Notes
    -----
    A(t) ≤ (A_admin − A_residual) · 2^(−t / T½) · (1 + margin), T½ from ICRP-107 (lu177.toml).
    """
    given = {(a.course, a.cycle): a.net_activity_gbq * 1000.0 for a in rec.administrations}
    out = []
    for d in rec.dosimetry:
        net_mbq = given.get((d.course, d.cycle))
        if net_mbq is None:
            continue
        for f in _balance(d.region.value, d.time_after_administration_h, d.activity_mbq, net_mbq,
                          f" in cycle {d.cycle}"):
            out.append((d, f))
    return out


def balance_problems(rec: PatientRecord, changed: Sequence[RecordModel]) -> list[str]:
    """Hard activity-balance findings of ``rec`` that involve a ``changed`` record (the
    dosimetry row itself or the administration it follows), as ``dosimetry {key}: text``."""
    ids = {id(r) for r in changed}
    touched = {(a.course, a.cycle) for a in rec.administrations if id(a) in ids}
    return [f"dosimetry {_key(d)}: {f.text()}" for d, f in activity_balance(rec)
            if f.severity == "hard" and (id(d) in ids or (d.course, d.cycle) in touched)]


def plausibility_problems(rec: PatientRecord, changed: Sequence[RecordModel]) -> list[str]:
    """Hard findings of the ``changed`` records of ``rec`` (single values and activity
    balance), as ``kind {key}: text`` lines: what an edit must refuse."""
    from lutetia.records.registry import KINDS

    out = []
    for r in changed:
        kind = next((k for k, spec in KINDS.items() if isinstance(r, spec.model)), "record")
        out += [f"{kind} {_key(r)}: {f.text()}" for f in record_findings(r) if f.severity == "hard"]
    return out + balance_problems(rec, changed)


def _key(record: RecordModel) -> str:
    """The record's natural key as typed on the command line (``edit KIND KEY…``)."""
    from lutetia.records.registry import KINDS

    for spec in KINDS.values():
        if isinstance(record, spec.model):
            parts = [getattr(record, k) for k in spec.key]
            return "[" + ", ".join("-" if p is None else str(getattr(p, "value", p)) for p in parts) + "]"
    return ""
