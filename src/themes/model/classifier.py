"""ThemesModel: the featuriser and three heads (kind, category, themes) as one estimator.

One feature space (by default TF-IDF over word 1-2 grams and character 2-5 grams of
spaCy-normalised text) feeds three heads, each trained only on the rows that carry
its label. Class weights are balanced throughout because the labels are imbalanced
(a council sees many more communication complaints than data breaches).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from themes.errors import TrainingError
from themes.model.config import ModelConfig
from themes.model.data import LabelledData, Prediction, Suggestions
from themes.model.decide import FALLBACK_CUT, Heads, certainty_of, decide, review_cut
from themes.model.features import Featuriser, stack
from themes.model.heads import SingleLabelHead, ThemeHead
from themes.model.practice import PracticeRules, learn_rules
from themes.taxonomy import Taxonomy

ProgressCallback = Callable[[str], None]


@dataclass
class TrainingReport:
    """What training saw: rows per head and out-of-fold predictions (head -> (row
    indices, truth, out-of-fold probabilities or None))."""

    rows: int
    rows_per_head: dict[str, int]
    oof: dict[str, Any]


def _texts(texts: Sequence[Any]) -> list[str]:
    return [t if isinstance(t, str) else "" for t in texts]


class ThemesModel(BaseEstimator):
    """Suggests kind, category and themes for texts.

    ``fit(data)`` returns self; ``training_report_`` then holds what training saw
    (not saved with the model). With ``corrections`` (a mask of the rows that are a
    council's corrections), fit also learns the council's habits as explicit rules
    (``practice_``, themes.model.practice), applied after the text model's decisions.
    """

    def __init__(self, taxonomy: Taxonomy, config: ModelConfig | None = None) -> None:
        self.taxonomy = taxonomy
        self.config = config

    @property
    def config_(self) -> ModelConfig:
        return self.config or ModelConfig()

    # ----------------------------------------------------------------- training
    def fit(
        self,
        data: LabelledData,
        progress: ProgressCallback | None = None,
        *,
        corrections: np.ndarray | None = None,
        folds: np.ndarray | None = None,
    ) -> ThemesModel:
        say = progress or (lambda _msg: None)
        config = self.config_
        if len(data) == 0:
            raise TrainingError("no training rows; the file has a header but no data")
        say("building features")
        self.featuriser_ = Featuriser(config)
        blocks = self.featuriser_.fit_blocks(data.texts)
        weights = None if data.weights is None else np.asarray(data.weights, dtype=float)
        # Out-of-fold splits by a hash of each text, not a shuffle: adding rows (a retrain's
        # corrections) leaves every other row in its fold, so calibration and thresholds
        # move only as much as the new rows move them.
        fold_ids = np.asarray(folds if folds is not None else text_folds(data.texts))
        rows_per_head: dict[str, int] = {}
        oof: dict[str, Any] = {}
        self.kind_head_: SingleLabelHead | None = None
        self.category_head_: SingleLabelHead | None = None
        self.theme_head_: ThemeHead | None = None
        self.practice_: PracticeRules | None = None
        inputs = _HeadInputs(blocks, config)

        def single(name: str, values: list[str | None] | None, labels: list[str], c: float):
            if values is None or not labels:
                return None
            idx = np.array([i for i, v in enumerate(values) if v])
            if not len(idx):
                return None
            say(f"training {name} on {len(idx)} rows")
            head = SingleLabelHead(labels, C=c, cv_folds=config.cv_folds, seed=config.seed)
            y = np.array([values[i] for i in idx])
            head.fit(inputs.get(name)[idx], y, _sub(weights, idx), _sub(fold_ids, idx))
            oof[name] = (idx, y, head.oof_proba_)
            rows_per_head[name] = len(idx)
            return head

        self.kind_head_ = single("kind", data.kinds, self.taxonomy.kind_ids, config.kind_c)
        self.category_head_ = single(
            "category", data.categories, self.taxonomy.category_ids, config.category_c
        )
        if data.themes is not None and self.taxonomy.theme_ids:
            idx = np.array([i for i, t in enumerate(data.themes) if t is not None])
            if len(idx):
                labels = self.taxonomy.theme_ids
                say(f"training {len(labels)} themes on {len(idx)} rows")
                Y = np.zeros((len(idx), len(labels)), dtype=int)
                for r, i in enumerate(idx):
                    for theme in data.themes[i] or []:
                        Y[r, labels.index(theme)] = 1
                head = ThemeHead.from_config(labels, config)
                self.theme_head_ = head.fit(
                    inputs.get("themes")[idx], Y, _sub(weights, idx), _sub(fold_ids, idx)
                )
                oof["themes"] = (idx, Y, head.oof_proba_)
                rows_per_head["themes"] = len(idx)
        if not rows_per_head:
            raise TrainingError(
                "no labelled rows: expected at least one of the label columns "
                "(kind, themes, category) to have values"
            )
        self.training_report_ = TrainingReport(len(data), rows_per_head, oof)
        self.review_cut_ = self._learn_review_cut(oof, len(data))
        if corrections is not None and self.theme_head_ is not None:
            say("looking for the council's habits in the corrections")
            self.practice_ = learn_rules(
                oof,
                np.asarray(corrections, dtype=bool),
                self.theme_head_.thresholds_,
                self.theme_head_.classes_,
                self.category_head_.classes_ if self.category_head_ is not None else [],
            )
        return self

    def _heads_info(self) -> Heads:
        return Heads(
            kind_labels=self.kind_head_.classes_ if self.kind_head_ is not None else None,
            category_labels=(
                self.category_head_.classes_ if self.category_head_ is not None else None
            ),
            theme_labels=self.theme_head_.classes_ if self.theme_head_ is not None else None,
            thresholds=self.theme_head_.thresholds_ if self.theme_head_ is not None else None,
            categorised_kinds=self.taxonomy.categorised_kinds,
            review_cut=getattr(self, "review_cut_", FALLBACK_CUT),
        )

    def _learn_review_cut(self, oof: dict[str, Any], n_rows: int) -> float:
        """The certainty cut flagging ``review_share`` of the training rows, out of fold.

        Only rows every trained head has an out-of-fold prediction for are used; a row
        is categorised when its predicted kind is a categorised one, as in ``decide``.
        """
        heads = self._heads_info()
        have = [name for name in self.heads if oof.get(name) and oof[name][2] is not None]
        if not have or len(have) < len(self.heads):
            return FALLBACK_CUT
        rows = np.ones(n_rows, dtype=bool)
        for name in have:
            mask = np.zeros(n_rows, dtype=bool)
            mask[oof[name][0]] = True
            rows &= mask
        chosen = np.flatnonzero(rows)
        if not len(chosen):
            return FALLBACK_CUT
        probs: dict[str, np.ndarray] = {}
        for name in have:
            position = {int(r): k for k, r in enumerate(oof[name][0])}
            probs[name] = oof[name][2][[position[int(r)] for r in chosen]]
        categorised = None
        if "kind" in probs and heads.kind_labels is not None:
            kinds = np.asarray(heads.kind_labels)[probs["kind"].argmax(axis=1)]
            categorised = np.isin(kinds, list(heads.categorised_kinds))
        certainty = certainty_of(probs, heads, categorised).row
        return review_cut(certainty, self.config_.review_share)

    # ------------------------------------------------------------------ engine
    @property
    def engine(self) -> str:
        """ "encoder" or "fast" (models saved before engines existed are "fast")."""
        return self.config_.engine

    def engine_card(self) -> dict[str, Any]:
        """What meta.json and the model card record about the engine and its encoder."""
        config = self.config_
        card: dict[str, Any] = {"engine": config.engine}
        if config.engine == "encoder":
            from themes.encoder import encoder_spec

            spec = encoder_spec(config.encoder)
            card["encoder"] = {**spec.card(), "weight": config.encoder_weight}
            card["heads_using_encoder"] = [
                h for h in ("kind", "category", "themes") if "encoder" in config.steps_for(h)
            ]
        return card

    def check_engine_files(self) -> None:
        """Refuse, in one line naming `make encoder`, a missing or changed encoder file."""
        featuriser = getattr(self, "featuriser_", None)
        for _name, step in getattr(featuriser, "steps_", []):
            check = getattr(step, "onnx_path", None)
            if check is not None:
                check()

    def __getstate__(self) -> dict[str, Any]:
        # What training saw (out-of-fold predictions) is not part of the saved model.
        return {k: v for k, v in self.__dict__.items() if k != "training_report_"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # --------------------------------------------------------------- prediction
    @property
    def heads(self) -> list[str]:
        """Names of the trained heads."""
        return [
            name
            for name, head in (
                ("kind", self.kind_head_),
                ("category", self.category_head_),
                ("themes", self.theme_head_),
            )
            if head is not None
        ]

    @property
    def thresholds(self) -> dict[str, float]:
        """Each theme's decision threshold."""
        head = self.theme_head_
        if head is None:
            return {}
        return dict(zip(head.classes_, map(float, head.thresholds_), strict=True))

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Each trained head's probabilities for a batch of texts (head -> texts x labels)."""
        return self.proba_from_blocks(self.featuriser_.transform_blocks(_texts(texts)))

    def proba_from_blocks(self, blocks: dict[str, Any]) -> dict[str, np.ndarray]:
        """``predict_proba`` from features already taken (``featuriser_.transform_blocks``)."""
        inputs = _HeadInputs(blocks, self.config_)
        out: dict[str, np.ndarray] = {}
        if self.kind_head_ is not None:
            out["kind"] = self.kind_head_.predict_proba(inputs.get("kind"))
        if self.category_head_ is not None:
            out["category"] = self.category_head_.predict_proba(inputs.get("category"))
        if self.theme_head_ is not None:
            out["themes"] = self.theme_head_.predict_proba(inputs.get("themes"))
        return out

    def suggest(
        self,
        texts: Sequence[str],
        probs: dict[str, np.ndarray] | None = None,
        *,
        always_categorise: bool = False,
    ) -> Suggestions:
        """Suggestions for a batch of texts (from ``probs`` when already computed)."""
        texts = _texts(texts)
        if probs is None:
            probs = self.predict_proba(texts)
        heads = self._heads_info()
        return decide(
            texts, probs, heads, self.config_, self.practice_, always_categorise=always_categorise
        )

    def predict(self, texts: Sequence[str], *, always_categorise: bool = False) -> list[Prediction]:
        """``suggest(texts).predictions()``: one Prediction per text."""
        return self.suggest(texts, always_categorise=always_categorise).predictions()


class _HeadInputs:
    """Each head's feature matrix: the blocks it reads, stacked once per distinct choice."""

    def __init__(self, blocks: dict[str, Any], config: ModelConfig) -> None:
        self.blocks = blocks
        self.config = config
        self.stacked: dict[tuple[str, ...], Any] = {}

    def get(self, head: str) -> Any:
        names = tuple(n for n in self.config.steps_for(head) if n in self.blocks)
        if names not in self.stacked:
            self.stacked[names] = stack([self.blocks[n] for n in names])
        return self.stacked[names]


def text_folds(texts: Sequence[str]) -> np.ndarray:
    """A fixed number per text (a hash of its normalised form), for out-of-fold splits."""
    return np.array(
        [
            int.from_bytes(hashlib.sha256(" ".join(t.lower().split()).encode()).digest()[:4], "big")
            for t in texts
        ],
        dtype=np.int64,
    )


def _sub(weights: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if weights is None else weights[idx]
