"""Model files as data (format 3, issue 17 item 3): a JSON tree and NumPy arrays that load
back to the same model, and refuse, without running anything, a file that names code."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from conftest import RUNNER as runner
from conftest import STARTER
from themes.cli import app
from themes.errors import ModelError
from themes.store import DATA_FILES, META_FILE, PIPELINE_FILE, dataformat, load_model, save_model
from themes.store.meta import sha256_file


def _texts(n: int = 120) -> list[str]:
    return pd.read_csv(STARTER / "test.csv", dtype=str, keep_default_na=False)["text"][:n].tolist()


def _same_probabilities(a, b, texts) -> None:
    pa, pb = a.predict_proba(texts), b.predict_proba(texts)
    assert set(pa) == set(pb)
    for head in pa:
        np.testing.assert_array_equal(np.asarray(pa[head]), np.asarray(pb[head]))


def test_a_model_saved_as_data_predicts_exactly_as_before(tmp_path, base_model):
    loaded = load_model(base_model)
    dataformat.dump(loaded.model, tmp_path)
    again = dataformat.load(tmp_path)
    _same_probabilities(loaded.model, again, _texts())
    assert again.suggest(_texts(5)).themes == loaded.model.suggest(_texts(5)).themes
    with np.load(tmp_path / dataformat.ARRAYS_FILE, allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)


def test_every_kind_of_value_round_trips(tmp_path):
    holder = LogisticRegression(C=0.5)
    vocabulary = {f"w{i}": np.int64(i) for i in range(300)}
    holder.extra_ = {
        "tuple": (1, 2.5, "x", None, True),
        "set": {3, 1, 2},
        "frozen": frozenset({"a", "b"}),
        "int keys": {1: "one", 2: "two"},
        "scalar": np.float32(0.25),
        "dtype": np.dtype("<U10"),
        "type": np.float32,
        "sparse": sp.random(5, 7, density=0.3, format="csr", random_state=0),
        "vocabulary": vocabulary,
        "plain vocabulary": {f"v{i}": i for i in range(300)},
        "strings": np.array(["a", "bc"]),
        "nan": float("nan"),
    }
    dataformat.dump(holder, tmp_path)
    back = dataformat.load(tmp_path)
    got, want = back.extra_, holder.extra_
    assert isinstance(back, LogisticRegression) and back.C == 0.5
    for key in ("tuple", "set", "frozen", "int keys", "dtype", "vocabulary", "plain vocabulary"):
        assert got[key] == want[key] and type(got[key]) is type(want[key]), key
    assert got["scalar"] == want["scalar"] and got["scalar"].dtype == np.float32
    assert got["type"] is np.float32
    assert (got["sparse"] != want["sparse"]).nnz == 0 and got["sparse"].format == "csr"
    assert type(got["vocabulary"]["w7"]) is np.int64 and type(got["plain vocabulary"]["v7"]) is int
    np.testing.assert_array_equal(got["strings"], want["strings"])
    assert np.isnan(got["nan"])


def test_a_part_that_is_not_data_is_refused_when_saving(tmp_path, base_model):
    model = load_model(base_model).model
    model.featuriser_.hook_ = print  # a function: not something a model file may hold
    with pytest.raises(ModelError, match="cannot save the model"):
        save_model(model, tmp_path / "m", load_model(base_model).meta)
    assert not (tmp_path / "m").exists()


def _rewrite(folder: Path, edit) -> None:
    """Edit a model folder's tree and update its checksum, as a deliberate swap would."""
    tree_path = folder / dataformat.TREE_FILE
    tree = json.loads(tree_path.read_text())
    edit(tree)
    tree_path.write_text(json.dumps(tree))
    meta = json.loads((folder / META_FILE).read_text())
    meta["files"][dataformat.TREE_FILE] = sha256_file(tree_path)
    (folder / META_FILE).write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "name",
    [
        "os:system",
        "builtins:eval",
        "subprocess:Popen",
        "numpy:memmap",
        "sklearn:show_versions",  # a function of an allowed package: not a class
        "themes.model:__builtins__.eval",
        "sklearn.base:inspect.Signature",  # a class an allowed module merely imports
        "evil_model_module:Thing",  # a module that would run code when imported
    ],
)
def test_a_model_file_naming_code_is_refused_and_nothing_runs(
    name, tmp_path, base_model, monkeypatch
):
    marker = tmp_path / "imported"
    (tmp_path / "evil_model_module.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).mkdir()\nclass Thing: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    folder = tmp_path / "evil"
    shutil.copytree(base_model, folder)

    def swap_root(tree):
        tree["root"] = {"$object": name, "state": {"$dict": {}}}

    _rewrite(folder, swap_root)
    with pytest.raises(ModelError, match="not a class a themes model is made of"):
        load_model(folder)
    result = runner.invoke(app, ["suggest", "x y z", "--model", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "refusing to load it" in result.output
    assert not marker.exists()


def test_an_arrays_file_holding_a_pickle_is_refused(tmp_path, base_model):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.mkdir, (marker,))

    folder = tmp_path / "evil"
    shutil.copytree(base_model, folder)
    with np.load(folder / dataformat.ARRAYS_FILE) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["a0"] = np.array([Payload()], dtype=object)
    np.savez(folder / dataformat.ARRAYS_FILE, **arrays)
    meta = json.loads((folder / META_FILE).read_text())
    meta["files"][dataformat.ARRAYS_FILE] = sha256_file(folder / dataformat.ARRAYS_FILE)
    (folder / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="arrays.npz cannot be read"):
        load_model(folder)
    assert not marker.exists()


def test_a_malformed_tree_is_one_clear_error(tmp_path, base_model):
    folder = tmp_path / "bad"
    shutil.copytree(base_model, folder)
    _rewrite(folder, lambda tree: tree["root"].update({"$object": 7}))
    with pytest.raises(ModelError, match="cannot be read.*no class name"):
        load_model(folder)


def test_a_format_2_pickle_model_still_loads(tmp_path, base_model):
    """Models saved before format 3 hold pipeline.joblib; they load (allow-list applied)."""
    loaded = load_model(base_model)
    folder = tmp_path / "old"
    shutil.copytree(base_model, folder)
    for name in DATA_FILES:
        (folder / name).unlink()
    joblib.dump(loaded.model, folder / PIPELINE_FILE, compress=3)
    meta = json.loads((folder / META_FILE).read_text())
    meta["format_version"] = 2
    meta["files"] = {k: v for k, v in meta["files"].items() if k not in DATA_FILES}
    meta["files"][PIPELINE_FILE] = sha256_file(folder / PIPELINE_FILE)
    (folder / META_FILE).write_text(json.dumps(meta))
    old = load_model(folder)
    assert old.meta.format_version == 2
    _same_probabilities(loaded.model, old.model, _texts())
    assert pickle.loads(pickle.dumps(old.model.config_)) == old.model.config_


def test_an_old_pickle_cannot_reach_a_class_an_allowed_module_merely_imports(tmp_path):
    """Found while closing the same hole in the data format: ("sklearn.base",
    "inspect.Signature") names a class of another module through a dotted name."""
    from themes.store.safe_pickle import UntrustedPickleError, load

    def short(text: str) -> bytes:
        return b"\x8c" + bytes([len(text)]) + text.encode()

    # protocol 4: STACK_GLOBAL of (module, dotted name), called with no arguments.
    raw = b"\x80\x04" + short("sklearn.base") + short("inspect.Signature") + b"\x93)R."
    (tmp_path / "p.pkl").write_bytes(raw)
    with pytest.raises(UntrustedPickleError):
        load(tmp_path / "p.pkl")
