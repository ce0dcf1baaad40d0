"""Atomic writes and rule logs: a failing job leaves no partial output and its traceback in its log."""
from __future__ import annotations

import subprocess
import sys

import pytest

from mobileopt.core import artifacts


def test_atomic_write_leaves_old_content_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    artifacts.atomic_write_text(target, "old")

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts.os, "replace", broken_replace)
    with pytest.raises(OSError):
        artifacts.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_failing_script_writes_its_traceback_into_the_rule_log(tmp_path):
    log = tmp_path / "logs" / "job.log"
    script = ("from mobileopt.core.artifacts import redirect_output_to\n"
              f"with redirect_output_to({str(log)!r}):\n"
              "    print('working')\n"
              "    raise ValueError('bad value for key foo.bar')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode != 0
    text = log.read_text()
    assert "working" in text
    assert "Traceback" in text and "ValueError: bad value for key foo.bar" in text
    # Restored afterwards: the interpreter's own report still reaches the console.
    assert "ValueError" in run.stderr
