"""Benchmarks on public NHS patient-feedback data: themes against two other systems, in one run.

Systems, each trained and scored on exactly the same splits, with the same metric code
(``themes.evaluate.theme_scores`` / ``single_label_scores``):

* ``themes``: this project's engine, used only through its public API (``ThemesModel``);
* ``reference``: a re-implementation from its published description of the quick model of
  NHS England's patient-feedback classifier (pxtextmining): ``TfidfVectorizer()`` with
  default settings, then ``SVC(C=15, class_weight="balanced", probability=True,
  max_iter=1000)`` per label through ``MultiOutputClassifier`` (a single SVC for the
  single-label task). Labels come from each SVC's ``predict``;
* ``baseline``: a plain linear model: TF-IDF word 1-2 grams + character 2-5 grams, one
  ``LinearSVC(class_weight="balanced")`` per label, no threshold tuning.

Sections: (1) multi-label themes, (2) single-label category, (3) learning curves with 100,
300 and 1,000 training rows, (4) speed of the engine: streamed tagging of 100,000 and
1,000,000 texts, ``themes suggest`` latency, model load time and size on disk.

Every training run and every tagging run happens in its own child process so that its peak
resident memory (``ru_maxrss`` from ``os.wait4``) is its own. Children run with one BLAS
thread and scikit-learn ``n_jobs=1``.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/run.py            # full run -> benchmarks/results.{md,json}
    PYTHONPATH=src python benchmarks/run.py --quick    # development -> benchmarks/_work/

See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
# Scratch folder (engine copy, model, job files); THEMES_BENCH_WORK gives two runs at
# once a folder each, so one never replaces the other's engine copy or model.
WORK = Path(os.environ.get("THEMES_BENCH_WORK") or BENCH / "_work")
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "benchmarks"

MULTILABEL_FILE = "nhs_feedback_multilabel.csv"
MULTILABEL_TEXT = "FFT answer"
# Label columns start at the 12th column ("Not assigned"); these two are not themes.
MULTILABEL_FIRST_LABEL = 11
MULTILABEL_EXCLUDED = ("Labelling not possible", "Not assigned")
MIN_POSITIVES = 20
SINGLE_FILE = "nhs_feedback_categories.csv"
SINGLE_TEXT = "feedback"
SINGLE_LABEL = "label"

SYSTEMS = ("themes", "reference", "baseline")
SEEDS = (0, 1, 2, 3, 4)
TEST_SIZE = 0.2
CURVE_SIZES = (100, 300, 1000)
SUGGEST_TEXT = (
    "Waited over two hours for my appointment and nobody told us why; "
    "the nurse was kind but the reception staff were rude."
)
# Children: one BLAS/OpenMP thread each (the machine is shared; n_jobs=1 everywhere).
ENGINE_ENV = "THEMES_BENCH_ENGINE"
CHILD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}


@dataclass(frozen=True)
class Mode:
    """What a run covers: the full benchmark or the quick development version."""

    quick: bool
    seeds: tuple[int, ...]
    reference_max_train: int | None  # cap on the reference's training rows (it is slow)
    max_train: int | None  # cap on every system's training rows (quick mode only)
    curve_sizes: tuple[int, ...]
    tag_sizes: tuple[int, ...]
    suggest_runs: int
    out_dir: Path


def make_mode(args: argparse.Namespace) -> Mode:
    if args.quick:
        return Mode(
            quick=True,
            seeds=SEEDS[:1],
            reference_max_train=args.reference_max_train or 1500,
            max_train=args.max_train or 1500,
            curve_sizes=(100, 300),
            tag_sizes=(5_000, 20_000),
            suggest_runs=5,
            out_dir=WORK,
        )
    return Mode(
        quick=False,
        seeds=tuple(int(x) for x in args.seeds.split(",")) if args.seeds else SEEDS[: args.splits],
        reference_max_train=args.reference_max_train,
        max_train=args.max_train,
        curve_sizes=CURVE_SIZES,
        tag_sizes=(20_000, 100_000) if args.skip_million else (20_000, 100_000, 1_000_000),
        suggest_runs=20,
        out_dir=BENCH,
    )


# --------------------------------------------------------------------------------- data
@dataclass
class MultiLabelData:
    texts: list[str]
    Y: np.ndarray  # rows x labels, 0/1
    labels: list[str]
    dropped: dict[str, Any]


@dataclass
class SingleLabelData:
    texts: list[str]
    y: np.ndarray  # label strings
    labels: list[str]
    dropped: dict[str, Any]


def _has_text(series: pd.Series) -> np.ndarray:
    return series.fillna("").astype(str).str.strip().ne("").to_numpy()


def load_multilabel(data_dir: Path) -> MultiLabelData:
    """Rows with text; themes = 0/1 columns with >= 20 positives (two excluded); unlabelled
    rows (no remaining theme) dropped."""
    frame = pd.read_csv(data_dir / MULTILABEL_FILE)
    with_text = _has_text(frame[MULTILABEL_TEXT])
    frame = frame[with_text]
    candidates = [c for c in frame.columns[MULTILABEL_FIRST_LABEL:] if c not in MULTILABEL_EXCLUDED]
    matrix = frame[candidates].fillna(0).to_numpy(dtype=float).astype(int)
    keep = matrix.sum(axis=0) >= MIN_POSITIVES
    labels = [c for c, k in zip(candidates, keep, strict=True) if k]
    Y = matrix[:, keep]
    labelled = Y.sum(axis=1) > 0
    texts = frame[MULTILABEL_TEXT].astype(str).to_numpy()[labelled].tolist()
    return MultiLabelData(
        texts=texts,
        Y=Y[labelled],
        labels=labels,
        dropped={
            "rows_in_file": int(len(with_text)),
            "rows_without_text": int((~with_text).sum()),
            "rows_without_kept_label": int((~labelled).sum()),
            "labels_below_min_positives": [
                c for c, k in zip(candidates, keep, strict=True) if not k
            ],
        },
    )


def load_single(data_dir: Path) -> SingleLabelData:
    frame = pd.read_csv(data_dir / SINGLE_FILE)
    ok = _has_text(frame[SINGLE_TEXT]) & frame[SINGLE_LABEL].notna().to_numpy()
    frame = frame[ok]
    y = frame[SINGLE_LABEL].astype(str).str.strip().to_numpy()
    return SingleLabelData(
        texts=frame[SINGLE_TEXT].astype(str).tolist(),
        y=y,
        labels=sorted(set(y.tolist())),
        dropped={"rows_in_file": int(len(ok)), "rows_without_text_or_label": int((~ok).sum())},
    )


def split(task: str, data: MultiLabelData | SingleLabelData, seed: int) -> tuple[Any, Any]:
    """Train and test row indices of one 80/20 split (stratified for the single-label task)."""
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    n = len(data.texts)
    if task == "single":
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=TEST_SIZE, random_state=seed)
        return next(splitter.split(np.zeros(n), data.y))
    splitter = ShuffleSplit(n_splits=1, test_size=TEST_SIZE, random_state=seed)
    return next(splitter.split(np.zeros(n)))


def subsample(train: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """A fixed random subset of the training rows (all of them when size is None or larger)."""
    if size is None or size >= len(train):
        return train
    rng = np.random.default_rng(10_000 + seed)
    return np.sort(rng.choice(train, size=size, replace=False))


# ------------------------------------------------------------------------------ systems
def themes_training_data(
    texts: list[str], Y: np.ndarray | None, y: np.ndarray | None, labels: list[str]
) -> tuple[Any, Any]:
    """A taxonomy from the task's labels and the rows as themes' LabelledData.

    ``Y`` (rows x labels, 0/1) for the multi-label task, else ``y`` (one label per row).
    """
    from themes.model import LabelledData
    from themes.taxonomy import taxonomy_from_labels

    if Y is not None:
        taxonomy = taxonomy_from_labels([], [], labels, name="NHS feedback themes")
        themes = [[labels[j] for j in np.flatnonzero(row)] for row in Y]
        return taxonomy, LabelledData(texts=texts, themes=themes)
    assert y is not None
    taxonomy = taxonomy_from_labels([], labels, [], name="NHS feedback categories")
    return taxonomy, LabelledData(texts=texts, categories=[str(v) for v in y])


def suppress_sklearn_warnings() -> None:
    """Silence scikit-learn's convergence chatter in this benchmark process."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def bench_config() -> dict[str, Any]:
    """ModelConfig settings from THEMES_BENCH_CONFIG (JSON), e.g. a setting chosen on some
    splits by benchmarks/nhs_tuning.py and then measured here on the others."""
    raw = json.loads(os.environ.get("THEMES_BENCH_CONFIG", "") or "{}")
    if isinstance(raw.get("head_features"), dict):
        raw["head_features"] = {k: tuple(v) for k, v in raw["head_features"].items()}
    return raw


