"""Texts to windows of word pieces, and windows to length-sorted padded batches.

A text longer than the encoder's window is split into overlapping windows, each
wrapped in the model's own start and end tokens; the windows' embeddings are later
averaged (weighted by their word pieces) so nothing past the window is cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer


@dataclass(frozen=True)
class Windows:
    """Every window of a list of texts: its word-piece ids and the text it belongs to."""

    ids: list[list[int]]  # special tokens included
    owner: np.ndarray  # index of the text each window comes from
    weight: np.ndarray  # word pieces of the text in the window (at least 1)


def prepare_tokenizer(tokenizer: Tokenizer) -> tuple[int, int, int]:
    """Turn off the file's own truncation and padding; return (start id, end id, pad id)."""
    tokenizer.no_truncation()
    tokenizer.no_padding()
    specials = tokenizer.encode("", add_special_tokens=True).ids
    if len(specials) != 2:
        raise ValueError(f"expected a start and an end token around a text, found {specials}")
    pad = tokenizer.token_to_id("[PAD]")
    if pad is None:
        pad = tokenizer.token_to_id("<pad>")
    return specials[0], specials[1], 0 if pad is None else pad


def window_starts(length: int, body: int, overlap: int) -> list[int]:
    """Where each window of ``body`` pieces starts so that together they cover ``length``."""
    if length <= body:
        return [0]
    step = body - overlap
    starts = list(range(0, length - body + 1, step))
    if starts[-1] + body < length:
        starts.append(length - body)
    return starts


def split_windows(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    window: int,
    overlap: int,
    start_id: int,
    end_id: int,
) -> Windows:
    """Tokenise ``texts`` and split each into windows of at most ``window`` ids."""
    body = window - 2
    if not 0 <= overlap < body:
        raise ValueError(f"overlap must be between 0 and {body - 1} word pieces, got {overlap}")
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    ids: list[list[int]] = []
    owner: list[int] = []
    weight: list[int] = []
    for index, encoding in enumerate(encodings):
        pieces = encoding.ids
        for start in window_starts(len(pieces), body, overlap):
            chunk = pieces[start : start + body]
            ids.append([start_id, *chunk, end_id])
            owner.append(index)
            weight.append(max(len(chunk), 1))
    return Windows(ids, np.asarray(owner, dtype=np.int64), np.asarray(weight, dtype=np.float32))


def sorted_batches(
    ids: list[list[int]], batch_size: int, pad_id: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of windows of similar length: (window indices, input ids, attention mask)."""
    lengths = np.fromiter((len(w) for w in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    for begin in range(0, len(order), batch_size):
        chosen = order[begin : begin + batch_size]
        width = int(lengths[chosen].max())
        input_ids = np.full((len(chosen), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(chosen), width), dtype=np.int64)
        for row, index in enumerate(chosen):
            n = lengths[index]
            input_ids[row, :n] = ids[index]
            mask[row, :n] = 1
        yield chosen, input_ids, mask


def pool_windows(embeddings: np.ndarray, windows: Windows, n_texts: int) -> np.ndarray:
    """Average each text's window embeddings, weighted by word pieces, then L2-normalise."""
    pooled = np.zeros((n_texts, embeddings.shape[1]), dtype=np.float64)
    np.add.at(pooled, windows.owner, embeddings * windows.weight[:, None])
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
