"""Names on spaCy tokens: per-token facts, signature lines, growing a name into a run."""

from __future__ import annotations

from dataclasses import dataclass

from themes.redact.lexicon import (
    AMBIGUOUS_NAMES,
    CLOSINGS,
    FIRST_NAMES,
    ORG_STRICT,
    ORG_WORDS,
    STREET_SUFFIXES,
    TITLES,
)
from themes.redact.patterns import CONTACT_TYPES

# Patterns whose name part comes before the anchor words: at most this many name
# tokens are taken backwards (so a capitalised word two words earlier is not swept in).
LEFT_ANCHORED = {"POSSESSIVE", "AGE", "DOB"}
MAX_NAME_TOKENS = 4
# Tokens either side of a name-shaped token that the Matcher looks at (longer than
# any pattern's reach from its name token to its trigger words).
MATCH_WINDOW = 8
# Triggers after which a place is as likely as a person ("thanks to Moorside Primary",
# "SENCo, Ridgeway Primary"); a title or family word before a name is not vetoed.
WEAK_TRIGGERS = {"ROLE", "THANK", "CLOSING", "FROM", "FIELD", "GREETING", "FAMILY_NAME"}


@dataclass
class TokenInfo:
    """Per-token facts computed once per document."""

    texts: list[str]
    lowers: list[str]
    starts: list[int]
    ends: list[int]
    spaces: list[str]
    name_like: list[bool]
    name_or_initial: list[bool]
    covered: list[bool]
    newline: list[bool]


def first_run(idx: list[int]) -> list[int]:
    run = [idx[0]]
    for i in idx[1:]:
        if i != run[-1] + 1:
            break
        run.append(i)
    return run


def last_run(idx: list[int]) -> list[int]:
    run = [idx[-1]]
    for i in reversed(idx[:-1]):
        if i != run[0] - 1:
            break
        run.insert(0, i)
    return run


def names_a_place(info: TokenInfo, last: int) -> bool:
    """The capitalised words ending at ``last`` are the start of a place or organisation.

    True when a street ending follows at once ("Mill Road") or an organisation word
    follows within a few words on the same line ("Southfields Children's Centre",
    "St Anselm's CE Primary", "the Brambles family centre").
    """
    n = len(info.texts)
    nxt = last + 1
    if nxt < n and info.lowers[nxt] in STREET_SUFFIXES:
        return True
    for j in range(nxt, min(n, nxt + 4)):
        word = info.texts[j]
        if info.lowers[j] in ORG_STRICT:
            return True
        passes = word[:1].isupper() or info.lowers[j] in {"'s", "’s", "family", "children"}
        if info.newline[j] or not passes:
            return False
    return False


def ends_line(info: TokenInfo, i: int) -> bool:
    """Token i is the last word of its line (punctuation or kisses may follow)."""
    nxt = i + 1
    if nxt >= len(info.texts) or info.newline[nxt] or "\n" in info.spaces[i]:
        return True
    return info.texts[nxt] in {",", ".", "!", "x", "xx", "xxx", "(", "-", "–"}


def _same_line_gap(info: TokenInfo, i: int) -> bool:
    """Token i is followed by token i+1 with only spaces (no line break) between."""
    return i + 1 < len(info.texts) and "\n" not in info.spaces[i] and not info.newline[i + 1]


def grow_names(info: TokenInfo, names: set[int]) -> set[int]:
    """Names plus the words that belong with them (each token looked at once)."""
    n = len(info.texts)
    grown = set(names)
    todo = sorted(grown)
    while todo:
        i = todo.pop()
        for a in _neighbours(info, i, n):
            if a not in grown and not info.covered[a]:
                grown.add(a)
                todo.append(a)
    return grown


def _neighbours(info: TokenInfo, i: int, n: int) -> list[int]:
    """Tokens that join the name at token i."""
    additions: list[int] = []
    # "Okonkwo-Smith", "Tracey-Ann": parts joined by a hyphen with no spaces.
    if (
        i + 2 < n
        and info.spaces[i] == ""
        and info.texts[i + 1] in {"-", "‐"}
        and info.spaces[i + 1] == ""
        and info.name_like[i + 2]
    ):
        additions += [i + 1, i + 2]
    if (
        i >= 2
        and info.texts[i - 1] in {"-", "‐"}
        and info.spaces[i - 2] == ""
        and info.spaces[i - 1] == ""
        and info.name_like[i - 2]
    ):
        additions += [i - 2, i - 1]
    # A surname: the next capitalised word on the same line, unless it is a street
    # ending ("Victoria Road") or an organisation word ("Moorside Primary").
    if (
        info.name_like[i]
        and _same_line_gap(info, i)
        and info.spaces[i] == " "
        and info.name_like[i + 1]
        and info.lowers[i + 1] not in STREET_SUFFIXES
        and info.lowers[i + 1] not in ORG_WORDS
        and not (i + 2 < n and info.lowers[i + 2] in ORG_WORDS)
    ):
        additions.append(i + 1)
    # "Sarah and Priya", "Amy, Ben and Cara": the next name in a list (after a
    # comma only a known first name: "Mr Osborne, Deputy Head" is a job).
    if (
        i + 2 < n
        and (
            info.lowers[i + 1] in {"and", "&", "or"}
            or (info.lowers[i + 1] == "," and info.lowers[i + 2] in FIRST_NAMES)
        )
        and info.name_like[i + 2]
        and "\n" not in info.spaces[i + 1]
        and info.lowers[i + 2] not in STREET_SUFFIXES
        and not (i + 3 < n and info.lowers[i + 3] in ORG_WORDS)
    ):
        additions.append(i + 2)
    if (
        i >= 2
        and info.lowers[i - 1] in {"and", "&"}
        and info.name_like[i - 2]
        and (info.lowers[i - 2] in FIRST_NAMES or info.lowers[i - 2] in AMBIGUOUS_NAMES)
    ):
        additions.append(i - 2)
    return additions


