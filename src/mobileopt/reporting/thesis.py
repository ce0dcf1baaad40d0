"""The thesis' generated parts (macros, provenance appendix) and its compilation with latexmk."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from mobileopt.core import artifacts
from mobileopt.reporting.numbers import MISSING, count_of, thousands

TEXLIVE_PACKAGES = ["latexmk", "texlive-latex-base", "texlive-latex-recommended",
                    "texlive-latex-extra", "texlive-fonts-recommended"]


class ToolMissingError(RuntimeError):
    """An external program the step needs is not installed."""




@dataclass(frozen=True)
class Macro:
    """One number or phrase the prose uses, with the result file it came from."""
    name: str
    value: str
    source: str


def latex_escape(text: str) -> str:
    replacements = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(replacements.get(char, char) for char in str(text))


def macros_tex(macros: list[Macro], stamp: dict) -> str:
    names = [macro.name for macro in macros]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"macro names defined twice: {sorted(duplicates)}")
    lines = [artifacts.tex_header(stamp)]
    lines += [f"\\newcommand{{\\{m.name}}}{{{m.value}}}  % from {m.source}" for m in macros]
    return "\n".join(lines) + "\n"


def write_macro_file(path: str | Path, macros: list[Macro]) -> None:
    """A topic's macros as JSON (results/macros/<topic>.json); rule thesis_macros merges them."""
    artifacts.write_json(path, [asdict(macro) for macro in macros])


def read_macro_file(path: str | Path) -> list[Macro]:
    return [Macro(**entry) for entry in artifacts.read_json(path)]


def pipeline_macros(config: dict, stamp: dict) -> list[Macro]:
    return [
        Macro("ConfigName", latex_escape(config["name"]), "config"),
        Macro("ConfigHash", stamp["config_hash"], "config"),
        Macro("CodeVersion", latex_escape(stamp["code_version"]), "git"),
    ]


# How the thesis introduces the canonical MNIST set (with its reference); any other set is named from
# the configuration alone.
MNIST_REFERENCE = "the MNIST database of handwritten digits~\\citep{LCB98}"


def data_macros(arrays: dict, manifest: dict, data_config: dict, source_file: str) -> list[Macro]:
    """The data set's name, description, size and source. A set read from local IDX files (no pinned
    checksums) is described as such, without the machine's path."""
    name, description = latex_escape(data_config["name"]), latex_escape(data_config["description"])
    canonical = manifest["pinned_checksums"]
    source = latex_escape(manifest["source"]) if canonical else "MNIST-format IDX files (data.idx\\_dir)"
    return [
        Macro("DataSetName", name, "config"),
        Macro("DataSetDescription", description, "config"),
        Macro("DataSetReference", MNIST_REFERENCE if canonical else f"{name}, images of {description}", "config"),
        Macro("DataSetClassCount", str(len(set(arrays["train_labels"].tolist()))), source_file),
        Macro("MnistTrainCount", thousands(len(arrays["train_labels"])), source_file),
        Macro("MnistTestCount", thousands(len(arrays["test_labels"])), source_file),
        Macro("MnistSource", source, source_file),
        Macro("MnistImageSide", str(arrays["train_images"].shape[1]), source_file),
    ]


