"""Build corpus v2: the starter records (with registers) plus the writers' new records.

Run once from the repository root:
    python data/tools/build_corpus.py NEW_DIR [NEW_DIR ...] --heldout HELDOUT_DIR

- Starter records keep their reference, metadata, labels and split; each gets a register
  (from the writer folder it came from, recovered by the rules in ``starter_register``).
- New records (JSON lines written for this project, one folder per writer) get log
  metadata drawn at random with a fixed seed, as the starter corpus did, and are split
  80/20 by iterative stratification over kind, category and themes.
- A new record sharing a 10-word run with an earlier record, or a near-duplicate of one
  (character 5-gram TF-IDF cosine above 0.9), is dropped and counted.
- The separately written held-out set goes to data/heldout.csv (never trained on).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from themes.datacheck import COLUMNS, REGISTERS, near_duplicates, shared_runs
from themes.workdays import add_working_days, financial_year

SEED = 20261207
FIRST_DAY = date(2021, 4, 1)
LAST_DAY = date(2024, 3, 31)
PREFIX = {"complaint": "CSC", "compliment": "CMP", "comment": "CMT"}
TEAMS = [
    "Child in Need and Child Protection",
    "Children in Care and Care Leavers",
    "Duty and Assessment",
    "Disabled Children",
    "Fostering",
    "Adoption",
    "Team around the Family",
    "Emergency Duty Team",
]
_FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|i'd|my|me|we|our|us)\b")
_LOGGED = re.compile(
    r"^(card|letter|compliment|verbal|thanks|thank you note|email|e-mail|message|note|feedback)"
    r"\b.{0,40}\b(from|to|received)\b|\b(rang|phoned|called|telephoned|came in|came to|wrote to|"
    r"e-?mailed|thanked|said|says|asked|reported|left a message|told)\b",
    re.IGNORECASE,
)


def starter_register(row: pd.Series) -> str:
    """The register of a starter record, recovered from its kind, sender, channel and voice."""
    text = str(row["text"])
    head = " ".join(text.split()[:14])
    words = len(text.split())
    first_person = bool(_FIRST_PERSON.search(head.lower()))
    logged = bool(_LOGGED.search(head)) and not head.lstrip().lower().startswith(
        ("dear", "hi", "to ")
    )
    young = row["complainant"] in ("child or young person", "care leaver")
    if row["kind"] == "comment":
        return "comment"
    if row["kind"] == "compliment":
        officer_note = re.match(
            r"\s*(compliment|card|note|verbal|thanks? (from|to)|letter (from|received)"
            r"|e-?mail from)",
            head,
            re.IGNORECASE,
        ) or re.search(
            r"\b(wanted it noted|logged|asked for (it|this) to be)\b", text, re.IGNORECASE
        )
        if officer_note or (logged and not (first_person and not _LOGGED.match(head))):
            return "compliment_third_person"
        if young:
            return "young_person"
        if row["complainant"] == "professional":
            return "compliment_professional"
        return "compliment_card"
    if young and first_person:
        return "young_person"
    phoned = re.search(
        r"\b(rang|phoned|called|telephoned|came in|came to|visited reception)\b", text
    )
    if not first_person and phoned:
        return "phone_note"
    if not first_person and words <= 60:
        return "officer_line"
    if not first_person:
        return "phone_note"
    return "own_letter"


def _load_new(folders: list[Path]) -> pd.DataFrame:
    rows = []
    for folder in folders:
        for path in sorted(folder.glob("*.jsonl")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                record["source"] = f"{path.name}:{number}"
                rows.append(record)
    frame = pd.DataFrame(rows)
    frame["themes"] = frame["themes"].map(lambda t: ";".join(dict.fromkeys(t or [])))
    frame["category"] = frame["category"].fillna("").map(lambda c: "" if c in (None, "null") else c)
    frame["text"] = frame["text"].map(lambda t: str(t).strip())
    return frame


def _metadata(frame: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    """Log metadata the text does not decide, drawn at random as for the starter corpus."""
    span = (LAST_DAY - FIRST_DAY).days
    out = frame.copy()
    received, responded, procedure, stage, outcome, advocate = [], [], [], [], [], []
    for _, row in frame.iterrows():
        day = FIRST_DAY + timedelta(days=rng.randrange(span + 1))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        received.append(day.isoformat())
        if row["kind"] != "complaint":
            procedure.append("statutory")
            stage.append("")
            outcome.append("")
            advocate.append("no")
            reply = add_working_days(day, rng.randint(1, 10)) if rng.random() < 0.6 else None
            responded.append(reply.isoformat() if reply else "")
            continue
        formal = row["register"] == "formal_summary"
        stage_now = (
            rng.choices(["1", "2", "3", "LGSCO"], [10, 40, 20, 30])[0]
            if formal
            else rng.choices(["1", "2", "3", "LGSCO"], [86, 9, 3, 2])[0]
        )
        stage.append(stage_now)
        procedure.append("corporate" if rng.random() < 0.33 else "statutory")
        outcome.append(
            rng.choices(
                ["not upheld", "partly upheld", "upheld", "inconclusive", "withdrawn"],
                [50, 30, 15, 3, 2],
            )[0]
        )
        advocate.append(
            "yes"
            if row["complainant"] in ("child or young person", "care leaver") and rng.random() < 0.5
            else "no"
        )
        if outcome[-1] == "withdrawn" and rng.random() < 0.5:
            responded.append("")
            continue
        days = rng.choices(
            [rng.randint(3, 10), rng.randint(11, 20), rng.randint(21, 45)], [64, 23, 13]
        )[0]
        if stage_now != "1":
            days = rng.randint(25, 110)
        responded.append(add_working_days(day, days).isoformat())
    out["date_received"] = received
    out["date_responded"] = responded
    out["procedure"] = procedure
    out["stage"] = stage
    out["outcome"] = outcome
    out["advocate"] = advocate
    return out


def _references(frame: pd.DataFrame, taken: set[str]) -> list[str]:
    counters: Counter[str] = Counter()
    for ref in taken:
        prefix, year, number = ref.split("-")
        counters[f"{prefix}-{year}"] = max(counters[f"{prefix}-{year}"], int(number))
    refs = []
    for _, row in frame.iterrows():
        year = financial_year(date.fromisoformat(row["date_received"]))  # "2023/24"
        key = f"{PREFIX[row['kind']]}-{year[2:4]}{year[5:7]}"
        counters[key] += 1
        refs.append(f"{key}-{counters[key]:04d}")
    return refs


def stratified_split(frame: pd.DataFrame, share: float, seed: int) -> np.ndarray:
    """Iterative stratification (Sechidis et al. 2011) over kind, category and themes labels."""
    labels = [
        {f"kind={k}"}
        | ({f"category={c}"} if c else set())
        | {f"theme={t}" for t in str(th).split(";") if t}
        for k, c, th in zip(frame["kind"], frame["category"], frame["themes"], strict=True)
    ]
    rng = np.random.default_rng(seed)
    n = len(frame)
    wanted = np.array([share, 1 - share]) * n
    label_wanted = {}
    for label_set in labels:
        for label in label_set:
            label_wanted.setdefault(label, np.zeros(2))
            label_wanted[label] += np.array([share, 1 - share])
    remaining = set(range(n))
    in_test = np.zeros(n, dtype=bool)
    while remaining:
        counts = Counter(label for i in remaining for label in labels[i])
        if not counts:
            for i in remaining:
                side = int(np.argmax(wanted + rng.random(2) * 1e-6))
                in_test[i] = side == 0
                wanted[side] -= 1
            break
        rarest = min(counts, key=lambda lab: (counts[lab], lab))
        members = [i for i in remaining if rarest in labels[i]]
        rng.shuffle(members)
        for i in members:
            need = label_wanted[rarest]
            best = np.flatnonzero(need == need.max())
            if len(best) > 1:
                best = best[np.flatnonzero(wanted[best] == wanted[best].max())]
            side = int(rng.choice(best))
            in_test[i] = side == 0
            for label in labels[i]:
                label_wanted[label][side] -= 1
            wanted[side] -= 1
            remaining.discard(i)
    return in_test


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("new", nargs="+", type=Path)
    parser.add_argument("--heldout", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--id-map", type=Path, help="write writer id -> reference here")
    args = parser.parse_args()
    rng = random.Random(SEED)

    train = pd.read_csv(args.data / "train.csv", dtype=str, keep_default_na=False)
    test = pd.read_csv(args.data / "test.csv", dtype=str, keep_default_na=False)
    train["split"], test["split"] = "train", "test"
    starter = pd.concat([train, test], ignore_index=True)
    if "register" not in starter.columns or (starter["register"] == "").all():
        starter["register"] = starter.apply(starter_register, axis=1)
    else:
        starter = (
            starter[starter["source"].str.startswith("starter")] if "source" in starter else starter
        )
    starter["source"] = "starter"
    relabels = pd.read_csv(Path(__file__).with_name("relabels.csv"), dtype=str)
    for change in relabels.itertuples():
        rows = starter["reference"] == change.reference
        if rows.sum() != 1:
            raise SystemExit(f"relabels.csv: reference {change.reference} not found once")
        starter.loc[rows, change.field] = change.new_value

    new = _load_new(args.new)
    heldout = _load_new([args.heldout])
    for name, part in (("new", new), ("heldout", heldout)):
        bad = sorted(set(part["register"]) - set(REGISTERS))
        if bad:
            raise SystemExit(f"{name}: unknown registers {bad}")

    # Drop new records that repeat an earlier one (starter first, then in writing order).
    kept_texts = starter["text"].tolist()
    dropped: Counter[str] = Counter()
    keep = []
    runs = shared_runs(kept_texts + new["text"].tolist())
    clash = {b for a, b, _ in runs if b >= len(kept_texts)}
    for offset in range(len(new)):
        keep.append(len(kept_texts) + offset not in clash)
    dropped["shared 10-word run"] = len(new) - sum(keep)
    new = new[keep].reset_index(drop=True)
    near = near_duplicates(starter["text"].tolist() + new["text"].tolist())
    near_new = {b - len(starter) for a, b, _ in near if b >= len(starter)}
    dropped["near-duplicate"] = len(near_new)
    new = new.drop(index=sorted(near_new)).reset_index(drop=True)

    # Held-out: drop any that repeats a corpus record (it must stay independent).
    all_texts = starter["text"].tolist() + new["text"].tolist()
    ho_runs = shared_runs(all_texts + heldout["text"].tolist())
    ho_clash = {b - len(all_texts) for a, b, _ in ho_runs if b >= len(all_texts)}
    dropped["held-out repeats"] = len(ho_clash)
    heldout = heldout.drop(index=sorted(ho_clash)).reset_index(drop=True)

    new = _metadata(new, rng)
    heldout = _metadata(heldout, rng)
    new["split"] = np.where(stratified_split(new, 0.2, SEED), "test", "train")
    new = new.sort_values("date_received", kind="stable").reset_index(drop=True)
    new["reference"] = _references(new, set(starter["reference"]))
    heldout = heldout.sort_values("date_received", kind="stable").reset_index(drop=True)
    heldout["reference"] = [f"HO-{i:04d}" for i in range(1, len(heldout) + 1)]

    if args.id_map:
        mapping = pd.concat(
            [
                pd.DataFrame({"id": starter["reference"], "reference": starter["reference"]}),
                new[["id", "reference"]],
                heldout[["id", "reference"]],
            ]
        )
        mapping.to_csv(args.id_map, index=False)
    columns = [*COLUMNS, "register"]
    corpus = pd.concat([starter, new], ignore_index=True)
    corpus = corpus.sort_values(["date_received", "reference"], kind="stable")
    for split in ("train", "test"):
        part = corpus[corpus["split"] == split][columns]
        part.to_csv(args.data / f"{split}.csv", index=False, encoding="utf-8")
    heldout[columns].to_csv(args.data / "heldout.csv", index=False, encoding="utf-8")
    sample = corpus[corpus["split"] == "test"][COLUMNS].copy()
    sample["themes"] = ""
    sample["category"] = ""
    sample.to_csv(args.data / "sample_log.csv", index=False, encoding="utf-8")
    print(
        f"starter {len(starter)}, new kept {len(new)}, held out {len(heldout)};"
        f" dropped {dict(dropped)}"
    )
    print(Counter(corpus["register"]))


if __name__ == "__main__":
    main()
