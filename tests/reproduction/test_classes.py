"""Which class each kind of thesis number falls in, how printed values read back, and the verdicts."""
import pytest

from mobileopt.reproduction import classes
from mobileopt.reproduction.classes import Context, classify, judge, parse

CONTEXT = Context(test_images=10_000, baseline_accuracy=0.9926, slowdown=2.0, latency_tolerance=0.1)


@pytest.mark.parametrize("name, source, expected", [
    ("BaselineParameters", "results/baseline/metrics.json", classes.EXACT),
    ("CompressionPruningHighGzipKiB", "results/compression/summary.csv", classes.EXACT),
    ("ActivationPruningToyGlorotUniformMomentumVanillaMse", "runs.csv", classes.EXACT),
    ("StructuresHeadBreakEven", "results/structures/decomposition.csv", classes.EXACT),
    ("BaselineTestAccuracy", "results/baseline/metrics.json", classes.STATISTICAL),
    ("CompressionFisherLowDifferencePoints", "results/compression/summary.csv", classes.STATISTICAL),
    ("ComparisonMostAccurateDescription", "results/comparison/all_variants.csv", classes.STATISTICAL),
    ("StructuresInceptionVersusPlain", "results/structures/summary.csv", classes.STATISTICAL),
    ("StructuresTieCount", "results/structures/summary.csv", classes.STATISTICAL),
    ("StructuresReferenceStd", "results/structures/summary.csv", classes.STATISTICAL),
    ("CompressionFisherLowVerdict", "results/compression/summary.csv", classes.STATISTICAL),
    # a p-value is shown; the verdict it leads to is judged
    ("CompressionFisherLowMcnemarP", "results/compression/summary.csv", classes.INFORMATIONAL),
    ("ZooTailModels", "results/zoo/summary.csv", classes.MACHINE),
    ("StructuresFasterCount", "results/structures/summary.csv", classes.MACHINE),
    ("low", "results/structures/latency_intervals.csv", classes.MACHINE),
    ("verdict", "results/structures/latency_intervals.csv", classes.MACHINE),
    ("BaselineLatencyMedianMs", "results/latency/baseline.json", classes.MACHINE),
    ("BaselineLatencyPNinetyMs", "results/latency/baseline.json", classes.MACHINE),
    ("ComparisonFastestDescription", "results/comparison/all_variants.csv", classes.MACHINE),
    # chosen by a timing, although the value is an accuracy
    ("ComparisonFastestAccuracy", "results/comparison/all_variants.csv", classes.MACHINE),
    ("ComparisonSlowerCount", "results/comparison/all_variants.csv", classes.MACHINE),
    ("ZooSlowestToFastestLatency", "results/zoo/summary.csv", classes.MACHINE),
    ("ZooEfficientModel", "results/zoo/summary.csv", classes.MACHINE),
    # chosen by attained GFLOP/s: flipped from MobileNetV3-Small to VGG16 between two runs on one machine
    ("ZooInefficientModel", "results/zoo/summary.csv", classes.MACHINE),
    ("ZooInefficientIntensity", "results/zoo/summary.csv", classes.MACHINE),
    ("CombinationProductVerdict", "results/comparison/combinations.csv", classes.MACHINE),
    ("CompressionBreakEvenTfFcBatchOne", "results/compression/sparse_kernels/break_even.csv", classes.MACHINE),
    ("BaselineTrainSeconds", "results/baseline/metrics.json", classes.INFORMATIONAL),
    ("BenchmarkMachine", "results/latency/baseline.json", classes.INFORMATIONAL),
    # table columns
    ("test_accuracy", "results/compression/summary.csv", classes.STATISTICAL),
    ("accuracy_change_points", "results/comparison/all_variants.csv", classes.STATISTICAL),
    ("latency_p90_ms", "results/comparison/all_variants.csv", classes.MACHINE),
    ("speedup", "results/comparison/all_variants.csv", classes.MACHINE),
    ("pareto_optimal", "results/comparison/all_variants.csv", classes.MACHINE),
    ("break_even_density", "results/compression/sparse_kernels/break_even.csv", classes.MACHINE),
    ("break_even_P", "results/structures/decomposition.csv", classes.EXACT),
    ("fine_tune_seconds", "results/compression/summary.csv", classes.INFORMATIONAL),
    ("tflite_bytes", "results/compression/summary.csv", classes.EXACT),
    ("multiply_adds", "results/zoo/layer_probes.csv", classes.EXACT),
])
def test_classify(name, source, expected):
    assert classify(name, source) == expected


