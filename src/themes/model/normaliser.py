"""The first feature step: spaCy tokenising and domain normalisation, as a scikit-learn transformer.

Complaint text mixes long letters with officers' one-liners full of abbreviations
("no call back from SW, ICPC moved"). Normalising both to the same words lets a
model learn from one register and read the other: abbreviations are expanded,
and e-mail addresses, phone numbers and other long numbers become placeholders
(which also keeps personal details out of the model's vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

from themes.model.config import TextConfig

# Abbreviations from the domain brief, lower-cased, with the words they stand for.
# Expanding them means "SW" and "social worker" share features.
ABBREVIATIONS: dict[str, str] = {
    "sw": "social worker",
    "sws": "social workers",
    "csw": "child's social worker",
    "ssw": "supervising social worker",
    "cin": "child in need",
    "cp": "child protection",
    "cpp": "child protection plan",
    "cpc": "child protection conference",
    "icpc": "initial child protection conference",
    "rcpc": "review child protection conference",
    "cic": "children in care",
    "cla": "looked after child",
    "lac": "looked after child",
    "iro": "independent reviewing officer",
    "daat": "duty and assessment team",
    "mash": "front door team",
    "icart": "front door team",
    "edt": "emergency duty team",
    "taf": "team around the family",
    "caf": "common assessment framework",
    "pa": "personal adviser",
    "yp": "young person",
    "al": "annual leave",
    "s47": "section 47 enquiry",
    "s20": "section 20 accommodation",
    "sgo": "special guardianship order",
    "ehcp": "education health and care plan",
    "lgsco": "ombudsman",
    "nyas": "advocacy service",
    "gm": "grandmother",
    "gf": "grandfather",
    "gp": "doctor",
    "dob": "date of birth",
    "wks": "weeks",
    "wk": "week",
    "hrs": "hours",
    "mths": "months",
    "w/": "with",
    "w/o": "without",
    "b/c": "because",
    "info": "information",
}

# Phrases whose usual words mislead a bag of words, rewritten (with abbreviation
# expansion) to what they mean here: a message "left" is not a worker who left, and
# "thank you for nothing" is not thanks. Each is an English idiom, not a corpus habit.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:left|leaving|leave|leaves)\b(?=(?:\s+(?:a|an|the|another|two|three|four|"
            r"five|several|many|numerous|lots|of|more|\d+|urgent|further|voice))*\s+"
            r"(?:voicemails?|voice\s*mails?|messages?|msgs?|vms?|notes?|cards?)\b)",
            re.IGNORECASE,
        ),
        "sent",
    ),
    (re.compile(r"\bthank(?:s| you)\s+for\s+nothing\b", re.IGNORECASE), "no help at all"),
]

# Redaction placeholders ([NAME], [PHONE]...) become single tokens the vocabulary
# does not otherwise contain, so that redacted text reads like the original to the
# model: "[NAME]" would otherwise add the words "name" and "address".
_PLACEHOLDER_RE = re.compile(
    r"\[(NAME|PHONE|EMAIL|ADDRESS|POSTCODE|DATE_OF_BIRTH|NHS_NUMBER|NI_NUMBER|CASE_REF)\]"
)
_NEGATORS = {
    "not",
    "no",
    "never",
    "n't",
    "nobody",
    "nothing",
    "without",
    "cannot",
    "neither",
    "nor",
}
_PHONE_RE = re.compile(r"^\+?\d[\d\s\-()]{6,}\d$")
_LONG_NUMBER_RE = re.compile(r"\d{5,}")
# Distinct tokens or pieces remembered per process (bounded so memory stays flat).
_CACHE_LIMIT = 500_000
_DEFAULT_TEXT = TextConfig()


class Normaliser(TransformerMixin, BaseEstimator):
    """Texts in, normalised texts (tokens joined by single spaces) out.

    Stateless: ``fit`` learns nothing. The spaCy pipeline is created lazily and never
    pickled, nor are the token caches.
    """

    def __init__(self, config: TextConfig | None = None) -> None:
        self.config = config

    @property
    def _config(self) -> TextConfig:
        return self.config or _DEFAULT_TEXT

    def fit(self, X: Iterable[str], y: Any = None) -> Normaliser:
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        return self.normalise_many(X)

    def __getstate__(self) -> dict[str, Any]:
        # Neither the spaCy pipeline nor the token cache is saved with a model.
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.config = state["config"]

    @cached_property
    def nlp(self) -> Any:
        import spacy

        # A blank English pipeline: the rule-based tokeniser with no model weights,
        # so nothing needs downloading.
        return spacy.blank("en")

    def _token_words(self, token: Any) -> list[str]:
        text = token.text
        if token.is_space:
            return []
        if token.is_punct:
            return [text]
        if self._config.mask_contacts:
            if token.like_email:
                return ["__email__"]
            if token.like_url:
                return ["__url__"]
            if _LONG_NUMBER_RE.search(text) or _PHONE_RE.match(text):
                return ["__number__"]
        word = text.lower() if self._config.lowercase else text
        if self._config.expand_abbreviations:
            expansion = ABBREVIATIONS.get(word if self._config.lowercase else word.lower())
            if expansion is not None:
                return expansion.split()
        return [word]

    @cached_property
    def _cache(self) -> dict[str, tuple[bool, list[str]]]:
        # A token's words depend only on its text, so each distinct token is worked
        # out once: most of a log's tokens are common words seen thousands of times.
        return {}

    def _doc_words(self, doc: Any) -> list[str]:
        cache = self._cache
        words: list[str] = []
        negating = False
        mark = self._config.mark_negation
        for token in doc:
            entry = cache.get(token.text)
            if entry is None:
                entry = (bool(token.is_punct), self._token_words(token))
                if len(cache) < _CACHE_LIMIT:
                    cache[token.text] = entry
            is_punct, token_words = entry
            if is_punct:
                negating = False
                words.extend(token_words)
                continue
            if mark and negating:
                words.extend("not_" + w for w in token_words)
            else:
                words.extend(token_words)
            if mark and token.lower_ in _NEGATORS:
                negating = True
        return words

    @cached_property
    def _piece_cache(self) -> dict[str, str]:
        # Normalised form of each whitespace-separated piece of text. spaCy's tokeniser
        # splits on str.isspace() first and tokenises every piece on its own (a special
        # case never spans whitespace), so a text's normal form is its pieces' normal
        # forms joined by spaces. Looking pieces up here instead of building a spaCy Doc
        # per text makes normalising short texts several times faster.
        return {}

    def _normalise_pieces(self, texts: list[str]) -> list[str]:
        cache = self._piece_cache
        split_texts = [t.split() for t in texts]
        missing = {piece for pieces in split_texts for piece in pieces if piece not in cache}
        table = cache
        if missing:
            fresh = list(missing)
            found = {
                piece: " ".join(self._doc_words(doc))
                for piece, doc in zip(fresh, self.nlp.tokenizer.pipe(fresh), strict=True)
            }
            if len(cache) + len(found) <= _CACHE_LIMIT:
                cache.update(found)
            else:
                # Cache full (a log of a million distinct names?): this batch's own table.
                seen = {piece for pieces in split_texts for piece in pieces} - missing
                table = {**{piece: cache[piece] for piece in seen}, **found}
        out = []
        for pieces in split_texts:
            words = [table[piece] for piece in pieces]
            out.append(" ".join([w for w in words if w]))
        return out

    def normalise_many(self, texts: Iterable[str], batch_size: int = 1000) -> list[str]:
        """Normalised text for each input: tokens joined by single spaces."""
        limit = self._config.max_chars
        prepared = [_placeholders(t[:limit] if len(t) > limit else t) for t in texts]
        if self._config.expand_abbreviations:
            prepared = [_phrases(t) for t in prepared]
        if not self._config.mark_negation:
            return self._normalise_pieces(prepared)
        # Negation marking carries state from token to token across pieces: whole Docs.
        return [
            " ".join(self._doc_words(doc))
            for doc in self.nlp.tokenizer.pipe(prepared, batch_size=batch_size)
        ]

    def normalise(self, text: str) -> str:
        """Normalised form of one text."""
        return self.normalise_many([text])[0]


def _phrases(text: str) -> str:
    for pattern, meaning in _PHRASES:
        text = pattern.sub(meaning, text)
    return text


def _placeholders(text: str) -> str:
    if "[" not in text:
        return text
    return _PLACEHOLDER_RE.sub(lambda m: " xx" + m.group(1).lower().replace("_", "") + "xx ", text)


def word_count(text: str) -> int:
    """Number of word-like pieces in a text (cheap; used for the 'too short' check)."""
    return len(re.findall(r"[A-Za-z0-9']+", text))