class ThemesSystem:
    """The engine, through its public API only."""

    def __init__(self) -> None:
        suppress_sklearn_warnings()
        self.model: Any = None
        self.labels: list[str] = []

    def fit(self, texts: list[str], Y: np.ndarray | None, y: np.ndarray | None, labels) -> None:
        from themes.model import ModelConfig, ThemesModel

        self.labels = list(labels)
        taxonomy, data = themes_training_data(texts, Y, y, self.labels)
        # The engine measured here: THEMES_BENCH_MODEL_ENGINE (fast, as in round 1, or encoder).
        engine = os.environ.get("THEMES_BENCH_MODEL_ENGINE", "fast")
        self.model = ThemesModel(taxonomy, ModelConfig(engine=engine, **bench_config()))
        self.model.fit(data)

    def predict_multilabel(self, texts: list[str]) -> np.ndarray:
        index = {label: j for j, label in enumerate(self.labels)}
        out = np.zeros((len(texts), len(self.labels)), dtype=int)
        for i, prediction in enumerate(self.model.predict(texts)):
            for theme in prediction.themes:
                out[i, index[theme]] = 1
        return out

    def predict_single(self, texts: list[str]) -> list[str]:
        return [p.category for p in self.model.predict(texts)]


def _per_label(make_estimator: Callable[[], Any]) -> Any:
    """One classifier per label through ``MultiOutputClassifier``.

    A label with no positive (or no negative) training row cannot be fitted by SVC; it is
    predicted as that constant instead (this only happens in the small learning-curve runs).
    """
    from sklearn.base import BaseEstimator

    class PerLabel(BaseEstimator):
        def __init__(self, make_estimator: Callable[[], Any] = make_estimator) -> None:
            self.make_estimator = make_estimator

        def fit(self, X: Any, Y: np.ndarray) -> Any:
            from sklearn.multioutput import MultiOutputClassifier

            self.varying_ = np.flatnonzero(Y.min(axis=0) != Y.max(axis=0))
            self.constant_ = Y[0].copy()
            self.inner_ = MultiOutputClassifier(self.make_estimator(), n_jobs=1)
            self.inner_.fit(X, Y[:, self.varying_])
            return self

        def predict(self, X: Any) -> np.ndarray:
            out = np.tile(self.constant_, (X.shape[0], 1))
            out[:, self.varying_] = self.inner_.predict(X)
            return out

    return PerLabel()


