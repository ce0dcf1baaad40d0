"""Figures are included at about their drawn width (6-6.4 inches on a 16 cm text block), so a font size
in the code is the printed size: nothing below 7 pt."""
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src/mobileopt"
MIN_POINTS = 7


def small_fonts(text: str) -> list[str]:
    return [match.group(0) for match in re.finditer(r"(?:fontsize|labelsize|font\.size)\"?(?::\s*float)?\s*[=:]\s*([\d.]+)", text)
            if float(match.group(1)) < MIN_POINTS]


def test_the_check_flags_a_small_font():
    assert small_fonts("axis.legend(fontsize=6)") == ["fontsize=6"]
    assert small_fonts("def place(fontsize: float = 6.5):") == ["fontsize: float = 6.5"]
    assert small_fonts('{"font.size": 9}') == [] and small_fonts("fontsize=7") == []


def test_no_figure_text_below_seven_points():
    offenders = {str(path.relative_to(SRC)): found for path in SRC.rglob("*.py")
                 if (found := small_fonts(path.read_text()))}
    assert not offenders
