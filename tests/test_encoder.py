"""The ONNX sentence encoder: files and hashes, windows, batches, the transformer.

Tests that run the real encoder skip only when its ONNX file is absent here (build it
with `make encoder`, or point THEMES_ENCODER_DIR at a folder holding it); a file that
is present but changed fails them.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

import themes.encoder.files as files
from themes.encoder import ENCODERS, EncoderFeatures, EncoderFileError, encoder_spec
from themes.encoder.files import find_verified, search_dirs
from themes.encoder.windows import (
    pool_windows,
    prepare_tokenizer,
    sorted_batches,
    split_windows,
    window_starts,
)

ASSETS = Path(files.__file__).parent / "assets"
SHIPPED = "minilm-int8"

SHORT = [
    "No call back from the social worker for two weeks.",
    "Thank you so much for everything you did for our family.",
    "The assessment contained factual errors about my income.",
    "ok",
    "",
]
# About 330 words on a meeting, then about 330 on something else entirely.
PART_A = " ".join(
    ["The child protection conference was cancelled again and nobody told the family why."] * 25
)
PART_B = " ".join(["The foster carer was wonderful, patient and kind with the little ones."] * 28)


def _tokenizer(family: str) -> tuple[Tokenizer, int, int, int]:
    tokenizer = Tokenizer.from_file(str(ASSETS / family / "tokenizer.json"))
    return (tokenizer, *prepare_tokenizer(tokenizer))


def _real(name: str = SHIPPED) -> EncoderFeatures:
    """The real encoder, or a skip saying why when its ONNX file is not here."""
    spec = encoder_spec(name)
    present = [d for d in search_dirs() if (d / spec.family / spec.file_name).is_file()]
    if not present:
        pytest.skip(
            f"{spec.family}/{spec.file_name} absent here: run `make encoder` or set "
            "THEMES_ENCODER_DIR"
        )
    return EncoderFeatures(name).fit()


# -- spec table and committed assets ---------------------------------------------------
def test_every_encoder_names_its_source_and_the_committed_tokenizer_matches():
    for spec in ENCODERS.values():
        assert len(spec.sha256) == 64 and len(spec.weight_sha256) == 64
        assert spec.licence.startswith("Apache-2.0")
        assert spec.source_package and spec.source_version
        path = find_verified(spec.family, "tokenizer.json", spec.tokenizer_sha256)
        assert path.parent.parent == ASSETS


def test_unknown_encoder_is_refused_with_the_known_names():
    with pytest.raises(EncoderFileError, match="minilm-int8") as error:
        EncoderFeatures("bert-huge").fit()
    assert "\n" not in str(error.value)


# -- windows ---------------------------------------------------------------------------
@pytest.mark.parametrize("body,overlap", [(254, 32), (382, 32), (10, 3), (5, 0)])
def test_windows_cover_every_piece_and_overlap(body, overlap):
    for length in range(0, 3 * body + 7):
        starts = window_starts(length, body, overlap)
        covered = set()
        for start in starts:
            covered.update(range(start, min(start + body, length)))
        assert covered == set(range(length))
        assert starts == sorted(set(starts))
        if len(starts) > 1:
            assert all(b - a <= body - overlap for a, b in zip(starts, starts[1:], strict=False))
            assert starts[-1] + body == length


def test_long_text_is_split_into_windows_not_cut():
    spec = encoder_spec(SHIPPED)
    tokenizer, start, end, _ = _tokenizer(spec.family)
    text = PART_A + " " + PART_B
    pieces = tokenizer.encode(text, add_special_tokens=False).ids
    assert len(pieces) > 2 * spec.window
    windows = split_windows(tokenizer, [SHORT[0], text], spec.window, 32, start, end)
    mine = [w for w, owner in zip(windows.ids, windows.owner, strict=True) if owner == 1]
    assert len(mine) >= 3
    assert all(len(w) <= spec.window and w[0] == start and w[-1] == end for w in mine)
    # The windows, laid at their starts, give back every word piece of the text.
    rebuilt = [None] * len(pieces)
    for begin, window in zip(window_starts(len(pieces), spec.window - 2, 32), mine, strict=True):
        rebuilt[begin : begin + len(window) - 2] = window[1:-1]
    assert rebuilt == pieces


def test_batches_are_sorted_by_length_and_padded_with_a_mask():
    tokenizer, start, end, pad = _tokenizer("all-mpnet-base-v2")
    texts = [("word " * n).strip() for n in (40, 3, 17, 0, 90, 5, 60)]
    windows = split_windows(tokenizer, texts, 384, 32, start, end)
    seen, widths = [], []
    for chosen, ids, mask in sorted_batches(windows.ids, 3, pad):
        seen.extend(chosen.tolist())
        widths.append(ids.shape[1])
        for row, index in enumerate(chosen):
            n = len(windows.ids[index])
            assert mask[row].sum() == n
            assert ids[row, :n].tolist() == windows.ids[index]
            assert (ids[row, n:] == pad).all()
    assert sorted(seen) == list(range(len(windows.ids)))
    assert widths == sorted(widths)


def test_windows_are_pooled_by_weighted_mean_then_normalised():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(4, 6)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    tokenizer, start, end, _ = _tokenizer("all-MiniLM-L6-v2")
    windows = split_windows(tokenizer, ["a " * 300, "b"], 256, 32, start, end)
    assert windows.owner.tolist() == [0, 0, 1] or len(windows.owner) == 3
    pooled = pool_windows(emb[: len(windows.owner)], windows, 2)
    first = windows.weight[0] * emb[0] + windows.weight[1] * emb[1]
    np.testing.assert_allclose(pooled[0], first / np.linalg.norm(first), rtol=1e-5)
    np.testing.assert_allclose(pooled[1], emb[2], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, rtol=1e-5)


# -- files: hashes and missing files -----------------------------------------------------
def _fake_folder(tmp_path: Path, name: str, content: bytes | None) -> Path:
    spec = encoder_spec(name)
    folder = tmp_path / spec.family
    folder.mkdir(parents=True)
    shutil.copyfile(ASSETS / spec.family / "tokenizer.json", folder / "tokenizer.json")
    if content is not None:
        (folder / spec.file_name).write_bytes(content)
    return tmp_path


def test_a_changed_onnx_file_is_refused(tmp_path):
    folder = _fake_folder(tmp_path, SHIPPED, b"not the pinned model")
    encoder = EncoderFeatures(SHIPPED, model_dir=str(folder)).fit()
    with pytest.raises(EncoderFileError, match="sha256") as error:
        encoder.transform(SHORT)
    message = str(error.value)
    assert "\n" not in message and "make encoder" in message
    assert encoder_spec(SHIPPED).sha256[:12] in message


def test_a_changed_copy_of_the_real_file_is_refused(tmp_path):
    real = _real().onnx_path()
    folder = _fake_folder(tmp_path, SHIPPED, real.read_bytes()[:-1] + b"\x00")
    with pytest.raises(EncoderFileError, match="sha256"):
        EncoderFeatures(SHIPPED, model_dir=str(folder)).transform(SHORT)


def test_a_missing_onnx_file_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PACKAGE_ASSETS", _fake_folder(tmp_path / "pkg", SHIPPED, None))
    monkeypatch.delenv(files.ENV_DIR, raising=False)
    with pytest.raises(EncoderFileError, match="not found") as error:
        EncoderFeatures(SHIPPED).transform(SHORT)
    message = str(error.value)
    assert "\n" not in message and "make encoder" in message and files.ENV_DIR in message


def test_the_env_folder_is_searched(tmp_path, monkeypatch):
    real = _real().onnx_path()
    spec = encoder_spec(SHIPPED)
    monkeypatch.setattr(files, "PACKAGE_ASSETS", tmp_path / "empty")
    folder = _fake_folder(tmp_path / "env", SHIPPED, None)
    (folder / spec.family / spec.file_name).symlink_to(real)
    monkeypatch.setenv(files.ENV_DIR, str(folder))
    assert EncoderFeatures(SHIPPED).onnx_path().parent == folder / spec.family


# -- the transformer on the real file ----------------------------------------------------
def test_shape_dtype_and_unit_rows():
    encoder = _real()
    out = encoder.transform(SHORT)
    assert out.shape == (len(SHORT), encoder_spec(SHIPPED).dims) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert encoder.transform([]).shape == (0, encoder_spec(SHIPPED).dims)


def test_same_texts_give_the_same_embeddings():
    encoder = _real()
    first = encoder.transform(SHORT)
    again = EncoderFeatures(SHIPPED).transform(SHORT)
    np.testing.assert_array_equal(first, again)


def test_one_text_per_batch_embeds_a_text_the_same_whatever_comes_with_it():
    # int8 activations are quantised per batch tensor, so in batches of several texts
    # a text's embedding moves a little with its neighbours; one per batch it cannot.
    encoder = _real()  # an int8 encoder: one window per batch by default
    together = encoder.transform(SHORT)
    for i, text in enumerate(SHORT):
        np.testing.assert_array_equal(encoder.transform([text])[0], together[i])


def test_similar_texts_are_closer_than_unrelated_ones():
    out = _real().transform(
        [
            "Nobody from children's services called me back.",
            "The social worker never returned my calls.",
            "The foster carer was wonderful with my children.",
        ]
    )
    assert out[0] @ out[1] > out[0] @ out[2]


def test_text_past_the_window_counts_in_the_embedding():
    encoder = _real()
    both, first, second = encoder.transform([PART_A + " " + PART_B, PART_A, PART_B])
    # Cut at the window, the text would be about PART_A only.
    assert both @ second > first @ second + 0.05
    assert both @ first < 0.99


def test_pickled_encoder_leaves_the_session_behind_and_rebuilds_it():
    encoder = _real()
    before = encoder.transform(SHORT)
    blob = pickle.dumps(encoder)
    assert len(blob) < 10_000
    loaded = pickle.loads(blob)
    assert getattr(loaded, "_runtime", None) is None
    np.testing.assert_array_equal(loaded.transform(SHORT), before)


def test_pickling_needs_no_file():
    encoder = pickle.loads(pickle.dumps(EncoderFeatures("mpnet-int8", batch_size=8).fit()))
    assert encoder.get_params()["batch_size"] == 8 and encoder.n_features_out_ == 768


def test_slices_of_a_long_input_give_the_same_embeddings(monkeypatch):
    import themes.encoder.features as features

    encoder = _real()
    texts = SHORT * 3
    whole = encoder.transform(texts)
    monkeypatch.setattr(features, "_TEXTS_PER_SLICE", 4)
    np.testing.assert_array_equal(encoder.transform(texts), whole)


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_every_built_encoder_matches_its_pin_and_embeds(name):
    encoder = _real(name)
    out = encoder.transform([SHORT[0], PART_A])
    assert out.shape == (2, encoder_spec(name).dims)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
