"""Physicians' signatures of next-cycle decisions and physicists' dosimetry reviews.

A signature is bound to :func:`digest` — SHA-256 over the canonical JSON of the decision as
the engine made it, its inputs included (the engine's ``inputs`` and the rule values it
read).  Whoever displays a signature re-derives the decision from the record as it is now
and compares digests: any later change of those inputs (a lab corrected, an administration
added before the date) shows the signature as void.  Signatures and reviews are append-only
(migration 0004) and hash-chained (:mod:`lutetia.store.chain`: ``lutetia audit --verify`` checks
them, an export carries them in its trail and restoring it brings them back); each also writes
an audit-trail entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from lutetia.errors import RecordError
from lutetia.store import chain
from lutetia.store.database import write
from lutetia.store.decisions import NewDecision, _append_decision, _dumps
from lutetia.store.integrity import aliases
from lutetia.store.repository import Store, _require_user
from lutetia.store.schema import decisions, dosimetry_reviews, signatures

#: Payload keys that are bookkeeping, not part of what was decided.
_NOT_DECIDED = frozenset({"decision_id"})


def digest(payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``payload`` (sorted keys, no whitespace)."""
    content = {k: v for k, v in payload.items() if k not in _NOT_DECIDED}
    text = json.dumps(json.loads(_dumps(content)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Signature:
    id: int
    patient_id: str
    protocol_id: str
    decision_id: int
    decided_on: date
    cycle: int | None
    recommended: str
    prescribed_gbq: float | None
    override_reason: str | None
    meaning: str
    signer: str
    signer_name: str
    signed_at: datetime
    digest: str

    @property
    def override(self) -> bool:
        return self.override_reason is not None


def _same_decision(conn: sa.Connection, d: NewDecision) -> int | None:
    rows = conn.execute(sa.select(decisions.c.id, decisions.c.payload).where(
        decisions.c.patient_id == d.patient_id, decisions.c.protocol_id == d.protocol_id,
        decisions.c.kind == d.kind, decisions.c.decided_on == d.decided_on,
        decisions.c.outcome == d.outcome)).all()
    want = digest(d.payload)
    return next((int(r[0]) for r in rows if digest(json.loads(r[1])) == want), None)


def sign_decision(store: Store, *, patient_id: str, protocol_id: str, decided_on: date,
                  payload: Mapping[str, Any], meaning: str, prescribed_gbq: float | None,
                  override_reason: str | None, signer: str, signer_name: str) -> Signature:
    """Store the decision (unless the identical one is stored) and its signature, audited, in
    one transaction; an override (``prescribed_gbq`` other than recommended, or another
    course of action) needs ``override_reason``."""
    _require_user(signer)
    if not meaning.strip():
        raise RecordError("signatures: the meaning of the signature is required; accepted: a sentence such as "
                          "'prescribed 7.4 GBq for cycle 3'", field="meaning", value=meaning)
    if override_reason is not None and not override_reason.strip():
        raise RecordError("signatures: an override needs a reason; accepted: a non-empty reason",
                          field="override_reason", value=override_reason)
    outcome = str(payload.get("kind"))
    new = NewDecision(patient_id, protocol_id, "next_cycle", decided_on, outcome, payload)
    cycle = payload.get("cycle")

    def work(conn: sa.Connection) -> Signature:
        decision_id = _same_decision(conn, new) or _append_decision(conn, new, signer)
        sig_cycle = cycle if isinstance(cycle, int) else None
        sig_digest = digest(payload)
        row: dict[str, Any] = {"patient_id": patient_id, "protocol_id": protocol_id, "decision_id": decision_id,
               "decided_on": decided_on, "cycle": sig_cycle,
               "recommended": outcome, "prescribed_gbq": prescribed_gbq, "override_reason": override_reason,
               "meaning": meaning, "signer": signer, "signer_name": signer_name, "digest": sig_digest}
        sig_id, _ = chain.append(conn, "signatures", row)  # hash-chained; signed_at from the server clock
        at = conn.execute(sa.select(signatures.c.signed_at).where(signatures.c.id == sig_id)).scalar_one()
        chain.append(conn, "audit_log", {
            "user_name": signer, "action": "sign", "kind": "signatures", "patient_id": patient_id,
            "natural_key": json.dumps([protocol_id, decided_on.isoformat(), sig_id]), "old_values": None,
            "new_values": json.dumps({"decision_id": decision_id, "meaning": meaning, "digest": sig_digest,
                                      "prescribed_gbq": prescribed_gbq, "override": override_reason is not None},
                                     sort_keys=True, ensure_ascii=False),
            "reason": override_reason, "source": "web", "row_count": 1})
        return Signature(sig_id, patient_id, protocol_id, decision_id, decided_on, sig_cycle, outcome,
                         prescribed_gbq, override_reason, meaning, signer, signer_name, at, sig_digest)

    return write(store.engine, work)


def load_signatures(store: Store, patient_id: str) -> list[Signature]:
    """A patient's signatures in order (under each of its ids)."""
    with store.engine.connect() as conn:
        ids = sorted(aliases(conn, patient_id))
        rows = conn.execute(sa.select(signatures).where(signatures.c.patient_id.in_(ids))
                            .order_by(signatures.c.id)).mappings().all()
    return [Signature(r["id"], r["patient_id"], r["protocol_id"], r["decision_id"], r["decided_on"], r["cycle"],
                      r["recommended"], r["prescribed_gbq"], r["override_reason"], r["meaning"], r["signer"],
                      r["signer_name"], r["signed_at"], r["digest"]) for r in rows]


@dataclass(frozen=True)
class DosimetryReview:
    id: int
    patient_id: str
    course: int
    cycle: int
    verdict: str
    reason: str
    reviewer: str
    reviewed_at: datetime
    digest: str


VERDICTS = ("confirmed", "corrected")


def review_dosimetry(store: Store, *, patient_id: str, course: int, cycle: int, verdict: str, reason: str,
                     inputs: Mapping[str, Any], reviewer: str) -> DosimetryReview:
    """Record a physicist's review of a cycle's dosimetry, bound to a digest of its inputs (audited)."""
    _require_user(reviewer)
    if verdict not in VERDICTS:
        raise RecordError(f"dosimetry review: verdict {verdict!r}; accepted: {', '.join(VERDICTS)}",
                          field="verdict", value=verdict)
    if not reason.strip():
        raise RecordError("dosimetry review: a reason is required; accepted: a non-empty reason",
                          field="reason", value=reason)
    d = digest(inputs)

    def work(conn: sa.Connection) -> DosimetryReview:
        row = {"patient_id": patient_id, "course": course, "cycle": cycle, "verdict": verdict, "reason": reason,
               "reviewer": reviewer, "digest": d}
        new_id, _ = chain.append(conn, "dosimetry_reviews", row)  # hash-chained; reviewed_at from the server
        at = conn.execute(sa.select(dosimetry_reviews.c.reviewed_at)
                          .where(dosimetry_reviews.c.id == new_id)).scalar_one()
        chain.append(conn, "audit_log", {
            "user_name": reviewer, "action": "review", "kind": "dosimetry_reviews", "patient_id": patient_id,
            "natural_key": json.dumps([course, cycle, new_id]), "old_values": None,
            "new_values": json.dumps({"verdict": verdict, "digest": d}), "reason": reason, "source": "web",
            "row_count": 1})
        return DosimetryReview(new_id, patient_id, course, cycle, verdict, reason, reviewer, at, d)

    return write(store.engine, work)


def load_reviews(store: Store, patient_id: str) -> list[DosimetryReview]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(dosimetry_reviews).where(dosimetry_reviews.c.patient_id == patient_id)
                            .order_by(dosimetry_reviews.c.id)).mappings().all()
    return [DosimetryReview(r["id"], r["patient_id"], r["course"], r["cycle"], r["verdict"], r["reason"],
                            r["reviewer"], r["reviewed_at"], r["digest"]) for r in rows]
