"""The compression topic's names, summary selection and generated parts, on synthetic result rows."""
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from mobileopt.compression import macros
from mobileopt.compression import summary
from mobileopt.compression import variants


def test_variant_names_follow_the_config():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    names = variants.artefacts(config)
    assert set(names) == set(variants.METHODS)
    assert "sparsity_90_sparse" in names["pruning"] and "gather_int16_16" in names["weight_sharing"]
    assert variants.factorization_model_name({"conv3": 32, "conv2": 16}) == "conv2_r16_conv3_r32"
    assert all(path.startswith("results/latency/compression/") for path in variants.latency_files(config))
    bad = dict(config["compression"]["weight_sharing"], gather_clusters=3)
    with pytest.raises(ValueError, match="gather_clusters"):
        variants.weight_sharing_artefacts(bad)


@pytest.mark.parametrize("number, words", [(0, "Zero"), (4, "Four"), (16, "Sixteen"), (32, "ThirtyTwo"),
                                           (90, "Ninety"), (128, "OneHundredTwentyEight")])
def test_number_words(number, words):
    assert macros.number_words(number) == words


def test_macro_parts_are_letters_only():
    assert macros.macro_part("conv2_r16_conv3_r32") == "ConvTwoRSixteenConvThreeRThirtyTwo"
    assert macros.macro_part("qat_int8") == "QatIntEight"
    with pytest.raises(ValueError):
        macros.number_words(1000)


