"""``EncoderFeatures``: a frozen sentence encoder as a scikit-learn transformer.

Runs an ONNX export of the encoder with onnxruntime and the ``tokenizers`` library (no
torch). The session is built on first use and left out of pickles, so a saved model
holds only the encoder's name and settings and rebuilds the session after loading.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from themes.encoder.files import find_verified
from themes.encoder.specs import EncoderSpec, encoder_spec
from themes.encoder.windows import pool_windows, prepare_tokenizer, sorted_batches, split_windows

_TEXTS_PER_SLICE = 2048


@dataclass
class _Runtime:
    session: object  # onnxruntime.InferenceSession
    tokenizer: object  # tokenizers.Tokenizer
    start_id: int
    end_id: int
    pad_id: int
    wants_type_ids: bool
    output: str


def _cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def _as_texts(X: Iterable[object]) -> list[str]:
    texts = []
    for value in X:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            texts.append("")
        else:
            texts.append(str(value))
    return texts


class EncoderFeatures(TransformerMixin, BaseEstimator):
    """Dense L2-normalised sentence embeddings of texts, from a named ONNX encoder.

    Parameters
    ----------
    encoder : name of an encoder in ``themes.encoder.ENCODERS``.
    batch_size : windows per onnxruntime call (windows are sorted by length first).
        None: 1 for an int8 encoder, whose activations onnxruntime quantises per batch
        tensor (in a larger batch a text's embedding moves with its neighbours; one per
        batch it is the same whatever file it comes in, and closer to torch), 32 for fp32.
    overlap : word pieces shared by consecutive windows of a long text.
    threads : onnxruntime intra-op threads; None uses every core this process may use.
    model_dir : a folder searched first for <family>/<file> (then the package assets,
        then THEMES_ENCODER_DIR).
    """

    def __init__(
        self,
        encoder: str = "minilm-int8",
        batch_size: int | None = None,
        overlap: int = 32,
        threads: int | None = None,
        model_dir: str | None = None,
    ):
        self.encoder = encoder
        self.batch_size = batch_size
        self.overlap = overlap
        self.threads = threads
        self.model_dir = model_dir

    # -- scikit-learn -------------------------------------------------------------
    def fit(self, X=None, y=None):
        """Nothing to learn (the encoder is frozen): check the settings, return self."""
        spec = self._spec()
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0 <= self.overlap < spec.window - 2:
            raise ValueError(
                f"overlap must be between 0 and {spec.window - 3} word pieces, got {self.overlap}"
            )
        self.n_features_out_ = spec.dims
        return self

    def transform(self, X) -> np.ndarray:
        """Embed each text: a float32 array of shape (len(X), dims), rows of unit length."""
        spec = self._spec()
        if not hasattr(self, "n_features_out_"):
            self.fit()
        texts = _as_texts(X)
        if not texts:
            return np.zeros((0, spec.dims), dtype=np.float32)
        runtime = self._load()
        out = np.empty((len(texts), spec.dims), dtype=np.float32)
        # Texts are tokenised a slice at a time, so memory stays flat on long inputs.
        for begin in range(0, len(texts), _TEXTS_PER_SLICE):
            part = texts[begin : begin + _TEXTS_PER_SLICE]
            out[begin : begin + len(part)] = self._embed(runtime, spec, part)
        return out

    def _embed(self, runtime: _Runtime, spec: EncoderSpec, texts: list[str]) -> np.ndarray:
        windows = split_windows(
            runtime.tokenizer, texts, spec.window, self.overlap, runtime.start_id, runtime.end_id
        )
        embeddings = np.empty((len(windows.ids), spec.dims), dtype=np.float32)
        batch_size = self.batch_size or (1 if spec.precision.startswith("int8") else 32)
        for chosen, input_ids, mask in sorted_batches(windows.ids, batch_size, runtime.pad_id):
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            if runtime.wants_type_ids:
                feeds["token_type_ids"] = np.zeros_like(input_ids)
            (result,) = runtime.session.run([runtime.output], feeds)
            embeddings[chosen] = result
        return pool_windows(embeddings, windows, len(texts))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        dims = self._spec().dims
        return np.asarray([f"{self.encoder}_{i}" for i in range(dims)], dtype=object)

    # -- the session, built lazily and never pickled ---------------------------------
    def _spec(self) -> EncoderSpec:
        return encoder_spec(self.encoder)

    def onnx_path(self) -> Path:
        """The verified ONNX file this encoder will run (refused if missing or changed)."""
        spec = self._spec()
        return find_verified(spec.family, spec.file_name, spec.sha256, self.model_dir)

    def _load(self) -> _Runtime:
        runtime = getattr(self, "_runtime", None)
        if runtime is not None:
            return runtime
        import onnxruntime as ort
        from tokenizers import Tokenizer

        spec = self._spec()
        onnx_file = self.onnx_path()
        tokenizer_file = find_verified(
            spec.family, "tokenizer.json", spec.tokenizer_sha256, self.model_dir
        )
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        start_id, end_id, pad_id = prepare_tokenizer(tokenizer)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or _cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(
            str(onnx_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        inputs = {i.name for i in session.get_inputs()}
        runtime = _Runtime(
            session=session,
            tokenizer=tokenizer,
            start_id=start_id,
            end_id=end_id,
            pad_id=pad_id,
            wants_type_ids="token_type_ids" in inputs,
            output=session.get_outputs()[0].name,
        )
        self._runtime = runtime
        return runtime

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_runtime", None)
        return state