def reference_svc() -> Any:
    from sklearn.svm import SVC

    return SVC(C=15, class_weight="balanced", probability=True, max_iter=1000)


def baseline_features() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ],
        n_jobs=1,
    )


def baseline_svc() -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(class_weight="balanced")


class SklearnSystem:
    """The reference recipe or the plain baseline: a vectoriser then one classifier per label."""

    def __init__(self, name: str) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        # max_iter=1000 is part of the reference recipe; libsvm then warns on most labels.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        # scikit-learn 1.9 deprecates SVC(probability=True); the recipe uses it as published.
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*probability.*")
        self.name = name
        self.pipeline: Any = None

    def _parts(self) -> tuple[Any, Callable[[], Any]]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.name == "reference":
            return TfidfVectorizer(), reference_svc
        return baseline_features(), baseline_svc

    def fit(self, texts: list[str], Y: np.ndarray | None, y: np.ndarray | None, labels) -> None:
        from sklearn.pipeline import Pipeline

        features, make = self._parts()
        head = _per_label(make) if Y is not None else make()
        self.pipeline = Pipeline([("features", features), ("classifier", head)])
        self.pipeline.fit(texts, Y if Y is not None else y)

    def predict_multilabel(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.pipeline.predict(texts), dtype=int)

    def predict_single(self, texts: list[str]) -> list[str]:
        return [str(v) for v in self.pipeline.predict(texts)]


def make_system(name: str) -> ThemesSystem | SklearnSystem:
    return ThemesSystem() if name == "themes" else SklearnSystem(name)


# ------------------------------------------------------------------------ child workers
def _cpu_seconds() -> float:
    # Children too: tagging may score chunks in worker processes (reaped before it returns).
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - Linux only


def accuracy_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train one system on one split's training rows and score it on the test rows."""
    from themes.flows.metrics import single_label_scores, theme_scores

    data_dir = Path(job["data_dir"])
    task, seed = job["task"], job["seed"]
    data = load_multilabel(data_dir) if task == "multi" else load_single(data_dir)
    train, test = split(task, data, seed)
    train = subsample(train, job.get("train_size"), seed)
    system = make_system(job["system"])
    train_texts = [data.texts[i] for i in train]
    test_texts = [data.texts[i] for i in test]
    rss_before = _current_rss_mb()

    wall, cpu = time.perf_counter(), _cpu_seconds()
    if task == "multi":
        system.fit(train_texts, data.Y[train], None, data.labels)
    else:
        system.fit(train_texts, None, data.y[train], data.labels)
    train_wall, train_cpu = time.perf_counter() - wall, _cpu_seconds() - cpu

    wall, cpu = time.perf_counter(), _cpu_seconds()
    if task == "multi":
        predicted = system.predict_multilabel(test_texts)
    else:
        predicted_labels = system.predict_single(test_texts)
    tag_wall, tag_cpu = time.perf_counter() - wall, _cpu_seconds() - cpu

    if task == "multi":
        scores = theme_scores(data.Y[test], predicted, data.labels)
    else:
        scores = single_label_scores(data.y[test].tolist(), predicted_labels, data.labels)
        scores.pop("confusion", None)
    if job.get("save_model") and isinstance(system, ThemesSystem):
        from themes.store import save_model
        from themes.store.meta import ModelMeta, TrainingInfo

        meta = ModelMeta(
            taxonomy={},
            heads=[],
            thresholds={},
            config={},
            training=TrainingInfo(
                source=f"{MULTILABEL_FILE} split {seed}",
                sha256="",
                rows=len(train),
                rows_per_head={},
                taxonomy_source="data",
                columns={},
            ),
            metrics={},
        )
        save_model(system.model, job["save_model"], meta, force=True)
    return {
        "train_rows": int(len(train)),
        "test_rows": int(len(test)),
        "train_seconds": round(train_wall, 3),
        "train_cpu_seconds": round(train_cpu, 3),
        "tag_seconds": round(tag_wall, 4),
        "tag_cpu_seconds": round(tag_cpu, 4),
        "tag_texts_per_second": round(len(test) / tag_wall, 1),
        "rss_before_training_mb": round(rss_before, 1),
        "scores": scores,
    }