def baseline_macros(metrics: dict, latency: dict, metrics_file: str, latency_file: str) -> list[Macro]:
    settings, machine = metrics["settings"], latency["machine"]
    m, lat = metrics_file, latency_file
    return [
        Macro("BaselineEpochs", str(metrics["epochs_run"]), m),
        Macro("BaselineBatchSize", str(settings["batch_size"]), m),
        Macro("BaselineOptimizer", latex_escape(settings["optimizer"].capitalize()), m),
        Macro("BaselineLearningRate", f"{settings['learning_rate']:g}", m),
        Macro("BaselineLrSchedule", {"cosine": "cosine-decay", "constant": "constant"}[settings["lr_schedule"]], m),
        Macro("BaselineSeed", str(metrics["seed"]), m),
        Macro("BaselineTestAccuracy", f"{100 * metrics['test_accuracy']:.2f}", m),
        Macro("BaselineTestAccuracyStd", f"{100 * metrics['test_accuracy_std']:.2f}", m),
        Macro("BaselineValidationAccuracy", f"{100 * metrics['validation_accuracy']:.2f}", m),
        Macro("BaselineSeedCount", str(len(metrics["replicates"])), m),
        Macro("BaselineValidationPercent", f"{100 * settings['validation_fraction']:g}", m),
        Macro("BaselinePrecision", {"float32": "float32", "mixed_bfloat16": "mixed bfloat16"}[
            metrics["settings"]["precision"]], m),
        Macro("BaselineTestLoss", f"{metrics['test_loss']:.4f}", m),
        Macro("BaselineParameters", thousands(metrics["parameters"]), m),
        Macro("BaselineMultiplyAddsMillions", f"{metrics['multiply_adds'] / 1e6:.1f}", m),
        Macro("BaselineTrainSeconds", f"{metrics['train_seconds']:.0f}", m),
        Macro("BaselineTfliteSizeKiB", f"{latency['size_bytes'] / 1024:.1f}", lat),
        Macro("BaselineLatencyMedianMs", f"{latency['median_ms']:.3f}", lat),
        Macro("BaselineLatencyPNinetyMs", f"{latency['p90_ms']:.3f}", lat),
        Macro("BenchmarkThreads", count_of(latency["threads"], "thread"), lat),
        Macro("BenchmarkRuns", str(latency["timed_runs"]), lat),
        Macro("BenchmarkWarmup", str(latency["warmup_runs"]), lat),
        Macro("BenchmarkMachine", latex_escape(f"{machine['cpu']} ({machine['cores']} cores, "
                                               f"{machine['system']} {machine['arch']})"), lat),
        Macro("BenchmarkRuntime", latex_escape(machine["runtime"]), lat),
    ]


def latex_path(path: str) -> str:
    """A file path in typewriter type that may break after /, _ and . (long paths in narrow columns)."""
    escaped = (latex_escape(path).replace("/", "/\\allowbreak{}").replace("\\_", "\\_\\allowbreak{}")
               .replace(".", ".\\allowbreak{}"))
    return f"\\texttt{{{escaped}}}"


def compact_inputs(paths: list[str]) -> list[str]:
    """Input paths for the appendix, shortened: paths under the same top two folders with the same file
    name and depth become one pattern with * for each folder in which they differ, and a count
    ("results/activation_pruning/toy/*/cycles.csv (5 files)"). The full list stays in the JSON record."""
    groups: dict[tuple, list[tuple[str, ...]]] = {}
    for path in paths:
        parts = Path(path).parts
        groups.setdefault((parts[:2], parts[-1]), []).append(parts)
    compact = []
    for members in groups.values():
        if len(members) == 1:
            compact.append(str(Path(*members[0])))
            continue
        prefix = _common_length(members)
        suffix = _common_length([tuple(reversed(m)) for m in members])
        middle_lengths = {len(m) - prefix - suffix for m in members}
        if len(middle_lengths) > 1:  # the paths differ in depth: list them
            compact += [str(Path(*m)) for m in members]
            continue
        stars = ["*"] * middle_lengths.pop()
        pattern = Path(*members[0][:prefix], *stars, *members[0][len(members[0]) - suffix:])
        compact.append(f"{pattern} ({len(members)} files)")
    return compact


def _common_length(sequences: list[tuple[str, ...]]) -> int:
    """How many leading elements all sequences share."""
    length = 0
    for elements in zip(*sequences):
        if len(set(elements)) > 1:
            break
        length += 1
    return length


