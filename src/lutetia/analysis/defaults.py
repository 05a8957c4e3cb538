"""The project defaults of a protocol: every rule or parameter its source does not state.

A protocol file marks what Lutetia added with ``status = "project default"`` — on a rule,
on a parameter (``{ value, unit, status, note }``), on a protocol-level PSA progression
definition, or on one part of a rule (``window_status``, ``enter_status``,
``resume_status``, ``ae_terms_status`` beside a ``*_note``).  :func:`project_defaults`
collects them, with each value and note, so the trial report can show them all: a reader
must see which numbers are the study's and which are ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from lutetia.protocols.conditions import Condition
from lutetia.protocols.schema import Protocol
from lutetia.protocols.treatment import Param, PsaProgression, Rule

DEFAULT = "project default"
#: Fields shown as a rule's value when the whole rule is a project default.
_RULE_VALUE_FIELDS = ("limit", "max", "nominal", "a_min", "a_max", "kidney_limit", "events", "censoring",
                      "stop_at", "landmark_months", "horizon_weeks", "window_days", "kinds")


@dataclass(frozen=True)
class ProjectDefault:
    """One project default: the rule it belongs to, the parameter, its value and the note."""

    rule_id: str
    label: str
    parameter: str
    value: str
    note: str


def rule_label(rule: Rule) -> str:
    """What a report calls a rule: an endpoint's name, else its id's last part in words."""
    name = getattr(rule, "name", None)
    if isinstance(name, str) and name:
        return name
    return label_for_id(rule.id)


def label_for_id(rule_id: str) -> str:
    """A rule id in words for readers: ``"label.mod.myelo-g3"`` → ``"Mod myelo g3"``
    (the protocol prefix dropped; the id itself stays available as a tooltip or in data)."""
    words = rule_id.split(".", 1)[-1].replace("-", " ").replace("_", " ").replace(".", " ")
    return words[:1].upper() + words[1:]


def _fmt(value: object) -> str:
    if isinstance(value, Param):
        return f"{value.value:g} {value.unit}"
    if isinstance(value, Condition):
        return _fmt_condition(value)
    if isinstance(value, PsaProgression):
        return value.rule().describe()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def _fmt_condition(c: Condition) -> str:
    if c.all_of:
        return " and ".join(_fmt_condition(x) for x in c.all_of)
    if c.any_of:
        return " or ".join(_fmt_condition(x) for x in c.any_of)
    value = "" if c.value is None else f" {_fmt(c.value)}"
    unit = f" {c.unit}" if c.unit and c.unit != "%" else (c.unit or "")
    confirm = f" (confirmed ≥{c.confirm_days_min:g} days later)" if c.confirm_days_min else ""
    return f"{c.fact} {c.op}{value}{unit}{confirm}"


def _rule_value(rule: Rule) -> str:
    parts = []
    for name in _RULE_VALUE_FIELDS:
        value = getattr(rule, name, None)
        if value not in (None, [], {}):
            parts.append(f"{name.replace('_', ' ')} {_fmt(value)}")
    window = _window(rule)
    if window and window != "±0 days":
        parts.append(f"window {window}")
    return "; ".join(parts)


def _window(rule: BaseModel) -> str:
    """A visit's or endpoint's tolerance in days (files are normalised to days at load)."""
    days = getattr(rule, "window_days", None)
    if days is None:
        days = getattr(rule, "window", None)
    before = getattr(rule, "window_before", None)
    if not isinstance(days, int | float):
        return ""
    if before is not None and before != days:
        return f"−{before:.3g} / +{days:.3g} days"
    return f"±{days:.3g} days"


def _parts(rule: Rule, rule_note: str | None) -> list[ProjectDefault]:
    out: list[ProjectDefault] = []
    fields = type(rule).model_fields
    for name in fields:
        value = getattr(rule, name)
        if isinstance(value, Param) and value.status == DEFAULT:
            out.append(ProjectDefault(rule.id, rule_label(rule), name.replace("_", " "), _fmt(value),
                                      value.note or rule_note or ""))
        elif name.endswith("_status") and value == DEFAULT:
            part = name.removesuffix("_status")
            shown: object = getattr(rule, part, None)
            if part == "window":
                shown = _window(rule)
            note = getattr(rule, f"{part}_note", None) or rule_note or ""
            out.append(ProjectDefault(rule.id, rule_label(rule), part.replace("_", " "), _fmt(shown), note))
    return out


def project_defaults(protocol: Protocol) -> list[ProjectDefault]:
    """Every project default of ``protocol`` (inherited rules included), in rule order."""
    out: list[ProjectDefault] = []
    if protocol.psa_progression is not None and protocol.psa_progression.status == DEFAULT:
        pp = protocol.psa_progression
        out.append(ProjectDefault(protocol.id, "PSA progression definition", "psa progression", _fmt(pp),
                                  pp.note or ""))
    seen: set[str] = set()
    for rule in protocol.rules():
        if rule.id in seen:
            continue
        seen.add(rule.id)
        if rule.status == DEFAULT:
            out.append(ProjectDefault(rule.id, rule_label(rule), "rule", _rule_value(rule), rule.note or ""))
        out.extend(_parts(rule, rule.note))
    return out


__all__ = ["ProjectDefault", "label_for_id", "project_defaults", "rule_label"]
