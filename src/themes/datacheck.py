"""Checks on the starter corpus in data/: schema, labels, coverage, and no shared 10-word runs.

Run with ``make data-check`` (``python -m themes.datacheck data``). The tests run
the same checks, so the corpus cannot drift from its data card unnoticed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from themes.dataset import split_themes
from themes.taxonomy import Taxonomy, load_taxonomy
from themes.workdays import financial_year, parse_date

COLUMNS = [
    "reference",
    "date_received",
    "date_responded",
    "kind",
    "procedure",
    "stage",
    "team",
    "complainant",
    "method",
    "advocate",
    "text",
    "themes",
    "category",
    "outcome",
]
PROCEDURES = {"statutory", "corporate"}
STAGES = {"1", "2", "3", "LGSCO", ""}
OUTCOMES = {"upheld", "partly upheld", "not upheld", "withdrawn", "inconclusive", ""}
REGISTERS = (
    "officer_line",
    "formal_summary",
    "own_letter",
    "phone_note",
    "young_person",
    "compliment_card",
    "compliment_professional",
    "compliment_third_person",
    "comment",
)
RUN_LENGTH = 10
MIN_RECORDS = 6000
MIN_THEME_COMPLAINTS = 250
MIN_CATEGORY_COMPLAINTS = {"staff": 400}
DEFAULT_MIN_CATEGORY_COMPLAINTS = 150
MIN_COMPLIMENTS = 1500
MIN_REGISTER_RECORDS = 300
NEAR_DUPLICATE_COSINE = 0.9
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class CheckResult:
    """Problems found and the counts a data card reports."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _date_or_none(value: str) -> Any:
    try:
        return parse_date(value)
    except ValueError:
        return None


def words(text: str) -> list[str]:
    """Lower-case word tokens used for length bands and the shared-run check."""
    return _WORD.findall(text.lower())


def shared_runs(texts: list[str], n: int = RUN_LENGTH) -> list[tuple[int, int, str]]:
    """Pairs of records (by position) that share a run of ``n`` words, with the run."""
    first_seen: dict[str, int] = {}
    found: list[tuple[int, int, str]] = []
    reported: set[tuple[int, int]] = set()
    for i, text in enumerate(texts):
        tokens = words(text)
        mine: set[str] = set()
        for j in range(len(tokens) - n + 1):
            gram = " ".join(tokens[j : j + n])
            if gram in mine:
                continue
            mine.add(gram)
            other = first_seen.setdefault(gram, i)
            if other != i and (other, i) not in reported:
                reported.add((other, i))
                found.append((other, i, gram))
    return found


