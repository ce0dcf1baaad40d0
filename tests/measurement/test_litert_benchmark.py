"""The stand-alone LiteRT benchmark: real latencies of a real TFLite model, device-portable."""
import ast
import json
import subprocess
import sys
import types

import numpy as np
import pytest

from tests.conftest import REPO
from mobileopt.measurement import litert_benchmark
from mobileopt.models.classifier import build_mnist_classifier
from mobileopt.measurement.tflite_export import ModelFileError, convert_to_tflite, export, load_keras_model

SCRIPT = REPO / "src" / "mobileopt" / "measurement" / "litert_benchmark.py"


@pytest.fixture(scope="module")
def tiny_tflite(tmp_path_factory):
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    path = tmp_path_factory.mktemp("tflite") / "tiny.tflite"
    path.write_bytes(convert_to_tflite(model))
    return path


@pytest.mark.slow
def test_benchmark_invokes_the_real_interpreter_warmup_plus_runs_times(tiny_tflite, monkeypatch):
    Interpreter = litert_benchmark.load_interpreter_class()
    calls = []

    class Counting(Interpreter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            calls.append(("threads", kwargs["num_threads"]))

        def invoke(self):
            calls.append("invoke")
            return super().invoke()

    monkeypatch.setattr(litert_benchmark, "load_interpreter_class", lambda: Counting)
    result = litert_benchmark.benchmark(tiny_tflite, threads=1, warmup=2, runs=25)
    assert calls == [("threads", 1)] + ["invoke"] * 27
    assert (result["warmup_runs"], result["timed_runs"], result["threads"]) == (2, 25, 1)
    assert result["size_bytes"] == tiny_tflite.stat().st_size
    assert result["machine"]["runtime"].startswith("LiteRT")


class FakeInterpreter:
    """A stand-in for LiteRT's Interpreter whose invoke() advances a fake nanosecond clock by the next
    scripted duration: the benchmark's statistics then have exact expected values."""

    durations_ms: list = []
    now_ns = 0
    invoked = 0

    def __init__(self, model_path, num_threads):
        self.inputs = {}
        type(self).num_threads = num_threads

    def allocate_tensors(self):
        pass

    def get_input_details(self):
        return [{"index": 0, "dtype": np.float32, "shape": np.array([1, 4])}]

    def set_tensor(self, index, value):
        self.inputs[index] = value

    def invoke(self):
        cls = type(self)
        cls.now_ns += int(cls.durations_ms[cls.invoked] * 1e6)
        cls.invoked += 1

    @classmethod
    def script(cls, durations_ms):
        cls.durations_ms, cls.now_ns, cls.invoked = list(durations_ms), 10**12, 0


@pytest.fixture
def fake_runtime(monkeypatch, tmp_path):
    monkeypatch.setattr(litert_benchmark, "load_interpreter_class", lambda: FakeInterpreter)
    monkeypatch.setattr(litert_benchmark, "time",
                        types.SimpleNamespace(perf_counter_ns=lambda: FakeInterpreter.now_ns))
    model = tmp_path / "fake.tflite"
    model.write_bytes(b"\0" * 1234)
    return model


def test_warmup_runs_are_excluded_from_the_statistics(fake_runtime):
    """Three warm-up invocations of 500 ms each, then ten timed ones of 1..10 ms (shuffled): the statistics
    are those of the ten alone. Were a warm-up run timed, max would be 500 and the median and p90 would
    move; were a timed run skipped, the median would not be 5.5."""
    FakeInterpreter.script([500, 500, 500] + [7, 3, 10, 1, 5, 9, 2, 8, 4, 6])
    result = litert_benchmark.benchmark(fake_runtime, threads=2, warmup=3, runs=10)
    assert FakeInterpreter.invoked == 13 and FakeInterpreter.num_threads == 2
    assert (result["warmup_runs"], result["timed_runs"], result["threads"]) == (3, 10, 2)
    assert result["median_ms"] == 5.5
    assert result["p90_ms"] == pytest.approx(9.1)  # linear interpolation: 9 + 0.1 x (10 - 9)
    assert result["mean_ms"] == 5.5
    assert (result["min_ms"], result["max_ms"]) == (1.0, 10.0)
    assert result["size_bytes"] == 1234 and result["model"] == "fake.tflite"


def test_statistics_of_a_skewed_run(fake_runtime):
    """Median and p90 by hand on a tail-heavy sample: 1 ms nine times and one 21 ms run. The median is
    1, the mean 3, p90 = 1 + 0.1 x (21 - 1) = 3: median <= p90 holds for any sample, these values do not."""
    FakeInterpreter.script([50] + [1] * 5 + [21] + [1] * 4)
    result = litert_benchmark.benchmark(fake_runtime, threads=1, warmup=1, runs=10)
    assert result["median_ms"] == 1.0
    assert result["p90_ms"] == pytest.approx(3.0)
    assert result["mean_ms"] == pytest.approx(3.0)
    assert result["max_ms"] == 21.0


@pytest.mark.slow
def test_script_runs_standalone_and_writes_json(tiny_tflite, tmp_path):
    out = tmp_path / "latency.json"
    subprocess.run([sys.executable, str(SCRIPT), str(tiny_tflite), "--runs", "5", "--warmup", "1",
                    "--out", str(out)], check=True, capture_output=True, timeout=120)
    assert json.loads(out.read_text())["timed_runs"] == 5
    assert not list(tmp_path.glob("*.part"))


def test_script_needs_only_numpy_and_litert():
    """What a phone has: the standard library, NumPy and ai-edge-litert; nothing of this project."""
    tree = ast.parse(SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    third_party = imported - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"numpy", "ai_edge_litert"}


def test_broken_model_file_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"this is not a flatbuffer")
    with pytest.raises(SystemExit, match="not a valid TFLite model"):
        litert_benchmark.benchmark(broken, runs=1)
    with pytest.raises(SystemExit, match="does not exist"):
        litert_benchmark.benchmark(tmp_path / "missing.tflite", runs=1)


@pytest.mark.slow
def test_export_round_trip_and_broken_keras_file(tmp_path):
    model = build_mnist_classifier(conv_filters=(2, 4), head_filters=8)
    model.save(tmp_path / "m.keras")
    size = export(tmp_path / "m.keras", tmp_path / "m.tflite")
    assert size == (tmp_path / "m.tflite").stat().st_size > 1000
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="cannot load"):
        load_keras_model(tmp_path / "bad.keras")


def test_records_carry_the_machine_fingerprint_and_mixed_machines_stop_a_report(tmp_path):
    from mobileopt.measurement import litert_benchmark

    machine = litert_benchmark.machine_info()
    assert set(litert_benchmark.FINGERPRINT_KEYS) <= set(machine)
    assert machine["cpu_flags_sha256"] != "unknown"  # /proc/cpuinfo lists flags on Linux
    for name, cpu in [("a", machine["cpu"]), ("b", machine["cpu"])]:
        (tmp_path / f"{name}.json").write_text(json.dumps({"median_ms": 1.0, "machine": dict(machine, cpu=cpu)}))
    litert_benchmark.require_one_machine([tmp_path / "a.json", tmp_path / "b.json"])  # one machine: fine
    # same model name, other instruction set (e.g. a cluster node without AVX-512)
    (tmp_path / "c.json").write_text(json.dumps({"median_ms": 1.0, "machine": dict(machine, cpu_flags_sha256="0" * 16)}))
    with pytest.raises(litert_benchmark.MixedMachinesError, match="2 different machines.*c.json"):
        litert_benchmark.require_one_machine([tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"])
