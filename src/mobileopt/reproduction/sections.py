"""Where in the thesis each number appears: the numbered section that uses a macro or a generated table.

Read from the LaTeX sources (following \\input from main.tex), not from the compiled PDF, so the
reproduction report does not wait for LaTeX and works where TeX Live is missing.
"""
from __future__ import annotations

import re
import string
from pathlib import Path

_HEADING = re.compile(r"\\(chapter|section)(\*?)\{([^{}]*)\}")
_INPUT = re.compile(r"\\input\{([^{}]+)\}")
_MACRO = re.compile(r"\\([A-Za-z]+)")
_TABLE = re.compile(r"generated/tables/([\w-]+?)(?:\.tex)?$")
_FIGURE = re.compile(r"\\includegraphics(?:\[[^]]*\])?\{([\w./-]+)\}")


def _lines(path: Path, root: Path):
    """Lines of a .tex file with comments removed, \\input files expanded in place."""
    for line in path.read_text().splitlines():
        line = re.sub(r"(?<!\\)%.*", "", line)
        for match in _INPUT.finditer(line):
            target = root / match.group(1)
            target = target if target.suffix == ".tex" else target.with_suffix(".tex")
            if target.is_file() and "generated/" not in match.group(1):
                yield from _lines(target, root)
        yield line


def thesis_sections(main_tex: str | Path) -> dict[str, list[str]]:
    """Macro name, 'table:<stem>' or 'figure:<stem>' -> the sections using it, in reading order ('4.2 Weight Pruning').
    Chapters after \\appendix are lettered, as LaTeX does."""
    main_tex = Path(main_tex)
    chapter, section, appendix = 0, 0, False
    where = "Front matter"  # title page and abstract, before the first chapter
    uses: dict[str, list[str]] = {}
    for line in _lines(main_tex, main_tex.parent):
        if "\\appendix" in line:
            appendix, chapter = True, 0
        for kind, starred, title in _HEADING.findall(line):
            if kind == "chapter":
                chapter, section = (chapter, section) if starred else (chapter + 1, 0)
                number = string.ascii_uppercase[chapter - 1] if appendix else str(chapter)
                where = title if starred else f"{number} {title}"
            else:
                section = section if starred else section + 1
                number = string.ascii_uppercase[chapter - 1] if appendix else str(chapter)
                where = title if starred else f"{number}.{section} {title}"
        names = [f"table:{m.group(1)}" for m in (_TABLE.search(i) for i in _INPUT.findall(line)) if m]
        names += [f"figure:{Path(name).stem}" for name in _FIGURE.findall(line)]
        names += _MACRO.findall(line)
        for name in names:
            places = uses.setdefault(name, [])
            if where not in places:
                places.append(where)
    return uses
