"""Three evaluations of the shipped engines: the random split, leave-one-register-out,
and the separately written held-out set (issues 15 point 4 and 16 point 4).

    python benchmarks/generalisation.py --engines fast,encoder [--registers officer_line,...]

Each engine is the product's own ``ThemesModel`` with its default settings for that
engine (``ModelConfig(engine=...)`` when the config knows engines; otherwise the fast
engine only). For leave-one-register-out the model is trained on every corpus record
(train and test splits) outside one register and scored on that register's records.
Nothing is tuned here. Sentence embeddings, when an engine uses them, are computed once
per distinct text for the whole run (a cache in front of the encoder step), so the
nine refits do not embed the corpus nine times; the vectors are the encoder's own.
Results: benchmarks/generalisation.json and .md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from themes.datacheck import REGISTERS
from themes.dataset import Columns, prepare_labelled
from themes.flows.evaluate import evaluate_model
from themes.flows.metrics import summary
from themes.model import ModelConfig, ThemesModel
from themes.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
KEYS = ("kind_accuracy", "category_accuracy", "themes_micro_f1", "themes_macro_f1")


def _config(engine: str) -> ModelConfig:
    names = {f.name for f in fields(ModelConfig)}
    if "engine" in names:
        return ModelConfig(engine=engine)
    if engine != "fast":
        raise SystemExit(f"this version of themes has no '{engine}' engine")
    return ModelConfig()


def _cache_encoder_step() -> None:
    """Put a per-text cache in front of the encoder feature step, if there is one."""
    try:
        from themes.encoder import EncoderFeatures
    except ImportError:
        return
    cache: dict[str, np.ndarray] = {}
    original = EncoderFeatures.transform

    def cached(self, X):  # same vectors, computed once per distinct text and encoder
        texts = ["" if not isinstance(t, str) else t for t in X]
        key = lambda t: hashlib.sha1(f"{self.encoder}\0{t}".encode()).hexdigest()  # noqa: E731
        missing = list(dict.fromkeys(t for t in texts if key(t) not in cache))
        if missing:
            for text, row in zip(missing, original(self, missing), strict=True):
                cache[key(text)] = row
        if not texts:
            return original(self, texts)
        return np.stack([cache[key(t)] for t in texts])

    EncoderFeatures.transform = cached


def _scores(model: ThemesModel, frame: pd.DataFrame, taxonomy) -> dict[str, float]:
    prepared = prepare_labelled(frame, Columns(), taxonomy)
    return {k: round(v, 4) for k, v in summary(evaluate_model(model, prepared.data)).items()}


def _fit(frame: pd.DataFrame, engine: str, taxonomy) -> ThemesModel:
    prepared = prepare_labelled(frame, Columns(), taxonomy)
    return ThemesModel(taxonomy, _config(engine)).fit(prepared.data)


def run(engine: str, registers: tuple[str, ...]) -> dict:
    taxonomy = load_taxonomy(DATA / "taxonomy.yaml")
    read = lambda n: pd.read_csv(DATA / n, dtype=str, keep_default_na=False)  # noqa: E731
    train, test, heldout = read("train.csv"), read("test.csv"), read("heldout.csv")
    started = time.process_time()
    model = _fit(train, engine, taxonomy)
    result: dict = {
        "random_split": _scores(model, test, taxonomy),
        "heldout": _scores(model, heldout, taxonomy),
        "heldout_by_register": {
            r: _scores(model, heldout[heldout.register == r], taxonomy) for r in REGISTERS
        },
        "random_split_by_register": {
            r: _scores(model, test[test.register == r], taxonomy) for r in REGISTERS
        },
    }
    corpus = pd.concat([train, test], ignore_index=True)
    loro = {}
    for register in registers:
        inside = corpus.register == register
        left_out = _fit(corpus[~inside], engine, taxonomy)
        loro[register] = _scores(left_out, corpus[inside], taxonomy)
    result["loro"] = loro
    result["loro_mean"] = {
        k: round(float(np.mean([v[k] for v in loro.values() if k in v])), 4) for k in KEYS if loro
    }
    result["cpu_seconds"] = round(time.process_time() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="fast")
    parser.add_argument("--registers", default=",".join(REGISTERS))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "generalisation.json")
    args = parser.parse_args()
    _cache_encoder_step()
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    registers = tuple(r for r in args.registers.split(",") if r)
    for engine in args.engines.split(","):
        results[engine] = run(engine, registers)
        results[engine]["machine"] = (
            f"{platform.machine()}, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end"
        )
        args.out.write_text(json.dumps(results, indent=1))
        r = results[engine]
        print(engine, r["random_split"], r["heldout"], r["loro_mean"], r["cpu_seconds"], flush=True)


if __name__ == "__main__":
    main()
