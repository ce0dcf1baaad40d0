"""Rule devices_report: latencies measured on real devices (devices/) beside this machine's."""
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement import devices
from mobileopt.measurement import device_report

with redirect_output_to(snakemake.log[0]):
    inp, out = snakemake.input, snakemake.output
    pairs = [(device, model, there, here) for (device, model), there, here
             in zip(snakemake.params.pairs, inp.device_records, inp.here_records, strict=True)]
    frame = devices.device_frame(pairs)
    agreement = devices.rank_agreement(frame)
    artifacts.atomic_write_text(out.frame, frame.to_csv(index=False))
    artifacts.atomic_write_text(out.agreement, agreement.to_csv(index=False))
    stamp = artifacts.provenance(snakemake.rule, {}, [out.frame, out.agreement])
    figure = out.figure[0] if out.figure else None
    artifacts.atomic_write_text(out.table, artifacts.tex_header(stamp)
                                + device_report.devices_tex(frame, agreement, figure))
    artifacts.record_provenance(out.table, "table", "Latencies on real devices", stamp)
    if figure:
        device_report.latency_figure(frame, figure, stamp)
        artifacts.record_provenance(figure, "figure", "Latencies on real devices against this machine", stamp)
