"""spaCy pipelines and the Matcher patterns that find names from their context."""

from __future__ import annotations

from typing import Any

from themes.redact.lexicon import (
    APPOSITION_WORDS,
    CALLED_NOUNS,
    CLOSINGS,
    FAMILY_WORDS,
    GREETINGS,
    HOUSEHOLD_WORDS,
    INITIAL,
    NAME_FIELDS,
    NAME_TOKEN,
    NOT_NAME_WORDS,
    ROLE_WORDS,
    TITLES,
)
from themes.redact.spans import SpacyModelError


def matcher_patterns() -> dict[str, list[list[dict[str, Any]]]]:
    stop = sorted(NOT_NAME_WORDS)
    nm = {"TEXT": {"REGEX": f"^(?:{NAME_TOKEN}|{INITIAL})$"}, "LOWER": {"NOT_IN": stop}}
    # At most four name tokens in a row: a bounded run also keeps the Matcher linear on
    # text that is all capitalised words.
    nm_plus = {**nm, "OP": "{1,4}"}
    comma = {"ORTH": ",", "OP": "?"}
    title = {"LOWER": {"IN": sorted(TITLES)}}
    opt_title = {"LOWER": {"IN": sorted(TITLES)}, "OP": "?"}
    spaces = {"IS_SPACE": True, "OP": "*"}
    age = {"LOWER": {"IN": ["aged", "age", "now"]}, "OP": "?"}
    dob = {"LOWER": {"IN": ["dob", "d.o.b", "d.o.b.", "dob:", "d.o.b:"]}}
    return {
        # "Mrs Adams", "Mr J. Okafor", "Dr. Shah".
        "TITLE": [[title, {"ORTH": ".", "OP": "?"}, nm_plus]],
        # "SW Karen", "social worker Karen Blake", "the duty SW, Kamal,", "PC Okafor".
        "ROLE": [[{"LOWER": {"IN": sorted(ROLE_WORDS)}}, comma, nm_plus]],
        # "my son Josh", "my daughter's dad Lee", "mum of Mariam", "Auntie Dee".
        "FAMILY": [
            [{"LOWER": {"IN": sorted(FAMILY_WORDS)}}, comma, nm_plus],
            [{"LOWER": {"IN": sorted(FAMILY_WORDS)}}, {"LOWER": "of"}, nm_plus],
        ],
        # "My mum is Agnieszka Wrobel", "my social worker is called Becky".
        "IS": [
            [
                {"LOWER": {"IN": sorted(FAMILY_WORDS | ROLE_WORDS)}},
                {"LOWER": {"IN": ["is", "was"]}},
                {"LOWER": {"IN": ["called", "named"]}, "OP": "?"},
                opt_title,
                nm_plus,
            ],
        ],
        # "Marguerite Achebe, our SSW", "Vanessa Holt, NYAS advocate" (full names only).
        "APPOSITION": [
            [
                nm,
                nm_plus,
                {"ORTH": ","},
                {
                    "LOWER": {"IN": ["our", "my", "the", "his", "her", "their", "a", "an"]},
                    "OP": "?",
                },
                {"IS_ALPHA": True, "OP": "?"},
                {"LOWER": {"IN": sorted(APPOSITION_WORDS)}},
            ],
        ],
        # "thank Agata for", "thanks to Dev and".
        "THANK": [
            [
                {"LOWER": {"IN": ["thank", "thanks", "thanking", "thanked"]}},
                {"LOWER": "you", "OP": "?"},
                {"LOWER": "to", "OP": "?"},
                opt_title,
                nm_plus,
            ],
        ],
        # "Mum (Kerry)", "SW (Karen)".
        "BRACKETED": [
            [
                {"LOWER": {"IN": sorted(FAMILY_WORDS | ROLE_WORDS)}},
                {"ORTH": "("},
                nm_plus,
                {"ORTH": ")"},
            ]
        ],
        # "Josh's dad", "Oscar's mum".
        "POSSESSIVE": [
            [nm_plus, {"LOWER": {"IN": ["'s", "’s"]}}, {"LOWER": {"IN": sorted(FAMILY_WORDS)}}]
        ],
        # "the Pellegrini family", "the Mensah children", "the Osei-Bonsu family".
        "FAMILY_NAME": [
            [
                {"LOWER": "the"},
                nm,
                {"ORTH": "-", "OP": "?"},
                {**nm, "OP": "?"},
                {"LOWER": {"IN": sorted(HOUSEHOLD_WORDS)}},
            ],
        ],
        # "Dear Anita", "Hi Karen".
        "GREETING": [[{"LOWER": {"IN": sorted(GREETINGS)}}, opt_title, nm_plus]],
        # "Thanks, Leanne", "Regards\nGemma Oduya", "Thank you\nShannon", "Love from Shona".
        "CLOSING": [
            [
                {"LOWER": {"IN": sorted(CLOSINGS)}},
                {"IS_PUNCT": True, "OP": "?"},
                spaces,
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": "thank"},
                {"LOWER": "you"},
                {"IS_PUNCT": True, "OP": "?"},
                spaces,
                opt_title,
                nm_plus,
            ],
            [{"LOWER": "love"}, {"LOWER": "from"}, nm_plus],
        ],
        # "From Kasia" at the start of a line (checked after matching).
        "FROM": [[{"LOWER": "from"}, {"ORTH": ",", "OP": "?"}, nm_plus]],
        # "a man called Viktor", "named Jade", "my name is Callum Reid".
        "CALLED": [
            [
                {"LOWER": {"IN": sorted(CALLED_NOUNS)}},
                {"LOWER": {"IN": ["called", "named"]}},
                opt_title,
                nm_plus,
            ],
            [{"LOWER": "named"}, opt_title, nm_plus],
            [
                {"LOWER": "name"},
                {"LOWER": {"IN": ["is", "was", "'s", "’s", ":", "-"]}},
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": {"IN": ["i", "i'm"]}},
                {"LOWER": {"IN": ["am", "'m", "’m"]}, "OP": "?"},
                nm,
                nm_plus,
            ],
        ],
        # "Esme (13)", "Oscar Hemmings (aged 5)", "Tobi, aged 14".
        "AGE": [
            [nm_plus, {"ORTH": "("}, age, {"LIKE_NUM": True}],
            [nm_plus, comma, {"LOWER": {"IN": ["aged", "age"]}}, {"LIKE_NUM": True}],
        ],
        # "Alfie Brennan, DOB", "Kofi Asante, born on".
        "DOB": [
            [nm_plus, {"ORTH": {"IN": [",", "(", "-"]}, "OP": "?"}, dob],
            [nm_plus, {"ORTH": {"IN": [",", "("]}, "OP": "?"}, {"LOWER": {"IN": ["date", "born"]}}],
        ],
        # "Child: Harvey Lomax", "Caller: Mr Kovacs".
        "FIELD": [
            [
                {"LOWER": {"IN": sorted(NAME_FIELDS | ROLE_WORDS)}},
                {"ORTH": ":"},
                opt_title,
                nm_plus,
            ],
            [
                {"LOWER": {"IN": sorted(NAME_FIELDS)}},
                {"LOWER": "name"},
                {"ORTH": ":"},
                opt_title,
                nm_plus,
            ],
        ],
    }


def load_pipeline(name: str | None) -> Any:
    import spacy

    if name is None:
        # The rule-based tokeniser alone: no model weights, nothing to download.
        return spacy.blank("en")
    try:
        nlp = spacy.load(name)
    except OSError:
        raise SpacyModelError(
            f"spaCy model '{name}' is not installed; install it with "
            f"'python -m spacy download {name}' (or pip install its package), "
            "or omit --spacy-model to redact with the built-in rules alone"
        ) from None
    finders = {"ner", "entity_ruler", "span_ruler"}
    if not finders & set(nlp.pipe_names):
        raise SpacyModelError(
            f"spaCy model '{name}' has no named-entity recogniser; choose a model with "
            "one (for example en_core_web_sm) or omit --spacy-model"
        )
    # Only the entity recogniser (and what feeds it) is needed: the tagger, parser and
    # lemmatizer would cost time and add nothing here.
    keep = finders | {"tok2vec", "transformer"}
    nlp.select_pipes(disable=[p for p in nlp.pipe_names if p not in keep])
    return nlp
