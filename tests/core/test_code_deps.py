"""mobileopt.core.code_deps: the files a job runs, from its import statements."""
from __future__ import annotations

import json
import modulefinder
import os
from pathlib import Path

import pytest

from mobileopt.core.code_deps import code_files
from tests.conftest import REPO


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def tree(tmp_path) -> Path:
    """A miniature of the package: top-level, lazy, `from package import module` and relative imports."""
    write(tmp_path / "src", {
        "mobileopt/__init__.py": "",
        "mobileopt/core/__init__.py": "",
        "mobileopt/core/artifacts.py": "import json\nfrom mobileopt.core import config\n",
        "mobileopt/core/config.py": "import yaml\n",
        "mobileopt/core/unused.py": "",
        "mobileopt/topic/__init__.py": "",
        "mobileopt/topic/run.py": "from mobileopt.core.artifacts import write\n"
                                  "def main():\n    from . import lazy\n",
        "mobileopt/topic/lazy.py": "import numpy\n",
        "mobileopt/topic/report.py": "from mobileopt.topic import lazy as helper\n",
    })
    write(tmp_path, {"workflow/scripts/job.py": "from mobileopt.topic.run import main\nimport os\n"})
    return tmp_path


def test_follows_top_level_lazy_and_relative_imports(tree):
    files = code_files([tree / "workflow/scripts/job.py"], tree / "src", relative_to=tree)
    assert files == sorted([
        "workflow/scripts/job.py", "src/mobileopt/__init__.py", "src/mobileopt/core/__init__.py",
        "src/mobileopt/core/artifacts.py", "src/mobileopt/core/config.py", "src/mobileopt/topic/__init__.py",
        "src/mobileopt/topic/run.py", "src/mobileopt/topic/lazy.py"])


def test_module_entry_and_from_package_import_module(tree):
    files = code_files(["mobileopt.topic.report"], tree / "src", relative_to=tree / "src")
    assert files == ["mobileopt/__init__.py", "mobileopt/topic/__init__.py", "mobileopt/topic/lazy.py",
                     "mobileopt/topic/report.py"]


def test_paths_are_relative_so_a_moved_tree_gives_the_same_inputs(tree, tmp_path_factory):
    import shutil

    moved = tmp_path_factory.mktemp("elsewhere") / "project"
    shutil.copytree(tree, moved)
    before = code_files([tree / "workflow/scripts/job.py"], tree / "src", relative_to=tree)
    after = code_files([moved / "workflow/scripts/job.py"], moved / "src", relative_to=moved)
    assert before == after and not any(Path(path).is_absolute() for path in after)


def test_notebook_code_cells_are_read_and_magics_skipped(tree):
    notebook = tree / "notebooks/explore.ipynb"
    notebook.parent.mkdir()
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["from mobileopt.core import unused\n"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "from mobileopt.core import config\n"]}]}))
    files = code_files([notebook], tree / "src", relative_to=tree)
    assert "src/mobileopt/core/config.py" in files and "src/mobileopt/core/unused.py" not in files


def test_missing_entry_and_unknown_module_are_errors(tree):
    with pytest.raises(FileNotFoundError, match="nope.py"):
        code_files([tree / "workflow/scripts/nope.py"], tree / "src")
    with pytest.raises(ModuleNotFoundError, match="mobileopt.topic.absent"):
        code_files(["mobileopt.topic.absent"], tree / "src")


def modulefinder_files(path: Path) -> set[str]:
    """Package files a script imports, transitively, found by the standard library's modulefinder
    (which reads bytecode, nested functions included): an implementation independent of code_deps."""
    src = REPO / "src"
    finder = modulefinder.ModuleFinder(path=[str(src), str(path.parent)])
    finder.run_script(str(path))
    files = {os.path.relpath(module.__file__, REPO) for name, module in finder.modules.items()
             if name.split(".")[0] == "mobileopt" and module.__file__}
    if path.is_relative_to(src):  # a module run by itself is __main__ to modulefinder
        files.add(os.path.relpath(path, REPO))
    return files


@pytest.mark.parametrize("script", sorted((REPO / "workflow/scripts").glob("*.py")), ids=lambda p: p.name)
def test_agrees_with_modulefinder_on_every_workflow_script(script):
    files = code_files([script], REPO / "src", relative_to=REPO)
    assert set(files) == modulefinder_files(script) | {os.path.relpath(script, REPO)}