def tag_job(job: dict[str, Any]) -> dict[str, Any]:
    """Load a saved model and stream a CSV through ``tag_file`` (the engine's batch path)."""
    from themes.dataset import Columns
    from themes.flows.tag import TagOptions, default_jobs, tag_file
    from themes.store import load_model

    suppress_sklearn_warnings()
    wall = time.perf_counter()
    model = load_model(job["model"]).model
    load_seconds = time.perf_counter() - wall
    total, step = job["rows"], max(job["rows"] // 10, 1)
    done = {"rows": 0, "next": step}
    started = time.perf_counter()

    def progress(rows: int) -> None:
        done["rows"] += rows
        if job.get("progress") and done["rows"] >= done["next"]:
            rate = done["rows"] / (time.perf_counter() - started)
            print(f"    tagged {done['rows']:,}/{total:,} ({rate:,.0f}/s)", file=sys.stderr)
            done["next"] += step

    wall, cpu = time.perf_counter(), _cpu_seconds()
    options = TagOptions(columns=Columns(text="text"))
    summary = tag_file(model, job["input"], job["output"], options, progress=progress)
    seconds, cpu_seconds = time.perf_counter() - wall, _cpu_seconds() - cpu
    return {
        "rows": summary.rows,
        "jobs": options.jobs or default_jobs(),
        "load_seconds": round(load_seconds, 3),
        "tag_seconds": round(seconds, 2),
        "tag_cpu_seconds": round(cpu_seconds, 2),
        "texts_per_second": round(summary.rows / seconds, 1),
        "texts_per_cpu_second": round(summary.rows / cpu_seconds, 1),
    }


def load_job(job: dict[str, Any]) -> dict[str, Any]:
    """Time ``load_model``: the first load in a fresh process, then warm repeats."""
    from themes.registry import load_model

    times = []
    for _ in range(job.get("repeats", 5)):
        wall = time.perf_counter()
        load_model(job["model"])
        times.append(time.perf_counter() - wall)
    return {
        "first_load_seconds": round(times[0], 3),
        "warm_load_seconds_median": round(statistics.median(times[1:] or times), 3),
    }


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "accuracy": accuracy_job,
    "tag": tag_job,
    "load": load_job,
}


