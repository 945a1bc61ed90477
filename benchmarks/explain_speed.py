"""Explanations: every candidate word taken out through the whole model, against a cheap
first pass that shortlists 16 of them (themes.flows.explain), on the shipped model.

For 200 random texts of data/test.csv and data/heldout.csv: the time of ``explain`` with
the model loaded (median and 95th percentile, for texts of at most 150 words and over),
and how far the shortlist changes what officers see: for every suggested label, the share
of its top-5 evidence words (full method) that the shortlist method also shows, and how
often the top word is the same. Texts are never printed or written.

    PYTHONPATH=src python benchmarks/explain_speed.py   # -> benchmarks/explain_speed.md
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themes.flows import explain as explain_module
from themes.store import load_model, shipped_model_dir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 200


def _evidence(explained) -> dict[str, list[str]]:
    out = {
        "kind": [e.word for e in explained.kind],
        "category": [e.word for e in explained.category],
    }
    out.update({t: [e.word for e in ev] for t, ev in explained.themes.items()})
    return {k: v for k, v in out.items() if v}


def _timed(model, text: str, rescored: int):
    explain_module._RESCORED = rescored
    started = time.perf_counter()
    result = explain_module.explain(model, text)
    return result, (time.perf_counter() - started) * 1000


def main() -> None:
    model = load_model(shipped_model_dir()).model
    texts = pd.concat(
        [
            pd.read_csv(ROOT / "data" / n, dtype=str, keep_default_na=False)
            for n in ("test.csv", "heldout.csv")
        ]
    )["text"].tolist()
    texts = [t for t in texts if t.strip()]
    rng = np.random.default_rng(7)
    picked = [texts[i] for i in rng.choice(len(texts), SAMPLE, replace=False)]
    shortlist = explain_module._RESCORED
    _timed(model, picked[0], shortlist)  # warm up the encoder session
    rows = []
    for text in picked:
        full, full_ms = _timed(model, text, 10**6)
        short, short_ms = _timed(model, text, shortlist)
        a, b = _evidence(full), _evidence(short)
        labels = [k for k in a if a[k]]
        overlap = [len(set(a[k]) & set(b.get(k, []))) / len(a[k]) for k in labels]
        top1 = [bool(b.get(k)) and b[k][0] == a[k][0] for k in labels]
        rows.append((len(text.split()), full_ms, short_ms, overlap, top1))
    explain_module._RESCORED = shortlist
    lines = [
        "# Explanations: full occlusion against a shortlist (benchmarks/explain_speed.py)",
        "",
        f"Shipped default model (encoder engine), {SAMPLE} random texts of test.csv and "
        f"heldout.csv, one at a time with the model loaded. {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}. Full: every candidate (up to 48 content words) taken out "
        f"through the whole model. Shortlist: candidates ranked with the encoder block held "
        f"at the whole text's, then the best {shortlist} taken out through the whole model.",
        "",
        "| texts | n | full: median ms | full: p95 ms | shortlist: median ms | shortlist: p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, keep in (
        ("at most 150 words", lambda w: w <= 150),
        ("over 150 words", lambda w: w > 150),
        ("all", lambda w: True),
    ):
        chosen = [r for r in rows if keep(r[0])]
        if not chosen:
            continue
        f = np.array([r[1] for r in chosen])
        s = np.array([r[2] for r in chosen])
        lines.append(
            f"| {name} | {len(chosen)} | {np.median(f):.0f} | {np.quantile(f, 0.95):.0f} | "
            f"{np.median(s):.0f} | {np.quantile(s, 0.95):.0f} |"
        )
    overlap = [x for r in rows for x in r[3]]
    top1 = [x for r in rows for x in r[4]]
    lines += [
        "",
        f"What officers see, over {len(overlap)} suggested labels with evidence: the shortlist "
        f"shows {np.mean(overlap):.1%} of the full method's top-5 evidence words, and the same "
        f"top word for {np.mean(top1):.1%} of labels.",
        "",
    ]
    (ROOT / "benchmarks" / "explain_speed.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
