"""The `themes` command line: each command parses options, calls one library function, prints.

Heavy libraries (scikit-learn, spaCy, pandas) are imported inside the commands so
that `themes --help` answers at once.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from themes import __version__
from themes.errors import ThemesError

if TYPE_CHECKING:
    from themes.dataset import Columns
    from themes.registry import LoadedModel

app = typer.Typer(
    name="themes",
    help=(
        "Tag children's social care complaints and compliments with themes and a category, "
        "and build the annual report's tables."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a ThemesError into one line on stderr and exit code 2 (no traceback)."""
    try:
        yield
    except ThemesError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=exc.exit_code) from None


def _version(value: bool) -> None:
    if value:
        console.print(f"themes {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Tag complaints and compliments; build annual report tables."""


# Options shared by several commands.
TextColumn = Annotated[str, typer.Option("--text-column", help="Column holding the free text.")]
IdColumn = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="Column identifying each row (default: 'reference' if present)."
    ),
]
KindColumn = Annotated[str, typer.Option("--kind-column", help="Column with complaint/compliment.")]
ThemesColumn = Annotated[
    str, typer.Option("--themes-column", help="Column with theme ids separated by ';'.")
]
CategoryColumn = Annotated[
    str, typer.Option("--category-column", help="Column with the category id.")
]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model folder (default: the shipped default model)."),
]
EncodingOption = Annotated[
    str | None,
    typer.Option("--encoding", help="CSV encoding (default: detect UTF-8, Windows-1252, Latin-1)."),
]
SheetOption = Annotated[
    str | None, typer.Option("--sheet", help="Excel sheet (default: the first).")
]
HeaderRowOption = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        min=1,
        help="Row with the column names, counted from 1 as Excel does "
        "(default: found by itself; title rows above it are skipped).",
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option("--delimiter", help="CSV delimiter: ',', ';', '|' or tab (default: detected)."),
]
TaxonomyOption = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy",
        help="Taxonomy YAML (default: data/taxonomy.yaml's list, or the labels in the data).",
    ),
]


def _columns(
    text: str = "text",
    id_: str | None = None,
    kind: str = "kind",
    themes: str = "themes",
    category: str = "category",
) -> Columns:
    from themes.dataset import Columns

    return Columns(text=text, id=id_, kind=kind, themes=themes, category=category)


def _load(model: Path | None) -> LoadedModel:
    from themes.model import suppress_sklearn_warnings
    from themes.registry import default_model_dir, load_model

    suppress_sklearn_warnings()
    loaded = load_model(model if model is not None else default_model_dir())
    for warning in loaded.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    return loaded


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="Labelled file (.csv, .xlsx, .jsonl).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the model to.")],
    taxonomy: TaxonomyOption = None,
    eval_data: Annotated[
        Path | None, typer.Option("--eval", help="Held-out labelled file to measure the model on.")
    ] = None,
    text_column: TextColumn = "text",
    id_column: IdColumn = None,
    kind_column: KindColumn = "kind",
    themes_column: ThemesColumn = "themes",
    category_column: CategoryColumn = "category",
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing model folder.")
    ] = False,
) -> None:
    """Train a model on labelled data; writes a model folder with meta.json and a model card."""
    from themes.training import train_from_file

    with user_errors(), err_console.status("training...") as status:
        result = train_from_file(
            data,
            out,
            columns=_columns(text_column, id_column, kind_column, themes_column, category_column),
            taxonomy_path=taxonomy,
            eval_path=eval_data,
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
            force=force,
            progress=lambda message: status.update(f"training: {message}"),
        )
    heads = ", ".join(f"{head} ({rows} rows)" for head, rows in result.rows_per_head.items())
    console.print(f"Trained on {result.rows} rows in {result.seconds:.1f}s: {heads}")
    if result.taxonomy_source == "data":
        console.print(
            "Labels taken from the data (no --taxonomy given and they are not the default list)."
        )
    for name, block in result.metrics.items():
        parts = ", ".join(f"{k} {v:.3f}" for k, v in block.get("summary", {}).items())
        console.print(f"{name.replace('_', ' ')}: {parts}")
    console.print(f"Model written to {result.folder}")