def worker_main(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    result = JOBS[job["kind"]](job)
    Path(job["result"]).write_text(json.dumps(result), encoding="utf-8")


def run_child(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a child process; adds its peak RSS (MB) and wall time."""
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK, prefix="job.") as tmp:
        job = {**job, "result": str(Path(tmp) / "result.json")}
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        env = {**os.environ, **CHILD_ENV}
        env["PYTHONPATH"] = engine_path()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(job_file)], env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark job failed ({proc.returncode}): {job}")
        result = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    return result


# ---------------------------------------------------------------------------- sections
def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def accuracy_section(task: str, mode: Mode, data_dir: Path, save_model: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SYSTEMS}
    for seed in mode.seeds:
        for name in SYSTEMS:
            cap = mode.max_train
            if name == "reference" and mode.reference_max_train:
                cap = min(cap or mode.reference_max_train, mode.reference_max_train)
            job = {
                "kind": "accuracy",
                "task": task,
                "system": name,
                "seed": seed,
                "data_dir": str(data_dir),
                "train_size": cap,
            }
            if task == "multi" and name == "themes" and seed == mode.seeds[0]:
                job["save_model"] = str(save_model)
            result = run_child(job)
            result["seed"] = seed
            runs[name].append(result)
            s = result["scores"]
            headline = (
                f"macro-F1 {s['macro_f1']:.3f} micro-F1 {s['micro_f1']:.3f}"
                if task == "multi"
                else f"accuracy {s['accuracy']:.3f} macro-F1 {s['macro_f1']:.3f}"
            )
            say(
                f"{task} split {seed} {name}: {headline}, train {result['train_seconds']:.1f}s "
                f"on {result['train_rows']} rows, {result['tag_texts_per_second']:.0f} texts/s, "
                f"peak {result['peak_rss_mb']:.0f} MB"
            )
    return {"runs": runs, "summary": {name: summarise(task, runs[name]) for name in SYSTEMS}}


METRICS = {
    "multi": ("macro_f1", "micro_f1", "samples_f1"),
    "single": ("accuracy", "macro_f1", "balanced_accuracy"),
}
COSTS = ("train_seconds", "train_cpu_seconds", "tag_texts_per_second", "peak_rss_mb", "train_rows")


def _mean_sd(values: Sequence[float]) -> dict[str, float]:
    values = [float(v) for v in values]
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": round(statistics.fmean(values), 4), "sd": round(sd, 4)}


def summarise(task: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {m: _mean_sd([r["scores"][m] for r in runs]) for m in METRICS[task]}
    out.update({c: _mean_sd([r[c] for r in runs]) for c in COSTS})
    out["splits"] = len(runs)
    return out


def curve_section(mode: Mode, data_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in mode.curve_sizes:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SYSTEMS}
        for seed in mode.seeds:
            for name in SYSTEMS:
                job = {
                    "kind": "accuracy",
                    "task": "multi",
                    "system": name,
                    "seed": seed,
                    "data_dir": str(data_dir),
                    "train_size": size,
                }
                result = run_child(job)
                result["seed"] = seed
                result["scores"] = {m: result["scores"][m] for m in METRICS["multi"]}
                runs[name].append(result)
        out[str(size)] = {name: summarise("multi", runs[name]) for name in SYSTEMS}
        line = ", ".join(
            f"{n} {out[str(size)][n]['macro_f1']['mean']:.3f}/"
            f"{out[str(size)][n]['micro_f1']['mean']:.3f}"
            for n in SYSTEMS
        )
        say(f"learning curve {size} rows (macro/micro-F1): {line}")
    return out


def make_tag_input(path: Path, rows: int, pool: list[str], seed: int = 7) -> None:
    """A CSV of ``rows`` texts resampled with replacement from the benchmark texts."""
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    chunk = 200_000
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            picks = rng.integers(0, len(pool), size=n)
            frame = pd.DataFrame(
                {"id": np.arange(start, start + n), "text": [pool[i] for i in picks]}
            )
            frame.to_csv(handle, index=False, header=start == 0)
    tmp.replace(path)


def themes_command() -> list[str]:
    """How to start the ``themes`` command line from this interpreter's environment."""
    script = Path(sys.executable).parent / "themes"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "themes.cli"]


def speed_section(mode: Mode, data_dir: Path, model_dir: Path) -> dict[str, Any]:
    pool = load_multilabel(data_dir).texts + load_single(data_dir).texts
    lengths = [len(t) for t in pool]
    out: dict[str, Any] = {
        "model_trained_on_rows": json.loads((model_dir / "meta.json").read_text())["training"][
            "rows"
        ],
        "text_chars": {
            "mean": round(statistics.fmean(lengths), 1),
            "median": statistics.median(lengths),
        },
        "tagging": [],
    }
    for rows in mode.tag_sizes:
        source = WORK / f"tag_input_{rows}.csv"
        target = WORK / f"tag_output_{rows}.csv"
        make_tag_input(source, rows, pool)
        say(f"tagging {rows:,} texts through tag_file")
        job = {
            "kind": "tag",
            "model": str(model_dir),
            "input": str(source),
            "output": str(target),
            "rows": rows,
            "progress": rows >= 100_000,
        }
        try:
            result = run_child(job)
        finally:
            # The input holds benchmark texts: keep no copy of them beyond the run.
            target.unlink(missing_ok=True)
            source.unlink(missing_ok=True)
        say(f"  {result['texts_per_second']:,.0f} texts/s, peak RSS {result['peak_rss_mb']:.0f} MB")
        out["tagging"].append(result)

    out["load"] = run_child({"kind": "load", "model": str(model_dir), "repeats": 5})
    files = [p for p in model_dir.iterdir() if p.is_file()]
    out["model_size_mb"] = round(sum(p.stat().st_size for p in files) / 2**20, 2)
    # The fitted model's files: pipeline.joblib (formats 1-2) or model.json + arrays.npz.
    model_files = ("pipeline.joblib", "model.json", "arrays.npz")
    size = sum((model_dir / f).stat().st_size for f in model_files if (model_dir / f).exists())
    out["pipeline_size_mb"] = round(size / 2**20, 2)

    command = [*themes_command(), "suggest", SUGGEST_TEXT, "--model", str(model_dir), "--json"]
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": engine_path()}
    times = []
    for _ in range(mode.suggest_runs):
        wall = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - wall)
    out["suggest"] = {
        "runs": len(times),
        "median_seconds": round(statistics.median(times), 3),
        "min_seconds": round(min(times), 3),
        "max_seconds": round(max(times), 3),
        "command": "themes suggest TEXT --model DIR --json",
    }
    say(
        f"suggest median {out['suggest']['median_seconds']:.2f}s, load "
        f"{out['load']['first_load_seconds']:.2f}s, model {out['model_size_mb']:.1f} MB"
    )
    return out


