"""How many corrections does it take to learn a council's own habits?

Simulates a council whose practice differs from the starter corpus in two
systematic ways: every complaint about bias is filed under the category
"staff", and visits are recorded as meetings (theme "visits" replaced by
"meetings"). A base model is trained on the starter training split minus 800
records; those 800 records and the starter test split, relabelled the council's
way, are the council's log. A fixed fifth of that log (the same hash slice that
`themes retrain` holds out) is kept to measure on; corrections are drawn from the
rest, 0, 50, 100, 200 and 400 of them, and fed to `themes.retrain.retrain`.

Usage: python benchmarks/retrain_curve.py [--out benchmarks/retrain_curve.md]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themes.dataset import Columns, prepare_labelled
from themes.evaluate import evaluate_predictions
from themes.registry import Registry, load_model
from themes.retrain import RetrainOptions, is_held_out, retrain
from themes.training import train_from_file

ROOT = Path(__file__).resolve().parents[1]
STEPS = (0, 50, 100, 200, 400)
COUNCIL_FROM_TRAIN = 800


def council_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Relabel records the simulated council's way."""
    out = frame.copy()
    themes = out["themes"].str.split(";")
    bias = themes.map(lambda t: "bias" in t) & (out["kind"] == "complaint")
    out.loc[bias, "category"] = "staff"

    def visits_as_meetings(items: list[str]) -> str:
        if "visits" not in items:
            return ";".join(items)
        kept = [t for t in items if t != "visits"]
        if "meetings" not in kept:
            kept.append("meetings")
        return ";".join(kept)

    out["themes"] = themes.map(visits_as_meetings)
    out["habit_bias"] = bias
    out["habit_visits"] = themes.map(lambda t: "visits" in t)
    return out


def measure(model_dir: Path, held: pd.DataFrame) -> dict[str, float]:
    model = load_model(model_dir).model
    prepared = prepare_labelled(
        held[["reference", "text", "kind", "themes", "category"]], Columns(), model.taxonomy
    )
    predictions = model.predict(prepared.data.texts, always_categorise=True)
    scores = evaluate_predictions(model, prepared.data, predictions)
    bias_rows = np.flatnonzero(held["habit_bias"].to_numpy())
    visit_rows = np.flatnonzero(held["habit_visits"].to_numpy())
    return {
        "category_accuracy": scores["category"]["accuracy"],
        "themes_micro_f1": scores["themes"]["micro_f1"],
        "themes_macro_f1": scores["themes"]["macro_f1"],
        "bias_filed_as_staff": float(
            np.mean([predictions[i].category == "staff" for i in bias_rows])
        ),
        "visits_recorded_as_meetings": float(
            np.mean(
                [
                    "meetings" in predictions[i].themes and "visits" not in predictions[i].themes
                    for i in visit_rows
                ]
            )
        ),
        "bias_rows": len(bias_rows),
        "visit_rows": len(visit_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "retrain_curve.md")
    parser.add_argument("--weight", type=float, default=RetrainOptions().correction_weight)
    parser.add_argument("--steps", type=int, nargs="*", default=list(STEPS))
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    train = pd.read_csv(ROOT / "data" / "train.csv", dtype=str, keep_default_na=False)
    test = pd.read_csv(ROOT / "data" / "test.csv", dtype=str, keep_default_na=False)
    council_idx = rng.choice(len(train), COUNCIL_FROM_TRAIN, replace=False)
    base = train.drop(index=council_idx)
    council = council_labels(pd.concat([train.iloc[council_idx], test], ignore_index=True))
    held_mask = [
        is_held_out(r, t, 20) for r, t in zip(council["reference"], council["text"], strict=True)
    ]
    held = council[held_mask].reset_index(drop=True)
    pool = council[~np.array(held_mask)].sample(frac=1.0, random_state=3).reset_index(drop=True)

    work = Path(tempfile.mkdtemp(prefix="retrain_curve_"))
    try:
        base_file = work / "base.csv"
        base.to_csv(base_file, index=False)
        started = time.perf_counter()
        train_from_file(base_file, work / "base_model")
        base_seconds = time.perf_counter() - started
        rows = []
        for n in args.steps:
            if n == 0:
                model_dir = work / "base_model"
                seconds = 0.0
                gate = "-"
            else:
                registry = Registry(work / f"registry_{n}")
                registry.root.mkdir()
                shutil.copytree(work / "base_model", registry.root / "default")
                # The council reviewed n records plus the held-out slice; retrain keeps
                # the slice out of training itself (same hash) and judges on it.
                corrections = pd.concat([pool.head(n), held], ignore_index=True)
                corrections["reviewed"] = "yes"
                path = work / f"corrections_{n}.csv"
                corrections.drop(columns=["habit_bias", "habit_visits"]).to_csv(path, index=False)
                started = time.perf_counter()
                result = retrain(
                    [path], registry, RetrainOptions(force=True, correction_weight=args.weight)
                )
                seconds = time.perf_counter() - started
                model_dir = result.version.path
                gate = (
                    "passed" if result.gate.passed else "refused: " + "; ".join(result.gate.reasons)
                )
            scores = measure(model_dir, held)
            rows.append(
                {"corrections": n, **scores, "retrain_seconds": round(seconds, 1), "gate": gate}
            )
            print(rows[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# Learning a council's habits from corrections",
        "",
        "Simulated council (see `benchmarks/retrain_curve.py`): bias complaints filed under",
        "`staff`; visits recorded as `meetings`. Base model: starter training split minus the",
        f"council's {COUNCIL_FROM_TRAIN} records ({len(base)} rows, trained in "
        f"{base_seconds:.0f}s). Measured on",
        f"the council's held-out {len(held)} records, labelled the council's way",
        f"({rows[0]['bias_rows']} bias complaints, {rows[0]['visit_rows']} with visits).",
        f"Corrections weigh {args.weight:g} starter rows each; each retrain is forced active so "
        "every step is",
        "measured; the gate column says what the gate decided.",
        "",
        "| corrections | category accuracy | themes micro-F1 | themes macro-F1 "
        "| bias filed as staff | visits recorded as meetings | retrain s | gate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['corrections']} | {r['category_accuracy']:.3f} | {r['themes_micro_f1']:.3f} | "
            f"{r['themes_macro_f1']:.3f} | {r['bias_filed_as_staff']:.0%} | "
            f"{r['visits_recorded_as_meetings']:.0%} | {r['retrain_seconds']} | {r['gate']} |"
        )
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
