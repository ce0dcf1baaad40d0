"""The source files a job runs, derived from its import statements, for Snakemake's `input:`.

Snakemake reruns a job when one of its inputs changes, so a rule lists its code as inputs. Listed by
hand, those lists go stale (a report that writes through `tables` without naming it); derived from
the code they cannot. A job's code is its entry point (a workflow script, a notebook or a module run
with `python -m`) and every module of this package it imports, directly or through other modules, at
module level or inside a function, with the `__init__.py` of every package on the way (importing
`mobileopt.core.data` runs `mobileopt/__init__.py`). Standard-library and third-party imports are not
followed: the pinned environment covers those.

Paths are returned relative to the working directory, so a finished project moved to another
directory (or restored from an archive on another machine) has the same inputs and reruns nothing.
No library does this: Snakemake tracks a `script:` file itself but not what it imports, and
modulefinder executes nothing but also follows the whole standard library (slow at parse time).
"""
from __future__ import annotations

import ast
import json
import os
from functools import lru_cache
from pathlib import Path

PACKAGE = "mobileopt"


def module_path(name: str, src_root: Path) -> Path | None:
    """The file that defines module `name` (a .py file or a package's __init__.py), None if none."""
    base = Path(src_root, *name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _source(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        # IPython magics and shell escapes are not Python; they import nothing of ours.
        return "\n".join(line for cell in code for line in cell.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
    return path.read_text()


def _package_of(path: Path, src_root: Path) -> str:
    parts = path.relative_to(src_root).with_suffix("").parts
    return ".".join(parts[:-1])


@lru_cache(maxsize=None)
def imported_modules(path: Path, src_root: Path) -> frozenset[str]:
    """Names of this package's modules that the file at `path` imports anywhere in its body."""
    tree = ast.parse(_source(path), filename=str(path))
    here = _package_of(path, src_root) if path.is_relative_to(src_root) else ""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the importing module's package
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                module = ".".join(anchor + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            # `from package import module` imports a module, `from module import name` a name.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return frozenset(name for name in names
                     if name.split(".")[0] == PACKAGE and module_path(name, src_root) is not None)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def code_files(entries: list[str | Path], src_root: str | Path, relative_to: str | Path = ".") -> list[str]:
    """Every file the entries run: the entry files themselves and the package modules they import,
    transitively, sorted, as paths relative to `relative_to`.

    An entry is a file (workflow script, notebook) or a dotted module name of this package.
    """
    src_root = Path(src_root).resolve()
    files: set[Path] = set()
    pending: list[str] = []
    for entry in entries:
        entry = str(entry)
        if entry.split(".")[0] == PACKAGE and not entry.endswith((".py", ".ipynb")):
            pending.append(entry)
        else:
            path = Path(entry).resolve()
            if not path.is_file():
                raise FileNotFoundError(f"code entry point {entry} does not exist")
            files.add(path)
            pending.extend(imported_modules(path, src_root))
    seen: set[str] = set()
    while pending:
        for name in _with_parents(pending.pop()):
            if name in seen:
                continue
            seen.add(name)
            path = module_path(name, src_root)
            if path is None:
                raise ModuleNotFoundError(f"module {name} is not in {src_root}")
            files.add(path)
            pending.extend(imported_modules(path, src_root))
    base = Path(relative_to).resolve()
    return sorted(os.path.relpath(path, base) for path in files)
