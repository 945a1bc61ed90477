"""Complaints are cases, stages are events in their lives.

A complaint is one reference: rows under the same reference are one complaint
(rows without a reference are each their own). It is counted once, in the
financial year its first row was received, with the highest stage it reached.
Logs record stages in two ways, and ``log_shape`` says which one a log uses:

- ``stage-per-row``: a row per stage (a stage 1 row, a stage 2 row under the
  same reference with its own dates and outcome, then stage 3 and LGSCO rows).
  A complaint whose only row is at stage 2 was logged first at stage 2: it is a
  complaint received, with no stage 1 record. A complaint whose only rows are
  Ombudsman (LGSCO) rows is an Ombudsman enquiry, not a complaint received: its
  council stages are not in the log.
- ``complaint-per-row``: one row per complaint; the stage column holds the
  highest stage reached, and the row's dates and outcome are its first
  response (stage 1). Reaching stage 3 implies stage 2.
- ``auto`` (the default) reads a log as stage-per-row when a reference has
  rows at two or more stages, else as complaint-per-row.

The shape only decides how a complaint with a single row at a later stage is
read; a reference with rows at several stages is always read a row per stage,
so a log that mixes the two conventions loses nothing.

An "LGSCO decision" column gives the complaint an Ombudsman record even when
no row is at the LGSCO stage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from themes.report.options import NOT_RECORDED, NOT_UPHELD, OTHER, PARTLY_UPHELD, STAGES, UPHELD
from themes.workdays import financial_year_start

_RANK = {stage: i for i, stage in enumerate(STAGES, start=1)}

_CASE_FIELDS = (
    "procedure",
    "team",
    "complainant",
    "method",
    "category",
    "category_source",
    "themes",
    "themes_source",
    "outcome",
    "kind_source",
)


@dataclass
class Cases:
    """The complaints of a log and their stage records.

    cases: one entry per complaint (``counted`` False for an Ombudsman enquiry
        with no council stage in the log).
    events: one entry per complaint and stage: its dates, outcome and, for the
        Ombudsman, its decision and remedy; ``year`` is the year that stage was
        received (the complaint's year when the record has no date of its own).
    shape: "stage-per-row" or "complaint-per-row", as used.
    facts: counts the notes reconcile (rows merged, stages implied...).
    """

    cases: pd.DataFrame
    events: pd.DataFrame
    shape: str
    facts: Counter[str] = field(default_factory=Counter)


def _decision_from_outcome(outcome: str) -> str:
    if outcome in (UPHELD, PARTLY_UPHELD):
        return UPHELD
    if outcome == NOT_UPHELD:
        return NOT_UPHELD
    return "Awaiting decision" if outcome == NOT_RECORDED else OTHER


def _shape(groups: dict[str, pd.DataFrame], wanted: str) -> str:
    if wanted != "auto":
        return wanted
    for group in groups.values():
        if len({s or "Stage 1" for s in group["stage"]}) > 1:
            return "stage-per-row"
    return "complaint-per-row"


def _event(row: Any, stage: str, case: str, year: int, *, own: bool) -> dict[str, Any]:
    """A stage record; ``own`` False when only implied (no dates or outcome of its own)."""
    decision = ""
    if stage == "LGSCO":
        if row.decision:
            decision = row.decision
        else:
            decision = _decision_from_outcome(row.outcome) if own else "Awaiting decision"
    return {
        "case": case,
        "stage": stage,
        "row": row.row,
        "ref": row.ref,
        "received": row.received if own else None,
        "responded": row.responded if own else None,
        "responded_problem": row.responded_problem if own else "",
        "outcome": row.outcome if own else NOT_RECORDED,
        "outcome_given": bool(row.outcome_text) if own else False,
        "decision": decision,
        "remedy": bool(row.remedy) and stage == "LGSCO",
        "year": financial_year_start(row.received) if own else year,
        "own": own,
    }


def build_cases(rows: pd.DataFrame, log_shape: str = "auto") -> Cases:
    """Group the complaint rows of a tidy log (``prepare``) into complaints and stage records."""
    facts: Counter[str] = Counter()
    dated = rows[rows["fate"] == ""]
    complaint_refs = {r.casefold() for r in dated.loc[dated["complaint"], "ref"] if r}
    # A row with a blank kind under a complaint's reference is one of its stages.
    joins = dated["kind"].eq("") & dated["ref"].map(
        lambda r: bool(r) and r.casefold() in complaint_refs
    )
    facts["blank kind joined"] = int(joins.sum())
    chosen = dated[dated["complaint"] | joins].copy()
    chosen["stage"] = [s or "Stage 1" for s in chosen["stage"]]
    facts["unknown stage"] = int((chosen["stage"] == OTHER).sum())
    chosen.loc[chosen["stage"] == OTHER, "stage"] = "Stage 1"
    chosen["rank"] = chosen["stage"].map(_RANK)
    chosen["case"] = [
        r.casefold() if r else f"#row{n}" for r, n in zip(chosen["ref"], chosen["row"], strict=True)
    ]
    chosen = chosen.sort_values(["case", "rank", "received", "row"], kind="stable")
    groups = {case: group for case, group in chosen.groupby("case", sort=False)}
    shape = _shape(groups, log_shape)
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for case, group in groups.items():
        records = list(group.itertuples(index=False))
        first = min(records, key=lambda r: (r.received, r.row))
        head = records[0]  # lowest stage, then earliest
        year = financial_year_start(first.received)
        mine: dict[str, dict[str, Any]] = {}
        several = len({r.stage for r in records}) > 1
        if shape == "stage-per-row" or several:
            for record in records:
                if record.stage in mine:
                    facts["duplicate stage rows"] += 1
                    continue
                mine[record.stage] = _event(record, record.stage, case, year, own=True)
        else:
            facts["duplicate stage rows"] += len(records) - 1
            mine["Stage 1"] = _event(head, "Stage 1", case, year, own=True)
            reached = [s for s in STAGES[1:3] if _RANK[s] <= head.rank]
            if head.stage == "LGSCO":
                reached = ["LGSCO"]
            for stage in reached:
                mine[stage] = _event(head, stage, case, year, own=False)
                facts["stages implied"] += 1
        decided = [r for r in records if r.decision]
        if decided:
            if "LGSCO" not in mine:
                mine["LGSCO"] = _event(decided[0], "LGSCO", case, year, own=False)
                mine["LGSCO"]["year"] = financial_year_start(decided[0].received)
            mine["LGSCO"]["decision"] = decided[0].decision
        if any(r.remedy for r in records) and "LGSCO" in mine:
            mine["LGSCO"]["remedy"] = True
        ordered = sorted(mine, key=_RANK.__getitem__)
        events += [mine[s] for s in ordered]
        counted = ordered[0] != "LGSCO"
        case_row = {name: getattr(head, name) for name in _CASE_FIELDS}
        case_row.update(
            case=case,
            ref=head.ref,
            row=head.row,
            rows=len(records),
            received=first.received,
            year=year,
            first_stage=ordered[0],
            highest=ordered[-1],
            stages=tuple(ordered),
            advocate=any(r.advocate for r in records),
            needs_review=any(r.needs_review for r in records),
            counted=counted,
        )
        cases.append(case_row)
    case_frame = pd.DataFrame(
        cases,
        columns=[
            "case", "ref", "row", "rows", "received", "year", "first_stage", "highest",
            "stages", "advocate", "needs_review", "counted", *_CASE_FIELDS,
        ],
        dtype=object,
    )  # fmt: skip
    event_frame = pd.DataFrame(
        events,
        columns=[
            "case", "stage", "row", "ref", "received", "responded", "responded_problem",
            "outcome", "outcome_given", "decision", "remedy", "year", "own",
        ],
        dtype=object,
    )  # fmt: skip
    for name in ("advocate", "needs_review", "counted"):
        case_frame[name] = case_frame[name].astype(bool)
    for name in ("remedy", "own", "outcome_given"):
        event_frame[name] = event_frame[name].astype(bool)
    if len(case_frame):
        procedure = dict(zip(case_frame["case"], case_frame["procedure"], strict=True))
        event_frame["procedure"] = event_frame["case"].map(procedure)
    else:
        event_frame["procedure"] = pd.Series(dtype=object)
    facts["complaint rows"] = len(chosen)
    return Cases(case_frame, event_frame, shape, facts)
