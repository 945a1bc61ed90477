"""Hardening of model folders and the registry (issue 17, items 3, 4, 7-11): which models
are trusted, the registry lock, one-line errors for disk and metadata problems, training
data checked before retrain, train --force never deleting its own input, leftovers of
killed runs, and registry edge cases."""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from conftest import RUNNER as runner
from themes.cli import app
from themes.errors import ModelError, OutputError
from themes.store import (
    DATA_FILES,
    META_FILE,
    PIPELINE_FILE,
    TRAINING_DATA_FILE,
    Registry,
    read_meta,
)
from themes.store.lock import LOCK_FILE, RegistryBusyError, registry_lock
from themes.store.meta import sha256_file

SRC = Path(__file__).resolve().parents[1] / "src"


def _one_line_error(result, *needles: str) -> str:
    """The CLI failed with exit 2 and one line of error, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = result.output.strip()
    assert "Traceback" not in text
    assert text.startswith("error:") or "\nerror:" in text, text
    for needle in needles:
        assert needle in " ".join(text.split()), text
    return text


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / META_FILE).read_text())
    meta.update(changes)
    (folder / META_FILE).write_text(json.dumps(meta))


class _Payload:
    """A pickle that creates a folder when it is unpickled: code run by loading."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _evil_model(folder: Path, base: Path, marker: Path) -> None:
    """A copy of a model folder made to look like format 2 (a pickle, as themes wrote
    before models were saved as data) whose pipeline runs a payload, checksum updated."""
    shutil.copytree(base, folder)
    for name in DATA_FILES:
        (folder / name).unlink()
    (folder / PIPELINE_FILE).write_bytes(pickle.dumps(_Payload(marker)))
    meta = json.loads((folder / META_FILE).read_text())
    meta["format_version"] = 2
    meta["files"] = {k: v for k, v in meta["files"].items() if k not in DATA_FILES}
    meta["files"][PIPELINE_FILE] = sha256_file(folder / PIPELINE_FILE)
    (folder / META_FILE).write_text(json.dumps(meta))


# Item 3: which models are trusted.


def test_a_model_in_the_current_folder_is_never_loaded(tmp_path, base_model, monkeypatch):
    marker = tmp_path / "payload_ran"
    _evil_model(tmp_path / "shared" / "models" / "default", base_model, marker)
    _evil_model(tmp_path / "shared" / "default", base_model, marker)
    monkeypatch.chdir(tmp_path / "shared")
    result = runner.invoke(app, ["suggest", "The social worker never rang me back."])
    assert result.exit_code == 0, result.output
    assert not marker.exists()


def test_active_must_name_a_version_inside_the_registry(tmp_path, registry, base_model):
    marker = tmp_path / "payload_ran"
    _evil_model(tmp_path / "x", base_model, marker)
    for pointer in ("../x", str(tmp_path / "x"), "default/../../x"):
        (registry.root / "ACTIVE").write_text(pointer + "\n")
        with pytest.raises(ModelError, match="not a version of this registry"):
            registry.active_path()
        assert registry.active_name() == "default"
        result = runner.invoke(app, ["models", "list", "--registry", str(registry.root)])
        assert result.exit_code == 0 and "not a version of this registry" in result.output
    assert not marker.exists()
    # Rolling forward to a real version repairs it.
    result = runner.invoke(app, ["models", "use", "default", "--registry", str(registry.root)])
    assert result.exit_code == 0 and registry.active_path() == registry.root / "default"


def test_models_use_refuses_a_path(registry, tmp_path, base_model):
    shutil.copytree(base_model, tmp_path / "elsewhere")
    result = runner.invoke(app, ["models", "use", "../elsewhere", "--registry", str(registry.root)])
    _one_line_error(result, "no version")
    assert not (registry.root / "ACTIVE").exists()


def test_a_checksum_mismatch_is_refused_before_unpickling(tmp_path, base_model):
    marker = tmp_path / "payload_ran"
    _evil_model(tmp_path / "evil", base_model, marker)
    meta = json.loads((tmp_path / "evil" / META_FILE).read_text())
    meta["files"][PIPELINE_FILE] = "0" * 64
    (tmp_path / "evil" / META_FILE).write_text(json.dumps(meta))
    result = runner.invoke(app, ["suggest", "x y z", "--model", str(tmp_path / "evil")])
    _one_line_error(result, "does not match the checksum")
    assert not marker.exists()


