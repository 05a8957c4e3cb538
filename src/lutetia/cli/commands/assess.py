"""Assessment commands: ``grade`` (CTCAE) and ``response psa|recist|lesions``.

CSV in, CSV (stdout or ``--out``) or ``--json`` out.  Bad input names the file, row,
column, value and what is accepted, and exits with code 2.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from lutetia.cli.common import emit_json, fail, read_csv, write_csv

response_app = typer.Typer(help="Response assessments: PSA (PCWG3), RECIST 1.1.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON on stdout instead of CSV.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the CSV to this file (default: stdout).")]


def _bad(path: Path, row: int, column: str, value: str, accepted: str) -> typer.Exit:
    return fail(f"{path}: row {row}, column {column!r}: invalid value {value!r}; accepted: {accepted}", 2)


def _float(path: Path, row: int, rec: dict[str, str], column: str, *, required: bool = False) -> float | None:
    raw = rec.get(column, "")
    if raw == "":
        if required:
            raise _bad(path, row, column, raw, "a number")
        return None
    from lutetia.store.interchange_checks import plain_number

    value = plain_number(raw)  # the rule of every CSV Lutetia reads
    if value is None:
        raise _bad(path, row, column, raw, "a finite number written with ASCII digits and a decimal point '.'")
    return value


def _date(path: Path, row: int, rec: dict[str, str], column: str) -> date:
    from lutetia.store.interchange_checks import iso_date

    raw = rec.get(column, "")
    day = iso_date(raw)
    if day is None:
        raise _bad(path, row, column, raw, "an ISO date YYYY-MM-DD")
    return day


def _choice(path: Path, row: int, rec: dict[str, str], column: str, accepted: tuple[str, ...],
            *, upper: bool = True, allow_empty: bool = True) -> str | None:
    raw = rec.get(column, "")
    if raw == "" and allow_empty:
        return None
    val = raw.upper() if upper else raw.lower()
    if val not in accepted:
        raise _bad(path, row, column, raw, ", ".join(accepted))
    return val


def _emit(rows: list[dict[str, Any]], columns: list[str], out: Path | None, as_json: bool) -> None:
    if as_json:
        emit_json(rows)
    else:
        write_csv(out, rows, columns)


def grade(
    labs: Annotated[Path, typer.Argument(help="CSV: subject,date,term,value,unit[,lln,uln,baseline,baseline_indicator].")],
    ctcae: Annotated[str, typer.Option("--ctcae", help="CTCAE version (shipped: 5.0).")] = "5.0",
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grade laboratory values with CTCAE; adds grade, direction and reason to each row.

    Every invalid row (not a number or date, negative or impossible value) is listed and
    nothing is graded; a row that cannot be graded (unknown term, unit of another quantity)
    keeps an empty grade with its reason and is also reported on stderr."""
    from lutetia.assess.ctcae import ctcae_grade, ctcae_terms
    from lutetia.cli.lab_rows import lab_value_from_row
    from lutetia.errors import TableProblem

    ctcae_terms(ctcae)  # an unknown version is a ProtocolError naming the shipped ones
    rows = read_csv(labs, ["subject", "date", "term", "value", "unit"])
    problems: list[str] = []
    notes: list[str] = []
    values = []
    for i, rec in enumerate(rows, start=2):
        lab, bad, row_notes = lab_value_from_row(labs, i, rec, ctcae)
        problems += bad
        notes += row_notes
        values.append(lab)
    for note in notes:
        typer.echo(f"warning: {note}", err=True)
    if problems:
        raise TableProblem(problems)
    result: list[dict[str, Any]] = []
    for rec, lab in zip(rows, values, strict=True):
        assert lab is not None
        g = ctcae_grade(lab, ctcae)
        result.append({**rec, "grade": "" if g.grade is None else g.grade,
                       "direction": g.direction or "", "reason": g.reason})
    columns = ["subject", "date", "term", "value", "unit", "lln", "uln", "baseline", "baseline_indicator",
               "grade", "direction", "reason"]
    _emit(result, columns, out, as_json)


def _by_subject(path: Path, rows: list[dict[str, str]]) -> dict[str, tuple[date, list[tuple[int, dict[str, str]]]]]:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for i, rec in enumerate(rows, start=2):
        if not rec.get("subject"):
            raise _bad(path, i, "subject", "", "a subject identifier")
        groups[rec["subject"]].append((i, rec))
    out: dict[str, tuple[date, list[tuple[int, dict[str, str]]]]] = {}
    for subj, items in groups.items():
        firsts = {_date(path, i, r, "first_dose_date") for i, r in items}
        if len(firsts) != 1:
            i = items[0][0]
            raise fail(f"{path}: row {i}, column 'first_dose_date': subject {subj!r} has several values "
                       f"{sorted(d.isoformat() for d in firsts)}; accepted: one date per subject", 2)
        out[subj] = (firsts.pop(), items)
    return out


