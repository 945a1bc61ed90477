"""A fitted model as data, not code: a JSON tree (``model.json``) and NumPy arrays
(``arrays.npz``, read with ``allow_pickle=False``).

Saving walks the model's objects: numbers, strings, lists, tuples, sets and dicts go
into the JSON tree as they are (tagged where JSON has no such type); arrays
(coefficients, idf weights, thresholds) into the .npz file; a large vocabulary
(words to column numbers) as a JSON list of words and an array of numbers. Each
object of a class a themes model is made of is written as its class's name and its
state (the dict ``__getstate__`` returns).

Loading builds the objects back with ``cls.__new__`` and the class's own
``__setstate__``, for classes on an allow-list only: scikit-learn's, the model's own
(``themes.model``, ``themes.taxonomy``, ``themes.encoder``) and scikit-learn estimator
classes of modules the program has already imported (extra feature steps registered
with ``register_feature_step``). A module outside that list is never imported, and no
function named by the file is ever called: unlike a pickle, a model file cannot carry
code to run.
"""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from themes.store.allowed import defined_in, in_modules, lookup, registered_step_class

TREE_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
FORMAT = "themes-model-data/1"
# Modules whose classes a model file may name (and only classes, never functions).
_CLASS_MODULES = ("sklearn", "themes.model", "themes.taxonomy", "themes.encoder")
# A str -> int dict this long is a vocabulary: its numbers go into the arrays file.
_VOCABULARY_MIN = 256


class DataFormatError(ValueError):
    """A model that cannot be written as data, or a file that is not such a model."""


# --------------------------------------------------------------------------- saving
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, value: np.ndarray) -> str:
        if value.dtype.hasobject:
            raise DataFormatError("a model array holds Python objects, not saved as data")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return key

    def encode(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)) and type(obj) in (int, float):
            return obj
        if isinstance(obj, np.ndarray):
            return {"$array": self.array(obj)}
        if isinstance(obj, np.generic):
            return {"$scalar": obj.dtype.str, "value": obj.item()}
        if isinstance(obj, np.dtype):
            return {"$dtype": obj.str}
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return {"$numpy_type": np.dtype(obj).str}
        if sp.issparse(obj):
            csr = sp.csr_matrix(obj)
            return {
                "$sparse": obj.format,
                "shape": list(csr.shape),
                "data": self.array(csr.data),
                "indices": self.array(csr.indices),
                "indptr": self.array(csr.indptr),
            }
        if isinstance(obj, list):
            return [self.encode(v) for v in obj]
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v) for v in obj]}
        if isinstance(obj, (set, frozenset)):
            items = sorted(obj, key=repr)
            return {"$set": [self.encode(v) for v in items], "frozen": isinstance(obj, frozenset)}
        if isinstance(obj, dict):
            return self._dict(obj)
        return self._object(obj)

    def _dict(self, obj: dict) -> Any:
        if all(type(k) is str for k in obj):
            values = list(obj.values())
            if len(obj) >= _VOCABULARY_MIN and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
            ):
                kind = "int" if all(type(v) is int for v in values) else "numpy"
                numbers = np.asarray(values, dtype=np.int64)
                return {"$vocabulary": list(obj), "values": self.array(numbers), "as": kind}
            return {"$dict": {k: self.encode(v) for k, v in obj.items()}}
        return {"$pairs": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}

    def _object(self, obj: Any) -> Any:
        cls = type(obj)
        name = f"{cls.__module__}:{cls.__qualname__}"
        if not _class_allowed(cls.__module__, cls.__qualname__):
            raise DataFormatError(f"a model part of class {name} cannot be saved as data")
        getstate = getattr(obj, "__getstate__", None)
        state = getstate() if getstate is not None else obj.__dict__
        if not isinstance(state, dict):
            raise DataFormatError(f"a model part of class {name} has no dict state to save")
        return {"$object": name, "state": self._dict(state)}


def dump(obj: Any, folder: str | Path) -> list[str]:
    """Write ``obj`` as ``model.json`` and ``arrays.npz`` in ``folder``; returns the names."""
    writer = _Writer()
    tree = {"format": FORMAT, "root": writer.encode(obj)}
    folder = Path(folder)
    (folder / TREE_FILE).write_text(json.dumps(tree, separators=(",", ":")), encoding="utf-8")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **writer.arrays)
    (folder / ARRAYS_FILE).write_bytes(buffer.getvalue())
    return [TREE_FILE, ARRAYS_FILE]


# -------------------------------------------------------------------------- loading
def _module_allowed(module: str) -> bool:
    return in_modules(module, _CLASS_MODULES)