# ----------------------------------------------------------------------------- targets
def _target(name: str, value: float, required: float, unit: str = "") -> dict[str, Any]:
    return {
        "target": name,
        "value": round(value, 4),
        "required": required,
        "met": bool(value >= required),
        "margin": round(value - required, 4),
        "unit": unit,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with its measured value and margin."""
    multi = results["multilabel"]["summary"]
    single = results["single_label"]["summary"]

    def m(block: dict[str, Any], system: str, key: str) -> float:
        return block[system][key]["mean"]

    out = [
        _target(
            "multi-label macro-F1: themes - baseline >= 0.05",
            m(multi, "themes", "macro_f1") - m(multi, "baseline", "macro_f1"),
            0.05,
        ),
        _target(
            "multi-label micro-F1: themes - baseline >= 0.015",
            m(multi, "themes", "micro_f1") - m(multi, "baseline", "micro_f1"),
            0.015,
        ),
        _target(
            "multi-label macro-F1: themes - reference > 0",
            m(multi, "themes", "macro_f1") - m(multi, "reference", "macro_f1"),
            0.0,
        ),
        _target(
            "multi-label micro-F1: themes - reference > 0",
            m(multi, "themes", "micro_f1") - m(multi, "reference", "micro_f1"),
            0.0,
        ),
    ]
    # Speed ratios per training row, since the reference may be trained on fewer rows; CPU
    # seconds are steadier than wall time on a shared machine, so both are reported.
    for clock, key in (("CPU", "train_cpu_seconds"), ("wall", "train_seconds")):
        ref_rate = m(multi, "reference", key) / m(multi, "reference", "train_rows")
        own_rate = m(multi, "themes", key) / m(multi, "themes", "train_rows")
        out.append(
            _target(
                f"multi-label training speed ({clock} s per training row): "
                "reference / themes >= 10",
                ref_rate / own_rate,
                10.0,
                "x",
            )
        )
    out.append(
        _target(
            "multi-label tagging speed (test-set texts/s, wall): themes / reference >= 10",
            m(multi, "themes", "tag_texts_per_second")
            / m(multi, "reference", "tag_texts_per_second"),
            10.0,
            "x",
        )
    )
    out += [
        _target(
            "single-label accuracy: themes - baseline >= 0.02",
            m(single, "themes", "accuracy") - m(single, "baseline", "accuracy"),
            0.02,
        ),
        _target(
            "single-label macro-F1: themes - baseline >= 0.03",
            m(single, "themes", "macro_f1") - m(single, "baseline", "macro_f1"),
            0.03,
        ),
    ]
    if results["mode"].get("engine") == "encoder":
        # Issue 15: the encoder engine against the plain baseline of the same run.
        for task, block, key, required in (
            ("multi-label", multi, "macro_f1", 0.06),
            ("multi-label", multi, "micro_f1", 0.03),
            ("single-label", single, "accuracy", 0.03),
            ("single-label", single, "macro_f1", 0.04),
        ):
            out.append(
                _target(
                    f"issue 15, {task} {key.replace('_f1', '-F1')}: "
                    f"themes - baseline >= {required}",
                    m(block, "themes", key) - m(block, "baseline", key),
                    required,
                )
            )
    tagging = results.get("speed", {}).get("tagging", [])
    if tagging:
        main = next((t for t in tagging if t["rows"] == 100_000), tagging[-1])
        out.append(
            _target(
                f"tagging throughput via tag_file ({main['rows']:,} texts) >= 5,000 texts/s",
                main["texts_per_second"],
                5000.0,
                "texts/s",
            )
        )
        out.append(
            _target(
                f"tagging throughput via tag_file ({main['rows']:,} texts) per CPU second "
                "(the same, free of waiting for a core) >= 5,000 texts/s",
                main["rows"] / main["tag_cpu_seconds"],
                5000.0,
                "texts/s",
            )
        )
        smallest, largest = tagging[0], tagging[-1]
        growth = largest["peak_rss_mb"] / smallest["peak_rss_mb"]
        out.append(
            _target(
                f"memory flat: peak RSS {smallest['rows']:,} / {largest['rows']:,} texts "
                "(1.0 = flat; >= 0.9 required)",
                1 / growth,
                0.9,
            )
        )
    return out


# ----------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    from themes.registry import library_versions

    cpu = "unknown"
    memory_gb = float("nan")
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
    return {
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "cpu": cpu,
        "platform": platform.platform(),
        "versions": library_versions(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> dict[str, Any]:
    """The commit benchmarked and whether src/ had uncommitted changes (read-only git calls)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "HEAD") or "unknown", "src_modified": bool(dirty)}