def test_a_payload_is_refused_even_from_a_folder_the_user_named(tmp_path, base_model):
    """The checksum was updated, so only the unpickling allow-list stands in the way."""
    marker = tmp_path / "payload_ran"
    _evil_model(tmp_path / "evil", base_model, marker)
    result = runner.invoke(app, ["suggest", "x y z", "--model", str(tmp_path / "evil")])
    _one_line_error(result, "may carry code", "refusing to load it")
    assert not marker.exists()


def test_the_allow_list_admits_models_and_refuses_harmful_names(base_model, tmp_path):
    import numpy as np

    from themes.store import load_model
    from themes.store.safe_pickle import UntrustedPickleError, load

    assert load_model(base_model).model.predict(["The meeting was cancelled."])
    for payload in (
        (os.system, ("true",)),
        (np.memmap, (str(tmp_path / "mm"), np.uint8, "w+", 0, (4,))),
        (eval, ("1",)),
    ):

        class Payload:
            def __reduce__(self, payload=payload):
                return payload

        path = tmp_path / "p.pkl"
        path.write_bytes(pickle.dumps(Payload()))
        with pytest.raises(UntrustedPickleError):
            load(path)
    assert not (tmp_path / "mm").exists()


# Item 11: registry edge cases.


def test_a_hand_deleted_active_version_warns(tmp_path, monkeypatch, base_model):
    monkeypatch.setenv("THEMES_HOME", str(tmp_path))
    root = tmp_path / "models"
    shutil.copytree(base_model, root / "default")
    (root / "ACTIVE").write_text("v004\n")
    result = runner.invoke(app, ["suggest", "Nobody rang me back about the meeting."])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "'v004'" in result.output
    assert "missing" in result.output
    result = runner.invoke(app, ["models", "list"])
    assert "'v004'" in result.output and "missing" in result.output


def test_a_newer_format_version_is_listed_and_its_name_never_reused(registry, base_model):
    shutil.copytree(base_model, registry.root / "v001")
    _edit_meta(registry.root / "v001", format_version=99)
    names = [v.name for v in registry.versions()]
    assert names == ["default", "v001"]
    assert registry.get("v001").meta is None and "format version 99" in registry.get("v001").problem
    assert registry.next_name() == "v002"
    result = runner.invoke(app, ["models", "list", "--registry", str(registry.root)])
    assert result.exit_code == 0 and "v001 is not readable by this themes" in result.output
    result = runner.invoke(app, ["models", "list", "--json", "--registry", str(registry.root)])
    listed = {v["version"]: v for v in json.loads(result.output)}
    assert listed["v001"]["readable"] is False
    result = runner.invoke(app, ["models", "use", "v001", "--registry", str(registry.root)])
    _one_line_error(result, "format version 99", "newer themes")
    # Hidden leftovers count too: a killed run's v007 is not handed out again.
    (registry.root / ".v007.1.abc.part").mkdir()
    assert registry.next_name() == "v008"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"format_version": "1"}, "expected a whole number"),
        ({"format_version": 1.0}, "expected a whole number"),
        ({"metrics": []}, "'metrics' should be a mapping"),
        ({"training": "rows"}, "'training' should be a mapping"),
        ({"files": {"pipeline.joblib": 5}}, "files.pipeline.joblib"),
        ({"heads": "kind"}, "'heads' should be a list"),
    ],
)
def test_meta_json_of_the_wrong_type_is_one_line(tmp_path, base_model, change, needle):
    folder = tmp_path / "m"
    shutil.copytree(base_model, folder)
    _edit_meta(folder, **change)
    with pytest.raises(ModelError, match="meta.json"):
        read_meta(folder)
    result = runner.invoke(app, ["suggest", "x y z", "--model", str(folder)])
    _one_line_error(result, needle)
    # A registry with such a version still lists (it is shown as not readable).
    reg = Registry(tmp_path)
    assert [v.name for v in reg.versions() if v.meta is None] == ["m"]