def _class_allowed(module: str, qualname: str) -> bool:
    return _module_allowed(module) or registered_step_class(module, qualname) is not None


def _load_class(name: Any) -> type:
    if not isinstance(name, str) or name.count(":") != 1:
        raise DataFormatError("an object in the model file has no class name")
    module, qualname = name.split(":")
    if _module_allowed(module):
        # Defined in an allowed module, not merely imported by one (themes.store.allowed).
        cls = lookup(importlib.import_module(module), qualname)
        cls = cls if defined_in(cls, _CLASS_MODULES) else None
    else:
        cls = registered_step_class(module, qualname)
    if not isinstance(cls, type):
        raise DataFormatError(
            f"the model file names {name[:80]}, which is not a class a themes model is made of"
        )
    return cls


class _Reader:
    def __init__(self, arrays: Any) -> None:
        self.arrays = arrays

    def array(self, key: Any) -> np.ndarray:
        if not isinstance(key, str) or key not in self.arrays:
            raise DataFormatError("the model file refers to an array the arrays file does not hold")
        return self.arrays[key]

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise DataFormatError("the model file holds a value of no known kind")
        tag = next(iter(node))
        handler = _HANDLERS.get(tag)
        if handler is None:
            raise DataFormatError("the model file holds a value of no known kind")
        return handler(self, node)


def _dec_array(r: _Reader, n: dict) -> Any:
    return r.array(n["$array"])


def _dec_scalar(r: _Reader, n: dict) -> Any:
    return np.dtype(n["$scalar"]).type(n["value"])


def _dec_dtype(r: _Reader, n: dict) -> Any:
    return np.dtype(n["$dtype"])


def _dec_numpy_type(r: _Reader, n: dict) -> Any:
    return np.dtype(n["$numpy_type"]).type


def _dec_sparse(r: _Reader, n: dict) -> Any:
    parts = (r.array(n["data"]), r.array(n["indices"]), r.array(n["indptr"]))
    matrix = sp.csr_matrix(parts, shape=tuple(n["shape"]))
    return matrix.asformat(n["$sparse"])


def _dec_tuple(r: _Reader, n: dict) -> Any:
    return tuple(r.decode(v) for v in n["$tuple"])


def _dec_set(r: _Reader, n: dict) -> Any:
    items = [r.decode(v) for v in n["$set"]]
    return frozenset(items) if n.get("frozen") else set(items)


def _dec_dict(r: _Reader, n: dict) -> Any:
    return {k: r.decode(v) for k, v in n["$dict"].items()}


def _dec_pairs(r: _Reader, n: dict) -> Any:
    return {r.decode(k): r.decode(v) for k, v in n["$pairs"]}


def _dec_vocabulary(r: _Reader, n: dict) -> Any:
    numbers = r.array(n["values"])
    keys = n["$vocabulary"]
    if len(keys) != len(numbers):
        raise DataFormatError("a vocabulary in the model file has words and numbers of two lengths")
    values = numbers.tolist() if n.get("as") == "int" else list(numbers)
    return dict(zip(keys, values, strict=True))


def _dec_object(r: _Reader, n: dict) -> Any:
    cls = _load_class(n["$object"])
    state = r.decode(n["state"])
    if not isinstance(state, dict):
        raise DataFormatError("an object in the model file has no dict state")
    obj = cls.__new__(cls)
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
    else:
        obj.__dict__.update(state)
    return obj


_HANDLERS = {
    "$array": _dec_array,
    "$scalar": _dec_scalar,
    "$dtype": _dec_dtype,
    "$numpy_type": _dec_numpy_type,
    "$sparse": _dec_sparse,
    "$tuple": _dec_tuple,
    "$set": _dec_set,
    "$dict": _dec_dict,
    "$pairs": _dec_pairs,
    "$vocabulary": _dec_vocabulary,
    "$object": _dec_object,
}


def load(folder: str | Path) -> Any:
    """The object saved by ``dump`` in ``folder``; DataFormatError when the files are not
    such a model (or name a class a themes model is not made of)."""
    folder = Path(folder)
    try:
        tree = json.loads((folder / TREE_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataFormatError(f"{TREE_FILE} is not valid JSON") from None
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        raise DataFormatError(f"{TREE_FILE} is not a themes model tree ({FORMAT})")
    try:
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(f"{ARRAYS_FILE} cannot be read ({type(exc).__name__})") from None
    try:
        return _Reader(arrays).decode(tree.get("root"))
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise DataFormatError(f"{TREE_FILE} is malformed ({type(exc).__name__})") from None
