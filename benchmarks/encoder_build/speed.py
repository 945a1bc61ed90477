"""Speed, memory and load time of each ONNX encoder through themes.encoder (no torch).

    PYTHONPATH=src python benchmarks/encoder_build/speed.py --out speed.json

Each encoder runs in a fresh process (so peak RSS and load time are its own): load
time (file check + session + tokenizer + first text), then texts per second for
20-word and 200-word texts and ~400-word letters, median of 3 repeats. Texts are
built from the check sentences (no complaint data). Cosines to torch come from the
build's manifest.json.
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

sys.path.insert(0, str(Path(__file__).parent))

from sentences import SEEDS  # noqa: E402

ENCODERS = ["minilm-int8", "minilm-fp32", "mpnet-int8", "mpnet-fp32"]
SIZES = {"20 words": (20, 200), "200 words": (200, 40), "400-word letters": (400, 20)}


def texts_of(words: int, count: int) -> list[str]:
    """``count`` different texts of about ``words`` words each."""
    pool = " ".join(SEEDS).split()
    return [" ".join(pool[(i * 37 + j) % len(pool)] for j in range(words)) for i in range(count)]


def measure(name: str, repeats: int, batch_size: int | None, scale: float = 1.0) -> dict:
    """Run in the child process: every figure for one encoder."""
    from themes.encoder import EncoderFeatures, sha256_of

    start = time.perf_counter()
    encoder = EncoderFeatures(name, batch_size=batch_size).fit()
    encoder.transform(["warm up"])
    load_s = time.perf_counter() - start
    path = encoder.onnx_path()
    result = {
        "encoder": name,
        "file": str(path.name),
        "mb": round(path.stat().st_size / 1e6, 1),
        "sha256": sha256_of(path),
        "load_s": round(load_s, 2),
        "texts_per_s": {},
        "texts_per_cpu_s": {},
    }
    for label, (words, full) in SIZES.items():
        count = max(int(full * scale), 1)
        texts = texts_of(words, count)
        rates, cpu_rates = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            encoder.transform(texts)
            rates.append(count / (time.perf_counter() - t0))
            cpu_rates.append(count / (time.process_time() - c0))
        result["texts_per_s"][label] = round(statistics.median(rates), 1)
        result["texts_per_cpu_s"][label] = round(statistics.median(cpu_rates), 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--encoder", action="append", choices=ENCODERS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, help="default: the encoder's own")
    parser.add_argument("--scale", type=float, default=1.0, help="fewer texts (e.g. 0.5)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeats, args.batch_size, args.scale)))
        return
    import onnxruntime
    import tokenizers

    report = {
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, {platform.processor()}",
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "tokenizers": tokenizers.__version__,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "scale": args.scale,
        "load_average_start": os.getloadavg(),
        "results": [],
    }
    for name in args.encoder or ENCODERS:
        child = [sys.executable, __file__, "--out", str(args.out), "--child", name]
        child += ["--repeats", str(args.repeats)]
        child += ["--batch-size", str(args.batch_size)] if args.batch_size else []
        child += ["--scale", str(args.scale)]
        done = subprocess.run(child, check=True, capture_output=True, text=True)
        report["results"].append(json.loads(done.stdout.strip().splitlines()[-1]))
        report["load_average_end"] = os.getloadavg()
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
