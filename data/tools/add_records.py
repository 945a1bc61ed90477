"""Add newly written records (JSON lines, one folder per writer) to data/train.csv.

For records written after corpus v2 was built, to teach a distinction the model gets
wrong (e.g. "left three voicemails for the SW" is communication, not a worker leaving).
They go to the training split only, so data/test.csv and data/heldout.csv, and every
figure measured on them, stay comparable. Same checks and metadata as build_corpus.py:
a record repeating a 10-word run of any corpus or held-out record, or a near-duplicate
of one, is dropped; log metadata is drawn at random with a fixed seed.

    python data/tools/add_records.py NEW_DIR [NEW_DIR ...] --seed 20261208
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_corpus import _load_new, _metadata, _references  # noqa: E402

from themes.datacheck import COLUMNS, REGISTERS, near_duplicates, shared_runs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("new", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    read = {
        name: pd.read_csv(args.data / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("train", "test", "heldout")
    }
    new = _load_new(args.new)
    bad = sorted(set(new["register"]) - set(REGISTERS))
    if bad:
        raise SystemExit(f"unknown registers {bad}")
    existing = pd.concat(read.values(), ignore_index=True)["text"].tolist()
    texts = existing + new["text"].tolist()
    clash = {b - len(existing) for _, b, _ in shared_runs(texts) if b >= len(existing)}
    clash |= {b - len(existing) for _, b, _ in near_duplicates(texts) if b >= len(existing)}
    new = new.drop(index=sorted(clash)).reset_index(drop=True)
    new = _metadata(new, random.Random(args.seed))
    new = new.sort_values("date_received", kind="stable").reset_index(drop=True)
    taken = set(pd.concat([read["train"], read["test"]])["reference"])
    new["reference"] = _references(new, taken)
    columns = [*COLUMNS, "register"]
    train = pd.concat([read["train"], new[columns]], ignore_index=True)
    train = train.sort_values(["date_received", "reference"], kind="stable")
    train[columns].to_csv(args.data / "train.csv", index=False, encoding="utf-8")
    print(f"added {len(new)} records to train.csv ({len(clash)} dropped as repeats)")


if __name__ == "__main__":
    main()
