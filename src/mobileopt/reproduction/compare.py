"""A run's thesis numbers against the reference run's: one tidy row per number, and the summary.

The reference (reference/ in the repository, written by `python -m mobileopt.reproduction.reference`)
holds every macro of the reference run (name, printed value, source file) and the tidy result tables
its thesis tables were drawn from, with the run's configuration key, commit, software and machine.
"""
from __future__ import annotations

import json
import platform
import statistics
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from mobileopt.core.config import config_hash, result_config
from mobileopt.measurement.litert_benchmark import fingerprint, machine_info
from mobileopt.reporting.thesis import read_macro_file
from mobileopt.reproduction import classes
from mobileopt.reproduction.classes import Context, classify, judge, parse
from mobileopt.reproduction.sections import thesis_sections

# Columns that name a row of a result table, in the order a reader scans for them.
ROW_KEYS = ("method", "variant", "label", "model", "format", "engine", "layer", "batch", "pattern", "probe",
            "depth", "stage", "convolution", "initialisation", "optimizer", "family", "seed", "source")
SOFTWARE = ("tensorflow", "tf-keras", "tensorflow-model-optimization", "ai-edge-litert", "numpy", "pandas",
            "snakemake")
COLUMNS = ["number", "kind", "class", "section", "source", "reference", "reproduced", "outcome", "tolerance"]


@dataclass
class Reference:
    directory: Path
    manifest: dict
    macros: pd.DataFrame  # name, value (as printed), source
    tables: dict[str, pd.DataFrame]  # result path -> table, every cell as printed in the CSV