def synthetic_summary():
    """Sizes like the real classifier's (1.3 MB of float32 TFLite), chosen so every ratio the macros
    derive is a distinctive number: the baseline's TFLite file is 1,331,200 B (1300 KiB), pruning
    variant a is stored in 332,800 B (325 KiB, a factor of 4.0) and runs in 0.04 ms (2.5 x faster)."""
    columns = ("method", "variant", "detail", "test_accuracy", "tflite_bytes", "gzip_bytes", "stored_bytes",
               "latency_median_ms", "latency_p90_ms", "multiply_adds", "parameters")
    rows = [
        ("baseline", "baseline", "Table 2.2 classifier", 0.990, 1_331_200, 1_126_400, 1_126_400, 0.10, 0.12,
         11_065_088, 1_663_370),
        ("pruning", "a", "a", 0.989, 1_331_200, 332_800, 332_800, 0.04, 0.05, 11_065_088, 1_663_370),
        ("pruning", "b", "b", 0.950, 1_331_200, 102_400, 102_400, 0.05, 0.06, 11_065_088, 1_663_370),
        ("quantization", "c", "c", 0.90, 337_920, 256_000, 256_000, 0.03, 0.035, 11_065_088, 1_663_370),
        ("quantization", "d", "d", 0.93, 344_064, 266_240, 266_240, 0.05, 0.06, 11_065_088, 1_663_370),
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["validation_accuracy"] = frame["test_accuracy"]
    for column in ("packed_bytes", "accuracy_without_fine_tuning", "sparsity"):
        frame[column] = np.nan
    frame["channels"] = ""
    return frame


def test_representative_variant_is_the_smallest_accurate_one():
    chosen = summary.representative_variants(synthetic_summary(), 0.002).set_index("method")["variant"]
    assert chosen["pruning"] == "a"  # b is smaller but 4 points worse
    assert chosen["quantization"] == "d"  # none within tolerance: the most accurate


def test_representatives_are_chosen_on_validation_accuracy():
    """b's test accuracy is 4 points worse, but on the validation images it is as good as the
    baseline: it is chosen (smaller), and its test accuracy is only reported."""
    frame = synthetic_summary()
    frame.loc[frame["variant"] == "b", "validation_accuracy"] = 0.990
    chosen = summary.representative_variants(frame, 0.002).set_index("method")["variant"]
    assert chosen["pruning"] == "b"
    frame.loc[frame["variant"] == "c", "validation_accuracy"] = 0.999  # most accurate on validation
    assert summary.representative_variants(frame, 0.0).set_index("method").loc["quantization", "variant"] == "c"


def test_tolerance_comes_from_the_configuration():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert summary.tolerance_of(config) == config["comparison"]["max_accuracy_drop_points"] / 100


def test_roles_fill_every_name_also_without_a_row():
    frame = synthetic_summary()
    for column in ("model", "format"):
        frame[column] = frame["variant"]
    present = macros.role("PruningHigh", frame.iloc[1], frame, "summary.csv")
    absent = macros.role("PruningHigh", None, frame, "summary.csv")
    assert [m.name for m in present] == [m.name for m in absent]
    assert all(re.fullmatch(r"[A-Za-z]+", m.name) for m in present)
    assert {m.value for m in absent} == {macros.MISSING}
    values = {m.name: m.value for m in present}
    assert values["CompressionPruningHighAccuracy"] == "98.90"
    # Hand-computed from the fixture: baseline TFLite bytes / this variant's stored bytes, 1331200 / 332800;
    # baseline / variant median latency, 0.10 / 0.04. Sizes in KiB (/ 1024), MACs in millions.
    assert values["CompressionPruningHighStoredFactor"] == "4.0"
    assert values["CompressionPruningHighSpeedup"] == "2.5"
    assert values["CompressionPruningHighStoredKiB"] == "325.0"
    assert values["CompressionPruningHighTfliteKiB"] == "1300.0"
    assert values["CompressionPruningHighGzipKiB"] == "325.0"
    assert values["CompressionPruningHighLatencyMs"] == "0.040"
    assert values["CompressionPruningHighLatencyPNinetyMs"] == "0.050"
    assert values["CompressionPruningHighMultiplyAddsMillions"] == "11.07"
    assert values["CompressionPruningHighParameters"] == "1{,}663{,}370"
    # Against the baseline's stored (gzip) size the factor would be 1126400 / 332800 = 3.4, and inverted
    # 0.25 -> "0.2": neither passes. Another row: variant b, 1331200 / 102400 = 13.0, 0.10 / 0.05 = 2.0.
    b = {m.name: m.value for m in macros.role("PruningHigh", frame.iloc[2], frame, "summary.csv")}
    assert b["CompressionPruningHighStoredFactor"] == "13.0"
    assert b["CompressionPruningHighSpeedup"] == "2.0"
    assert b["CompressionPruningHighStoredKiB"] == "100.0"


def test_settings_macros_name_the_smallest_and_fastest_representative():
    """Representatives: baseline, a (pruning), d (quantization). Smallest stored: d, 266240 B = 260 KiB,
    1331200 / 266240 = 5.0 -> "5" (over the baseline's gzip size it would be 4.2 -> "4"); fastest: a at
    0.04 ms (d takes 0.05), 0.10 / 0.04 = 2.5."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    values = {m.name: m.value for m in macros.settings_macros(synthetic_summary(), config, "summary.csv")}
    assert values["CompressionSmallestDetail"] == "d"
    assert values["CompressionSmallestStoredKiB"] == "260.0"
    assert values["CompressionSmallestFactor"] == "5"
    assert values["CompressionFastestDetail"] == "a"
    assert values["CompressionFastestSpeedup"] == "2.5"
    assert values["CompressionArtefactCount"] == "4"


def test_verdict_macros_come_from_the_paired_significance_test():
    """Two artefacts' LiteRT correctness bits (as the records store them) decide the word: a clear gap
    on 10,000 images is 'less accurate than', identical predictions 'not distinguishable in accuracy from'."""
    from mobileopt.compression.tflite import decode_correct, encode_correct

    images = 10_000
    good, bad = np.arange(images) < 9_900, np.arange(images) < 9_500
    correct = {"m/good": decode_correct(encode_correct(good), images),
               "m/bad": decode_correct(encode_correct(bad), images)}
    assert np.array_equal(correct["m/good"], good)  # the record's encoding round-trips
    rows = {name: pd.Series({"variant": name}) for name in ("good", "bad")}
    worse = {m.name: m.value for m in macros.verdict_macros("X", correct, rows["bad"], rows["good"], "m", "s")}
    assert worse["XVerdict"] == "less accurate than" and worse["XMcnemarP"] == "p < 0.001"
    same = {m.name: m.value for m in macros.verdict_macros("X", correct, rows["good"], rows["good"], "m", "s")}
    assert same["XVerdict"] == "not distinguishable in accuracy from" and same["XMcnemarP"] == "p = 1.000"
    absent = {m.name: m.value for m in macros.verdict_macros("X", correct, None, rows["good"], "m", "s")}
    assert absent["XVerdict"] == macros.MISSING
