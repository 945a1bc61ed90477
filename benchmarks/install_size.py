"""Install size the encoder engine adds (issue 15 item 8), measured in the current venv.

Walks the installed distributions' requirements from ``themes`` (extras left out) twice:
with every requirement, and without ``onnxruntime`` and ``tokenizers``. The distributions
only the first walk reaches are what the encoder engine adds; their size is the sum of
the files their RECORD lists. The encoder's ONNX file inside the package is added too.
Writes ``benchmarks/install_size.md``.

    .venv/bin/python benchmarks/install_size.py
"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENCODER_DEPS = {"onnxruntime", "tokenizers"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(root: str, skip: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            if ";" in req and not _marker_true(req.split(";", 1)[1]):
                continue
            dep = _name(req)
            if dep not in skip:
                todo.append(dep)
    return seen


def _marker_true(marker: str) -> bool:
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate({"extra": ""})
    except Exception:  # noqa: BLE001 - an unreadable marker: count the requirement
        return True


def _size_mb(name: str) -> float:
    dist = metadata.distribution(name)
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total / 2**20


def main() -> None:
    full = _closure("themes", set())
    lean = _closure("themes", ENCODER_DEPS)
    added = sorted(full - lean)
    sizes = {name: _size_mb(name) for name in added}
    assets = sum(p.stat().st_size for p in (ROOT / "src/themes/encoder/assets").rglob("*.onnx"))
    everything = sum(_size_mb(n) for n in full if n != "themes")
    lines = [
        "# Install size the encoder engine adds",
        "",
        f"`benchmarks/install_size.py` in the project venv ({platform.platform()}, Python "
        f"{platform.python_version()}). Distributions `pip install .` brings in only "
        "because of `onnxruntime` and `tokenizers`, with the size of their installed files:",
        "",
        "| distribution | version | MB |",
        "|---|---|---|",
    ]
    for name in added:
        lines.append(f"| {name} | {metadata.version(name)} | {sizes[name]:.1f} |")
    lines += [
        f"| encoder ONNX file in the themes package | | {assets / 2**20:.1f} |",
        f"| **total added** | | **{sum(sizes.values()) + assets / 2**20:.1f}** |",
        "",
        f"All of themes' run-time dependencies together: {everything:.0f} MB "
        "(the serve and dev extras not counted).",
        "",
    ]
    (ROOT / "benchmarks/install_size.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
