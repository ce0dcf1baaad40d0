"""What kind of number each thesis number is, and whether a reproduced value matches the reference.

Four classes (the order below is the order the rules are tried):
- informational: wall times and descriptions of the machine or software; shown, never judged.
- machine-relative: latencies and everything computed or chosen from a timing (speed-ups, the fastest
  variant, efficiencies, break-even densities); latencies are first divided by how much slower this
  machine is than the reference's (the median ratio over every latency both runs printed), then all
  are compared within a relative tolerance, because another CPU is uniformly faster or slower.
- statistical: test accuracies and accuracy differences (and verdicts drawn from them); compared
  within the sampling noise of an accuracy on the test set.
- exact: everything else (counts, parameters, multiply-adds, file sizes, settings, and values of
  trainings that are deterministic on the same software and CPU).

The class follows from a number's name (macro names are CamelCase, table columns snake_case), with
the result file it came from for a few timing files. A machine-dependent number wrongly classed as
exact shows up as "outside tolerance" when the run is repeated on the same machine, which the
reproduction of the reference run itself checks.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from statistics import NormalDist

INFORMATIONAL, MACHINE, STATISTICAL, EXACT = "informational", "machine-relative", "statistical", "exact"
CLASSES = (EXACT, STATISTICAL, MACHINE, INFORMATIONAL)

# p-values are shown, not judged: the verdict they lead to is (a statistical text).
_INFORMATIONAL = re.compile(r"Seconds|Minutes|Machine|Runtime|Cpu|Cores|CodeVersion|McnemarP|LossP")
_MACHINE = re.compile(
    r"Latency|Ms(?![a-z])|Speedup|Slowdown|Fastest|Slowest|Faster|Slower|[Ff]lops|GBs|Peak|[Ee]fficien|"
    r"Inversion|Ridge|Pareto|Densify|SparseUpTo|RatioAtDocumented|ProductVerdict|BreakEvenDensity|Status|Tail")
# Files whose every number is a timing on this machine (sparse-kernel sweeps, the roofline probes).
_MACHINE_SOURCES = re.compile(r"sparse_kernels|zoo/machine|layer_probes")
# Tables whose every column is (drawn from) a timing: interleaved speed-ups, their intervals and verdicts.
_MACHINE_TABLES = re.compile(r"latency_intervals")
_STATISTICAL = re.compile(r"Accura|Points|Verdict|Direction|Gap|Versus|Std|BetterCount|WorseCount|TieCount")
_POINTS = re.compile(r"Points|Gap")
_MILLISECONDS = re.compile(r"Ms(?![a-z])")
_RATE = re.compile(r"[Ff]lops|GBs")


def is_table_column(name: str) -> bool:
    """Table columns are snake_case (test_accuracy, speedup); macro names CamelCase."""
    return "_" in name or name.islower()


def camel(name: str) -> str:
    """A name in the CamelCase of macro names (test_accuracy -> TestAccuracy), so one set of rules
    classifies macros and table columns."""
    if not is_table_column(name):
        return name
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name))


def is_milliseconds(name: str) -> bool:
    return bool(_MILLISECONDS.search(camel(name)))


def classify(name: str, source: str = "") -> str:
    is_macro = not is_table_column(name)
    name = camel(name)
    if _INFORMATIONAL.search(name):
        return INFORMATIONAL
    # A timing file's macros are timings; its table columns are classed by name (sizes stay exact).
    if (_MACHINE.search(name) or (is_macro and _MACHINE_SOURCES.search(source))
            or (not is_macro and _MACHINE_TABLES.search(source))):
        return MACHINE
    if _STATISTICAL.search(name):
        return STATISTICAL
    return EXACT


@dataclass(frozen=True)
class Parsed:
    """A printed value read back as a number, with half a unit of its last printed digit."""
    number: float
    half_unit: float


def parse(text) -> Parsed | None:
    """'99.26' -> 99.26 (+-0.005); '20{,}000' -> 20000; '$2.4\\cdot10^{-5}$' -> 2.4e-05; raw CSV
    floats keep their full precision (half_unit 0). None for text that is not one number."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return None if math.isnan(text) else Parsed(float(text), 0.0)
    cleaned = str(text).replace("{,}", "").replace("$", "").replace("\\%", "").replace(" ", "")
    scientific = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\\cdot10\^\{([+-]?\d+)\}", cleaned)
    if scientific:
        mantissa, exponent = scientific.groups()
        return Parsed(float(mantissa) * 10.0 ** int(exponent),
                      _half_unit(mantissa) * 10.0 ** int(exponent))
    if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", cleaned):
        return Parsed(float(cleaned), _half_unit(cleaned))
    return None


def _half_unit(digits: str) -> float:
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return 0.5 * 10.0 ** -decimals


