# Latencies measured on real devices (devices/<device-name>/..., see devices/README.md) beside this
# machine's: each device record is paired with the record of the same .tflite timed here.
from mobileopt.measurement import devices as device_latency

try:
    DEVICE_PAIRS = [(device, model, str(path),
                     device_latency.here_record_path(model, device_latency.read_threads(path),
                                                     config["benchmark"]["threads"], ZOO_THREADS))
                    for device, model, path in device_latency.device_records(device_latency.DEVICES_DIR)]
except device_latency.DeviceRecordError as error:
    raise WorkflowError(str(error))
# The figure exists only when some device was measured.
DEVICE_FIGURE = ["figures/devices_latency.pdf"] if DEVICE_PAIRS else []

THESIS_ARTIFACTS.extend([f"{GENERATED}/tables/devices.tex", *DEVICE_FIGURE])
EXTRA_TARGETS.append("results/devices/latencies.csv")


rule devices_report:
    input:
        device_records=[pair[2] for pair in DEVICE_PAIRS],
        here_records=[pair[3] for pair in DEVICE_PAIRS],
        code=code("devices_report.py"),
    output:
        frame="results/devices/latencies.csv",
        agreement="results/devices/rank_agreement.csv",
        table=f"{GENERATED}/tables/devices.tex",
        provenance=[prov(f"{GENERATED}/tables/devices.tex")] + [prov(path) for path in DEVICE_FIGURE],
        figure=[report(path, caption="../report/devices_latency.rst", category="Devices")
                for path in DEVICE_FIGURE],
    params:
        # (device, model) of each pair, in the order of the two record lists.
        pairs=[pair[:2] for pair in DEVICE_PAIRS],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "logs/devices/report.log",
    conda:
        ENV
    script:
        "../scripts/devices_report.py"
