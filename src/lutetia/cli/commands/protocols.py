"""``lutetia protocols list|show ID``: the shipped protocols, rule by rule with sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, print_table

if TYPE_CHECKING:
    from rich.console import Console

    from lutetia.protocols import Protocol
    from lutetia.protocols.treatment import Rule

protocols_app = typer.Typer(help="Protocols as data: list them, show one rule by rule.",
                            no_args_is_help=True)


@protocols_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Write JSON on stdout.")] = False,
) -> None:
    """List the shipped protocols: id, title, arms, status."""
    from lutetia.errors import ProtocolError
    from lutetia.protocols import list_protocols

    try:
        protocols = list_protocols()
    except ProtocolError as exc:
        raise fail(str(exc), 2) from None
    rows = [{"id": p.id, "title": p.title, "arms": ", ".join(a.id for a in p.arms),
             "status": p.status, "inherits": p.inherits or ""} for p in protocols]
    if as_json:
        emit_json(rows)
        return
    print_table(rows, ["id", "title", "arms", "status", "inherits"], title="Protocols")


@protocols_app.command("show")
def show_cmd(
    protocol_id: Annotated[str, typer.Argument(metavar="ID", help="Protocol id (see 'protocols list').")],
    as_json: Annotated[bool, typer.Option("--json", help="Write the validated protocol as JSON.")] = False,
) -> None:
    """Print a protocol rule by rule, each with its source text, citation and status."""
    from lutetia.errors import ProtocolError
    from lutetia.protocols import load_protocol

    try:
        protocol = load_protocol(protocol_id)
    except ProtocolError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        emit_json(protocol.model_dump(mode="json", exclude_none=True))
        return
    _render(protocol)


def _render(protocol: Protocol) -> None:
    from rich.console import Console
    from rich.markup import escape

    from lutetia.protocols.conditions import describe

    console = Console()
    src = protocol.source
    console.rule(f"[bold]{escape(protocol.id)}[/bold] — {escape(protocol.title)}")
    console.print(f"version {escape(protocol.version)} · status [bold]{protocol.status}[/bold]"
                  + (f" · inherits {protocol.inherits}" if protocol.inherits else "")
                  + (f" · randomisation {protocol.randomisation}" if protocol.randomisation else ""))
    refs = [src.registry, src.doi, src.url]
    console.print(f"source: {escape(src.document)}"
                  + "".join(f" · {escape(r)}" for r in refs if r))
    if protocol.psa_progression is not None:
        pp = protocol.psa_progression
        console.print(f"PSA progression: rise {pp.op} {pp.rise_pct:g}%"
                      + (f" and {pp.op} {pp.rise_ng_ml:g} ng/mL" if pp.rise_ng_ml is not None else "")
                      + f" above {pp.reference}"
                      + (f", confirmed >= {pp.confirm_days_min:g} d later" if pp.confirm_days_min else "")
                      + f" ({pp.status})")
    _section(console, "Eligibility")
    for c in protocol.criteria:
        form = "recorded answer (judgement)" if c.rule is None else describe(c.rule)
        _rule(console, c, f"{c.kind}: {form}")
    for arm in protocol.arms:
        _section(console, f"Arm {arm.id} — {arm.title}")
        t = arm.treatment
        _rule(console, t.activity, _activity(t.activity))
        _rule(console, t.interval, f"every {t.interval.weeks:g} ± {t.interval.window_weeks:g} weeks")
        cycles = f"up to {t.cycles.max} cycles" + (f", at least {t.cycles.min}" if t.cycles.min else "")
        _rule(console, t.cycles, cycles)
        if t.progression_stop:
            _rule(console, t.progression_stop, "stop at a recorded progression: " + ", ".join(t.progression_stop.kinds))
        if t.reduction:
            _rule(console, t.reduction, f"reduce by {t.reduction.pct:g}%, at most "
                  f"{t.reduction.max_reductions} reduction(s)")
        if t.kidney_cap:
            k = t.kidney_cap
            _rule(console, k, f"kidney {k.quantity} limit {k.limit.value:g} {k.limit.unit}: {k.action}")
        if t.holiday:
            h = t.holiday
            s = h.surveillance
            _rule(console, h, f"enter when {describe(h.enter)} ({h.enter_status}: {h.enter_note}); "
                  f"surveillance {s.imaging} + PSA every {s.every_weeks:g} weeks ({s.response_criteria}); "
                  f"resume when {describe(h.resume)}; baseline {h.resume_baseline}")
        for v in arm.schedule:
            _rule(console, v, _visit(v))
    _section(console, "Dose modifications")
    for m in protocol.modifications:
        a = m.action
        act = ", ".join(x for x in (
            "withhold" + (f" until {describe(a.until)}" if a.until else "") if a.withhold else "",
            f"reduce: {a.reduce}" if a.reduce != "no" else "",
            f"discontinue: {a.discontinue}" if a.discontinue != "no" else "") if x)
        _rule(console, m, f"[{m.family}, {m.applies}] if {describe(m.trigger)} → {act}")
    _section(console, "Schedule")
    for v in protocol.schedule:
        _rule(console, v, _visit(v))
    _section(console, "Endpoints")
    for e in protocol.endpoints:
        bits = [e.kind, f"from {e.origin.value}"]
        bits += [f"events {', '.join(e.events)}"] if e.events else []
        bits += [f"censor {', '.join(e.censoring)}"] if e.censoring else []
        bits += [f"stop at {', '.join(e.stop_at)}"] if e.stop_at else []
        bits += [f"within {e.horizon_weeks:g} weeks"] if e.horizon_weeks else []
        bits += [f"at {e.landmark_months:g} months"] if e.landmark_months else []
        _rule(console, e, ("PRIMARY · " if e.primary else "") + "; ".join(bits))


def _section(console: Console, title: str) -> None:
    from rich.markup import escape

    console.print()
    console.rule(f"[bold]{escape(title)}[/bold]", align="left")


def _rule(console: Console, rule: Rule, machine: str) -> None:
    from rich.markup import escape

    origin = f" · from {rule.defined_in}" if rule.defined_in else ""
    console.print(f"[bold cyan]{escape(rule.id)}[/bold cyan] [dim]({rule.status}{origin})[/dim]")
    console.print(f"  rule: {escape(machine)}")
    console.print(f"  [italic]“{escape(rule.text)}”[/italic]")
    console.print(f"  [dim]{escape(rule.citation)}" + (f" · seed {rule.seed}" if rule.seed else "") + "[/dim]")
    if rule.note:
        console.print(f"  [yellow]note:[/yellow] {escape(rule.note)}")


def _activity(a: Any) -> str:
    def p(x: Any) -> str:
        return f"{x.value:g} {x.unit}" + (f" ({x.status})" if x.status != "verified" else "")

    if a.mode == "fixed":
        return f"fixed {p(a.nominal)} ± {a.tolerance_pct:g}%"
    if a.mode == "personalised":
        return (f"personalised by kidney {a.kidney_quantity}: limit {p(a.kidney_limit)}, "
                f"bounds {p(a.a_min)} – {p(a.a_max)}"
                + (f", never below {p(a.nominal)} unless reduced" if a.floor_at_nominal else ""))
    return (f"individualised within {p(a.a_min)} – {p(a.a_max)}"
            + ("; physician's reason required" if a.reason_required else ""))


def _visit(v: Any) -> str:
    when = f"{v.anchor.value} + {v.offset:g} d"
    if v.every:
        when += f", every {v.every:g} d"
    if v.until:
        when += f", until {v.until:g} d"
    before = v.window if v.window_before is None else v.window_before
    kind = "period" if v.period else "visit"
    return (f"{kind} [{v.phase}] {', '.join(v.items)} at {when}; window -{before:g}/+{v.window:g} d"
            + (f" ({v.window_status})" if v.window_status != "verified" else ""))


def register(app: typer.Typer) -> None:
    """Add the ``protocols`` sub-app."""
    app.add_typer(protocols_app, name="protocols")