def near_duplicates(
    texts: list[str], threshold: float = NEAR_DUPLICATE_COSINE
) -> list[tuple[int, int, float]]:
    """Pairs of records (by position, earlier first) whose character 5-gram TF-IDF
    vectors have a cosine similarity above ``threshold``: the same text lightly edited."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(5, 5), lowercase=True).fit_transform(
        texts
    )
    found = []
    for start in range(0, len(texts), 2000):
        block = (vectors[start : start + 2000] @ vectors.T).tocoo()
        for i, j, value in zip(block.row, block.col, block.data, strict=True):
            i += start
            if j < i and value > threshold:
                found.append((int(j), int(i), float(value)))
    return sorted(found)


def check_frame(frame: pd.DataFrame, taxonomy: Taxonomy) -> CheckResult:
    """Run every check on the corpus (train and test together)."""
    result = CheckResult()
    problems = result.problems
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
        return result
    dupes = frame["reference"][frame["reference"].duplicated()].tolist()
    if dupes:
        problems.append(f"duplicate references: {', '.join(dupes[:5])}")

    if "register" in frame.columns:
        unknown = sorted(set(frame["register"]) - set(REGISTERS))
        if unknown:
            problems.append(
                f"register has unexpected values: {unknown}; allowed: {list(REGISTERS)}"
            )
    else:
        problems.append("missing column: register (every record needs its register)")
    kinds = frame["kind"].str.strip()
    complaints = frame[kinds == "complaint"]
    for column, valid in (("procedure", PROCEDURES), ("stage", STAGES), ("outcome", OUTCOMES)):
        bad = sorted(set(frame[column]) - valid)
        if bad:
            problems.append(f"{column} has unexpected values: {bad}")
    for label_field, values in (
        ("kind", [k for k in kinds if k]),
        ("category", [c for c in frame["category"] if c]),
        ("themes", [t for cell in frame["themes"] for t in split_themes(cell)]),
    ):
        try:
            taxonomy.check(label_field, values)
        except Exception as exc:  # noqa: BLE001 - report, don't stop
            problems.append(str(exc))
    if (complaints["category"] == "").any():
        problems.append(f"{int((complaints['category'] == '').sum())} complaints have no category")
    non_complaints = frame[kinds != "complaint"]
    if (non_complaints["category"] != "").any():
        problems.append("compliments or comments with a category")
    if (complaints["themes"] == "").any():
        problems.append(f"{int((complaints['themes'] == '').sum())} complaints have no theme")

    received = frame["date_received"].map(_date_or_none)
    responded = frame["date_responded"].map(lambda v: _date_or_none(v) if v else None)
    if received.isna().any():
        problems.append(f"{int(received.isna().sum())} rows with an unreadable date_received")
    late = [
        ref
        for ref, r, s in zip(frame["reference"], received, responded, strict=True)
        if r is not None and s is not None and s < r
    ]
    if late:
        problems.append(f"responded before received: {', '.join(late[:5])}")
    years = received.map(lambda d: financial_year(d) if d is not None else "")

    lengths = frame["text"].map(lambda t: len(words(t)))
    counts: dict[str, Any] = {
        "records": len(frame),
        "kinds": dict(Counter(kinds)),
        "years": dict(sorted(Counter(years).items())),
        "kind_by_year": {y: dict(Counter(kinds[years == y])) for y in sorted(set(years)) if y},
        "categories": dict(Counter(complaints["category"])),
        "complaint_themes": dict(
            Counter(t for cell in complaints["themes"] for t in split_themes(cell))
        ),
        "compliment_themes": dict(
            Counter(t for cell in non_complaints["themes"] for t in split_themes(cell))
        ),
        "registers": dict(Counter(frame["register"])) if "register" in frame else {},
        "register_by_kind": (
            {r: dict(Counter(kinds[frame["register"] == r])) for r in REGISTERS}
            if "register" in frame
            else {}
        ),
        "outcomes": dict(Counter(complaints["outcome"])),
        "procedures": dict(Counter(complaints["procedure"])),
        "complainants": dict(Counter(complaints["complainant"])),
        "methods": dict(Counter(complaints["method"])),
        "words_over_80": int((lengths > 80).sum()),
        "words_under_25": int((lengths < 25).sum()),
        "words_median": int(lengths.median()),
        "words_max": int(lengths.max()),
    }
    result.counts = counts

    if len(frame) < MIN_RECORDS:
        problems.append(f"{len(frame)} records; at least {MIN_RECORDS} expected")
    for theme in taxonomy.theme_ids:
        n = counts["complaint_themes"].get(theme, 0)
        if n < MIN_THEME_COMPLAINTS:
            problems.append(f"theme {theme} has {n} complaints; at least {MIN_THEME_COMPLAINTS}")
    for category in taxonomy.category_ids:
        n = counts["categories"].get(category, 0)
        least = MIN_CATEGORY_COMPLAINTS.get(category, DEFAULT_MIN_CATEGORY_COMPLAINTS)
        if n < least:
            problems.append(f"category {category} has {n} complaints; at least {least}")
    compliments = counts["kinds"].get("compliment", 0)
    if compliments < MIN_COMPLIMENTS:
        problems.append(f"{compliments} compliments; at least {MIN_COMPLIMENTS}")
    for register in REGISTERS:
        n = counts["registers"].get(register, 0)
        if counts["registers"] and n < MIN_REGISTER_RECORDS:
            problems.append(f"register {register} has {n} records; at least {MIN_REGISTER_RECORDS}")
    if counts["words_over_80"] < len(frame) / 8:
        problems.append("fewer than an eighth of records are over 80 words")
    if counts["words_under_25"] < len(frame) / 6:
        problems.append("fewer than a sixth of records are under 25 words")
    runs = shared_runs(frame["text"].tolist())
    refs = frame["reference"].tolist()
    for a, b, _gram in runs[:10]:
        problems.append(f"records {refs[a]} and {refs[b]} share a run of {RUN_LENGTH} words")
    if len(runs) > 10:
        problems.append(f"... and {len(runs) - 10} more pairs sharing a {RUN_LENGTH}-word run")
    counts["shared_run_pairs"] = len(runs)
    near = near_duplicates(frame["text"].tolist())
    for a, b, cosine in near[:10]:
        problems.append(
            f"records {refs[a]} and {refs[b]} are near-duplicates (cosine {cosine:.2f})"
        )
    counts["near_duplicate_pairs"] = len(near)
    return result


def check_folder(folder: str | Path) -> CheckResult:
    """Check train.csv, test.csv and the separately written heldout.csv in ``folder``
    against its taxonomy.yaml. The held-out set is checked for labels and for sharing no
    10-word run with the corpus; coverage targets apply to the corpus (train and test)."""
    folder = Path(folder)
    taxonomy = load_taxonomy(folder / "taxonomy.yaml")
    parts = []
    for name in ("train.csv", "test.csv"):
        part = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8")
        part["split"] = name.removesuffix(".csv")
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    result = check_frame(frame, taxonomy)
    result.counts["split"] = dict(Counter(frame["split"]))
    heldout_path = folder / "heldout.csv"
    if heldout_path.exists():
        heldout = pd.read_csv(heldout_path, dtype=str, keep_default_na=False, encoding="utf-8")
        for label_field, values in (
            ("kind", [k for k in heldout["kind"] if k]),
            ("category", [c for c in heldout["category"] if c]),
            ("themes", [t for cell in heldout["themes"] for t in split_themes(cell)]),
        ):
            try:
                taxonomy.check(label_field, values)
            except Exception as exc:  # noqa: BLE001 - report, don't stop
                result.problems.append(f"heldout.csv: {exc}")
        texts = frame["text"].tolist()
        crossing = [
            (a, b) for a, b, _ in shared_runs(texts + heldout["text"].tolist()) if b >= len(texts)
        ]
        if crossing:
            result.problems.append(
                f"heldout.csv: {len(crossing)} records share a {RUN_LENGTH}-word run"
                " with the corpus"
            )
        result.counts["heldout_registers"] = dict(Counter(heldout["register"]))
        result.counts["heldout_kinds"] = dict(Counter(heldout["kind"]))
    else:
        result.problems.append("heldout.csv is missing (the separately written held-out set)")
    return result


def format_counts(counts: dict[str, Any]) -> str:
    """The counts as plain text lines."""
    lines = []
    for key, value in counts.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k or '(blank)'}: {v}" for k, v in value.items())
            lines.append(f"{key}: {inner}")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the counts and any problems; exit status 1 when there are problems."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("data")
    result = check_folder(folder)
    print(format_counts(result.counts))
    if result.ok:
        print("data-check: OK")
        return 0
    for problem in result.problems:
        print(f"problem: {problem}")
    print(f"data-check: {len(result.problems)} problem(s)")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
