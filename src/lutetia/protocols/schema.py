"""The protocol schema: header metadata, eligibility criteria, arms and rule lists.

One TOML file per protocol (``src/lutetia/protocols/data/*.toml``) is validated against
:class:`Protocol` at load.  The machine forms are declarative (see
:mod:`lutetia.protocols.conditions` and :mod:`lutetia.protocols.facts`) so that one
generic engine, :mod:`lutetia.decide`, can evaluate every protocol.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lutetia.protocols.conditions import (
    Alternative,
    Anchor,
    Comparator,
    Condition,
    Status,
    Strict,
    Window,
)
from lutetia.protocols.facts import FACT_SPECS, Fact, FactSpec
from lutetia.protocols.treatment import (
    Action,
    Activity,
    Cycles,
    Endpoint,
    Holiday,
    Interval,
    KidneyCap,
    Modification,
    Param,
    PsaProgression,
    Reduction,
    Rule,
    Surveillance,
    Treatment,
    Visit,
)

ProtocolStatus = Literal["verified", "to verify"]


class Source(Strict):
    """Where the protocol comes from."""

    document: str = Field(min_length=1)
    registry: str | None = Field(default=None, pattern=r"^NCT\d{8}$")
    doi: str | None = None
    url: str | None = None
    seed: str | None = Field(default=None, pattern=r"^\d{3}$")


class Criterion(Rule):
    """One eligibility criterion.

    ``kind``: ``inclusion`` (must be met), ``exclusion`` (the patient is excluded when the
    condition is met) or ``flag`` (does not exclude; shown to the physician, who records a
    reason to proceed).  ``judgement = true`` criteria have no machine form: the engine
    reads the recorded answer (consent, investigator opinion) for this ``id``.
    """

    kind: Literal["inclusion", "exclusion", "flag"]
    judgement: bool = False
    rule: Condition | None = None

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        if self.judgement and self.rule is not None:
            raise ValueError("a judgement criterion is a recorded answer: remove 'rule'")
        if not self.judgement and self.rule is None:
            raise ValueError("a criterion needs a 'rule' (or 'judgement = true')")
        return self


class Arm(Strict):
    """One arm: its id, title, treatment and any visits it adds."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    title: str = Field(min_length=1)
    treatment: Treatment
    schedule: list[Visit] = Field(default_factory=list)


class Protocol(Strict):
    """A validated protocol with its inheritance resolved.

    Attributes
    ----------
    id, title, version, status, source
        Header metadata; ``status`` is ``verified`` or ``to verify``.
    randomisation
        Allocation ratio as written (``"1:1"``) for randomised protocols.
    psa_progression
        The protocol's PSA progression definition, used by the ``psa_progression`` fact.
    inherits
        Id of the protocol whose rules this one takes unless it overrides them (same id)
        or drops them (``drop``); resolved by :func:`lutetia.protocols.load_protocol`.
    criteria, modifications, schedule, endpoints
        Rule lists shared by every arm.
    arms
        At least one arm; arm ``schedule`` visits are added to the shared schedule.
    """

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    status: ProtocolStatus
    source: Source
    inherits: str | None = None
    drop: list[str] = Field(default_factory=list)
    randomisation: str | None = None
    psa_progression: PsaProgression | None = None
    criteria: list[Criterion] = Field(default_factory=list)
    modifications: list[Modification] = Field(default_factory=list)
    schedule: list[Visit] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    arms: list[Arm] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Protocol:
        seen: set[str] = set()
        for rule in self.rules():
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        arm_ids = [a.id for a in self.arms]
        if len(set(arm_ids)) != len(arm_ids):
            raise ValueError(f"arm ids must be unique: {arm_ids}")
        return self

    def arm(self, arm_id: str) -> Arm:
        """The arm called ``arm_id`` (``KeyError`` naming the known arms)."""
        for arm in self.arms:
            if arm.id == arm_id:
                return arm
        raise KeyError(f"{self.id}: no arm {arm_id!r}; arms: {[a.id for a in self.arms]}")

    def rules(self) -> list[Rule]:
        """Every rule of the protocol (criteria, treatment, modifications, visits, endpoints)."""
        out: list[Rule] = [*self.criteria, *self.modifications, *self.schedule, *self.endpoints]
        for arm in self.arms:
            t = arm.treatment
            parts = (t.activity, t.interval, t.cycles, t.reduction, t.kidney_cap, t.holiday)
            out.extend(p for p in parts if p is not None and p not in out)
            out.extend(v for v in arm.schedule if v not in out)
        return out


__all__ = [
    "FACT_SPECS", "Action", "Activity", "Alternative", "Anchor", "Arm", "Comparator",
    "Condition", "Criterion", "Cycles", "Endpoint", "Fact", "FactSpec", "Holiday", "Interval",
    "KidneyCap", "Modification", "Param", "Protocol", "ProtocolStatus", "PsaProgression",
    "Reduction", "Rule", "Source", "Status", "Surveillance", "Treatment", "Visit", "Window",
]
