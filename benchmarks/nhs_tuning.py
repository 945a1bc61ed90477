"""Choosing the encoder engine's settings for the NHS benchmark on three of its five splits.

Issue 15 asks that figures are not tuned to the splits they are reported on. This script
tries a few ModelConfig settings on splits 0-2 only (the same 80/20 splits as
``benchmarks/run.py``), with the plain baseline on the same splits for reference, and
writes ``benchmarks/nhs_tuning.{md,json}``. The chosen setting is then measured by
``run.py --seeds 3,4`` with ``THEMES_BENCH_CONFIG`` on the two splits never looked at.

    PYTHONPATH=src python benchmarks/nhs_tuning.py
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402

from themes.flows.metrics import single_label_scores, theme_scores  # noqa: E402

TUNING_SEEDS = (0, 1, 2)
# Settings tried, per task: the multi-label task has no category head, the single-label
# task no theme head, so each task tries only the settings that can change it.
CANDIDATES: dict[str, dict[str, dict]] = {
    "multi": {
        "default": {},
        "encoder weight 1.5": {"encoder_weight": 1.5},
        "theme C 0.5": {"theme_svm_c": 0.5},
        "theme thresholds mostly shared (own 0.2)": {"theme_threshold_own": 0.2},
    },
    "single": {
        "default": {},
        "category reads the encoder": {"head_features": {}},
        "category reads the encoder, weight 1.5": {"head_features": {}, "encoder_weight": 1.5},
        "category reads the encoder, C 8": {"head_features": {}, "category_c": 8.0},
    },
}


def _fit_score(task: str, data, seed: int, config: dict | None) -> dict[str, float]:
    train, test = bench.split(task, data, seed)
    texts = [data.texts[i] for i in train]
    tests = [data.texts[i] for i in test]
    if config is None:
        system = bench.make_system("baseline")
    else:
        os.environ["THEMES_BENCH_CONFIG"] = json.dumps(config)
        system = bench.make_system("themes")
    started = time.perf_counter()
    if task == "multi":
        system.fit(texts, data.Y[train], None, data.labels)
        scores = theme_scores(data.Y[test], system.predict_multilabel(tests), data.labels)
        out = {"macro_f1": scores["macro_f1"], "micro_f1": scores["micro_f1"]}
    else:
        system.fit(texts, None, data.y[train], data.labels)
        scores = single_label_scores(
            data.y[test].tolist(), system.predict_single(tests), data.labels
        )
        out = {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]}
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def main() -> None:
    os.environ.setdefault("THEMES_BENCH_MODEL_ENGINE", "encoder")
    data_dir = bench.DEFAULT_DATA_DIR
    tasks = {"multi": bench.load_multilabel(data_dir), "single": bench.load_single(data_dir)}
    results: dict = {"seeds": list(TUNING_SEEDS), "candidates": {}, "baseline": {}}
    for task, data in tasks.items():
        for seed in TUNING_SEEDS:
            results["baseline"].setdefault(task, []).append(_fit_score(task, data, seed, None))
            for name, config in CANDIDATES[task].items():
                score = _fit_score(task, data, seed, config)
                results["candidates"].setdefault(task, {}).setdefault(name, []).append(score)
                print(f"{task} split {seed} {name}: {score}", file=sys.stderr, flush=True)
    results["machine"] = f"{os.cpu_count()} cores, {platform.platform()}"
    results["date"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    out = Path(__file__).resolve().parent
    (out / "nhs_tuning.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "nhs_tuning.md").write_text(render(results), encoding="utf-8")


def _mean(runs: list[dict], key: str) -> float:
    return statistics.fmean(r[key] for r in runs)


def render(results: dict) -> str:
    base = results["baseline"]
    lines = [
        "# Encoder engine settings chosen on NHS splits 0-2",
        "",
        f"`benchmarks/nhs_tuning.py`, {results['date']}, {results['machine']}. Means over "
        "splits 0, 1 and 2 of `benchmarks/run.py` (80/20, same seeds); the baseline is "
        "run.py's plain TF-IDF + LinearSVC on the same splits. Splits 3 and 4 were not "
        "looked at here; the chosen settings are measured on them in "
        "`nhs_encoder_heldout_splits/results.md`.",
        "",
    ]
    metrics = {"multi": ("macro_f1", "micro_f1"), "single": ("accuracy", "macro_f1")}
    for task, keys in metrics.items():
        b = [_mean(base[task], k) for k in keys]
        lines += [
            f"## {'Multi-label themes' if task == 'multi' else 'Single-label category'}",
            "",
            f"| setting | {keys[0]} | {keys[1]} | gain over baseline | per split ({keys[0]}) |",
            "|---|---|---|---|---|",
            f"| baseline | {b[0]:.3f} | {b[1]:.3f} | | "
            + ", ".join(f"{r[keys[0]]:.3f}" for r in base[task])
            + " |",
        ]
        for name, runs in results["candidates"][task].items():
            v = [_mean(runs, k) for k in keys]
            config = json.dumps(CANDIDATES[task][name]) if CANDIDATES[task][name] else "default"
            lines.append(
                f"| {name} (`{config}`) | {v[0]:.3f} | {v[1]:.3f} | "
                f"{v[0] - b[0]:+.3f} / {v[1] - b[1]:+.3f} | "
                + ", ".join(f"{r[keys[0]]:.3f}" for r in runs)
                + " |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
