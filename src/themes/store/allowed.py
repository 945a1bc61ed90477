"""Which classes a saved model may name: the one rule both model loaders apply.

A class is allowed when it is *defined* in one of the given modules (a name reached
through such a module but defined elsewhere, e.g. ``sklearn.base`` + ``inspect.Signature``,
is not), or when it is a scikit-learn estimator defined in a module the program has
already imported (an extra feature step registered with ``register_feature_step``).
Nothing is imported to decide the second case.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


def in_modules(module: str, modules: Sequence[str]) -> bool:
    """``module`` is one of ``modules`` or inside one of them."""
    return any(module == m or module.startswith(m + ".") for m in modules)


def lookup(obj: Any, qualname: str) -> Any:
    """``obj.a.b`` for qualname ``a.b``; None when missing or through a dunder name."""
    for part in qualname.split("."):
        if obj is None or part.startswith("__"):
            return None
        obj = getattr(obj, part, None)
    return obj


def defined_in(cls: Any, modules: Sequence[str]) -> bool:
    """``cls`` is a class defined in one of ``modules``."""
    return isinstance(cls, type) and in_modules(cls.__module__, modules)


def registered_step_class(module: str, qualname: str) -> type | None:
    """A scikit-learn estimator class defined in the already-imported ``module``."""
    from sklearn.base import BaseEstimator

    found = lookup(sys.modules.get(module), qualname)
    if not (isinstance(found, type) and issubclass(found, BaseEstimator)):
        return None
    return found if found.__module__ == module else None
