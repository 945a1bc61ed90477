"""The ``encoder`` feature step: a frozen sentence encoder's embedding of the raw text.

``EncoderStep`` is ``themes.encoder.EncoderFeatures`` reading the raw text (the
encoder has its own word pieces; spaCy normalisation would only lose information),
its unit-length embedding scaled by ``ModelConfig.encoder_weight`` so that its pull
beside the two unit-length TF-IDF blocks is a setting. The ONNX file is checked
against its pinned sha256 before the first use; a missing or changed file is refused
with how to get it (``make encoder``), never replaced by the fast engine.
"""

from __future__ import annotations

import numpy as np

from themes.encoder import EncoderFeatures


class EncoderStep(EncoderFeatures):
    """Sentence embeddings of the raw text, times ``weight``.

    ``batch_size`` None keeps the encoder package's choice (one window per call for an
    int8 encoder), so a text's suggestion does not depend on the other texts tagged
    with it.
    """

    input_text = "raw"

    def __init__(
        self,
        encoder: str = "minilm-int8",
        weight: float = 1.0,
        batch_size: int | None = None,
        overlap: int = 32,
        threads: int | None = None,
        model_dir: str | None = None,
    ):
        super().__init__(
            encoder=encoder,
            batch_size=batch_size,
            overlap=overlap,
            threads=threads,
            model_dir=model_dir,
        )
        self.weight = weight

    def fit(self, X=None, y=None):
        super().fit(X, y)
        self.onnx_path()  # refuse a missing or changed file before any training
        return self

    def transform(self, X) -> np.ndarray:
        embedded = super().transform(X)
        if self.weight != 1.0:
            embedded *= np.float32(self.weight)
        return embedded


def encoder_step(config) -> EncoderStep:
    """The step a config asks for (its encoder and weight)."""
    return EncoderStep(encoder=config.encoder, weight=config.encoder_weight)
