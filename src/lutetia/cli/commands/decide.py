"""Decision commands on the store: eligibility, enrol, randomise, schedule, next-cycle.

Thin shell over :mod:`lutetia.decide` (imported inside the command bodies so that
``lutetia --help`` stays fast): read the record from the store, call the engine, render a
Rich table with rule ids and texts (or ``--json``), and persist through the store
(enrolments, allocations, decisions — all audited).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, format_cell, settings

DateOpt = Annotated[str | None, typer.Option("--on", help="Evaluation date YYYY-MM-DD (default: today, UTC).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output.")]


def _day(text: str | None, name: str = "--on") -> date:
    if text is None:
        return datetime.now(tz=UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise fail(f"{name} {text!r}; accepted: a date YYYY-MM-DD", 2) from exc


def _open(ctx: typer.Context) -> Any:
    from lutetia.store.repository import Store

    return Store.open(settings(ctx).db_url)


def _record(store: Any, patient_id: str) -> Any:
    from lutetia.errors import NotFoundError

    try:
        return store.record(patient_id)
    except NotFoundError as exc:
        raise fail(str(exc), 2) from exc


def _protocol(protocol_id: str) -> Any:
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        return load_protocol(protocol_id)
    except ProtocolError as exc:
        raise fail(str(exc), 2) from exc


def _enrolment(record: Any, protocol_id: str | None) -> Any:
    found = [e for e in record.enrolments if protocol_id is None or e.protocol_id == protocol_id]
    if not found:
        raise fail(f"patient {record.patient_id} is not enrolled"
                   + (f" in {protocol_id!r}" if protocol_id else "") + "; enrol first (lutetia enrol)", 2)
    return sorted(found, key=lambda e: e.enrolled_on)[-1]


def _arm_of(protocol: Any, enrolment: Any) -> str:
    if enrolment.arm:
        return str(enrolment.arm)
    if len(protocol.arms) == 1:
        return str(protocol.arms[0].id)
    raise fail(f"patient {enrolment.patient_id} has no arm in {protocol.id!r} yet; randomise first", 2)


def print_table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    """A table whose cells fold (never cut), plain lines when piped; text shown literally."""
    from lutetia.cli.output import render_table

    render_table(rows, columns, format_cell, title=title)


def _criteria_rows(result: Any) -> list[dict[str, Any]]:
    rows = []
    for c in result.criteria:
        ev = c.result.evaluation
        detail = _values(c.result) or (ev.note if ev else "")
        if c.reason:
            detail = f"reason: {c.reason}"
        rows.append({"rule": c.result.rule_id, "kind": c.result.kind, "outcome": c.result.outcome.value,
                     "passes": {True: "yes", False: "NO", None: "?"}[c.passes], "values / missing": detail,
                     "text": c.result.text})
    return rows


def _save_once(ctx: typer.Context, store: Any, *, patient_id: str, protocol_id: str, kind: str, day: date,
               outcome: str, payload: dict[str, Any]) -> tuple[int, bool]:
    """Store a decision unless the same one (date, outcome, same record and inputs) is already
    stored; returns (decision id, newly stored).  The log is append-only: a repeat of an
    identical decision adds nothing, a different one is added beside the earlier."""
    from lutetia.store.decisions import load_decisions, save_decision

    for d in load_decisions(store, patient_id, protocol_id, kind):
        if d.decided_on == day and d.outcome == outcome and d.payload.get("inputs") == payload.get("inputs") \
                and d.payload.get("activity_gbq") == payload.get("activity_gbq"):
            return d.id, False
    return save_decision(store, patient_id=patient_id, protocol_id=protocol_id, kind=kind, decided_on=day,
                         outcome=outcome, payload=payload, user=settings(ctx).user), True


def eligibility(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id.")],
    protocol_id: Annotated[str, typer.Option("--protocol", help="Protocol id (lutetia protocols list).")],
    on: DateOpt = None,
    treatment_start: Annotated[str | None, typer.Option(help="Planned first administration (default: --on).")] = None,
    save: Annotated[bool, typer.Option("--save", help="Store the assessment with its inputs (audited).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every criterion met / not met / not evaluable, and the verdict with what is missing."""
    from lutetia.decide import assess_eligibility, jsonable

    store = _open(ctx)
    day = _day(on)
    result = assess_eligibility(_record(store, patient_id), _protocol(protocol_id), day,
                                treatment_start=_day(treatment_start, "--treatment-start") if treatment_start else None)
    payload = jsonable(result)
    if save:
        payload["decision_id"], fresh = _save_once(ctx, store, patient_id=patient_id, protocol_id=protocol_id,
                                                   kind="eligibility", day=day, outcome=result.verdict,
                                                   payload=payload)
    if as_json:
        emit_json(payload)
        return
    print_table(_criteria_rows(result), ["rule", "kind", "outcome", "passes", "values / missing", "text"],
                title=f"{patient_id} — {protocol_id} eligibility on {day}")
    typer.echo(f"{patient_id}: {result.verdict.upper()}")
    for m in result.missing:
        typer.echo(f"  missing: {m}")
    for f in result.failed:
        typer.echo(f"  failed: {f}")
    for fl in result.flags:
        typer.echo(f"  flag: {fl.result.rule_id}: {fl.result.text}"
                   + (f" — physician's reason: {fl.reason}" if fl.reason else ""))
    if save:
        typer.echo(f"  stored as decision {payload['decision_id']}" if fresh
                   else f"  already stored as decision {payload['decision_id']} (same date, outcome and inputs)")