def numbers_key(config: dict) -> str:
    """The configuration key a reference belongs to: the hash of every setting that can change a
    result, without the reproduction settings themselves (a new tolerance changes the verdicts,
    not the numbers)."""
    numbers = {key: value for key, value in result_config(config).items() if key != "reproduction"}
    return config_hash(numbers)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV with every cell as the text it holds (no float round trip, empty cells stay empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class BrokenReferenceError(RuntimeError):
    """The reference directory exists but cannot be read."""


def _broken(directory: Path, error: Exception) -> BrokenReferenceError:
    return BrokenReferenceError(
        f"the reference values in {directory}/ cannot be read ({type(error).__name__}: {error}); restore "
        f"them (git checkout -- {directory}) or refresh them from a finished default run "
        "(python -m mobileopt.reproduction.reference)")


def read_manifest(directory: str | Path) -> dict | None:
    """The reference's manifest; None when there is no reference (no manifest.json)."""
    path = Path(directory) / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise _broken(Path(directory), error) from error


def load_reference(directory: str | Path) -> Reference | None:
    """The reference in `directory`; None when there is none (no manifest.json)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest is None:
        return None
    try:
        macros = read_table(directory / "macros.csv")[["name", "value", "source"]]
        tables = {path: read_table(directory / "tables" / path) for path in manifest["tables"]}
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as error:
        raise _broken(directory, error) from error
    return Reference(directory, manifest, macros, tables)


def reference_files(directory: str | Path, config: dict) -> list[str]:
    """The reference's files when it belongs to this configuration (a rule's inputs), else none. Reads
    only the manifest: the workflow calls this on every start."""
    manifest = read_manifest(directory)
    if manifest is None or manifest["config_key"] != numbers_key(config):
        return []
    directory = Path(directory)
    return [str(directory / name) for name in ("manifest.json", "macros.csv")] + \
        [str(directory / "tables" / path) for path in manifest["tables"]]


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in SOFTWARE:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def run_description(config: dict, code_version: str, tables: list[str]) -> dict:
    return {"config_name": config["name"], "config_key": numbers_key(config), "code_version": code_version,
            "software": software_versions(), "machine": fingerprint(machine_info()), "tables": sorted(tables)}


def table_sources(provenance_records: list[dict]) -> dict[str, list[str]]:
    """Result CSV -> the thesis tables and figures drawn from it ('table:<stem>', 'figure:<stem>'), from
    their provenance records."""
    sources: dict[str, list[str]] = {}
    for record in provenance_records:
        if record["kind"] not in ("table", "figure"):
            continue
        for path in record["inputs"]:
            if path.endswith(".csv"):
                sources.setdefault(path, []).append(f"{record['kind']}:{Path(record['artifact']).stem}")
    return sources


def slowdown(reference_macros: dict[str, str], run_macros: dict[str, str]) -> float | None:
    """Median ratio run / reference over every latency (milliseconds) both runs printed."""
    ratios = []
    for name, value in reference_macros.items():
        if classify(name) == classes.MACHINE and classes.is_milliseconds(name):
            ref, run = parse(value), parse(run_macros.get(name, ""))
            if ref and run and ref.number > 0 and run.number > 0:
                ratios.append(run.number / ref.number)
    return statistics.median(ratios) if ratios else None


def context_from(reference_macros: dict[str, str], run_macros: dict[str, str], settings: dict) -> Context:
    def number(values: dict[str, str], name: str) -> float | None:
        parsed = parse(values.get(name, ""))
        return parsed.number if parsed else None

    return Context(test_images=int(number(reference_macros, "MnistTestCount") or 10_000),
                   baseline_accuracy=(number(reference_macros, "BaselineTestAccuracy") or 99.0) / 100,
                   slowdown=slowdown(reference_macros, run_macros),
                   latency_tolerance=settings["latency_tolerance"], confidence=settings["confidence"])


def compare(reference: Reference, run_macros: pd.DataFrame, run_tables: dict[str, pd.DataFrame],
            sections: dict[str, list[str]], table_names: dict[str, list[str]], settings: dict) -> pd.DataFrame:
    """One row per number the thesis prints: every macro its text uses and every cell of the result
    tables its tables are drawn from. Macros the text never uses are left out."""
    context = context_from(_values(reference.macros), _values(run_macros), settings)
    return _compare(reference, run_macros, run_tables, sections, table_names, context)


def _values(macros: pd.DataFrame) -> dict[str, str]:
    return dict(zip(macros["name"], macros["value"]))


def _compare(reference: Reference, run_macros: pd.DataFrame, run_tables: dict[str, pd.DataFrame],
             sections: dict[str, list[str]], table_names: dict[str, list[str]], context: Context) -> pd.DataFrame:
    ref_values, run_values = _values(reference.macros), _values(run_macros)
    rows = []
    for name, value, source in reference.macros[["name", "value", "source"]].itertuples(index=False):
        if name in sections:
            rows.append(_row(name, "macro", classify(name, source), "; ".join(sections[name]), source,
                             value, run_values.get(name), context))
    known = set(ref_values)
    for name, value, source in run_macros[["name", "value", "source"]].itertuples(index=False):
        if name in sections and name not in known:
            rows.append(dict(number=name, kind="macro", **{"class": classify(name, source)},
                             section="; ".join(sections[name]), source=source, reference="",
                             reproduced=value, outcome=classes.NEW, tolerance="no reference value"))
    for path, table in reference.tables.items():
        where = "; ".join(dict.fromkeys(place for artefact in table_names.get(path, [])
                                        for place in sections.get(artefact, []))) or "not printed"
        rows += _table_rows(path, table, run_tables.get(path), where, context)
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(number, kind, number_class, section, source, reference, reproduced, context) -> dict:
    verdict = judge(number, number_class, reference, reproduced, context)
    return {"number": number, "kind": kind, "class": number_class, "section": section, "source": source,
            "reference": reference, "reproduced": "" if reproduced is None else reproduced,
            "outcome": verdict.outcome, "tolerance": verdict.tolerance}


def _row_label(row: pd.Series, index: int) -> str:
    keys = [f"{key}={row[key]}" for key in ROW_KEYS if key in row.index and row[key] != ""][:4]
    return ", ".join(keys) if keys else f"row {index + 1}"


def _table_rows(path: str, reference: pd.DataFrame, run: pd.DataFrame | None, section: str,
                context: Context) -> list[dict]:
    rows = []
    column_classes = {column: classify(column, path) for column in reference.columns}
    for index, ref_row in reference.iterrows():
        run_row = run.iloc[index] if run is not None and index < len(run) else None
        label = _row_label(ref_row, index)
        for column, number_class in column_classes.items():
            reproduced = run_row[column] if run_row is not None and column in run_row.index else None
            rows.append(_row(f"{label}: {column}", "table cell", number_class, section, path,
                             ref_row[column], reproduced, context))
    return rows


def summary(frame: pd.DataFrame) -> dict:
    """Counts for the headline: judged numbers (informational ones are shown, not judged)."""
    judged = frame[frame["class"] != classes.INFORMATIONAL]
    reproduced = judged["outcome"].isin(classes.REPRODUCED)
    by_class = {
        number_class: {outcome: int(count) for outcome, count in
                       judged[judged["class"] == number_class]["outcome"].value_counts().items()}
        for number_class in classes.CLASSES if number_class != classes.INFORMATIONAL}
    return {"numbers": int(len(judged)), "reproduced": int(reproduced.sum()),
            "identical": int((judged["outcome"] == classes.IDENTICAL).sum()),
            "failed": int((~reproduced).sum()), "informational": int(len(frame) - len(judged)),
            "by_class": by_class}



RULES = ("exact numbers (counts, parameters, multiply-adds, sizes, settings, deterministic results) must be "
         "identical as printed; accuracies may differ by the sampling noise of two evaluations on the test set "
         "(two-sample interval at the configured confidence; accuracy differences: twice the variance); "
         "reference latencies are scaled by how much slower this machine is (the median ratio over all "
         "latencies both runs printed), and they and everything computed or chosen from timings may differ "
         "by the configured relative tolerance; wall times and machine "
         "descriptions are shown, not judged. Half a unit of the last printed digit is allowed for rounding.")


def evaluate(config: dict, macro_files: list[str], table_paths: list[str], record_paths: list[str],
             main_tex: str, code_version: str) -> tuple[dict, pd.DataFrame]:
    """The reproduction result of a run (summary dict, one row per number). A configuration without a
    reference gives status 'no reference' and no rows: other data sets and the small test config
    run to the end."""
    settings = config["reproduction"]
    run = run_description(config, code_version, table_paths)
    empty = pd.DataFrame(columns=COLUMNS)
    directory = settings["reference_dir"]
    manifest = read_manifest(directory)
    if manifest is None:
        return {"status": "no reference", "run": run,
                "reason": f"No reference values in {directory}/ (python -m mobileopt.reproduction.reference "
                          "writes them from a finished run)."}, empty
    if manifest["config_key"] != run["config_key"]:
        return {"status": "no reference", "run": run,
                "reason": f"No reference values for configuration {config['name']} (key {run['config_key']}); "
                          f"the reference in {directory}/ is of configuration "
                          f"{manifest['config_name']} (key {manifest['config_key']})."}, empty
    reference = load_reference(directory)
    macros = pd.DataFrame([{"name": m.name, "value": m.value, "source": m.source}
                           for path in macro_files for m in read_macro_file(path)])
    tables = {path: read_table(path) for path in table_paths}
    records = [json.loads(Path(path).read_text()) for path in record_paths]
    context = context_from(_values(reference.macros), _values(macros), settings)
    frame = _compare(reference, macros, tables, thesis_sections(main_tex), table_sources(records), context)
    return {"status": "compared", "counts": summary(frame), "run": run, "reference": reference.manifest,
            "slowdown": context.slowdown, "rules": RULES}, frame