@app.command()
def tag(
    input: Annotated[Path, typer.Argument(help="Log to tag (.csv, .xlsx, .jsonl).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file; format from its extension.")
    ],
    model: ModelOption = None,
    text_column: TextColumn = "text",
    id_column: IdColumn = None,
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    safe_csv: Annotated[
        bool,
        typer.Option("--safe-csv", help="Prefix cells starting with = + - @ with ' in CSV output."),
    ] = False,
    prefill: Annotated[
        bool,
        typer.Option(
            "--prefill/--no-prefill",
            help="Copy suggestions into empty kind/themes/category cells and add a 'reviewed' "
            "column, making a review file (default); --no-prefill leaves input columns as "
            "they are.",
        ),
    ] = True,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace personal data in the output's text column with [NAME], [PHONE]... "
            "placeholders (suggestions still come from the original text).",
        ),
    ] = False,
    spacy_model: Annotated[
        str | None,
        typer.Option(
            "--spacy-model",
            help="With --redact: spaCy pipeline whose PERSON entities are redacted too.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes scoring chunks of a large file (default: as many as "
            "there are idle cores, at most 2; 1: none). The output is the same either way.",
        ),
    ] = None,
) -> None:
    """Tag every row of a log with suggested kind, themes, category and confidence."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress
    from rich.progress import TextColumn as Col

    from themes.tagger import TagOptions, tag_file

    with user_errors():
        from themes.redact import Redactor

        redactor = Redactor(spacy_model=spacy_model) if redact or spacy_model else None
        loaded = _load(model)
        options = TagOptions(
            columns=_columns(text_column, id_column),
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
            safe_csv=safe_csv,
            prefill=prefill,
            redactor=redactor,
            jobs=jobs,
        )
        with Progress(
            Col("tagging"), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
        ) as progress:
            task = progress.add_task("tag", total=None)
            summary = tag_file(
                loaded.model,
                input,
                out,
                options,
                progress=lambda n: progress.advance(task, n),
            )
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


@app.command()
def redact(
    input: Annotated[Path, typer.Argument(help="Log to redact (.csv, .xlsx, .jsonl).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file; format from its extension.")
    ],
    text_column: TextColumn = "text",
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    safe_csv: Annotated[
        bool,
        typer.Option("--safe-csv", help="Prefix cells starting with = + - @ with ' in CSV output."),
    ] = False,
    also_column: Annotated[
        list[str] | None,
        typer.Option(
            "--also-column",
            help="Another free-text column to redact, e.g. learning or actions (repeatable).",
        ),
    ] = None,
    spacy_model: Annotated[
        str | None,
        typer.Option(
            "--spacy-model",
            help="Installed spaCy pipeline (e.g. en_core_web_sm) whose PERSON entities are "
            "redacted too (default: built-in rules only).",
        ),
    ] = None,
) -> None:
    """Replace personal data in the text column with [NAME], [PHONE], [ADDRESS]... placeholders.

    Same rows, same columns, same order; every other cell is written unchanged.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress
    from rich.progress import TextColumn as Col

    from themes.redact import Redactor, redact_file

    with user_errors():
        redactor = Redactor(spacy_model=spacy_model)
        with Progress(
            Col("redacting"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("redact", total=None)
            summary = redact_file(
                input,
                out,
                text_column,
                encoding=encoding,
                sheet=sheet,
                header_row=header_row,
                delimiter=delimiter,
                safe_csv=safe_csv,
                progress=lambda n: progress.advance(task, n),
                redactor=redactor,
                extra_columns=also_column or (),
            )
    counts = ", ".join(f"{count} {kind}" for kind, count in summary.counts.items()) or "nothing"
    console.print(
        f"Redacted {summary.total} personal details in {summary.rows_changed} of "
        f"{summary.rows} rows ({counts})."
    )
    if summary.empty_text:
        console.print(f"{summary.empty_text} rows had no text (kept as they were).")
    console.print(f"Written to {summary.output}")


@app.command()
def suggest(
    text: Annotated[str | None, typer.Argument(help="The complaint or compliment text.")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Read the text from this file ('-' for stdin)."),
    ] = None,
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for other programs.")] = False,
    top: Annotated[int, typer.Option("--top", help="Words shown per suggestion.")] = 5,
) -> None:
    """Suggest kind, category and themes for one text, with the words that drove each."""
    from themes.errors import InputFileError
    from themes.explain import explain

    with user_errors():
        if file is not None:
            if str(file) == "-":
                text = sys.stdin.read()
            elif not file.exists():
                raise InputFileError(f"file '{file}' not found; check the path")
            else:
                raw = file.read_bytes()
                from themes.io import detect_encoding

                text = raw.decode(detect_encoding(file, raw))
        if text is None or not text.strip():
            raise InputFileError("no text given; pass the text in quotes or use --file FILE")
        loaded = _load(model)
        explained = explain(loaded.model, text, top=top)
    if as_json:
        console.print_json(json.dumps(explained.to_dict()))
        return
    _print_explained(explained, loaded)


def _print_explained(explained: Any, loaded: LoadedModel) -> None:
    p = explained.prediction
    taxonomy = loaded.model.taxonomy

    def words(evidence: list[Any]) -> str:
        return ", ".join(f"{e.word} ({e.weight:+.2f})" for e in evidence) or "-"

    table = RichTable(title="Suggestion", show_lines=False)
    table.add_column("", style="bold")
    table.add_column("suggested")
    table.add_column("probability", justify="right")
    table.add_column("because of these words (drop in probability without them)")
    if p.kind:
        table.add_row(
            "kind", taxonomy.name_of(p.kind), f"{p.kind_probability:.2f}", words(explained.kind)
        )
    if p.category:
        table.add_row(
            "category",
            taxonomy.name_of(p.category),
            f"{p.category_probability:.2f}",
            words(explained.category),
        )
    for label in p.themes:
        table.add_row(
            "theme",
            taxonomy.name_of(label),
            f"{p.theme_probabilities[label]:.2f}",
            words(explained.themes.get(label, [])),
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
            + ", ".join(f"{taxonomy.name_of(lab)} {p.theme_probabilities[lab]:.2f}" for lab in near)
        )
    if p.practice:
        console.print(
            "Changed by your council's habits (see 'themes models show'): " + ", ".join(p.practice)
        )
    review = "yes - " + "; ".join(p.review_reasons) if p.needs_review else "no"
    console.print(f"Confidence {p.confidence:.2f}; needs review: {review}")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled file to measure the model on.")],
    model: ModelOption = None,
    text_column: TextColumn = "text",
    id_column: IdColumn = None,
    kind_column: KindColumn = "kind",
    themes_column: ThemesColumn = "themes",
    category_column: CategoryColumn = "category",
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for other programs.")] = False,
) -> None:
    """Per-label precision, recall and F1, micro and macro F1, category accuracy and confusion."""
    from themes.training import evaluate_file

    with user_errors():
        loaded = _load(model)
        metrics = evaluate_file(
            loaded.model,
            data,
            columns=_columns(text_column, id_column, kind_column, themes_column, category_column),
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
        )
    if as_json:
        console.print_json(json.dumps(metrics))
        return
    _print_metrics(metrics, loaded)


def _print_metrics(metrics: dict[str, Any], loaded: LoadedModel) -> None:
    taxonomy = loaded.model.taxonomy
    console.print(f"Evaluated on {metrics['rows']} rows.")
    if "themes" in metrics:
        m = metrics["themes"]
        table = RichTable(title=f"Themes ({m['rows']} rows)")
        for name in ("theme", "precision", "recall", "F1", "support"):
            table.add_column(name, justify="left" if name == "theme" else "right")
        for label, s in m["per_label"].items():
            table.add_row(
                taxonomy.name_of(label),
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                str(s["support"]),
            )
        console.print(table)
        console.print(
            f"themes: micro-F1 {m['micro_f1']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
            f"samples-F1 {m['samples_f1']:.3f}"
        )
    if "category" in metrics:
        m = metrics["category"]
        console.print(
            f"category: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} "
            f"({m['rows']} rows)"
        )
        labels = list(m["confusion"])
        table = RichTable(title="Category confusion (rows: true, columns: suggested)")
        table.add_column("true \\ suggested")
        for label in labels:
            table.add_column(label, justify="right")
        for label in labels:
            table.add_row(label, *[str(m["confusion"][label][b]) for b in labels])
        console.print(table)
    if "kind" in metrics:
        m = metrics["kind"]
        console.print(f"kind: accuracy {m['accuracy']:.3f} ({m['rows']} rows)")


def _column_option(name: str, what: str) -> Any:
    return typer.Option(f"--{name}-column", help=f"Column with {what}.")


@app.command()
def report(
    log: Annotated[Path, typer.Argument(help="Tagged log: .csv, .xlsx or .jsonl.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.docx, report.xlsx, report.json, report.md, tables/, charts/.",
        ),
    ],
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            help="Report year, e.g. 2023/24 (default: the latest with at least 28 days of data).",
        ),
    ] = None,
    suppress_below: Annotated[
        int | None,
        typer.Option(
            "--suppress-below",
            min=2,
            help="Show counts from 1 to N-1 as <N, and hide what would reveal them (5 is usual).",
        ),
    ] = None,
    trend_years: Annotated[
        int, typer.Option("--trend-years", min=1, help="Years in the trend tables.")
    ] = 5,
    procedure: Annotated[
        str | None,
        typer.Option(
            "--procedure",
            help="statutory or corporate: the procedure of every complaint, whatever the log "
            "says (default: the procedure column; without one, statutory).",
        ),
    ] = None,
    log_shape: Annotated[
        str,
        typer.Option(
            "--log-shape",
            help="auto, stage-per-row or complaint-per-row: how a lone row at stage 2 or later "
            "is read (logged first there, or the highest stage reached).",
        ),
    ] = "auto",
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy", help="Taxonomy YAML for display names (default: the shipped one)."
        ),
    ] = None,
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    reference_column: Annotated[str, _column_option("reference", "the reference")] = "reference",
    date_received_column: Annotated[
        str, _column_option("date-received", "the date received")
    ] = "date_received",
    date_responded_column: Annotated[
        str, _column_option("date-responded", "the date responded or closed")
    ] = "date_responded",
    kind_column: KindColumn = "kind",
    procedure_column: Annotated[
        str, _column_option("procedure", "statutory/corporate")
    ] = "procedure",
    stage_column: Annotated[
        str, _column_option("stage", 'the stage; "" when the log has one row per complaint')
    ] = "stage",
    team_column: Annotated[str, _column_option("team", "the team or service")] = "team",
    complainant_column: Annotated[
        str, _column_option("complainant", "who complained or gave the compliment")
    ] = "complainant",
    method_column: Annotated[str, _column_option("method", "how it was received")] = "method",
    themes_column: ThemesColumn = "themes",
    category_column: CategoryColumn = "category",
    outcome_column: Annotated[str, _column_option("outcome", "the outcome")] = "outcome",
    advocate_column: Annotated[
        str, _column_option("advocate", "whether an advocate was involved")
    ] = "advocate",
    ombudsman_decision_column: Annotated[
        str, _column_option("ombudsman-decision", "the Ombudsman's (LGSCO) decision")
    ] = "ombudsman_decision",
    remedy_column: Annotated[
        str, _column_option("remedy", "the remedy the Ombudsman asked for")
    ] = "remedy",
) -> None:
    """Build the annual report (tables, charts, Word, Excel, JSON) from a tagged log."""
    from rich.markup import escape

    with user_errors():
        from themes.report import ReportColumns, ReportOptions, report_from_file
        from themes.taxonomy import load_taxonomy

        columns = ReportColumns(
            reference=reference_column,
            date_received=date_received_column,
            date_responded=date_responded_column,
            kind=kind_column,
            procedure=procedure_column,
            stage=stage_column,
            team=team_column,
            complainant=complainant_column,
            method=method_column,
            themes=themes_column,
            category=category_column,
            outcome=outcome_column,
            advocate=advocate_column,
            ombudsman_decision=ombudsman_decision_column,
            remedy=remedy_column,
        )
        options = ReportOptions(
            year=year,
            suppress_below=suppress_below,
            trend_years=trend_years,
            columns=columns,
            procedure=procedure,
            log_shape=log_shape,
            taxonomy=load_taxonomy(taxonomy) if taxonomy is not None else None,
        )
        result, written = report_from_file(
            log,
            out,
            options,
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
        )
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
    mapping = RichTable(title="Columns read", title_justify="left")
    mapping.add_column("read as")
    mapping.add_column("column of the log")
    for name, column in result.column_map.items():
        mapping.add_row(name, escape(column))
    console.print(mapping)
    sources = RichTable(title="Labels used", title_justify="left")
    for heading in ("label", "officer", "suggested", "blank"):
        sources.add_column(heading, justify="left" if heading == "label" else "right")
    for name, counts in result.label_sources.items():
        sources.add_row(name, str(counts.officer), str(counts.suggested), str(counts.missing))
    console.print(sources)
    for problem, rows in result.date_problems.items():
        console.print(f"[yellow]{problem}:[/yellow] {rows} rows (see report.md)", highlight=False)
    for name, reason in result.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {name}: {escape(reason)}", highlight=False)


