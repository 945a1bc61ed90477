"""The Redactor: finds personal data in texts and replaces it with placeholders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from themes.errors import missing_column
from themes.io import cell_text
from themes.redact.lexicon import (
    AMBIGUOUS_NAMES,
    FIRST_NAMES,
    NAME_OR_INITIAL_RE,
    NAME_TOKEN_RE,
    NOT_NAME_WORDS,
)
from themes.redact.matcher import load_pipeline, matcher_patterns
from themes.redact.names import (
    LEFT_ANCHORED,
    MATCH_WINDOW,
    MAX_NAME_TOKENS,
    WEAK_TRIGGERS,
    TokenInfo,
    ends_line,
    first_run,
    grow_names,
    last_run,
    names_a_place,
    names_before_contacts,
    signature_names,
    token_runs,
)
from themes.redact.patterns import pattern_spans, public_type, resolve_overlaps
from themes.redact.spans import TYPES, RedactionError, Span, apply_spans


class Redactor:
    """Finds and replaces personal data. Configure once, then call on many texts.

    ``types``: which types to redact (default: all of ``TYPES``). ``spacy_model``:
    None for the rule-based path on ``spacy.blank("en")``, or the name (or folder)
    of an installed spaCy pipeline whose PERSON entities are added as names.
    ``places``: with a model, also redact its FAC/GPE/LOC entities as [ADDRESS]
    (off by default: place names rarely identify a family and the council's name
    must stay).
    """

    def __init__(
        self,
        types: Iterable[str] | None = None,
        spacy_model: str | Path | None = None,
        *,
        places: bool = False,
        batch_size: int = 256,
    ) -> None:
        if types is None:
            self.types = frozenset(TYPES)
        else:
            wanted = {str(t).strip().upper() for t in types}
            unknown = sorted(wanted - set(TYPES))
            if unknown:
                raise RedactionError(
                    f"unknown type of personal data: {', '.join(unknown)}; "
                    f"choose from {', '.join(TYPES)}"
                )
            self.types = frozenset(wanted)
        self.spacy_model = str(spacy_model) if spacy_model is not None else None
        self.places = places
        self.batch_size = batch_size
        self.nlp = load_pipeline(self.spacy_model)
        self._statistical = self.spacy_model is not None
        from spacy.matcher import Matcher

        self._matcher = Matcher(self.nlp.vocab)
        self._keys: dict[int, str] = {}
        for key, patterns in matcher_patterns().items():
            self._matcher.add(key, patterns, greedy="LONGEST")
            self._keys[self.nlp.vocab.strings[key]] = key

    # -- public API --------------------------------------------------------

    def find_spans(self, text: str) -> list[Span]:
        """The personal data in ``text``: sorted, non-overlapping spans of the enabled types."""
        return self.find_spans_many([text])[0]

    def find_spans_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """``find_spans`` for many texts, tokenised in batches (much faster than one by one)."""
        texts = [t if isinstance(t, str) else cell_text(t) for t in texts]
        candidates = [pattern_spans(t) for t in texts]
        # Names need a capital letter; skip tokenising texts without one.
        need = [i for i, t in enumerate(texts) if "NAME" in self.types and t.lower() != t]
        for i, doc in zip(need, self._docs([texts[i] for i in need]), strict=True):
            candidates[i].extend(self._name_spans(doc, candidates[i]))
        result = []
        for spans in candidates:
            resolved = resolve_overlaps(spans)
            result.append(
                [
                    Span(s, e, public_type(t))
                    for s, e, t in resolved
                    if not t.startswith("_PLACEHOLDER") and public_type(t) in self.types
                ]
            )
        return result

    def redact_text(self, text: str) -> str:
        """``text`` with each personal detail replaced by its placeholder, e.g. [NAME]."""
        return self.redact_many([text])[0]

    def redact_many(self, texts: Sequence[str]) -> list[str]:
        """``redact_text`` for many texts."""
        texts = [t if isinstance(t, str) else cell_text(t) for t in texts]
        return [
            apply_spans(text, spans)
            for text, spans in zip(texts, self.find_spans_many(texts), strict=True)
        ]

    def redact_frame(
        self,
        frame: pd.DataFrame,
        text_column: str | Sequence[str],
        counts: Counter[str] | None = None,
    ) -> pd.DataFrame:
        """A copy of ``frame`` with the text column(s) redacted; rows and other columns unchanged.

        Empty cells stay empty (None stays None); a non-text cell (a number in an
        Excel column) keeps its value unless redaction changes its text. Pass a
        ``Counter`` as ``counts`` to have it updated with the number of details
        replaced per type (e.g. to report totals after tagging with redaction).
        """
        out, found, _changed = self._redact_frame(frame, _as_list(text_column))
        if counts is not None:
            counts.update(found)
        return out

    def _redact_frame(
        self, frame: pd.DataFrame, columns: list[str]
    ) -> tuple[pd.DataFrame, Counter[str], int]:
        out = frame.copy()
        counts: Counter[str] = Counter()
        changed_rows = pd.Series(False, index=frame.index)
        for column in columns:
            if column not in frame.columns:
                raise missing_column(column, list(frame.columns), "--text-column")
            values = frame[column].tolist()
            texts = [cell_text(v) for v in values]
            spans = self.find_spans_many(texts)
            new_values: list[Any] = []
            changed = []
            for value, text, found in zip(values, texts, spans, strict=True):
                counts.update(s.type for s in found)
                if found:
                    new_values.append(apply_spans(text, found))
                    changed.append(True)
                else:
                    new_values.append(value)
                    changed.append(False)
            out[column] = pd.Series(new_values, index=frame.index, dtype=object)
            changed_rows |= pd.Series(changed, index=frame.index)
        return out, counts, int(changed_rows.sum())

    def _docs(self, texts: list[str]) -> Iterator[Any]:
        if self._statistical:
            yield from self.nlp.pipe(texts, batch_size=self.batch_size)
        else:
            yield from self.nlp.tokenizer.pipe(texts, batch_size=self.batch_size)

    def _token_info(self, doc: Any, candidates: list[tuple[int, int, str]]) -> TokenInfo:
        texts: list[str] = []
        lowers: list[str] = []
        starts: list[int] = []
        spaces: list[str] = []
        newline: list[bool] = []
        for t in doc:  # one pass: creating spaCy Token objects is the costly part
            texts.append(t.text)
            lowers.append(t.lower_)
            starts.append(t.idx)
            spaces.append(t.whitespace_)
            newline.append(t.is_space and "\n" in t.text)
        ends = [s + len(x) for s, x in zip(starts, texts, strict=True)]
        covered = [False] * len(texts)
        if candidates:
            # Tokens inside a number, e-mail, address or placeholder are never names.
            ranges = sorted((s, e) for s, e, _t in candidates)
            j = 0
            for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
                while j < len(ranges) and ranges[j][1] <= s:
                    j += 1
                k = j
                while k < len(ranges) and ranges[k][0] < e:
                    if ranges[k][1] > s:
                        covered[i] = True
                        break
                    k += 1
        name_like = []
        name_or_initial = []
        for x, lo, c in zip(texts, lowers, covered, strict=True):
            maybe = not c and x[:1].isupper() and lo not in NOT_NAME_WORDS
            name_like.append(maybe and bool(NAME_TOKEN_RE.match(x)))
            name_or_initial.append(maybe and bool(NAME_OR_INITIAL_RE.match(x)))
        return TokenInfo(
            texts=texts,
            lowers=lowers,
            starts=starts,
            ends=ends,
            spaces=spaces,
            name_like=name_like,
            name_or_initial=name_or_initial,
            covered=covered,
            newline=newline,
        )

    def _matches(self, doc: Any, info: TokenInfo) -> Iterator[tuple[str, int, int]]:
        """Matcher results, run only on windows around name-shaped tokens.

        Every pattern contains a name token and its trigger words lie within a few
        tokens of it, so the windows lose no match; they skip the two thirds of a
        long letter that has no capitalised word, where the Matcher would spend
        most of its time.
        """
        n = len(info.texts)
        windows: list[list[int]] = []
        for i, flag in enumerate(info.name_or_initial):
            if not flag:
                continue
            lo, hi = max(0, i - MATCH_WINDOW), min(n, i + MATCH_WINDOW + 1)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = hi
            else:
                windows.append([lo, hi])
        for lo, hi in windows:
            for match_id, start, end in self._matcher(doc[lo:hi]):
                yield self._keys.get(match_id, ""), start + lo, end + lo

    def _name_spans(
        self, doc: Any, candidates: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        info = self._token_info(doc, candidates)
        n = len(info.texts)
        names: set[int] = set()

        # 1. Context patterns (titles, roles, family words, greetings, sign-offs...).
        for key, start, end in self._matches(doc, info):
            idx = [i for i in range(start, end) if info.name_or_initial[i]]
            if not idx:
                continue
            if key == "FROM" and start > 0 and not info.newline[start - 1]:
                continue  # "a letter from Moorside" is not a signature
            if key in {"CLOSING", "FROM"} and not ends_line(info, first_run(idx)[-1]):
                # A sign-off name ends its line: "Thanks, Leanne", not "love Moorside Academy".
                continue
            if key in LEFT_ANCHORED:
                idx = last_run(idx)[-3:]
            else:
                idx = first_run(idx)[:MAX_NAME_TOKENS]
                if key in WEAK_TRIGGERS and names_a_place(info, idx[-1]):
                    continue  # "thank Moorside Primary", "SENCo, Ridgeway Primary"
            names.update(idx)

        # 2. Known first names on their own ("Lucy listened"), with a surname after them.
        for i in range(n):
            if (
                info.name_like[i]
                and info.lowers[i] in FIRST_NAMES
                and info.lowers[i] not in AMBIGUOUS_NAMES
            ):
                names.add(i)

        # 3. A statistical model's PERSON entities, when one is loaded.
        if self._statistical:
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    names.update(i for i in range(ent.start, ent.end) if info.name_or_initial[i])

        # 4. Signature lines at the end of a letter ("Kelly Marsden" above a phone number),
        # and full names just before a contact detail ("Dionne Campbell (07700 900918)").
        names.update(signature_names(info, candidates))
        names.update(names_before_contacts(info, candidates))

        # 5. Grow names: hyphenated parts, surnames, names joined by "and"; then every
        # other occurrence of a name already found.
        names = grow_names(info, names)
        seeds = {info.texts[i] for i in names if info.name_like[i] and len(info.texts[i]) > 1}
        if seeds:
            names.update(i for i in range(n) if info.name_like[i] and info.texts[i] in seeds)
            names = grow_names(info, names)

        spans = token_runs(info, names)
        if self._statistical and self.places:
            for ent in doc.ents:
                if ent.label_ in {"GPE", "FAC", "LOC"} and ent.text.lower() not in NOT_NAME_WORDS:
                    spans.append((ent.start_char, ent.end_char, "ADDRESS"))
        return spans


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


# ---------------------------------------------------------------------------
# Module-level helpers and files.
# ---------------------------------------------------------------------------

_DEFAULT: Redactor | None = None
