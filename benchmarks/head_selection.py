"""Choosing each head's regularisation (and the category head's features) by how well it
reads registers it was not trained on (issue 15 point 4).

For every register of the corpus (train and test splits), the encoder engine is trained
on the other registers and scored on that one (leave-one-register-out, LORO); each head
is trained alone (only its labels given), for each setting in its grid. The choice is
made on the LORO mean only: kind accuracy over all nine registers, category accuracy over
the five complaint registers (the compliment registers hold 2-13 complaints each, so
their category accuracy is noise), themes (micro-F1 + macro-F1) / 2 over all nine. The
random split (data/test.csv) and the separately written held-out set are scored too, for
the record, and never used to choose. The features of each fold are computed once
(TF-IDF fitted on the fold's training texts, sentence embeddings cached per text) and
shared by every setting, which gives the same model as training from scratch.

    PYTHONPATH=src python benchmarks/head_selection.py   # -> benchmarks/head_selection.{md,json}
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generalisation import _cache_encoder_step  # noqa: E402

from themes.datacheck import REGISTERS  # noqa: E402
from themes.dataset import Columns, prepare_labelled  # noqa: E402
from themes.flows.metrics import theme_scores  # noqa: E402
from themes.model import LabelledData, ModelConfig, ThemesModel  # noqa: E402
from themes.model.config import TFIDF_STEPS  # noqa: E402
from themes.model.features import Featuriser  # noqa: E402
from themes.taxonomy import load_taxonomy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
COMPLAINT_REGISTERS = ("officer_line", "formal_summary", "own_letter", "phone_note", "young_person")
ALL_STEPS = (*TFIDF_STEPS, "encoder")
# Each head's settings to try; the current default of each is among them.
GRIDS: dict[str, list[dict]] = {
    "kind": [{"kind_c": c} for c in (0.5, 1.0, 2.0, 4.0, 8.0)],
    "category": [
        {"category_c": c, "head_features": {"category": steps}}
        for steps in (TFIDF_STEPS, ALL_STEPS)
        for c in (0.5, 1.0, 2.0, 4.0, 8.0)
    ],
    "themes": [{"theme_svm_c": c} for c in (0.1, 0.2, 0.3, 0.5)],
    # How much of each theme's threshold is its own F1-best one (the rest is shared).
    "themes thresholds": [{"theme_threshold_own": x} for x in (0.0, 0.2, 0.4, 0.7)],
}


def _cache_featuriser() -> None:
    """Fit each fold's features once: same texts and feature settings, same features."""
    cache: dict[str, tuple] = {}
    original = Featuriser.fit_blocks

    def fit_blocks(self, texts):
        c = self.config or ModelConfig()
        feature_settings = (c.engine, c.encoder, c.encoder_weight, c.word_ngrams, c.char_ngrams)
        key = hashlib.sha1(
            json.dumps([list(texts), repr(feature_settings), repr(c.text)]).encode()
        ).hexdigest()
        if key not in cache:
            blocks = original(self, texts)
            cache[key] = (self.normaliser_, self.steps_, blocks)
        self.normaliser_, self.steps_, blocks = cache[key]
        return blocks

    Featuriser.fit_blocks = fit_blocks


def _head(grid: str) -> str:
    return grid.split()[0]


def _only(data: LabelledData, head: str) -> LabelledData:
    return LabelledData(
        texts=data.texts,
        kinds=data.kinds if head == "kind" else None,
        categories=data.categories if head == "category" else None,
        themes=data.themes if head == "themes" else None,
    )


def _score(model: ThemesModel, data: LabelledData, head: str) -> dict[str, float] | None:
    if head == "themes":
        rows = [i for i, t in enumerate(data.themes or []) if t is not None]
        if not rows:
            return None
        labels = model.theme_head_.classes_
        texts = [data.texts[i] for i in rows]
        predicted = model.suggest(texts).themes
        truth = np.array([[int(t in data.themes[i]) for t in labels] for i in rows])
        guess = np.array([[int(t in p) for t in labels] for p in predicted])
        s = theme_scores(truth, guess, labels)
        return {"micro_f1": s["micro_f1"], "macro_f1": s["macro_f1"], "rows": len(rows)}
    values = data.kinds if head == "kind" else data.categories
    rows = [i for i, v in enumerate(values or []) if v]
    if not rows:
        return None
    single = model.kind_head_ if head == "kind" else model.category_head_
    proba = model.predict_proba([data.texts[i] for i in rows])[head]
    predicted = np.asarray(single.classes_)[proba.argmax(axis=1)]
    right = predicted == np.array([values[i] for i in rows])
    return {"accuracy": float(right.mean()), "rows": len(rows)}


