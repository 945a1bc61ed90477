"""Speed and memory of the two engines: tagging short texts and ~400-word letters,
model load time and ``suggest`` latency in-process (medians).

Each engine runs in its own child process (so peak memory is that engine's alone):

    python benchmarks/speed_engines.py --encoder-model FOLDER --fast-model FOLDER \
        [--out benchmarks/speed_engines.md]

Short texts are data/test.csv rows of at most 40 words; letters are test.csv texts
joined to about 400 words each. Texts are never printed or written.
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
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
REPEATS = 3
SUGGEST_TEXT = (
    "Left three voicemails for the SW this week and nobody rings back. The CIN meeting was "
    "cancelled again and I still have not had the minutes from the last one."
)


def workloads() -> tuple[list[str], list[str]]:
    texts = pd.read_csv(REPO / "data" / "test.csv", dtype=str, keep_default_na=False)["text"]
    short = [t for t in texts if 0 < len(t.split()) <= 40][:400]
    letters, current = [], []
    for text in texts:
        current.append(text)
        if sum(len(t.split()) for t in current) >= 400:
            letters.append(" ".join(current))
            current = []
        if len(letters) == 40:
            break
    return short, letters


def child(folder: str) -> dict[str, object]:
    """Measure one model folder in this process."""
    from themes.flows.explain import explain
    from themes.store import load_model

    started = time.perf_counter()
    loaded = load_model(folder)
    load_first = time.perf_counter() - started
    loads = []
    for _ in range(REPEATS - 1):
        started = time.perf_counter()
        load_model(folder)
        loads.append(time.perf_counter() - started)
    model = loaded.model
    short, letters = workloads()
    model.suggest(short[:8])  # warm up: builds the encoder session
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, object] = {
        "engine": model.engine,
        "load_s_first": load_first,
        "load_s_median_again": statistics.median(loads) if loads else None,
        "rss_mb_after_load": rss_after_load,
    }
    for name, texts in (("short", short), ("letters", letters)):
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            model.suggest(texts)
            times.append(time.perf_counter() - started)
        out[name] = {
            "texts": len(texts),
            "mean_words": sum(len(t.split()) for t in texts) / len(texts),
            "texts_per_s": len(texts) / statistics.median(times),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    explain(model, SUGGEST_TEXT)
    latencies = []
    for _ in range(7):
        started = time.perf_counter()
        explain(model, SUGGEST_TEXT)
        latencies.append(time.perf_counter() - started)
    out["suggest_ms_median"] = 1000 * statistics.median(latencies)
    return out


def markdown(results: dict[str, dict], load: tuple[float, float, float]) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        "# Engines: speed and memory (benchmarks/speed_engines.py)",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores visible, Python {platform.python_version()}; "
        f"load average when started {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min: "
        "the machine was shared, so absolute figures are pessimistic; the ratio between "
        "engines is the useful part). Medians of "
        f"{REPEATS} runs; each engine in its own process; peak memory is the process's peak "
        "RSS (model loaded, then the workload).",
        "",
        "| engine | short texts/s | letters (~400 words)/s | peak RSS MB short | peak RSS MB "
        "letters | load s (first / again) | suggest ms (in-process, median of 7) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['short']['texts_per_s']:.1f} | {r['letters']['texts_per_s']:.2f} | "
            f"{r['short']['peak_rss_mb']:.0f} | {r['letters']['peak_rss_mb']:.0f} | "
            f"{r['load_s_first']:.2f} / {r['load_s_median_again']:.2f} | "
            f"{r['suggest_ms_median']:.0f} |"
        )
    any_r = next(iter(results.values()))
    lines += [
        "",
        f"Short: {any_r['short']['texts']} test.csv texts of at most 40 words (mean "
        f"{any_r['short']['mean_words']:.0f}); letters: {any_r['letters']['texts']} texts of "
        f"test.csv rows joined to about 400 words (mean {any_r['letters']['mean_words']:.0f}).",
        "suggest = `themes.flows.explain.explain` on a two-sentence complaint (prediction plus "
        "evidence words by occlusion through the whole model), model already loaded.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder-model", type=Path)
    parser.add_argument("--fast-model", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".md"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(str(args.child))))
        return
    load = os.getloadavg()
    results = {}
    for name, folder in (("encoder", args.encoder_model), ("fast", args.fast_model)):
        if folder is None:
            continue
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    args.out.write_text(markdown(results, load), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