# Item 4: the registry lock.

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from themes.store.lock import registry_lock
    with registry_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(60)
    """
)


def _hold_lock(root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_live_lock_fails_fast_and_a_dead_ones_is_taken_over(registry, review_file_for_lock):
    proc = _hold_lock(registry.root)
    try:
        holder = json.loads((registry.root / LOCK_FILE).read_text())
        assert holder["pid"] == proc.pid and holder["host"] and holder["started"]
        with (
            pytest.raises(RegistryBusyError, match=f"process {proc.pid}"),
            registry_lock(registry.root),
        ):
            pass
        args = ["--registry", str(registry.root)]
        result = runner.invoke(app, ["retrain", str(review_file_for_lock), "--force", *args])
        _one_line_error(result, "in use by another themes run", f"process {proc.pid}")
        result = runner.invoke(app, ["models", "use", "default", *args])
        _one_line_error(result, "in use by another themes run")
        assert not (registry.root / "ACTIVE").exists()
        assert not any(p.name.startswith("v0") for p in registry.root.iterdir())
    finally:
        proc.kill()
        proc.wait()
    # The holder was killed: its lock is stale and taken over.
    assert (registry.root / LOCK_FILE).exists()
    with registry.lock():
        assert json.loads((registry.root / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert not (registry.root / LOCK_FILE).exists()


@pytest.fixture()
def review_file_for_lock(tmp_path, corpus_train) -> Path:
    frame = corpus_train.iloc[400:440].copy()
    frame["reviewed"] = "yes"
    path = tmp_path / "review.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_lock_is_reentrant_within_one_process(registry):
    with registry.lock(), registry.lock():
        assert (registry.root / LOCK_FILE).exists()
    assert not (registry.root / LOCK_FILE).exists()


# Item 10: leftovers of a killed retrain.


def test_a_killed_retrains_staging_folders_are_removed(registry):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    leftovers = [
        registry.root / f".v002.{dead_pid}.k3j2.part",  # this themes' staging name
        registry.root / ".v002.x8d9q1",  # older themes' mkdtemp name
    ]
    for folder in leftovers:
        folder.mkdir()
        (folder / TRAINING_DATA_FILE).write_text("reference,text\nR1,complaint text\n")
    live = registry.root / f".v003.{os.getpid()}.a1b2.part"
    live.mkdir()
    own = registry.root / ".git"  # a user's own hidden folder is never a leftover
    (own / "objects").mkdir(parents=True)
    with registry.lock():
        pass
    assert not any(folder.exists() for folder in leftovers)
    assert live.exists() and own.exists()  # a running process's staging folder is left alone
    assert sorted(p.name for p in registry.removed_leftovers) == sorted(f.name for f in leftovers)


# Item 8: training_data.csv is verified by retrain.


def test_a_relabelled_training_data_copy_is_refused_even_with_force(registry, review_file_for_lock):
    data = registry.root / "default" / TRAINING_DATA_FILE
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame["category"] = frame["category"].replace({"staff": "service_provision"})
    frame.to_csv(data, index=False)
    args = [str(review_file_for_lock), "--force", "--registry", str(registry.root)]
    result = runner.invoke(app, ["retrain", *args])
    _one_line_error(result, "training_data.csv", "changed after training")
    assert [v.name for v in registry.versions()] == ["default"]


def test_a_text_weight_or_truncated_training_data_is_one_line(registry, review_file_for_lock):
    secret = "ZQXJ-SECRET-MARKER the social worker shouted at my son"
    data = registry.root / "default" / TRAINING_DATA_FILE
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame.loc[3, "weight"] = secret
    frame.to_csv(data, index=False)
    # Someone re-signed it in meta.json: the checksum passes, the weight is still refused.
    meta = json.loads((registry.root / "default" / META_FILE).read_text())
    meta["files"][TRAINING_DATA_FILE] = sha256_file(data)
    (registry.root / "default" / META_FILE).write_text(json.dumps(meta))
    args = [str(review_file_for_lock), "--registry", str(registry.root)]
    result = runner.invoke(app, ["retrain", *args])
    text = _one_line_error(result, "weights that are not positive numbers", "line 5")
    assert "ZQXJ" not in text
    # Truncated mid-row: the checksum catches it first.
    raw = data.read_bytes()
    data.write_bytes(raw[: len(raw) // 2])
    result = runner.invoke(app, ["retrain", *args])
    _one_line_error(result, "changed after training")


# Item 9: train --out FOLDER --force never deletes its input.


def test_train_force_never_deletes_its_own_input(tmp_path, base_model, small_labelled):
    out = tmp_path / "model"
    shutil.copytree(base_model, out)
    inside = out / "my_labels.csv"
    shutil.copy(small_labelled, inside)
    before = inside.read_bytes()
    result = runner.invoke(app, ["train", str(inside), "--out", str(out), "--force"])
    _one_line_error(result, "inside the output folder")
    assert inside.read_bytes() == before
    # Its own training_data.csv, and an --eval file inside it, are protected too.
    result = runner.invoke(
        app, ["train", str(out / TRAINING_DATA_FILE), "--out", str(out), "--force"]
    )
    _one_line_error(result, "inside the output folder")
    result = runner.invoke(
        app, ["train", str(small_labelled), "--out", str(out), "--force", "--eval", str(inside)]
    )
    _one_line_error(result, "inside the output folder")
    assert inside.exists() and (out / META_FILE).exists()


# Item 7: full disks, read-only folders, truncated input.


@pytest.fixture()
def few_rows(tmp_path, corpus_train) -> Path:
    path = tmp_path / "few.csv"
    corpus_train.head(60).to_csv(path, index=False)
    return path


def _full_disk(monkeypatch) -> None:
    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)


def test_train_on_a_full_disk_is_one_line(tmp_path, few_rows, monkeypatch):
    _full_disk(monkeypatch)
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", str(few_rows), "--out", str(out)])
    _one_line_error(result, "No space left on device")
    monkeypatch.undo()
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_train_into_a_file_or_read_only_folder_is_one_line(tmp_path, few_rows):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = runner.invoke(app, ["train", str(few_rows), "--out", str(blocker / "model")])
    _one_line_error(result)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = runner.invoke(app, ["train", str(few_rows), "--out", str(locked / "model")])
        if os.geteuid() != 0:  # root ignores permissions
            _one_line_error(result)
    finally:
        locked.chmod(0o700)


def test_models_use_on_a_full_disk_or_blocked_pointer_is_one_line(registry, monkeypatch):
    args = ["models", "use", "default", "--registry", str(registry.root)]
    (registry.root / "ACTIVE").mkdir()  # the pointer's place is taken by a folder
    result = runner.invoke(app, args)
    _one_line_error(result, "ACTIVE")
    (registry.root / "ACTIVE").rmdir()
    _full_disk(monkeypatch)
    result = runner.invoke(app, args)
    _one_line_error(result, "ACTIVE")
    monkeypatch.undo()
    assert not (registry.root / "ACTIVE").exists()


def test_report_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    log = Path(__file__).parent / "data" / "report_sample_log.csv"
    out = tmp_path / "report"
    _full_disk(monkeypatch)
    result = runner.invoke(app, ["report", str(log), "--out", str(out)])
    _one_line_error(result)
    monkeypatch.undo()
    assert not out.exists()


def test_a_truncated_training_file_is_one_line(tmp_path, few_rows):
    raw = few_rows.read_bytes()
    cut = raw[: raw.index(b'"', len(raw) // 2) + 5]  # inside a quoted text
    truncated = tmp_path / "cut.csv"
    truncated.write_bytes(cut)
    result = runner.invoke(app, ["train", str(truncated), "--out", str(tmp_path / "m")])
    _one_line_error(result)


def test_save_errors_name_the_folder_not_the_contents(tmp_path, base_model, monkeypatch):
    from themes.store import load_model, save_model

    loaded = load_model(base_model)
    _full_disk(monkeypatch)
    with pytest.raises(OutputError, match="No space left"):
        save_model(loaded.model, tmp_path / "copy", loaded.meta)


def test_retrain_on_a_full_disk_is_one_line_and_leaves_the_registry_as_it_was(
    registry, review_file_for_lock, monkeypatch
):
    before = sorted(p.name for p in registry.root.iterdir())
    _full_disk(monkeypatch)
    args = [str(review_file_for_lock), "--force", "--registry", str(registry.root)]
    result = runner.invoke(app, ["retrain", *args])
    _one_line_error(result, "No space left on device")
    monkeypatch.undo()
    assert sorted(p.name for p in registry.root.iterdir()) == before
    assert registry.active_name() == "default"