def enrol(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id.")],
    protocol_id: Annotated[str, typer.Option("--protocol", help="Protocol id.")],
    arm: Annotated[str | None, typer.Option(help="Arm (non-randomised protocols; default: the only arm).")] = None,
    on: DateOpt = None,
    treatment_start: Annotated[str | None, typer.Option(help="Planned first administration (default: --on).")] = None,
    override_reason: Annotated[str | None, typer.Option(help="Enrol although not eligible, with this reason.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Enrol a patient: checks eligibility, writes the enrolment and the decision (audited)."""
    from lutetia.decide import assess_eligibility, jsonable
    from lutetia.errors import ConflictError, RecordError
    from lutetia.records import Enrolment
    from lutetia.store.database import write
    from lutetia.store.decisions import NewDecision, _append_decision

    store, day, protocol = _open(ctx), _day(on), _protocol(protocol_id)
    if arm is not None and protocol.randomisation is not None:
        raise fail(f"{protocol_id} is randomised ({protocol.randomisation}): the arm comes from "
                   f"`lutetia randomise`, not --arm", 2)
    arms = [a.id for a in protocol.arms]
    if arm is None and protocol.randomisation is None and len(arms) > 1:
        # an enrolment without an arm in a non-randomised protocol could never be treated
        raise fail(f"{protocol_id} is not randomised and has {len(arms)} arms: give --arm; "
                   f"accepted: {', '.join(arms)}", 2)
    start = _day(treatment_start, "--treatment-start") if treatment_start else None
    result = assess_eligibility(_record(store, patient_id), protocol, day, treatment_start=start)
    if result.verdict != "eligible" and not override_reason:
        raise fail(f"{patient_id} is {result.verdict} for {protocol_id} on {day}: "
                   + "; ".join([*(f"failed {f}" for f in result.failed), *result.missing])
                   + " (use --override-reason to enrol anyway)", 1)
    if arm is None and protocol.randomisation is None and len(protocol.arms) == 1:
        arm = protocol.arms[0].id
    if arm is not None and arm not in [a.id for a in protocol.arms]:
        raise fail(f"--arm {arm!r}; accepted: {', '.join(a.id for a in protocol.arms)}", 2)
    who = settings(ctx).user
    reason = override_reason or f"eligible on {day}"
    enrolment = Enrolment(patient_id=patient_id, protocol_id=protocol_id, arm=arm, enrolled_on=day)
    decision = NewDecision(patient_id, protocol_id, "enrolment", day, result.verdict,
                           {"eligibility": jsonable(result), "override_reason": override_reason})

    def enrol_in(conn: Any) -> int:  # the enrolment and its decision: one transaction
        store.add_in(conn, [enrolment], user=who, reason=reason)
        return _append_decision(conn, decision, who)

    try:
        decision_id = write(store.engine, enrol_in)
    except (ConflictError, RecordError) as exc:
        raise fail(str(exc), 1) from exc
    if as_json:
        emit_json({"patient_id": patient_id, "protocol_id": protocol_id, "arm": arm, "enrolled_on": day.isoformat(),
                   "verdict": result.verdict, "override_reason": override_reason, "decision_id": decision_id,
                   "flags": [f.result.rule_id for f in result.flags]})
        return
    typer.echo(f"{patient_id} enrolled in {protocol_id}" + (f" ({arm})" if arm else "") + f" on {day}: {reason}")
    for f in result.flags:
        typer.echo(f"  flag: {f.result.rule_id}: {f.result.text}" + (f" — reason recorded: {f.reason}" if f.reason else ""))


def randomise(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id (enrolled).")],
    protocol_id: Annotated[str, typer.Option("--protocol", help="Randomised protocol id.")],
    seed: Annotated[int | None, typer.Option(help="Seed of the stratum's allocation list (fixed per trial).")] = None,
    block_size: Annotated[int, typer.Option(help="Permuted block size.")] = 4,
    stratum: Annotated[str, typer.Option(help="Stratum label (default: one stratum).")] = "all",
    on: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Allocate the next entry of the stratum's permuted-block list; stored and audited.

    The allocation and the enrolment's arm, date and stratum are written in one transaction:
    if the enrolment cannot take them (e.g. ``--on`` before enrolment), nothing is stored.
    """
    from lutetia.decide import allocate
    from lutetia.errors import ConflictError, LutetiaError, NotFoundError, RecordError, StoreError
    from lutetia.store.decisions import randomise as store_randomise

    store, day, protocol = _open(ctx), _day(on), _protocol(protocol_id)

    def next_allocation(sequence_no: int, list_seed: int) -> tuple[str, int]:
        alloc = allocate(protocol, sequence_no, seed=list_seed, block_size=block_size, stratum=stratum)
        return alloc.arm, alloc.block

    try:
        done = store_randomise(store, protocol_id, patient_id, next_allocation, on=day, user=settings(ctx).user,
                               stratum=stratum, seed=seed, block_size=block_size)
    except NotFoundError as exc:
        raise fail(str(exc), 2) from exc
    except (ConflictError, RecordError, StoreError) as exc:
        raise fail(str(exc), 1) from exc
    except LutetiaError as exc:
        raise fail(str(exc), 2) from exc
    alloc, seed = done, done.seed
    if as_json:
        emit_json({"patient_id": patient_id, "protocol_id": protocol_id, "arm": alloc.arm, "randomised_on": day.isoformat(),
                   "stratum": stratum, "sequence_no": alloc.sequence_no, "block": alloc.block,
                   "block_size": block_size, "seed": seed})
        return
    typer.echo(f"{patient_id} allocated to {alloc.arm} ({protocol_id}, stratum {stratum}, "
               f"#{alloc.sequence_no}, block {alloc.block})")


def _stored(store: Any, patient_id: str, protocol_id: str, before: date) -> list[dict[str, Any]]:
    """Stored next-cycle decisions made before ``before``: a decision re-made or looked at on a
    past date reads the history as it was then, never a later holiday or reduction."""
    from lutetia.store.decisions import load_decisions

    stored = load_decisions(store, patient_id, protocol_id, "next_cycle")
    return [{"kind": d.outcome, "on": d.decided_on.isoformat(), "cycle": d.payload.get("cycle")}
            for d in stored if d.decided_on < before]


def _holidays(stored: list[dict[str, Any]]) -> list[Any]:
    from lutetia.decide import holidays_from_decisions

    return holidays_from_decisions(stored)


def _treatment_ended(stored: list[dict[str, Any]]) -> tuple[date, str] | None:
    """(date, kind) of the first stored decision that ended treatment (stop or curtail)."""
    from lutetia.decide.rederive import treatment_ended_from_decisions

    return treatment_ended_from_decisions(stored)


def schedule(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id (enrolled).")],
    protocol_id: Annotated[str | None, typer.Option("--protocol", help="Protocol (default: latest enrolment).")] = None,
    on: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The visit calendar with what is done, due, overdue or upcoming on the date."""
    from lutetia.decide import build_schedule, jsonable

    store, day = _open(ctx), _day(on)
    record = _record(store, patient_id)
    enrolment = _enrolment(record, protocol_id)
    protocol = _protocol(enrolment.protocol_id)
    arm = _arm_of(protocol, enrolment)
    stored = _stored(store, patient_id, protocol.id, day + timedelta(days=1))
    holidays = _holidays(stored)
    open_holiday = holidays[-1][0] if holidays and holidays[-1][1] is None else None
    off = enrolment.off_study_on if enrolment.off_study_on and enrolment.off_study_on <= day else None
    stop = _treatment_ended(stored)
    ended = [d for d in (stop[0] if stop else None, off) if d is not None]
    visits = build_schedule(record, protocol, arm, day, planned_start=enrolment.enrolled_on,
                            holiday_start=open_holiday, end_of_treatment=min(ended) if ended else None)
    if as_json:
        emit_json(jsonable(visits))
        return
    rows = [{"due": v.due, "window": f"{v.earliest} – {v.latest}", "visit": v.label, "status": v.status,
             "done": v.done_on, "items": ", ".join(v.items)
             + (f" (missing: {', '.join(v.missing_items)})" if v.missing_items else "")} for v in visits]
    print_table(rows, ["visit", "due", "window", "status", "done", "items"],
                title=f"{patient_id} — {protocol.id} / {arm} schedule on {day}")


def _values(r: Any) -> str:
    """The values a rule read (fact = value (source)), or what it missed."""
    ev = r.evaluation
    values = "; ".join(f"{f.fact}={f.value} ({f.source})" for f in ev.facts if f.evaluable) if ev else ""
    return "; ".join(r.missing) or values


def _print_decision(d: Any) -> None:
    rows = [{"rule": r.rule_id, "kind": r.kind, "outcome": r.outcome.value, "values / note": _values(r) or r.note,
             "text": r.text[:100]} for r in (*d.rules, *d.flags)]
    print_table(rows, ["rule", "kind", "outcome", "values / note", "text"], title=f"{d.patient_id} next cycle on {d.on}")
    activity = f" {d.activity_gbq:.2f} GBq (allowed {d.range_gbq[0]:.2f}–{d.range_gbq[1]:.2f})" if (
        d.activity_gbq is not None and d.range_gbq) else ""
    typer.echo(f"{d.patient_id}: {d.kind.upper().replace('_', ' ')}" + (f" cycle {d.cycle}" if d.cycle else "")
               + activity + (f" — next {d.next_date}" if d.next_date else ""))
    if d.derivation:
        typer.echo(f"  how: {d.derivation}")
    for line in d.reasons:
        typer.echo(f"  - {line}")
    for m in d.missing:
        typer.echo(f"  missing: {m}")
    for fl in d.flags:
        typer.echo(f"  flag: {fl.rule_id}: {fl.text}")
    if d.checked:
        typer.echo(f"  checked, not met ({len(d.checked)}; values in --json): "
                   + ", ".join(r.rule_id for r in d.checked))


def next_cycle_cmd(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="Pseudonymous patient id (enrolled).")],
    when: Annotated[str, typer.Option("--date", help="Date of the planned cycle, YYYY-MM-DD.")],
    protocol_id: Annotated[str | None, typer.Option("--protocol", help="Protocol (default: latest enrolment).")] = None,
    activity: Annotated[float | None, typer.Option(help="Physician's activity, GBq (individualised arms).")] = None,
    save: Annotated[bool, typer.Option("--save", help="Store the decision with its inputs (audited).")] = False,
    as_decided: Annotated[bool, typer.Option(
        "--as-decided", help="Re-derive the decision stored on --date from the record as it stood then "
        "(nothing recorded later, not that day's administration): identical or different (exit 1).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Administer, not yet due, reduce, withhold, holiday, resume, curtail, stop — or cannot decide."""
    from lutetia.decide.rederive import decide_with_history

    store, day = _open(ctx), _day(when, "--date")
    record = _record(store, patient_id)
    enrolment = _enrolment(record, protocol_id)
    protocol = _protocol(enrolment.protocol_id)
    arm = _arm_of(protocol, enrolment)
    if as_decided:
        if save or activity is not None:
            raise fail("--as-decided re-derives a stored decision with its own inputs; "
                       "accepted without --save and --activity", 2)
        _as_decided(store, record, protocol, day, as_json)
        return
    stored = _stored(store, patient_id, protocol.id, day)
    decision = decide_with_history(record, protocol, arm, day, stored, activity)
    payload = decision.to_json()
    if save:
        payload["decision_id"], fresh = _save_once(ctx, store, patient_id=patient_id, protocol_id=protocol.id,
                                                   kind="next_cycle", day=day, outcome=decision.kind,
                                                   payload=payload)
    if as_json:
        emit_json(payload)
        return
    _print_decision(decision)
    if save:
        typer.echo(f"  stored as decision {payload['decision_id']}" if fresh
                   else f"  already stored as decision {payload['decision_id']} (same date, outcome and inputs)")


def _as_decided(store: Any, record: Any, protocol: Any, day: date, as_json: bool) -> None:
    from lutetia.decide.rederive import rederive
    from lutetia.store.decisions import load_decisions

    stored = load_decisions(store, record.patient_id, protocol.id, "next_cycle")
    history = [d.payload for d in stored]
    on_day = [d for d in stored if d.decided_on == day]
    if not on_day:
        raise fail(f"patient {record.patient_id}: no stored next-cycle decision on {day} for {protocol.id}; "
                   f"stored dates: {', '.join(sorted({str(d.decided_on) for d in stored})) or 'none'}", 2)
    results = [(d.id, rederive(record, protocol, d.payload, history)) for d in on_day]
    if as_json:
        emit_json([{"decision_id": i, "identical": r.identical, "differences": list(r.differences),
                    "stored": r.stored.get("kind"), "now": r.again.kind} for i, r in results])
    else:
        for i, r in results:
            typer.echo(f"decision {i} of {record.patient_id} on {day}: stored {str(r.stored.get('kind')).upper()}, "
                       f"re-derived {r.again.kind.upper()} — {'identical' if r.identical else 'DIFFERENT'}")
            for line in r.differences:
                typer.echo(f"  - {line}")
    if any(not r.identical for _, r in results):
        raise typer.Exit(1)


def redecide(
    ctx: typer.Context,
    patient_ids: Annotated[list[str] | None, typer.Argument(help="Patients (default: every patient with decisions).")] = None,
    protocol_id: Annotated[str | None, typer.Option("--protocol", help="Only this protocol's decisions.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-derive every stored next-cycle decision from the record as it stood on its date.

    Prints the decisions that differ and a count; exit 1 when any differs.
    """
    from lutetia.decide.rederive import rederive
    from lutetia.store.decisions import load_decisions

    store = _open(ctx)
    stored = load_decisions(store, None, protocol_id, "next_cycle")
    wanted = set(patient_ids or [])
    by_patient: dict[tuple[str, str], list[Any]] = {}
    for d in stored:
        if not wanted or d.patient_id in wanted:
            by_patient.setdefault((d.patient_id, d.protocol_id), []).append(d)
    differ: list[dict[str, Any]] = []
    total = 0
    for (pid, proto_id), decisions in sorted(by_patient.items()):
        record, protocol = _record(store, pid), _protocol(proto_id)
        history = [d.payload for d in decisions]
        for d in decisions:
            total += 1
            r = rederive(record, protocol, d.payload, history)
            if not r.identical:
                differ.append({"decision_id": d.id, "patient": pid, "protocol": proto_id, "on": str(d.decided_on),
                               "stored": d.outcome, "now": r.again.kind, "differences": "; ".join(r.differences)})
    if as_json:
        emit_json({"decisions": total, "identical": total - len(differ), "different": differ})
    else:
        if differ:
            print_table(differ, ["decision_id", "patient", "protocol", "on", "stored", "now", "differences"],
                        title="Stored decisions that re-derive differently")
        typer.echo(f"{total} stored next-cycle decision(s) re-derived: {total - len(differ)} identical, "
                   f"{len(differ)} different")
    if differ:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the decision commands."""
    app.command("eligibility")(eligibility)
    app.command("enrol")(enrol)
    app.command("randomise")(randomise)
    app.command("schedule")(schedule)
    app.command("next-cycle")(next_cycle_cmd)
    app.command("redecide")(redecide)