RegistryOption = Annotated[
    Path | None,
    typer.Option(
        "--registry", help="Folder of model versions (default: ./models or the shipped one)."
    ),
]


@app.command()
def retrain(
    files: Annotated[
        list[Path], typer.Argument(help="Review files: tagged logs with officers' corrections.")
    ],
    all_labelled: Annotated[
        bool,
        typer.Option(
            "--all-labelled", help="Learn from every labelled row, not only reviewed ones."
        ),
    ] = False,
    registry: RegistryOption = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Start from this model instead of the active one."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Make the new version active even if the gate refuses it."),
    ] = False,
    weight: Annotated[
        float,
        typer.Option(
            "--weight", help="How many starter rows one correction counts as (more than 1)."
        ),
    ] = 4.0,
    text_column: TextColumn = "text",
    id_column: IdColumn = None,
    kind_column: KindColumn = "kind",
    themes_column: ThemesColumn = "themes",
    category_column: CategoryColumn = "category",
    reviewed_column: Annotated[
        str,
        typer.Option("--reviewed-column", help="Column marking checked rows (yes, y, x, true, 1)."),
    ] = "reviewed",
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
) -> None:
    """Learn from officers' corrections; the new version is used only if it is not worse."""
    from themes.registry import Registry
    from themes.retrain import RetrainOptions
    from themes.retrain import retrain as run_retrain

    with user_errors():
        options = RetrainOptions(
            columns=_columns(text_column, id_column, kind_column, themes_column, category_column),
            reviewed_column=reviewed_column,
            all_labelled=all_labelled,
            correction_weight=weight,
            force=force,
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
        )
        with err_console.status("retraining...") as status:
            result = run_retrain(
                files,
                Registry(registry),
                options,
                base_model=model,
                progress=lambda message: status.update(f"retraining: {message}"),
            )
    gate = result.gate
    table = RichTable(
        title=f"{result.parent} (active) vs {result.version.name} (new) "
        f"on {gate.rows} held-out rows"
    )
    for name in ("measure", result.parent, result.version.name, "change"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    for row in gate.table:

        def fmt(value: Any) -> str:
            return "-" if value is None else f"{value:.3f}"

        table.add_row(row["measure"], fmt(row["active"]), fmt(row["new"]), fmt(row["change"]))
    console.print(table)
    console.print(
        f"Learnt from {result.corrections} corrections ({result.corrections_held_out} kept out to "
        f"judge); trained on {result.training_rows} rows."
    )
    if result.rules:
        console.print("Habits learnt from your corrections (applied after the text model):")
        for rule in result.rules:
            console.print(f"  - {rule}")
    console.print(
        f"{result.changed_rows} of {result.review_rows} rows in the review file(s) are now "
        "tagged differently."
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


@app.command("review-queue")
def review_queue(
    input: Annotated[Path, typer.Argument(help="Tagged log (review file).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Queue file; format from its extension.")
    ],
    model: ModelOption = None,
    text_column: TextColumn = "text",
    themes_column: ThemesColumn = "themes",
    category_column: CategoryColumn = "category",
    reviewed_column: Annotated[
        str, typer.Option("--reviewed-column", help="Column marking checked rows.")
    ] = "reviewed",
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    header_row: HeaderRowOption = None,
    delimiter: DelimiterOption = None,
    safe_csv: Annotated[
        bool, typer.Option("--safe-csv", help="Neutralise formulas in CSV output.")
    ] = False,
) -> None:
    """Rank the rows worth an officer's time: unsure ones first, then likely labelling mistakes."""
    from themes.review import QueueOptions, queue_file

    with user_errors():
        loaded = _load(model)
        options = QueueOptions(
            columns=_columns(text_column, None, "kind", themes_column, category_column),
            reviewed_column=reviewed_column,
            encoding=encoding,
            sheet=sheet,
            header_row=header_row,
            delimiter=delimiter,
            safe_csv=safe_csv,
        )
        summary = queue_file(loaded.model, input, out, options)
    console.print(
        f"{summary.unsure + summary.contradicted} of {summary.rows} rows queued: "
        f"{summary.unsure} the model is unsure about, then {summary.contradicted} whose labels it "
        f"contradicts. Written to {summary.output}"
    )


models_app = typer.Typer(help="List, inspect and switch model versions.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(
    registry: RegistryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for other programs.")] = False,
) -> None:
    """Every version, oldest first, with its metrics; * marks the active one."""
    from themes.registry import Registry

    with user_errors():
        reg = Registry(registry)
        versions = [v.summary() for v in reg.versions()]
    if as_json:
        console.print_json(json.dumps(versions))
        return
    table = RichTable(title=f"Model versions in {reg.root}")
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
    for v in versions:
        m = v["metrics"]
        table.add_row(
            "*" if v["active"] else "",
            v["version"],
            str(v["created"]),
            str(v["parent"] or "-"),
            str(v["training_rows"]),
            str(v["corrections"]),
            f"{m.get('themes_macro_f1', float('nan')):.3f}",
            f"{m.get('category_accuracy', float('nan')):.3f}",
            {True: "passed", False: "refused", None: "-"}[v["gate"]],
        )
    console.print(table)


@models_app.command("show")
def models_show(
    version: Annotated[str, typer.Argument(help="Version name, e.g. v002 or default.")],
    registry: RegistryOption = None,
) -> None:
    """A version's model card and facts."""
    from themes.registry import CARD_FILE, Registry

    with user_errors():
        found = Registry(registry).get(version)
    console.print_json(json.dumps(found.summary()))
    card = found.path / CARD_FILE
    if card.exists():
        console.print(card.read_text(encoding="utf-8"), markup=False, highlight=False)


@models_app.command("use")
def models_use(
    version: Annotated[str, typer.Argument(help="Version to make active.")],
    registry: RegistryOption = None,
) -> None:
    """Make a version active (roll back or forward); tag and suggest then use it."""
    from themes.registry import Registry, load_model

    with user_errors():
        reg = Registry(registry)
        load_model(reg.get(version).path)  # refuse a corrupt or tampered version
        used = reg.use(version)
    console.print(f"Version {used.name} is now active.")


@models_app.command("delete")
def models_delete(
    version: Annotated[str, typer.Argument(help="Version to delete.")],
    registry: RegistryOption = None,
    force: Annotated[bool, typer.Option("--force", help="Really delete it.")] = False,
) -> None:
    """Delete a version folder (needs --force; never the active one)."""
    from themes.registry import Registry

    with user_errors():
        Registry(registry).delete(version, force=force)
    console.print(f"Version {version} deleted.")


def main() -> None:
    """Entry point of the `themes` script."""
    import signal

    # A killed run (SIGTERM) unwinds like Ctrl+C, so temporary output files are removed.
    with contextlib.suppress(ValueError, AttributeError):  # not the main thread / Windows
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