def snapshot_engine(target: Path) -> dict[str, Any]:
    """Copy src/ to ``target`` and run every child from that copy.

    Others may edit the engine while a long run is going; the copy keeps one run on one
    version of the code. Returns the commit, whether src/ differed from it, and a hash
    of the copied files.
    """
    import hashlib
    import shutil

    state = git_state()
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(
        ROOT / "src", target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    os.environ[ENGINE_ENV] = str(target)
    sys.path.insert(0, str(target))
    return {**state, "engine_sha256": digest.hexdigest()[:16], "engine_copy": str(target)}


def engine_path() -> str:
    """Where children import ``themes`` from: the run's copy of src/, else src/."""
    return os.environ.get(ENGINE_ENV, str(ROOT / "src"))


# ---------------------------------------------------------------------------- markdown
def _fmt(stat: dict[str, float], digits: int = 3) -> str:
    if stat["sd"]:
        return f"{stat['mean']:.{digits}f} ± {stat['sd']:.{digits}f}"
    return f"{stat['mean']:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _accuracy_rows(task: str, summary: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name in SYSTEMS:
        s = summary[name]
        rows.append(
            [
                f"`{name}`",
                *(_fmt(s[m]) for m in METRICS[task]),
                f"{s['train_seconds']['mean']:.1f}",
                f"{s['train_cpu_seconds']['mean']:.1f}",
                f"{s['train_rows']['mean']:.0f}",
                f"{s['tag_texts_per_second']['mean']:,.0f}",
                f"{s['peak_rss_mb']['mean']:.0f}",
            ]
        )
    return rows


COST_HEADER = (
    "train s (wall)",
    "train s (CPU)",
    "train rows",
    "tag texts/s",
    "peak RSS MB",
)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"


def render_markdown(results: dict[str, Any]) -> str:
    mode = results["mode"]
    info = results["machine"]
    versions = info["versions"]
    lines = [
        "# Benchmarks on public NHS patient-feedback data",
        "",
        f"{'QUICK development run' if mode['quick'] else 'Full run'} of `benchmarks/run.py`, "
        f"{results['date']}, commit `{results['git']['commit'][:12]}`"
        f"{' plus uncommitted changes in src/' if results['git']['src_modified'] else ''} "
        f"(engine files copied at the start, sha256 {results['git']['engine_sha256']}, and "
        "every child run from that copy); "
        f"whole run {results['run_minutes']:.1f} min. How to run and what each number means: "
        "[README.md](README.md).",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory_gb']} GiB memory, "
        f"{info['platform']}; Python {versions['python']}, scikit-learn "
        f"{versions['scikit-learn']}, numpy {versions['numpy']}, scipy {versions['scipy']}, "
        f"spaCy {versions['spacy']}, pandas {versions['pandas']}, themes {versions['themes']}. "
        f"The machine is shared: load average {info['load_average_at_start']} at the start "
        f"and {results['load_average_at_end']} at the end, so wall-clock times include waiting "
        "for a core; CPU seconds are the steadier figure.",
        "",
        f"Systems: `themes` is this engine (`{mode.get('engine', 'fast')}` engine) through its "
        "public API with its default `ModelConfig`"
        f"{' changed by ' + json.dumps(mode['config']) if mode.get('config') else ''}; "
        "`reference` re-implements NHS England's pxtextmining quick model "
        "from its description (default `TfidfVectorizer`, then `SVC(C=15, "
        'class_weight="balanced", probability=True, max_iter=1000)` per label through '
        "`MultiOutputClassifier`, or one such SVC for the single-label task; labels from "
        "`predict`); `baseline` is TF-IDF word 1-2 grams + char 2-5 grams and "
        '`LinearSVC(class_weight="balanced")` per label, no threshold tuning. Metrics for all '
        "three come from `themes.evaluate`.",
        "",
    ]
    notes = []
    if mode["max_train"]:
        notes.append(
            f"**Every system's training rows are capped at {mode['max_train']:,}** "
            "(a random subset of each split's training rows)."
        )
    if mode["reference_max_train"] and mode["reference_max_train"] != mode["max_train"]:
        notes.append(
            f"**The reference is trained on at most {mode['reference_max_train']:,} rows** "
            "(a random subset of each split's training rows), because an RBF SVC with "
            "probability=True is slow; its scores are therefore lower than it would reach "
            "on the whole training split, and its training-speed ratio is compared per "
            "training row."
        )
    if notes:
        lines += [" ".join(notes), ""]
    lines += [
        "Peak memory: peak resident set size (`ru_maxrss` from `os.wait4`) of the child "
        "process that loads the data, trains and tags the test set (so it includes Python, "
        "the libraries and the data: about "
        f"{results['multilabel']['runs']['baseline'][0]['rss_before_training_mb']:.0f} MB "
        "before training starts).",
        "",
    ]
    ml = results["multilabel"]
    data = results["data"]["multilabel"]
    lines += [
        "## 1. Multi-label themes",
        "",
        f"`{MULTILABEL_FILE}`: {data['rows']:,} rows with text and at least one kept theme, "
        f"{len(data['labels'])} themes (columns with >= {MIN_POSITIVES} positives, less "
        f"{' and '.join(repr(x) for x in MULTILABEL_EXCLUDED)}); "
        f"{len(ml['runs']['themes'])} random 80/20 split(s), seeds "
        f"{[r['seed'] for r in ml['runs']['themes']]}; mean ± standard deviation over splits.",
        "",
        *_table(
            ("system", "macro-F1", "micro-F1", "samples-F1", *COST_HEADER),
            _accuracy_rows("multi", ml["summary"]),
        ),
        "",
    ]
    sl = results["single_label"]
    data = results["data"]["single_label"]
    lines += [
        "## 2. Single-label category",
        "",
        f"`{SINGLE_FILE}`: {data['rows']:,} rows, {len(data['labels'])} categories; "
        f"{len(sl['runs']['themes'])} stratified 80/20 split(s), same seeds.",
        "",
        *_table(
            ("system", "accuracy", "macro-F1", "balanced accuracy", *COST_HEADER),
            _accuracy_rows("single", sl["summary"]),
        ),
        "",
    ]
    curve = results.get("learning_curve") or {}
    rows = []
    for size, block in curve.items():
        rows.append(
            [
                size,
                *(
                    f"{block[n]['macro_f1']['mean']:.3f} / {block[n]['micro_f1']['mean']:.3f}"
                    for n in SYSTEMS
                ),
                *(f"{block[n]['train_seconds']['mean']:.1f}" for n in SYSTEMS),
            ]
        )
    lines += [
        "## 3. Small data: learning curve (multi-label)",
        "",
        "Training on a random subset of each split's training rows; the same test rows as "
        "section 1. Cells: macro-F1 / micro-F1 (mean over splits), then training seconds.",
        "",
        *(
            _table(("training rows", *SYSTEMS, *(f"{n} train s" for n in SYSTEMS)), rows)
            if rows
            else ["Not run (`--accuracy-only`)."]
        ),
        "",
    ]
    speed = results.get("speed")
    if speed:
        rows = [
            [
                f"{t['rows']:,}",
                f"{t['tag_seconds']:.1f}",
                f"{t['tag_cpu_seconds']:.1f}",
                f"{t['texts_per_second']:,.0f}",
                f"{t['rows'] / t['tag_cpu_seconds']:,.0f}",
                f"{t['peak_rss_mb']:.0f}",
            ]
            for t in speed["tagging"]
        ]
        lines += [
            "## 4. Speed of the engine",
            "",
            "A saved `themes` model (the section 1 model of the first split, trained on "
            f"{speed['model_trained_on_rows']:,} rows) tags a CSV made by resampling the "
            "benchmark texts (mean "
            f"{speed['text_chars']['mean']:.0f}, median {speed['text_chars']['median']:.0f} "
            "characters) through `themes.tagger.tag_file` (chunks of 2,000 rows), in a child "
            "process; peak RSS is that child's (model loading included).",
            "",
            *_table(
                (
                    "texts",
                    "seconds (wall)",
                    "seconds (CPU)",
                    "texts/s (wall)",
                    "texts per CPU second",
                    "peak RSS MB",
                ),
                rows,
            ),
            "",
            f"- `themes suggest TEXT --model DIR --json` (process start, model load, "
            f"prediction and word-level explanation): median "
            f"{speed['suggest']['median_seconds']:.2f} s over {speed['suggest']['runs']} runs "
            f"(min {speed['suggest']['min_seconds']:.2f}, "
            f"max {speed['suggest']['max_seconds']:.2f}).",
            f"- Model load (`load_model`, checksum included): "
            f"{speed['load']['first_load_seconds']:.2f} s first in a fresh process, "
            f"{speed['load']['warm_load_seconds_median']:.2f} s when repeated.",
            f"- Model size on disk: {speed['model_size_mb']:.1f} MB "
            f"(fitted model files {speed['pipeline_size_mb']:.1f} MB).",
            "",
        ]
    rows = [
        [
            t["target"],
            _number(t["value"]) + (f" {t['unit']}" if t["unit"] else ""),
            "met" if t["met"] else "**not met**",
            ("+" if t["margin"] >= 0 else "") + _number(t["margin"]),
        ]
        for t in results["targets"]
    ]
    lines += [
        "## Targets (issue 6; issue 15 for the encoder engine)",
        "",
        "Means over the splits above. Training speed compares seconds per training row; tagging "
        "speed compares test-set throughput in the section 1 runs.",
        "",
        *_table(("target", "measured", "result", "margin"), rows),
        "",
    ]
    if mode["quick"]:
        lines += [
            "_Quick run: one split, capped training rows, small throughput test. Use the "
            "full run's figures._",
            "",
        ]
    return "\n".join(lines)


# -------------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="development run (~minutes)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with the benchmark CSVs"
    )
    parser.add_argument("--splits", type=int, default=len(SEEDS), help="number of splits (<= 5)")
    parser.add_argument(
        "--seeds", default=None, help="which splits, e.g. 3,4 (those not used for tuning)"
    )
    parser.add_argument(
        "--reference-max-train",
        type=int,
        default=None,
        help="cap the reference's training rows (quick default 1500)",
    )
    parser.add_argument(
        "--max-train", type=int, default=None, help="cap every system's training rows"
    )
    parser.add_argument(
        "--skip-million", action="store_true", help="full run without the 1,000,000-text test"
    )
    parser.add_argument("--out-dir", type=Path, default=None, help="where results go")
    parser.add_argument(
        "--accuracy-only", action="store_true", help="sections 1 and 2 only (no curve, no speed)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return
    mode = make_mode(args)
    out_dir = args.out_dir or mode.out_dir
    data_dir = args.data_dir.resolve()
    for name in (MULTILABEL_FILE, SINGLE_FILE):
        if not (data_dir / name).exists():
            sys.exit(f"{data_dir / name} not found; pass --data-dir with the benchmark folder")
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    model_dir = WORK / ("model_quick" if mode.quick else "model")
    git = snapshot_engine(WORK / ("engine_quick" if mode.quick else "engine"))
    multi, single = load_multilabel(data_dir), load_single(data_dir)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "git": git,
        "machine": machine(),
        "mode": {
            "quick": mode.quick,
            "seeds": list(mode.seeds),
            "max_train": mode.max_train,
            "reference_max_train": mode.reference_max_train,
            "curve_sizes": list(mode.curve_sizes),
            "tag_sizes": list(mode.tag_sizes),
            "suggest_runs": mode.suggest_runs,
            "engine": os.environ.get("THEMES_BENCH_MODEL_ENGINE", "fast"),
            "config": bench_config(),
        },
        "data": {
            "multilabel": {"rows": len(multi.texts), "labels": multi.labels, **multi.dropped},
            "single_label": {"rows": len(single.texts), "labels": single.labels, **single.dropped},
        },
    }
    say(f"multi-label: {len(multi.texts)} rows, {len(multi.labels)} themes")
    results["multilabel"] = accuracy_section("multi", mode, data_dir, model_dir)
    say(f"single-label: {len(single.texts)} rows, {len(single.labels)} categories")
    results["single_label"] = accuracy_section("single", mode, data_dir, model_dir)
    if not args.accuracy_only:
        results["learning_curve"] = curve_section(mode, data_dir)
        results["speed"] = speed_section(mode, data_dir, model_dir)
    results["targets"] = targets(results)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["run_minutes"] = round((time.perf_counter() - started) / 60, 2)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    (out_dir / "results.md").write_text(render_markdown(results), encoding="utf-8")
    for t in results["targets"]:
        say(f"{'MET    ' if t['met'] else 'NOT MET'} {t['target']}: {_number(t['value'])}")
    say(f"done in {results['run_minutes']:.1f} min; wrote {out_dir / 'results.md'}")


if __name__ == "__main__":
    main()
