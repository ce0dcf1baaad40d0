"""Device records: discovery, pairing with this machine's record of the same file, and the report."""
import json

import pandas as pd
import pytest

from mobileopt.measurement import device_report, devices


def record(path, median, size=1000, threads=1, cpu="Cortex-A76"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": {"cpu": cpu, "runtime": "LiteRT 2.3.0"}, "median_ms": median,
                                "p90_ms": 1.1 * median, "size_bytes": size, "threads": threads}))
    return path


def test_records_are_found_by_device_and_model_path(tmp_path):
    record(tmp_path / "devices/pi-5/baseline.json", 1.0)
    record(tmp_path / "devices/pi-5/zoo/mobilenet_v2.json", 20.0)
    (tmp_path / "devices/README.md").write_text("not a record")
    found = devices.device_records(tmp_path / "devices")
    assert [(d, m) for d, m, _ in found] == [("pi-5", "baseline"), ("pi-5", "zoo/mobilenet_v2")]


def test_each_record_pairs_with_the_same_thread_count_here_or_says_what_to_change():
    assert devices.here_record_path("baseline", 1, 1, [1, 4]) == "results/latency/baseline.json"
    assert devices.here_record_path("zoo/vgg16", 4, 1, [1, 4]) == "results/zoo/latency/vgg16_threads4.json"
    with pytest.raises(devices.DeviceRecordError, match="--threads 1"):
        devices.here_record_path("baseline", 4, 1, [1, 4])
    with pytest.raises(devices.DeviceRecordError, match="zoo.threads"):
        devices.here_record_path("zoo/vgg16", 2, 1, [1, 4])


def test_a_record_of_another_file_stops_the_report(tmp_path):
    there = record(tmp_path / "there.json", 1.0, size=999)
    here = record(tmp_path / "here.json", 0.2, size=1000)
    with pytest.raises(devices.DeviceRecordError, match="copy this run's .tflite"):
        devices.device_frame([("pi-5", "baseline", there, here)])
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(devices.DeviceRecordError, match="not a readable latency record"):
        devices.device_frame([("pi-5", "baseline", broken, here)])


def pairs(tmp_path, latencies):
    return [("pi-5", model, record(tmp_path / f"there/{model}.json", there),
             record(tmp_path / f"here/{model}.json", here)) for model, (there, here) in latencies.items()]


def test_ratios_and_rank_agreement(tmp_path):
    frame = devices.device_frame(pairs(tmp_path, {"a": (3.0, 1.0), "b": (8.0, 2.0), "c": (30.0, 10.0)}))
    assert frame["slowdown"].round(2).tolist() == [3.0, 4.0, 3.0]
    (row,) = devices.rank_agreement(frame).to_dict("records")
    assert row["models"] == 3 and row["spearman_rho"] == pytest.approx(1.0)
    reversed_ranks = devices.device_frame(pairs(tmp_path / "r", {"a": (9.0, 1.0), "b": (5.0, 2.0), "c": (1.0, 3.0)}))
    assert devices.rank_agreement(reversed_ranks)["spearman_rho"].iloc[0] == pytest.approx(-1.0)
    two = devices.device_frame(pairs(tmp_path / "two", {"a": (3.0, 1.0), "b": (8.0, 2.0)}))
    assert pd.isna(devices.rank_agreement(two)["spearman_rho"].iloc[0])


def test_the_thesis_says_so_when_no_device_was_measured_and_shows_them_when_one_was(tmp_path):
    empty = devices.device_frame([])
    assert device_report.devices_tex(empty, devices.rank_agreement(empty), None) == device_report.NO_DEVICES + "\n"
    frame = devices.device_frame(pairs(tmp_path, {"a": (3.0, 1.0), "b": (8.0, 2.0), "c": (30.0, 10.0)}))
    tex = device_report.devices_tex(frame, devices.rank_agreement(frame), "figures/devices_latency.pdf")
    assert "\\label{tab:devices}" in tex and "devices_latency.pdf" in tex
    assert "3 models took 3.00--4.00 times as long as here" in tex and "\\rho = 1.00" in tex
    device_report.latency_figure(frame, tmp_path / "f.pdf", {"rule": "r", "config_hash": "c", "code_version": "v"})
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
