"""Unpickling a model's pipeline with an allow-list: only the classes a themes model is
made of may be named by the file, so a pickle carrying a payload (``os.system``,
``subprocess``, ``builtins.eval``...) is refused instead of run.

A pickle names every class or function it needs by module and name, and the
unpickler looks each one up (``find_class``); a payload is such a lookup of a
function that does harm, called with the attacker's arguments. Here the lookup
succeeds only for classes of scikit-learn, NumPy, SciPy's sparse matrices and the
model's own modules (never ``numpy.memmap``, which writes files), for scikit-learn
estimator classes of modules the program has already imported (extra feature steps
registered with ``register_feature_step``), and for the few functions NumPy and
pickle themselves use to rebuild arrays and objects. This is a
second line of defence: which folders are loaded at all is decided by
themes.store.registry (a path the user named, the registry's active version, the
shipped default), and the checksum in meta.json is checked first.
"""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path
from typing import Any

from themes.store.allowed import defined_in, in_modules, registered_step_class

# Modules whose classes (not functions) a model file may name.
_CLASS_MODULES = (
    "sklearn",
    "numpy",
    "scipy.sparse",
    "themes.model",
    "themes.taxonomy",
    "themes.text",
    "themes.practice",
)
# Functions used to rebuild arrays and plain objects.
_FUNCTIONS = {
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("_codecs", "encode"),
}
_CLASSES = {
    ("joblib.numpy_pickle", "NumpyArrayWrapper"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "bytearray"),
    ("builtins", "object"),
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
}
_REFUSED = {("numpy", "memmap"), ("numpy._core.memmap", "memmap"), ("numpy.core.memmap", "memmap")}


class UntrustedPickleError(pickle.UnpicklingError):
    """The file names something a themes model is not made of."""


def _module_allowed(module: str) -> bool:
    return in_modules(module, _CLASS_MODULES)


def allowed(module: str, name: str, obj: Any) -> bool:
    """Whether a model file may name ``module.name`` (already looked up as ``obj``)."""
    key = (module, name)
    if key in _FUNCTIONS or key in _CLASSES:
        return True
    return (
        key not in _REFUSED
        and _module_allowed(module)
        # Defined in an allowed module, not merely imported by one (themes.store.allowed).
        and defined_in(obj, _CLASS_MODULES)
        and obj.__name__ != "memmap"
    )


def load(path: str | Path) -> Any:
    """joblib.load for one trusted-format file, with the allow-list applied."""
    from joblib import numpy_pickle

    class _Restricted(numpy_pickle.NumpyUnpickler):  # type: ignore[misc, name-defined]
        def find_class(self, module: str, name: str) -> Any:
            key = (module, name)
            if key not in _FUNCTIONS and key not in _CLASSES and not _module_allowed(module):
                if registered_step_class(module, name) is not None:
                    return super().find_class(module, name)
                raise UntrustedPickleError(f"{module}.{name}")  # refused before any import
            obj = super().find_class(module, name)
            if not allowed(module, name, obj):
                raise UntrustedPickleError(f"{module}.{name}")
            return obj

    filename = str(path)
    params = inspect.signature(numpy_pickle.NumpyUnpickler.__init__).parameters
    validate = numpy_pickle._validate_fileobject_and_memmap
    with open(filename, "rb") as handle, validate(handle, filename, None) as (fobj, _):
        if isinstance(fobj, str):  # a joblib file older than 0.10
            raise UntrustedPickleError("a joblib file of a format older than 0.10")
        if "ensure_native_byte_order" in params:
            unpickler = _Restricted(filename, fobj, "auto", mmap_mode=None)
        else:  # pragma: no cover - joblib before 1.5
            unpickler = _Restricted(filename, fobj, mmap_mode=None)
        return unpickler.load()