@dataclass(frozen=True)
class Context:
    """What the tolerances need from the two runs."""
    test_images: int  # size of the test set the accuracies were measured on
    baseline_accuracy: float  # fraction, for the noise of accuracy differences
    # How many times slower this run's machine is: median of run/reference over the latencies both
    # printed (None: no common latency). The median, not the baseline's own ratio: one timing of the
    # baseline moved 13 % between two runs on one machine while every other model kept its latency.
    slowdown: float | None
    latency_tolerance: float  # relative, on normalised machine-relative numbers
    confidence: float = 0.95


@dataclass(frozen=True)
class Verdict:
    outcome: str  # identical | within tolerance | outside tolerance | missing | not in reference | shown
    tolerance: str  # how the pair was judged, for the report


IDENTICAL, WITHIN, OUTSIDE, MISSING, NEW, SHOWN = (
    "identical", "within tolerance", "outside tolerance", "missing", "not in reference", "shown")
REPRODUCED = (IDENTICAL, WITHIN)


def judge(name: str, number_class: str, reference, reproduced, context: Context) -> Verdict:
    if number_class == INFORMATIONAL:
        return Verdict(SHOWN, "not judged")
    if reproduced is None:
        return Verdict(MISSING, "not produced by this run")
    ref, run = parse(reference), parse(reproduced)
    same = _same(reference, reproduced, ref, run)
    if number_class == MACHINE and ref is not None and run is not None:
        # Judged as ratios even when the printed values agree: the same milliseconds on a machine
        # whose baseline is twice as slow is a different result.
        verdict = _judge_machine(name, ref, run, context)
        return Verdict(IDENTICAL, verdict.tolerance) if same and verdict.outcome == WITHIN else verdict
    if same:
        return Verdict(IDENTICAL, "exact")
    if number_class == EXACT or ref is None or run is None:
        return Verdict(OUTSIDE, "exact")
    allowed = accuracy_tolerance(name, ref.number, context)
    if allowed is None:
        return Verdict(OUTSIDE, "exact (not an accuracy in percent)")
    difference = abs(run.number - ref.number)
    slack = ref.half_unit + run.half_unit
    return Verdict(WITHIN if difference <= allowed + slack else OUTSIDE, f"+-{allowed:.2f} points")


def _same(reference, reproduced, ref: Parsed | None, run: Parsed | None) -> bool:
    """The same text, or the same full-precision number written differently."""
    if str(reference) == str(reproduced):
        return True
    return ref is not None and run is not None and ref.half_unit == 0 and run.half_unit == 0 \
        and math.isclose(ref.number, run.number, rel_tol=1e-12, abs_tol=0.0)


def accuracy_tolerance(name: str, reference_value: float, context: Context) -> float | None:
    """Half-width, in points, of the difference two independent evaluations of the same accuracy can
    show on n test images (a two-sample Wald interval): z * sqrt(2 p (1 - p) / n). An accuracy
    difference (points between two models) carries the noise of two such accuracies, so twice the
    variance. A fraction-valued accuracy (CSV column, 0.9926) is judged in the same units."""
    if _POINTS.search(camel(name)):
        p, variance_terms, scale = context.baseline_accuracy, 4, 100.0
    elif 0.0 <= reference_value <= 1.0 and is_table_column(name):
        p, variance_terms, scale = reference_value, 2, 1.0
    elif 0.0 <= reference_value <= 100.0:
        p, variance_terms, scale = reference_value / 100.0, 2, 100.0
    else:
        return None
    z = NormalDist().inv_cdf(0.5 + context.confidence / 2)
    p = min(max(p, 1.0 / context.test_images), 1.0 - 1.0 / context.test_images)
    return scale * z * math.sqrt(variance_terms * p * (1.0 - p) / context.test_images)


def _judge_machine(name: str, ref: Parsed, run: Parsed, context: Context) -> Verdict:
    """Reference latencies are scaled by the machine's slowdown (rates by its inverse), so a uniformly
    slower machine reproduces; then a relative tolerance. Ratios, counts and choices are compared as
    they are."""
    scale = 1.0
    how = f"+-{100 * context.latency_tolerance:.0f} %"
    if context.slowdown:
        if is_milliseconds(name):
            scale = context.slowdown
            how += f" after scaling the reference by this machine's slowdown ({context.slowdown:.2f}x)"
        elif _RATE.search(camel(name)):
            scale = 1.0 / context.slowdown
            how += f" after dividing the reference rate by this machine's slowdown ({context.slowdown:.2f}x)"
    expected = ref.number * scale
    allowed = context.latency_tolerance * abs(expected) + ref.half_unit * scale + run.half_unit
    return Verdict(WITHIN if abs(run.number - expected) <= allowed else OUTSIDE, how)