def _objective(head: str, loro: dict[str, dict]) -> float:
    if head == "kind":
        return float(np.mean([s["accuracy"] for s in loro.values() if s]))
    if head == "category":
        return float(np.mean([loro[r]["accuracy"] for r in COMPLAINT_REGISTERS if loro.get(r)]))
    return float(np.mean([(s["micro_f1"] + s["macro_f1"]) / 2 for s in loro.values() if s]))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--grids", default=",".join(GRIDS), help="which grids to run")
    args = parser.parse_args()
    _cache_encoder_step()
    _cache_featuriser()
    taxonomy = load_taxonomy(DATA / "taxonomy.yaml")
    read = lambda n: pd.read_csv(DATA / n, dtype=str, keep_default_na=False)  # noqa: E731
    prep = lambda f: prepare_labelled(f, Columns(), taxonomy).data  # noqa: E731
    train, test, heldout = read("train.csv"), read("test.csv"), read("heldout.csv")
    corpus = pd.concat([train, test], ignore_index=True)
    folds = {
        r: (prep(corpus[corpus.register != r]), prep(corpus[corpus.register == r]))
        for r in REGISTERS
    }
    train_data, test_data, heldout_data = prep(train), prep(test), prep(heldout)
    base = ModelConfig(engine="encoder")
    started = time.process_time()
    path = ROOT / "benchmarks" / "head_selection.json"
    results: dict = json.loads(path.read_text()) if path.exists() else {"heads": {}}
    results.setdefault("cpu_seconds_by_grid", {})
    if "cpu_seconds" in results:  # a run of the first three grids in one go
        results["cpu_seconds_by_grid"]["kind, category, themes"] = results.pop("cpu_seconds")
    for name in args.grids.split(","):
        grid, head = GRIDS[name], _head(name)
        results["heads"][name] = []
        for setting in grid:
            kwargs = dict(setting)
            if "head_features" in kwargs:
                kwargs["head_features"] = {k: tuple(v) for k, v in kwargs["head_features"].items()}
            config = replace(base, **kwargs)
            loro = {}
            for register, (inside, outside) in folds.items():
                model = ThemesModel(taxonomy, config).fit(_only(inside, head))
                loro[register] = _score(model, outside, head)
            model = ThemesModel(taxonomy, config).fit(_only(train_data, head))
            entry = {
                "setting": setting,
                "loro": loro,
                "objective": round(_objective(head, loro), 4),
                "random_split": _score(model, test_data, head),
                "heldout": _score(model, heldout_data, head),
            }
            results["heads"][name].append(entry)
            print(head, setting, entry["objective"], entry["heldout"], flush=True)
        results["cpu_seconds_by_grid"][name] = round(time.process_time() - started, 1)
        started = time.process_time()
    results["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    results["date"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    out = ROOT / "benchmarks"
    (out / "head_selection.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out / "head_selection.md").write_text(render(results), encoding="utf-8")


def _main_figure(head: str, s: dict | None) -> str:
    if not s:
        return "-"
    if head == "themes":
        return f"{s['micro_f1']:.3f} / {s['macro_f1']:.3f}"
    return f"{s['accuracy']:.3f}"


def render(results: dict) -> str:
    lines = [
        "# Each head's settings chosen by leave-one-register-out (benchmarks/head_selection.py)",
        "",
        f"{results['date']}, {results['machine']}, "
        f"{sum(results['cpu_seconds_by_grid'].values()):.0f} CPU seconds. "
        "Encoder engine; each head trained alone. **Chosen by the LORO column only** (kind: "
        "accuracy, mean of nine registers; category: accuracy, mean of the five complaint "
        "registers; themes: (micro-F1 + macro-F1) / 2, mean of nine). The random split and "
        "held-out columns were not used to choose. Themes cells are micro-F1 / macro-F1.",
        "",
    ]
    for name, entries in results["heads"].items():
        head = _head(name)
        best = max(entries, key=lambda e: e["objective"])
        lines += [
            f"## {name}",
            "",
            "| setting | LORO (chosen by) | random split | held-out set |",
            "|---|---|---|---|",
        ]
        for e in entries:
            mark = " **best**" if e is best else ""
            setting = json.dumps(e["setting"]).replace("|", "/")
            lines.append(
                f"| `{setting}`{mark} | {e['objective']:.4f} | "
                f"{_main_figure(head, e['random_split'])} | {_main_figure(head, e['heldout'])} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
