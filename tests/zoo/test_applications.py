"""Model zoo: the required models, their cost without gaps, conversion, and the report frames."""
import json

import pandas as pd
import pytest

from mobileopt.zoo import report as zoo_report
from mobileopt.zoo import applications as zoo


def test_the_issue_s_models_are_in_the_zoo():
    assert {"vgg16", "resnet50", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3_small",
            "efficientnet_b0"} <= set(zoo.ZOO)
    assert zoo.input_side("inception_v3", None) == 299 and zoo.input_side("inception_v3", 96) == 96
    with pytest.raises(KeyError, match="unknown zoo model"):
        zoo.zoo_model("alexnet")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mobilenet_v3_small", "efficientnet_b0"])
def test_cost_model_counts_every_layer(name):
    """Their SE blocks, hard-swish and preprocessing layers hold no rule-less weights."""
    model = zoo.build_zoo_model(name, 64)
    record = zoo.model_record(name, model, 64)
    assert record["multiply_adds"] > 0 and record["parameters"] == model.count_params()
    assert record["input_size"] == 64


@pytest.mark.slow
def test_convert_and_count(tmp_path):
    paths = [tmp_path / "m.tflite", tmp_path / "record.json", tmp_path / "layers.csv"]
    record = zoo.convert_and_count("mobilenet_v3_small", 48, *paths)
    assert json.loads(paths[1].read_text()) == record
    assert record["tflite_bytes"] == paths[0].stat().st_size > 4 * 0.9 * record["parameters"]
    layers = pd.read_csv(paths[2])
    assert layers["multiply_adds"].sum() == record["multiply_adds"]
    assert set(layers["model"]) == {"mobilenet_v3_small"}
    assert "depthwise convolution" in set(layers["kind"])


def synthetic_results():
    records = {name: {"display": name.upper(), "year": 2000, "citation": "", "input_size": 96,
                      "native_size": 224, "parameters": p, "multiply_adds": macs, "tflite_bytes": 4 * p,
                      "weight_bytes": 4 * p, "activation_bytes": 1000}
               for name, p, macs in (("big", 1000, 10**9), ("small", 100, 10**7))}
    latencies = {(name, threads): {"median_ms": ms / threads ** 0.5, "p90_ms": tail * ms / threads ** 0.5,
                                   "warmup_runs": 2, "timed_runs": 10}
                 for name, ms, tail in (("big", 10.0, 1.5), ("small", 1.0, 1.1)) for threads in (1, 4)}
    machine = {"peak_flops": 1e12, "bandwidth_bytes_per_s": 1e10, "cache_bandwidth_bytes_per_s": 1e11,
               "copy_bytes_per_s": 8e9, "litert_stream_bytes_per_s": 1e10,
               "tensorflow_matmul_flops": 1e12, "litert_matmul_flops": 9e11, "litert_conv_flops": 8e11,
               "memory_megabytes": 256, "cache_megabytes": 4, "stream_megabytes": 64, "machine": {"cores": 2}}
    traffic = pd.DataFrame({"model": ["big", "small", "small"],
                            "kind": ["spatial convolution", "depthwise convolution", "dense"],
                            "multiply_adds": [10**9, 6 * 10**6, 4 * 10**6], "bytes": [10**6, 10**6, 10**6]})
    return records, latencies, machine, traffic


def test_zoo_summary_and_macros():
    records, latencies, machine, traffic = synthetic_results()
    summary = zoo_report.zoo_summary(records, latencies, machine, traffic)
    assert list(summary["variant"]) == ["small", "big"]  # fastest first
    big = summary.set_index("variant").loc["big"]
    assert big["attained_flops"] == pytest.approx(2e9 / 10e-3)
    assert big["thread_speedup"] == pytest.approx(2.0)
    assert summary.set_index("variant").loc["small", "depthwise_share"] == pytest.approx(0.6)
    probes = pd.DataFrame({"kind": ["dense"], "attained_flops": [1e9], "bytes": [10**6], "median_ms": [0.1]})
    kinds = pd.DataFrame({"kind": ["dense"], "intensity": [0.5], "share_of_multiply_adds": [1.0]})
    sources = {key: key for key in ("summary", "machine", "probes", "kinds")}
    macros = {m.name: m.value for m in zoo_report.zoo_macros(summary, kinds, probes, machine, sources)}
    assert macros["ZooSlowestModel"] == "BIG" and macros["ZooFastestModel"] == "SMALL"
    assert macros["ZooSlowestToFastestMacs"] == "100" and macros["ZooSlowestToFastestLatency"] == "10"
    assert macros["ZooKindDepthwiseIntensity"] == "--"  # kinds without that kind stay defined
    assert macros["ZooProbeDenseBandwidthGBs"] == "10.0"
    assert macros["ZooInversionCount"] == "0" and macros["ZooInversionSlower"] == "--"
    # p90 1.5 x the median is a tail worth naming, 1.1 x is not; the runs are those the records say
    assert macros["ZooTailCount"] == "1" and macros["ZooTailModels"] == "BIG"
    assert macros["ZooWarmupRuns"] == "2" and macros["ZooTimedRuns"] == "10"
    assert all(name.isalpha() for name in macros)


def test_rank_inversions():
    summary = pd.DataFrame({"display": ["A", "B", "C"], "multiply_adds": [1, 2, 3],
                            "latency_median_ms": [2.0, 1.0, 4.0]})
    inversions = zoo_report.rank_inversions(summary)
    assert inversions.to_dict("records") == [{"fewer_macs": "A", "more_macs": "B", "macs_ratio": 2.0,
                                              "latency_ratio": 2.0}]