@response_app.command("psa")
def response_psa(
    psa: Annotated[Path, typer.Argument(help="CSV: subject,date,psa_ng_ml,first_dose_date.")],
    criteria: Annotated[str, typer.Option(help="Parameter set: pcwg3, prodigy2, ecog3.")] = "pcwg3",
    comparator: Annotated[str | None, typer.Option(help="Override the progression comparator: '>' or '>='.")] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per subject: baseline, nadir, % change at 12 weeks, best % change, PSA50/PSA90, progression."""
    from lutetia.assess import psa as P
    from lutetia.errors import ProtocolError

    try:
        crit = P.psa_criteria(criteria)
    except ProtocolError as exc:
        raise fail(f"--criteria {criteria!r}: {exc}", 2) from exc
    if comparator is not None:
        if comparator not in (">", ">="):
            raise fail(f"--comparator {comparator!r}; accepted: '>', '>='", 2)
        crit = crit.model_copy(update={"progression_comparator": comparator})
    rows = read_csv(psa, ["subject", "date", "psa_ng_ml", "first_dose_date"])
    result = []
    for subj, (first, items) in sorted(_by_subject(psa, rows).items()):
        samples = []
        for i, r in items:
            v = _float(psa, i, r, "psa_ng_ml", required=True)
            assert v is not None
            if v < 0:
                raise _bad(psa, i, "psa_ng_ml", r["psa_ng_ml"], "a value ≥ 0 ng/mL")
            samples.append(P.PsaSample(_date(psa, i, r, "date"), v))
        base = P.psa_baseline(samples, first)
        nadir = P.psa_nadir(samples, first)
        best = P.psa_max_decline(samples, first, crit)
        r50 = P.psa_response(samples, first, 50.0, crit)
        r90 = P.psa_response(samples, first, 90.0, crit)
        prog = P.psa_progression(samples, first, crit)
        cat, _ = P.psa_category(samples, first, crit)
        result.append({
            "subject": subj, "first_dose_date": first,
            "baseline_ng_ml": base.value_ng_ml if base else None, "baseline_date": base.date if base else None,
            "nadir_ng_ml": nadir.value_ng_ml if nadir else None, "nadir_date": nadir.date if nadir else None,
            "change_week12_pct": P.psa_change_at_week12(samples, first, crit),
            "best_change_pct": best[0] if best else None, "best_change_date": best[1] if best else None,
            "psa50": r50.outcome.value, "psa50_date": r50.event_date, "psa50_confirmed_on": r50.confirmed_on,
            "psa90": r90.outcome.value, "psa90_date": r90.event_date,
            "progression": prog.outcome.value, "progression_date": prog.event_date,
            "progression_confirmed_on": prog.confirmed_on, "category": cat,
        })
    _emit(result, list(result[0]) if result else ["subject"], out, as_json)


@response_app.command("recist")
def response_recist(
    timepoints: Annotated[Path, typer.Argument(help="CSV: subject,date,response,first_dose_date.")],
    confirmation_days: Annotated[int | None, typer.Option(help="Days between a CR/PR and its confirmation.")] = None,
    min_sd_days: Annotated[int | None, typer.Option(help="Minimum days from first dose for SD.")] = None,
    max_ne: Annotated[int | None, typer.Option(help="NE assessments allowed before confirmation.")] = None,
    accept_sd: Annotated[bool, typer.Option("--accept-sd", help="Accept one SD between a PR and its confirmation.")] = False,
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Best overall response per subject, confirmed and unconfirmed, with its date."""
    from lutetia.assess.bor import RESPONSES, Assessment, best_overall_response, bor_params

    overrides = {k: v for k, v in (("confirmation_days", confirmation_days), ("min_sd_days", min_sd_days),
                                   ("max_ne", max_ne)) if v is not None}
    if any(v < 0 for v in overrides.values()):
        raise fail(f"options must be ≥ 0, got {overrides}", 2)
    params = bor_params(**overrides, accept_sd=accept_sd)
    rows = read_csv(timepoints, ["subject", "date", "response", "first_dose_date"])
    result = []
    for subj, (first, items) in sorted(_by_subject(timepoints, rows).items()):
        assessments = []
        for i, r in items:
            resp = _choice(timepoints, i, r, "response", RESPONSES, allow_empty=False)
            assessments.append(Assessment(_date(timepoints, i, r, "date"), resp))  # type: ignore[arg-type]
        c = best_overall_response(assessments, first, confirm=True, params=params)
        u = best_overall_response(assessments, first, confirm=False, params=params)
        result.append({"subject": subj, "first_dose_date": first, "bor_confirmed": c.response,
                       "bor_confirmed_date": c.date, "bor_unconfirmed": u.response, "bor_unconfirmed_date": u.date})
    _emit(result, ["subject", "first_dose_date", "bor_confirmed", "bor_confirmed_date", "bor_unconfirmed",
                   "bor_unconfirmed_date"], out, as_json)


@response_app.command("lesions")
def response_lesions(
    lesions: Annotated[Path, typer.Argument(help="CSV: subject,date,lesion_id,organ,kind,diameter_mm,status,new.")],
    out: OutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """RECIST 1.1 time-point responses from lesion measurements.

    Columns: ``subject``; ``date`` (the earliest date of a subject is the baseline);
    ``lesion_id``; ``organ``; ``kind`` (non_nodal, node, bone_blastic, bone_lytic,
    bone_mixed; needed at baseline); ``diameter_mm`` (longest diameter, node short axis;
    empty = not measured, 0 = disappeared); ``status`` of non-targets at follow-up (absent,
    present, progression, not_evaluated); ``new`` = yes on a follow-up row that records an
    unequivocal new lesion.  Targets are chosen automatically (largest measurable, ≤2 per
    organ, ≤5 in total).
    """
    from lutetia.assess.recist import (
        LESION_KINDS,
        FollowUp,
        Lesion,
        select_targets,
        time_point_responses,
    )

    rows = read_csv(lesions, ["subject", "date", "lesion_id", "organ", "kind", "diameter_mm"])
    groups: dict[str, list[tuple[int, dict[str, str], date]]] = defaultdict(list)
    for i, r in enumerate(rows, start=2):
        groups[r["subject"]].append((i, r, _date(lesions, i, r, "date")))
    result: list[dict[str, Any]] = []
    for subj, items in sorted(groups.items()):
        base_date = min(d for _, _, d in items)
        baseline = []
        follow: dict[date, list[tuple[int, dict[str, str]]]] = defaultdict(list)
        for i, r, d in items:
            if d == base_date:
                kind = _choice(lesions, i, r, "kind", LESION_KINDS, upper=False, allow_empty=False)
                baseline.append(Lesion(r["lesion_id"], r["organ"], kind, _float(lesions, i, r, "diameter_mm")))  # type: ignore[arg-type]
            else:
                follow[d].append((i, r))
        targets, _ = select_targets(baseline)
        target_ids = {t.lesion_id for t in targets}
        fus = []
        for d, recs in follow.items():
            tm: dict[str, float | None] = {}
            nt: dict[str, Any] = {}
            new = False
            for i, r in recs:
                if _choice(lesions, i, r, "new", ("yes", "no"), upper=False) == "yes":
                    new = True
                    continue
                if r["lesion_id"] in target_ids:
                    tm[r["lesion_id"]] = _float(lesions, i, r, "diameter_mm")
                else:
                    nt[r["lesion_id"]] = _choice(lesions, i, r, "status",
                                                 ("absent", "present", "progression", "not_evaluated"),
                                                 upper=False) or "not_evaluated"
            fus.append(FollowUp(d, tm, nt, new))
        for tp in time_point_responses(baseline, fus):
            result.append({"subject": subj, "date": tp.date, "target": tp.target or "", "non_target": tp.non_target,
                           "new_lesions": "yes" if tp.new_lesions else "no", "overall": tp.overall,
                           "sum_mm": tp.sum_mm, "baseline_sum_mm": tp.baseline_sum_mm,
                           "nadir_sum_mm": tp.nadir_sum_mm, "targets": " ".join(sorted(target_ids))})
    _emit(result, ["subject", "date", "target", "non_target", "new_lesions", "overall", "sum_mm",
                   "baseline_sum_mm", "nadir_sum_mm", "targets"], out, as_json)


def register(app: typer.Typer) -> None:
    """Add ``grade`` and the ``response`` sub-app."""
    app.command("grade")(grade)
    app.add_typer(response_app, name="response")
