"""How far an officer can trust what needs_review does not flag, and how calibrated the
probabilities are, on data/test.csv and data/heldout.csv (and per register).

For each file: the curve of flagged share (the least confident rows by the model's row
confidence) against kind accuracy, category accuracy and themes micro-F1 of the rows
left unflagged, the same figures at the shipped cut (``needs_review``), and the expected
calibration error (ECE, 10 equal-width bins) of the kind and category probabilities
(top label) and of every theme probability.

    python benchmarks/review_curve.py [--model FOLDER] [--out benchmarks/review_curve.md]
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from themes.dataset import Columns, prepare_labelled
from themes.model import ThemesModel
from themes.store import default_model_dir, load_model

REPO = Path(__file__).resolve().parents[1]
FILES = {"test.csv": REPO / "data" / "test.csv", "heldout.csv": REPO / "data" / "heldout.csv"}
SHARES = (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5)
TARGETS = {"kind": 0.99, "category": 0.92, "themes_micro_f1": 0.85, "flagged_at_most": 0.35}


@dataclass
class Outcomes:
    """Per row: right or wrong on each decision, confidence and the shipped flag."""

    kind_right: np.ndarray  # float; nan where no kind label
    category_right: np.ndarray  # float; nan where no category label
    theme_tp: np.ndarray
    theme_fp: np.ndarray
    theme_fn: np.ndarray
    confidence: np.ndarray
    flagged: np.ndarray
    kind_top: np.ndarray  # probability of the suggested kind
    category_top: np.ndarray
    theme_raw: np.ndarray  # rows x themes, calibrated (not the shown) probabilities
    theme_truth: np.ndarray
    register: np.ndarray


def outcomes(model: ThemesModel, frame: pd.DataFrame) -> Outcomes:
    """Suggest for every row of a labelled frame and score each decision."""
    data = prepare_labelled(frame, Columns(), model.taxonomy).data
    probs = model.predict_proba(data.texts)
    sug = model.suggest(data.texts, probs, always_categorise=True)
    n = len(data)
    kinds = data.kinds or [None] * n
    cats = data.categories or [None] * n
    themes = data.themes or [None] * n
    labels = model.theme_head_.classes_
    truth = np.zeros((n, len(labels)), dtype=int)
    pred = np.zeros_like(truth)
    for i in range(n):
        for t in themes[i] or []:
            truth[i, labels.index(t)] = 1
        for t in sug.themes[i]:
            pred[i, labels.index(t)] = 1
    return Outcomes(
        kind_right=np.array(
            [np.nan if not k else float(k == p) for k, p in zip(kinds, sug.kinds, strict=True)]
        ),
        category_right=np.array(
            [np.nan if not c else float(c == p) for c, p in zip(cats, sug.categories, strict=True)]
        ),
        theme_tp=(pred & truth).sum(axis=1),
        theme_fp=(pred & (1 - truth)).sum(axis=1),
        theme_fn=((1 - pred) & truth).sum(axis=1),
        confidence=np.asarray(sug.confidence, dtype=float),
        flagged=np.array([bool(r) for r in sug.review_reasons]),
        kind_top=probs["kind"].max(axis=1),
        category_top=probs["category"].max(axis=1),
        theme_raw=probs["themes"],
        theme_truth=truth,
        register=frame["register"].to_numpy() if "register" in frame else np.array([""] * n),
    )


def scores(o: Outcomes, keep: np.ndarray) -> dict[str, float]:
    """Kind and category accuracy and themes micro-F1 of the rows in ``keep``."""
    tp, fp, fn = o.theme_tp[keep].sum(), o.theme_fp[keep].sum(), o.theme_fn[keep].sum()
    return {
        "rows": int(keep.sum()),
        "kind": float(np.nanmean(o.kind_right[keep])) if keep.any() else float("nan"),
        "category": float(np.nanmean(o.category_right[keep])) if keep.any() else float("nan"),
        "themes_micro_f1": float(2 * tp / max(2 * tp + fp + fn, 1)),
    }


def curve(o: Outcomes) -> list[dict[str, float]]:
    """Unflagged scores when the least confident share of rows is flagged."""
    order = np.argsort(o.confidence, kind="stable")
    out = []
    for share in SHARES:
        keep = np.ones(len(order), dtype=bool)
        keep[order[: int(round(share * len(order)))]] = False
        out.append({"flagged": share, **scores(o, keep)})
    return out


def ece(prob: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |accuracy - mean probability| per bin, row-weighted."""
    ok = ~np.isnan(right)
    prob, right = prob[ok], right[ok]
    edges = np.minimum((prob * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = edges == b
        if sel.any():
            total += sel.sum() * abs(right[sel].mean() - prob[sel].mean())
    return float(total / max(len(prob), 1))


def calibration(o: Outcomes) -> dict[str, float]:
    return {
        "kind_ece": ece(o.kind_top, o.kind_right),
        "category_ece": ece(o.category_top, o.category_right),
        "themes_ece": ece(o.theme_raw.ravel(), o.theme_truth.ravel().astype(float)),
    }


def measure(model: ThemesModel, files: dict[str, Path] = FILES) -> dict[str, object]:
    results: dict[str, object] = {}
    for name, path in files.items():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        o = outcomes(model, frame)
        everything = np.ones(len(o.confidence), dtype=bool)
        per_register = {}
        for register in sorted(set(o.register.tolist()) - {""}):
            rows = o.register == register
            per_register[register] = {
                "rows": int(rows.sum()),
                "flagged": float(o.flagged[rows].mean()),
                "all": scores(o, rows),
                "unflagged": scores(o, rows & ~o.flagged),
            }
        results[name] = {
            "all": scores(o, everything),
            "shipped_cut": {
                "flagged": float(o.flagged.mean()),
                "unflagged": scores(o, ~o.flagged),
                "flagged_rows": scores(o, o.flagged),
            },
            "curve": curve(o),
            "calibration": calibration(o),
            "per_register": per_register,
        }
    return results


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"


def markdown(results: dict[str, object], model_note: str) -> str:
    lines = [
        "# needs_review and calibration (benchmarks/review_curve.py)",
        "",
        f"Model: {model_note}. Machine: {platform.machine()}, Python {platform.python_version()}.",
        "Targets (issue 15, own held-out registers): unflagged kind >= 0.99, category >= 0.92,",
        "themes micro-F1 >= 0.85 with at most 35% flagged. Category accuracy counts every row",
        "with a category label (compliments included), as the evaluation does.",
        "",
    ]
    for name, block in results.items():
        lines += [f"## {name}", ""]
        a, cut = block["all"], block["shipped_cut"]
        lines += [
            "| rows | flagged | kind | category | themes micro-F1 |",
            "|---|---|---|---|---|",
            _row(["all", "-", a["kind"], a["category"], a["themes_micro_f1"]]),
            _row(["unflagged at the shipped cut", cut["flagged"], *_three(cut["unflagged"])]),
            _row(["flagged at the shipped cut", cut["flagged"], *_three(cut["flagged_rows"])]),
            "",
            "Curve (least confident share flagged, scores of the rest):",
            "",
            "| flagged | unflagged rows | kind | category | themes micro-F1 |",
            "|---|---|---|---|---|",
        ]
        lines += [_row([c["flagged"], c["rows"], *_three(c)]) for c in block["curve"]]
        cal = block["calibration"]
        lines += [
            "",
            f"Calibration (ECE, lower is better): kind {cal['kind_ece']:.3f}, "
            f"category {cal['category_ece']:.3f}, themes {cal['themes_ece']:.3f}.",
            "",
            "Per register, at the shipped cut (all rows / unflagged rows):",
            "",
            "| register | rows | flagged | kind | category | themes micro-F1 | unflagged kind "
            "| unflagged category | unflagged themes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for register, r in block["per_register"].items():
            lines.append(
                _row(
                    [register, r["rows"], r["flagged"], *_three(r["all"]), *_three(r["unflagged"])]
                )
            )
        lines.append("")
    return "\n".join(lines)


def _three(s: dict[str, float]) -> list[float]:
    return [s["kind"], s["category"], s["themes_micro_f1"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".md"))
    args = parser.parse_args()
    loaded = load_model(args.model or default_model_dir())
    results = measure(loaded.model)
    note = f"{loaded.path.name} (engine {loaded.model.engine}, config in its meta.json)"
    args.out.write_text(markdown(results, note), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
