"""`themes serve` against `themes suggest` as a process, in one run (issue 14).

1. A real server (`themes serve`, its own process, the registry's active model) answers
   200 POST /api/suggest requests with different texts from the starter test split, one
   at a time: median and 95th percentile of the round trip.
2. `themes suggest --json TEXT` is run 20 times as a process (Python start, imports,
   model load, one explanation): median and 95th percentile of the wall time.
3. 10,000 records go through POST /api/tag in calls of 1,000 (the default --max-records):
   texts per second and the server's resident memory (VmRSS, and its peak VmHWM) after
   each call, read from /proc. Nothing is written to disk.

The machine (CPU, cores) and the load average at the start and end are printed with the
figures, since every number depends on them. Usage, from the repository root::

    PYTHONPATH=src python benchmarks/serve_latency.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
REQUESTS = 200
PROCESS_RUNS = 20
TAG_RECORDS = 10_000
TAG_BATCH = 1_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _machine() -> dict[str, object]:
    model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    texts = pd.read_csv(REPO / "data" / "test.csv", dtype=str, keep_default_na=False)["text"]
    texts = [t for t in texts if t.strip()]
    result: dict[str, object] = {"machine": _machine(), "load_start": os.getloadavg()}
    env = dict(os.environ, THEMES_HOME=tempfile.mkdtemp(prefix="themes-bench-"))
    port = _free_port()
    command = [sys.executable, "-m", "themes.cli", "serve", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
                if server.poll() is not None:
                    raise SystemExit(server.stderr.read().decode())
            result["server_ready_s"] = round(time.perf_counter() - started, 2)
            result["server_memory_ready"] = _memory_mb(server.pid)
            client.post("/api/suggest", json={"text": texts[0]})  # first request warms caches
            seconds = []
            for i in range(REQUESTS):
                t0 = time.perf_counter()
                response = client.post("/api/suggest", json={"text": texts[i % len(texts)]})
                seconds.append(time.perf_counter() - t0)
                response.raise_for_status()
            result["api_suggest"] = _percentiles(seconds)
            # Tagging: 10,000 records in calls of 1,000; memory after each call.
            pool = (texts * (TAG_RECORDS // len(texts) + 1))[:TAG_RECORDS]
            memory = []
            t0 = time.perf_counter()
            for start in range(0, TAG_RECORDS, TAG_BATCH):
                batch = [
                    {"reference": f"R{start + j}", "text": text}
                    for j, text in enumerate(pool[start : start + TAG_BATCH])
                ]
                response = client.post("/api/tag", json={"records": batch})
                response.raise_for_status()
                assert len(response.json()["records"]) == len(batch)
                memory.append(_memory_mb(server.pid))
            elapsed = time.perf_counter() - t0
            result["api_tag"] = {
                "records": TAG_RECORDS,
                "batch": TAG_BATCH,
                "seconds": round(elapsed, 2),
                "records_per_s": round(TAG_RECORDS / elapsed),
                "rss_mb_after_each_call": [m["VmRSS"] for m in memory],
                "peak_rss_mb": memory[-1]["VmHWM"],
            }
    finally:
        server.terminate()
        server.wait(30)
    # The same kind of request as a process, 20 times.
    seconds = []
    for i in range(PROCESS_RUNS):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "themes.cli", "suggest", "--json", texts[i % len(texts)]],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds.append(time.perf_counter() - t0)
    result["process_suggest"] = _percentiles(seconds)
    result["load_end"] = os.getloadavg()
    api, process = result["api_suggest"], result["process_suggest"]
    result["speedup_median"] = round(process["median_ms"] / api["median_ms"], 1)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
