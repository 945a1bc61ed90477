"""Printing results for people: tables and one-line summaries. Counts and labels only, no text."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def _fmt(value: Any) -> str:
    from themes.flows.metrics import metric_text

    return metric_text(value)


def shown(probability: float) -> str:
    """A theme's shown probability to two places, never rounded across 0.5 (a theme
    below its threshold shows at most 0.49, a suggested one at least 0.50)."""
    text = f"{probability:.2f}"
    return "0.49" if probability < 0.5 and text == "0.50" else text


def trained(result: Any) -> None:
    heads = ", ".join(f"{head} ({rows} rows)" for head, rows in result.rows_per_head.items())
    console.print(f"Trained on {result.rows} rows in {result.seconds:.1f}s: {heads}")
    if result.taxonomy_source == "data":
        console.print(
            "Labels taken from the data (no --taxonomy given and they are not the default list)."
        )
    for name, block in result.metrics.items():
        parts = ", ".join(f"{k} {_fmt(v)}" for k, v in block.get("summary", {}).items())
        console.print(f"{name.replace('_', ' ')}: {parts}")
    console.print(f"Model written to {result.folder}")


def tagged(summary: Any, prefill: bool) -> None:
    kinds = ", ".join(
        f"{count} {kind or 'no kind'}" for kind, count in sorted(summary.kinds.items())
    )
    console.print(f"Tagged {summary.rows} rows ({kinds}); {summary.needs_review} need review.")
    if summary.empty_text:
        console.print(f"{summary.empty_text} rows had no text (kept, marked needs_review).")
    if summary.redacted:
        counts = ", ".join(f"{n} {kind}" for kind, n in summary.redacted.items())
        console.print(f"Redacted {sum(summary.redacted.values())} personal details ({counts}).")
    if prefill:
        console.print(
            f"Pre-filled {summary.prefilled} empty kind/themes/category cells; mark checked rows "
            "'yes' in the reviewed column, then run 'themes retrain' on the file."
        )
    console.print(f"Written to {summary.output}")


def redacted(summary: Any) -> None:
    counts = ", ".join(f"{count} {kind}" for kind, count in summary.counts.items()) or "nothing"
    console.print(
        f"Redacted {summary.total} personal details in {summary.rows_changed} of "
        f"{summary.rows} rows ({counts})."
    )
    if summary.empty_text:
        console.print(f"{summary.empty_text} rows had no text (kept as they were).")
    console.print(f"Written to {summary.output}")


def explained(result: Any, taxonomy: Any) -> None:
    """One text's suggestions with the words behind each (``themes suggest``)."""
    p = result.prediction

    def words(evidence: list[Any]) -> str:
        return ", ".join(f"{e.word} ({e.weight:+.2f})" for e in evidence) or "-"

    table = Table(title="Suggestion", show_lines=False)
    table.add_column("", style="bold")
    table.add_column("suggested")
    table.add_column("probability", justify="right")
    table.add_column("because of these words (drop in probability without them)")
    if p.kind:
        table.add_row(
            "kind", taxonomy.name_of(p.kind), f"{p.kind_probability:.2f}", words(result.kind)
        )
    if p.category:
        table.add_row(
            "category",
            taxonomy.name_of(p.category),
            f"{p.category_probability:.2f}",
            words(result.category),
        )
    for label in p.themes:
        table.add_row(
            "theme",
            taxonomy.name_of(label),
            shown(p.theme_probabilities[label]),
            words(result.themes.get(label, [])),
        )
    if not p.themes:
        table.add_row("theme", "(none above threshold)", "", "")
    console.print(table)
    near = sorted(
        (lab for lab in p.theme_probabilities if lab not in p.themes),
        key=lambda lab: -p.theme_probabilities[lab],
    )[:3]
    if near:
        console.print(
            "Next most likely themes: "
            + ", ".join(
                f"{taxonomy.name_of(lab)} {shown(p.theme_probabilities[lab])}" for lab in near
            )
        )
    if p.practice:
        console.print(
            "Changed by your council's habits (see 'themes models show'): " + ", ".join(p.practice)
        )
    review = "yes - " + "; ".join(p.review_reasons) if p.needs_review else "no"
    console.print(f"Confidence {p.confidence:.2f}; needs review: {review}")


def metrics(result: dict[str, Any], taxonomy: Any) -> None:
    """Per-label scores and the category confusion (``themes evaluate``)."""
    console.print(f"Evaluated on {result['rows']} rows.")
    if "themes" in result:
        m = result["themes"]
        table = Table(title=f"Themes ({m['rows']} rows)")
        for name in ("theme", "precision", "recall", "F1", "support"):
            table.add_column(name, justify="left" if name == "theme" else "right")
        for label, s in m["per_label"].items():
            table.add_row(
                taxonomy.name_of(label),
                _fmt(s["precision"]),
                _fmt(s["recall"]),
                _fmt(s["f1"]),
                str(s["support"]),
            )
        console.print(table)
        console.print(
            f"themes: micro-F1 {_fmt(m['micro_f1'])}, macro-F1 {_fmt(m['macro_f1'])}, "
            f"samples-F1 {_fmt(m['samples_f1'])}"
        )
    if "category" in result:
        m = result["category"]
        console.print(
            f"category: accuracy {_fmt(m['accuracy'])}, macro-F1 {_fmt(m['macro_f1'])} "
            f"({m['rows']} rows)"
        )
        labels = list(m["confusion"])
        table = Table(title="Category confusion (rows: true, columns: suggested)")
        table.add_column("true \\ suggested")
        for label in labels:
            table.add_column(label, justify="right")
        for label in labels:
            table.add_row(label, *[str(m["confusion"][label][b]) for b in labels])
        console.print(table)
    if "kind" in result:
        m = result["kind"]
        console.print(f"kind: accuracy {_fmt(m['accuracy'])} ({m['rows']} rows)")