def signature_names(info: TokenInfo, candidates: list[tuple[int, int, str]]) -> set[int]:
    """Names on the short lines that end a letter or e-mail.

    A line counts when it starts with two to four name-like words (optionally after a
    title) and nothing else but a bracket or comma follows, and it sits in the last
    lines of the text: the last line, a line after a sign-off, or a line followed by a
    contact line (phone, e-mail, address, postcode).
    """
    n = len(info.texts)
    lines: list[list[int]] = [[]]
    for i in range(n):
        if info.newline[i]:
            lines.append([])
        elif not info.texts[i].isspace():
            lines[-1].append(i)
    lines = [line for line in lines if line]
    if len(lines) < 2:
        return set()
    contact_starts = sorted(s for s, _e, t in candidates if t in CONTACT_TYPES)

    def has_contact(line: list[int]) -> bool:
        lo, hi = info.starts[line[0]], info.ends[line[-1]]
        return any(lo <= s < hi for s in contact_starts)

    def is_closing(line: list[int]) -> bool:
        words = [info.lowers[i] for i in line if info.texts[i].isalpha()]
        return bool(words) and (words[-1] in CLOSINGS or words[-1] in {"you", "thanks"})

    found: set[int] = set()
    first_tail = max(1, len(lines) - 6)
    for pos in range(first_tail, len(lines)):
        line = lines[pos]
        tokens = [i for i in line if not info.covered[i]]
        while tokens and info.lowers[tokens[0]] in TITLES:
            tokens = tokens[1:]
        run: list[int] = []
        for i in tokens:
            if info.name_or_initial[i]:
                run.append(i)
            elif info.lowers[i] in {"and", "&"} and run:
                continue
            else:
                break
        run = [i for i in run if info.name_or_initial[i]]
        if not run:
            continue
        rest = tokens[tokens.index(run[-1]) + 1 :]
        if rest and info.texts[rest[0]] not in {",", "(", "-", "–"}:
            continue
        last = pos == len(lines) - 1
        after_closing = is_closing(lines[pos - 1])
        before_contact = pos + 1 < len(lines) and has_contact(lines[pos + 1])
        several = len(run) >= 2 and (last or after_closing or before_contact)
        single = len(run) == 1 and info.name_like[run[0]] and (after_closing or (last and not rest))
        if several or single:
            found.update(run)
    return found


def names_before_contacts(info: TokenInfo, candidates: list[tuple[int, int, str]]) -> set[int]:
    """Two or three name-like words right before a phone, e-mail or street address.

    Postcodes are left out: the word before one is usually a town ("Welling Cross ZX4").
    """
    starts = {s for s, _e, t in candidates if t in {"PHONE", "EMAIL", "ADDRESS"}}
    found: set[int] = set()
    if not starts:
        return found
    n = len(info.texts)
    for j in range(n):
        if info.starts[j] not in starts and not (
            info.texts[j] == "(" and j + 1 < n and info.starts[j + 1] in starts
        ):
            continue
        i = j - 1
        while i >= 0 and info.texts[i] in {",", "(", ":", "-", "–"} and not info.newline[i]:
            i -= 1
        run: list[int] = []
        while i >= 0 and info.name_or_initial[i] and "\n" not in info.spaces[i]:
            run.insert(0, i)
            i -= 1
        if len(run) >= 2:
            found.update(run[-3:])
    return found


def token_runs(info: TokenInfo, names: set[int]) -> list[tuple[int, int, str]]:
    """Character spans covering runs of name tokens separated only by spaces or hyphens."""
    spans: list[tuple[int, int, str]] = []
    current: list[int] | None = None
    for i in sorted(names):
        if info.covered[i]:
            continue
        if current is not None and current[1] == i - 1 and "\n" not in info.spaces[i - 1]:
            current[1] = i
            continue
        if current is not None:
            spans.append((info.starts[current[0]], info.ends[current[1]], "NAME"))
        current = [i, i]
    if current is not None:
        spans.append((info.starts[current[0]], info.ends[current[1]], "NAME"))
    return spans
