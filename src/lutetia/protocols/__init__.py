"""Protocols as data: one validated TOML file per protocol, a schema and the loader.

>>> from lutetia.protocols import load_protocol
>>> load_protocol("realup").arm("retreatment").treatment.cycles.min
4
"""

from __future__ import annotations

from lutetia.protocols.conditions import Anchor, Condition, Window
from lutetia.protocols.facts import FACT_SPECS, Fact, FactSpec
from lutetia.protocols.loader import (
    list_protocols,
    load_protocol,
    parse_text,
    protocol_ids,
    validate_raw,
)
from lutetia.protocols.schema import (
    Activity,
    Arm,
    Criterion,
    Endpoint,
    Holiday,
    Modification,
    Protocol,
    Treatment,
    Visit,
)

__all__ = [
    "FACT_SPECS", "Activity", "Anchor", "Arm", "Condition", "Criterion", "Endpoint", "Fact",
    "FactSpec", "Holiday", "Modification", "Protocol", "Treatment", "Visit", "Window",
    "list_protocols", "load_protocol", "parse_text", "protocol_ids", "validate_raw",
]