def report(result: Any, written: list[Any], out: Any) -> None:
    charts = sum(1 for path in written if path.suffix == ".png")
    console.print(
        f"Report {result.year} (trends {result.period}): {len(result.tables)} tables and "
        f"{charts} charts written to {out}/ (report.docx, report.xlsx, report.json, report.md, "
        "tables/, charts/)",
        highlight=False,
        markup=False,
    )
    if result.suppress_below:
        console.print(f"Counts below {result.suppress_below} are suppressed.", highlight=False)
    mapping = Table(title="Columns read", title_justify="left")
    mapping.add_column("read as")
    mapping.add_column("column of the log")
    for name, column in result.column_map.items():
        mapping.add_row(name, escape(column))
    console.print(mapping)
    sources = Table(title="Labels used", title_justify="left")
    for heading in ("label", "officer", "suggested", "blank"):
        sources.add_column(heading, justify="left" if heading == "label" else "right")
    for name, counts in result.label_sources.items():
        sources.add_row(
            escape(name), str(counts.officer), str(counts.suggested), str(counts.missing)
        )
    console.print(sources)
    for problem, rows in result.date_problems.items():
        console.print(
            f"[yellow]{escape(problem)}:[/yellow] {rows} rows (see report.md)", highlight=False
        )
    for name, reason in result.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {escape(name)}: {escape(reason)}", highlight=False)


def notes(lines: list[str]) -> None:
    """How input files were read (columns chosen, marks not understood): stderr, one line each."""
    for line in lines:
        err_console.print(f"[yellow]note:[/yellow] {escape(line)}", highlight=False, soft_wrap=True)


def retrained(result: Any) -> None:
    notes(result.column_notes + [marks.message() for marks in result.unknown_marks])
    gate = result.gate
    table = Table(
        title=f"{result.parent} (active) vs {result.version.name} (new) "
        f"on {gate.rows} held-out rows"
    )
    for name in ("measure", result.parent, result.version.name, "change"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    for row in gate.table:
        table.add_row(row["measure"], _fmt(row["active"]), _fmt(row["new"]), _fmt(row["change"]))
    console.print(table)
    console.print(f"{result.summary}; trained on {result.training_rows} rows.")
    if result.rules:
        console.print("Habits learnt from your corrections (applied after the text model):")
        for rule in result.rules:
            console.print(f"  - {rule}")
    console.print(
        f"{result.changed_rows} of the {result.uncorrected_rows} uncorrected rows of the review "
        f"file(s) now get a different suggestion"
        + (f" (rows and references in {result.changed_file})." if result.changed_rows else ".")
    )
    name = result.version.name
    if result.activated and gate.passed:
        console.print(f"Version {name} passed the gate and is now active.")
    elif result.activated:
        console.print(
            f"Version {name} is active (--force) although the gate refused it: "
            + "; ".join(gate.reasons)
        )
        for note in gate.practice_notes:
            console.print(f"  but {note}")
    else:
        console.print(f"Version {name} was saved but NOT made active: " + "; ".join(gate.reasons))
        for note in gate.practice_notes:
            console.print(f"  but {note}")
        if gate.practice_differs:
            console.print(
                "Every measure that fell rose on your own held-out corrections: the fall is on "
                "starter rows whose labels differ from your council's practice. If your "
                f"corrections are deliberate, use it with 'themes models use {name}'."
            )
        else:
            console.print(f"Use 'themes models use {name}' or --force to use it anyway.")


def queued(summary: Any) -> None:
    notes(summary.column_notes)
    console.print(
        f"{summary.unsure + summary.contradicted} of {summary.rows} rows queued: "
        f"{summary.unsure} the model is unsure about, then {summary.contradicted} whose labels it "
        f"contradicts. Written to {summary.output}"
    )


def versions(root: Any, summaries: list[dict[str, Any]]) -> None:
    table = Table(title=f"Model versions in {root}")
    for name in (
        "",
        "version",
        "created",
        "parent",
        "rows",
        "corrections",
        "themes macro-F1",
        "category acc",
        "gate",
    ):
        table.add_column(name)
    for v in summaries:
        m = v["metrics"]
        if not v.get("readable", True):
            # A newer format (or a damaged meta.json): listed, so its name is never reused.
            table.add_row("*" if v["active"] else "", v["version"], "unreadable")
            continue
        table.add_row(
            "*" if v["active"] else "",
            v["version"],
            str(v["created"]),
            str(v["parent"] or "-"),
            str(v["training_rows"]),
            str(v["corrections"]),
            _fmt(m.get("themes_macro_f1")),
            _fmt(m.get("category_accuracy")),
            {True: "passed", False: "refused", None: "-"}[v["gate"]],
        )
    console.print(table)
    for v in summaries:
        if not v.get("readable", True):
            console.print(
                f"{v['version']} is not readable by this themes: {v['problem']}",
                markup=False,
                highlight=False,
            )