@pytest.mark.parametrize("text, number, half_unit", [
    ("99.26", 99.26, 0.005),
    ("20{,}000", 20000.0, 0.5),
    ("$2.4\\cdot10^{-5}$", 2.4e-5, 0.05e-5),
    ("+1.8", 1.8, 0.05),
    (0.9926, 0.9926, 0.0),
])
def test_parse_reads_printed_values(text, number, half_unit):
    parsed = parse(text)
    assert parsed.number == pytest.approx(number) and parsed.half_unit == pytest.approx(half_unit)


@pytest.mark.parametrize("text", ["--", "Fisher, 50\\% of channels", "$[29,52,12]$", "8/16/32/10", float("nan")])
def test_parse_refuses_what_is_not_one_number(text):
    assert parse(text) is None


def test_accuracy_tolerance_is_the_two_sample_interval():
    # 1.96 * sqrt(2 * 0.9926 * 0.0074 / 10000) = 0.238 points
    assert classes.accuracy_tolerance("BaselineTestAccuracy", 99.26, CONTEXT) == pytest.approx(0.2376, abs=1e-3)
    # a CSV fraction is judged in its own units
    assert classes.accuracy_tolerance("test_accuracy", 0.9926, CONTEXT) == pytest.approx(0.002376, abs=1e-5)
    # a difference of two accuracies: twice the variance
    assert classes.accuracy_tolerance("CompressionFisherLowDifferencePoints", 0.39, CONTEXT) == \
        pytest.approx(0.2376 * 2 ** 0.5, abs=1e-3)


def test_accuracies_within_and_outside_the_noise():
    assert judge("BaselineTestAccuracy", classes.STATISTICAL, "99.26", "99.26", CONTEXT).outcome == classes.IDENTICAL
    assert judge("BaselineTestAccuracy", classes.STATISTICAL, "99.26", "99.10", CONTEXT).outcome == classes.WITHIN
    assert judge("BaselineTestAccuracy", classes.STATISTICAL, "99.26", "98.90", CONTEXT).outcome == classes.OUTSIDE


def test_exact_numbers_must_be_identical():
    assert judge("BaselineParameters", classes.EXACT, "454{,}922", "454{,}923", CONTEXT).outcome == classes.OUTSIDE
    assert judge("BaselineParameters", classes.EXACT, "454{,}922", None, CONTEXT).outcome == classes.MISSING


def test_latency_on_a_uniformly_slower_machine_reproduces_as_a_ratio():
    # This machine is twice as slow: a model at 0.1 ms then takes 0.2 ms.
    assert judge("StructuresPlainLatencyMs", classes.MACHINE, "0.100", "0.200", CONTEXT).outcome == classes.WITHIN
    assert judge("StructuresPlainLatencyMs", classes.MACHINE, "0.100", "0.100", CONTEXT).outcome == classes.OUTSIDE
    # speed-ups are ratios already
    assert judge("ComparisonFastestSpeedup", classes.MACHINE, "6.7", "6.9", CONTEXT).outcome == classes.WITHIN
    assert judge("ComparisonFastestSpeedup", classes.MACHINE, "6.7", "8.0", CONTEXT).outcome == classes.OUTSIDE
    # rates scale the other way
    assert judge("ZooPeakGflops", classes.MACHINE, "110", "55", CONTEXT).outcome == classes.WITHIN


def test_a_different_choice_by_timing_is_not_reproduced():
    verdict = judge("ZooFastestModel", classes.MACHINE, "MobileNetV3-Small", "MobileNet", CONTEXT)
    assert verdict.outcome == classes.OUTSIDE


def test_informational_numbers_are_shown_not_judged():
    assert judge("BaselineTrainSeconds", classes.INFORMATIONAL, "323", "900", CONTEXT).outcome == classes.SHOWN