def provenance_frame(records: list[dict], with_code_version: bool = True) -> pd.DataFrame:
    rows = [{"Artifact": latex_path(Path(r["artifact"]).name),
             "Kind": r["kind"], "Rule": latex_path(r["rule"]),
             "Drawn from": ", ".join(latex_path(i) for i in compact_inputs(r["inputs"])) or "--",
             "Settings": r["config_hash"],
             **({"Code": latex_escape(r["code_version"])} if with_code_version else {})}
            for r in sorted(records, key=lambda r: (r["kind"], r["artifact"]))]
    return pd.DataFrame(rows)


def provenance_tex(records: list[dict], stamp: dict) -> str:
    """The provenance table. When every artifact comes from one code version (a run of one commit),
    the caption names it once instead of a column repeating it on every row."""
    versions = sorted({r["code_version"] for r in records})
    one_version = len(versions) == 1
    frame = provenance_frame(records, with_code_version=not one_version)
    # The code column (several versions: an incrementally rebuilt run) takes its width from the inputs.
    columns = ("p{0.17\\linewidth}lp{0.14\\linewidth}p{0.35\\linewidth}l" if one_version
               else "p{0.17\\linewidth}lp{0.14\\linewidth}p{0.26\\linewidth}ll")
    caption = ("Every generated figure, table and macros file, the Snakemake rule that made it, the result "
               "files it was drawn from (* stands for the folders in which a group of files differs; the "
               "full list is in the artifact's JSON record under results/provenance) and the hash of the "
               "settings that rule received"
               + (f"; all made by code version \\texttt{{{latex_escape(versions[0])}}}." if one_version else "."))
    body = frame.to_latex(index=False, escape=False, longtable=True, column_format=columns,
                          caption=caption, label="tab:provenance")
    return artifacts.tex_header(stamp) + "{\\footnotesize\n" + body + "}\n"


def missing_values(main_tex: str | Path, macros_tex: str | Path) -> list[str]:
    """Macros the thesis sources (main.tex and every chapter) use whose value is MISSING."""
    main_tex = Path(main_tex)
    values = dict(re.findall(r"\\newcommand\{\\(\w+)\}\{(.*)\}  %", Path(macros_tex).read_text()))
    sources = [main_tex, *sorted((main_tex.parent / "chapters").rglob("*.tex"))]
    used = {name for path in sources for name in re.findall(r"\\([A-Za-z]+)", path.read_text())}
    return sorted(name for name in used if values.get(name) == MISSING)


def require_every_value(main_tex: str | Path, macros_tex: str | Path) -> None:
    """Stop before compiling when the prose uses a value this run does not produce."""
    missing = missing_values(main_tex, macros_tex)
    if missing:
        raise ValueError(
            f"the thesis uses {count_of(len(missing), 'value')} this configuration does not produce, which "
            f"would print as '{MISSING}': {', '.join(missing)}. Add the experiments that make them to the "
            "configuration, drop them from the prose, or set thesis.require_every_value: false for a partial run.")


def compile_pdf(main_tex: str | Path, out_pdf: str | Path, log=print) -> None:
    """Run latexmk in a build directory beside the sources; move the PDF into place only on success."""
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None:
        raise ToolMissingError(
            "latexmk/pdflatex not found: the thesis PDF needs TeX Live. Install it with\n"
            f"  sudo apt-get install -y {' '.join(TEXLIVE_PACKAGES)}\n"
            "or set thesis.compile_pdf: false to stop at the generated sources.")
    main_tex = Path(main_tex).resolve()
    build = main_tex.parent / "build"
    cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
           f"-outdir={build}", main_tex.name]
    result = subprocess.run(cmd, cwd=main_tex.parent, capture_output=True, text=True,
                            env=dict(os.environ, max_print_line="200"))
    log(result.stdout[-20000:])
    log(result.stderr[-5000:])
    if result.returncode != 0:
        raise RuntimeError(f"latexmk failed (exit {result.returncode}); see the log above and "
                           f"{build / main_tex.with_suffix('.log').name}")
    produced = build / main_tex.with_suffix(".pdf").name
    artifacts.atomic_write_bytes(out_pdf, produced.read_bytes())
