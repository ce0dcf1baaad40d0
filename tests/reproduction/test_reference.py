"""The repository's reference values: of the default configuration, complete, and judged sound."""
import json
import re

from mobileopt.core.config import load_config
from mobileopt.reproduction import compare
from mobileopt.reproduction.sections import thesis_sections
from tests.conftest import REPO

REFERENCE = REPO / "reference"
# Macros the thesis prints that no topic's result file holds: the title page's run stamp and the
# reproduction statement itself.
RUN_MACROS = {"ConfigName", "ConfigHash", "CodeVersion", "ReproductionStatement"}
LATEX_COMMANDS = {"DeclareMathOperator"}  # CamelCase, but LaTeX's own
REFRESH = "refresh it: snakemake --cores all && python -m mobileopt.reproduction.reference (README)"


def test_reference_belongs_to_the_default_configuration():
    manifest = json.loads((REFERENCE / "manifest.json").read_text())
    key = compare.numbers_key(load_config(REPO / "config/config.yaml"))
    assert manifest["config_key"] == key, f"reference/ is of another configuration than config/config.yaml: {REFRESH}"


def test_reference_holds_every_macro_the_thesis_prints():
    reference = compare.load_reference(REFERENCE)
    defined_in_sources = set()
    for path in [REPO / "thesis/main.tex", *(REPO / "thesis/chapters").rglob("*.tex")]:
        defined_in_sources |= set(re.findall(r"\\(?:re)?newcommand\{?\\(\w+)", path.read_text()))
    printed = {name for name in thesis_sections(REPO / "thesis/main.tex")
               if re.fullmatch(r"(?:[A-Z][a-z]+)(?:[A-Z][a-z]*)+", name)}
    missing = printed - set(reference.macros["name"]) - RUN_MACROS - LATEX_COMMANDS - defined_in_sources
    assert not missing, f"the thesis prints macros reference/ does not hold: {sorted(missing)}; {REFRESH}"


def test_reference_compared_with_itself_reproduces_every_number():
    """Every real macro name and table column goes through the classes and the verdicts."""
    reference = compare.load_reference(REFERENCE)
    settings = load_config(REPO / "config/config.yaml")["reproduction"]
    names = {name: ["somewhere"] for name in reference.macros["name"]}
    frame = compare.compare(reference, reference.macros, reference.tables, names, {}, settings)
    counts = compare.summary(frame)
    assert counts["numbers"] > 1000 and counts["identical"] == counts["numbers"] and counts["failed"] == 0
    assert set(frame["class"]) == {"exact", "statistical", "machine-relative", "informational"}
