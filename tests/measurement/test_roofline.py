"""Roofline: roofs, bytes moved and intensity of real layers, probes, and the machine measurement."""
import json
import subprocess
import sys
import types

import numpy as np
import pandas as pd
import pytest
import tf_keras as keras

from mobileopt.measurement import roofline

layers = keras.layers


def test_roof_and_ridge():
    peak, bandwidth = 100e9, 10e9
    assert roofline.ridge_intensity(peak, bandwidth) == 10
    np.testing.assert_allclose(roofline.attainable_flops([1, 10, 100], peak, bandwidth), [10e9, 100e9, 100e9])


def mixed_model():
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", name="spatial")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="depthwise")(x)
    x = layers.Conv2D(6, 1, use_bias=False, name="pointwise")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, layers.Dense(5, name="dense")(x))


def test_layer_traffic_by_hand():
    frame = roofline.layer_traffic(mixed_model()).set_index("name")
    assert list(frame.index) == ["spatial", "depthwise", "pointwise", "dense"]  # no 0-MAC layers
    assert list(frame["kind"]) == ["spatial convolution", "depthwise convolution",
                                   "pointwise convolution", "dense"]
    spatial = frame.loc["spatial"]
    assert spatial["multiply_adds"] == 8 * 8 * 4 * 27
    assert spatial["bytes"] == 4 * ((27 * 4 + 4) + 8 * 8 * 3 + 8 * 8 * 4)
    assert spatial["intensity"] == pytest.approx(2 * 8 * 8 * 4 * 27 / spatial["bytes"])
    dense = frame.loc["dense"]  # one multiply-add per weight: intensity just under 0.5
    assert dense["multiply_adds"] == 384 * 5
    assert dense["bytes"] == 4 * (384 * 5 + 5 + 384 + 5)
    assert dense["intensity"] < 0.5


def test_intensity_by_kind_aggregates():
    traffic = pd.DataFrame({"kind": ["dense", "dense", "depthwise convolution"],
                            "multiply_adds": [10, 30, 60], "bytes": [40, 40, 20]})
    kinds = roofline.intensity_by_kind(traffic).set_index("kind")
    assert list(kinds.index) == ["depthwise convolution", "dense"]
    assert kinds.loc["dense", "intensity"] == 2 * 40 / 80
    assert kinds.loc["depthwise convolution", "share_of_multiply_adds"] == 0.6


class FakeClock:
    """time.perf_counter stand-in: every np.copyto takes the next of `durations` seconds."""

    def __init__(self, durations):
        self.now, self.durations, self.copies = 100.0, list(durations), []

    def perf_counter(self):
        return self.now

    def copyto(self, target, source):
        np.copyto(target, source)
        self.copies.append(source.nbytes)
        self.now += self.durations.pop(0)


def test_bandwidth_is_bytes_read_and_written_over_the_fastest_copy(monkeypatch):
    """1 MiB copied (read + written: 2 MiB of traffic) in 0.5, 0.25 and 0.4 s: the best copy moved
    2 MiB in 0.25 s, i.e. 8 MiB/s exactly. The mean, the first or the slowest time, or a copy counted
    once, each gives another number."""
    clock = FakeClock([0.125, 0.5, 0.25, 0.4])  # the untimed first copy, then the three timed ones
    monkeypatch.setattr(roofline, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    monkeypatch.setattr(roofline, "np", types.SimpleNamespace(ones=np.ones, zeros_like=np.zeros_like,
                                                              float32=np.float32, copyto=clock.copyto))
    assert roofline.measure_bandwidth(megabytes=1, repeats=3) == 2 * 2**20 / 0.25 == 8 * 2**20
    assert clock.copies == [2**20] * 4 and clock.durations == []


@pytest.mark.slow
def test_probes_are_timed(tmp_path):
    probes = [roofline.LayerProbe("tiny_depthwise", "depthwise convolution", "test", (8, 8, 4),
                                  "DepthwiseConv2D", 0, 3),
              roofline.LayerProbe("tiny_dense", "dense", "test", (16,), "Dense", 4)]
    frame = roofline.time_probes(probes, threads=1, warmup=1, runs=3, workdir=tmp_path)
    assert list(frame["probe"]) == ["tiny_depthwise", "tiny_dense"]
    assert list(frame["multiply_adds"]) == [8 * 8 * 4 * 9, 16 * 4]
    assert (frame["attained_flops"] > 0).all()
    with pytest.raises(ValueError, match="probe layer"):
        roofline.build_probe(roofline.LayerProbe("x", "dense", "test", (4,), "LSTM", 2))


def test_every_builtin_probe_builds_with_its_kind():
    for probe in roofline.PROBES:
        assert roofline.layer_traffic(roofline.build_probe(probe)).iloc[0]["kind"] == probe.kind


@pytest.mark.slow
def test_machine_measurement_cli(tmp_path):
    """In its own process: TensorFlow's thread pools are fixed once it starts."""
    out = tmp_path / "machine.json"
    subprocess.run([sys.executable, "-m", "mobileopt.measurement.roofline", "--threads", "1", "--matrix-size", "256",
                    "--memory-megabytes", "16", "--cache-megabytes", "1", "--repeats", "2",
                    "--out", str(out)], check=True, capture_output=True, timeout=300)
    result = json.loads(out.read_text())
    assert result["peak_flops"] == max(result["tensorflow_matmul_flops"], result["litert_matmul_flops"],
                                       result["litert_conv_flops"])
    assert result["bandwidth_bytes_per_s"] == max(result["copy_bytes_per_s"],
                                                  result["litert_stream_bytes_per_s"])
    assert result["cache_bandwidth_bytes_per_s"] > 0
    assert result["machine"]["cores"] >= 1
    bad = subprocess.run([sys.executable, "-m", "mobileopt.measurement.roofline", "--repeats", "0", "--out", str(out)],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "positive" in bad.stderr
