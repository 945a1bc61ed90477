"""Which text and feature steps help? Cross-validation on the starter corpus's training split.

The test split is never used here (it is kept for the final, untuned figure).
Usage: python benchmarks/ablation.py [--folds 3] [--out benchmarks/ablation.md]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from themes.dataset import Columns, prepare_labelled
from themes.evaluate import evaluate_predictions, summary
from themes.model import LabelledData, ModelConfig, ThemesModel, suppress_sklearn_warnings
from themes.text import TextConfig

ROOT = Path(__file__).resolve().parents[1]

VARIANTS: dict[str, ModelConfig] = {
    "default": ModelConfig(),
    "no abbreviation expansion": ModelConfig(text=TextConfig(expand_abbreviations=False)),
    "no contact masking": ModelConfig(text=TextConfig(mask_contacts=False)),
    "negation marking": ModelConfig(text=TextConfig(mark_negation=True)),
    "words only (no char n-grams)": ModelConfig(char_ngrams=None),
    "word unigrams only": ModelConfig(word_ngrams=(1, 1)),
    "C/4 (themes 0.075, others 1)": ModelConfig(theme_svm_c=0.075, category_c=1.0, kind_c=1.0),
    "C*2.5 (themes 0.75, others 10)": ModelConfig(theme_svm_c=0.75, category_c=10.0, kind_c=10.0),
}


def subset(data: LabelledData, idx: np.ndarray) -> LabelledData:
    pick = lambda values: None if values is None else [values[i] for i in idx]  # noqa: E731
    return LabelledData(
        texts=[data.texts[i] for i in idx],
        kinds=pick(data.kinds),
        categories=pick(data.categories),
        themes=pick(data.themes),
    )


def cross_validate(prepared, config: ModelConfig, folds: int) -> dict[str, float]:
    data = prepared.data
    scores: list[dict[str, float]] = []
    seconds = 0.0
    for train_idx, val_idx in KFold(folds, shuffle=True, random_state=7).split(data.texts):
        model = ThemesModel(prepared.taxonomy, config)
        started = time.perf_counter()
        model.fit(subset(data, train_idx))
        seconds += time.perf_counter() - started
        val = subset(data, val_idx)
        metrics = evaluate_predictions(model, val, model.predict(val.texts, always_categorise=True))
        scores.append(summary(metrics))
    mean = {k: round(float(np.mean([s[k] for s in scores])), 4) for k in scores[0]}
    mean["train_seconds"] = round(seconds / folds, 1)
    return mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "ablation.md")
    args = parser.parse_args()
    suppress_sklearn_warnings()
    frame = pd.read_csv(ROOT / "data" / "train.csv", dtype=str, keep_default_na=False)
    prepared = prepare_labelled(frame, Columns())
    rows = []
    for name, config in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        result = cross_validate(prepared, replace(config, cv_folds=5), args.folds)
        print(name, json.dumps(result), flush=True)
        rows.append({"variant": name, **result})
    table = pd.DataFrame(rows)
    header = (
        f"# Ablation on the starter corpus\n\n{args.folds}-fold cross-validation on "
        f"data/train.csv ({len(frame)} rows); the test split is not used. Means over folds.\n\n"
    )
    args.out.write_text(header + markdown_table(table) + "\n")


def markdown_table(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
