"""Agreement between the corpus labels and an independent second labelling.

    python data/tools/agreement.py [--data data]

data/second_labels.csv holds an independent second labelling (reference, kind, category,
themes) of records drawn across registers, made from data/LABELLING.md alone.
Prints Cohen's kappa for kind and category, percent
agreement, and F1 between the two labellings per theme and overall (either labelling may
be taken as the reference: F1 is symmetric).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import pandas as pd


def kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def f1(pairs: list[tuple[set[str], set[str]]], theme: str | None = None) -> float:
    tp = fp = fn = 0
    for first, second in pairs:
        if theme is not None:
            first, second = first & {theme}, second & {theme}
        tp += len(first & second)
        fp += len(second - first)
        fn += len(first - second)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def agreement(corpus: pd.DataFrame, second: pd.DataFrame) -> dict:
    by_ref = {row["reference"]: row for row in corpus.to_dict("records")}
    rows = [
        (by_ref[s["reference"]], s) for s in second.to_dict("records") if s["reference"] in by_ref
    ]
    kinds = ([r["kind"] for r, _ in rows], [s["kind"] for _, s in rows])
    both_complaints = [(r, s) for r, s in rows if r["kind"] == s["kind"] == "complaint"]
    cats = (
        [r["category"] for r, _ in both_complaints],
        [s["category"] for _, s in both_complaints],
    )
    pairs = [
        (set(filter(None, r["themes"].split(";"))), set(filter(None, s["themes"].split(";"))))
        for r, s in rows
    ]
    themes = sorted({t for p in pairs for t in p[0] | p[1]})
    per_theme = {t: round(f1(pairs, t), 3) for t in themes}
    by_register: dict[str, list] = {}
    for r, s in both_complaints:
        by_register.setdefault(r["register"], []).append(r["category"] == s["category"])
    return {
        "records": len(rows),
        "kind_kappa": round(kappa(*kinds), 3),
        "kind_agreement": round(sum(a == b for a, b in zip(*kinds, strict=True)) / len(rows), 3),
        "category_records": len(both_complaints),
        "category_kappa": round(kappa(*cats), 3),
        "category_agreement": round(
            sum(a == b for a, b in zip(*cats, strict=True)) / len(both_complaints), 3
        ),
        "category_agreement_by_register": {
            k: round(sum(v) / len(v), 2) for k, v in sorted(by_register.items())
        },
        "themes_micro_f1": round(f1(pairs), 3),
        "themes_macro_f1": round(sum(per_theme.values()) / len(per_theme), 3),
        "per_theme_f1": per_theme,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    read = lambda name: pd.read_csv(args.data / name, dtype=str, keep_default_na=False)  # noqa: E731
    corpus = pd.concat([read("train.csv"), read("test.csv")])
    print(json.dumps(agreement(corpus, read("second_labels.csv")), indent=1))


if __name__ == "__main__":
    main()
