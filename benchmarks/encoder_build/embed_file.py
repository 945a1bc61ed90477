"""Embed one text column of a CSV or JSONL file with a named encoder, to a .npy file.

    PYTHONPATH=src python benchmarks/encoder_build/embed_file.py corpus.csv --column text \
        --encoder mpnet-int8 --out /work/scratch/corpus_mpnet-int8.npy

Row i of the array is row i of the file (an empty or missing cell embeds as empty
text). Needs only the run-time encoder (onnxruntime, tokenizers) and its ONNX file
(`make encoder`, or THEMES_ENCODER_DIR). Prints counts and timing, never text.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themes.encoder import ENCODERS, EncoderFeatures


def read_column(path: Path, column: str) -> list[str]:
    """The column's cells as strings, in file order (missing cells as empty text)."""
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if column not in frame.columns:
        known = ", ".join(map(str, frame.columns))
        raise SystemExit(f"{path}: no column '{column}' (columns: {known}); pass --column")
    return ["" if pd.isna(v) else str(v) for v in frame[column].tolist()]


def embed_file(
    path: Path,
    column: str,
    encoder: str,
    out: Path,
    batch_size: int | None = None,
    chunk: int = 2048,
) -> dict[str, float]:
    """Write the embeddings of ``column`` to ``out`` (float32 .npy); return the figures."""
    texts = read_column(path, column)
    features = EncoderFeatures(encoder, batch_size=batch_size).fit()
    start = time.perf_counter()
    parts = [features.transform(texts[i : i + chunk]) for i in range(0, len(texts), chunk)]
    seconds = time.perf_counter() - start
    array = np.concatenate(parts) if parts else features.transform([])
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, array)
    return {"rows": len(texts), "dims": array.shape[1], "seconds": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--column", default="text")
    parser.add_argument("--encoder", default="minilm-int8", choices=sorted(ENCODERS))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, help="default: the encoder's own")
    args = parser.parse_args()
    figures = embed_file(args.path, args.column, args.encoder, args.out, args.batch_size)
    print(f"{args.out}: {figures['rows']} rows x {figures['dims']} in {figures['seconds']} s")


if __name__ == "__main__":
    main()
