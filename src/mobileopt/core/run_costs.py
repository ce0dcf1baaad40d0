"""What a pipeline run cost: wall time and peak memory per job, from Snakemake's benchmark files.

Usage: python -m mobileopt.core.run_costs [benchmarks] [--top 5]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def job_costs(benchmark_dir: str | Path) -> pd.DataFrame:
    """One row per benchmark file: job (path without .tsv), seconds, max_rss (MB); slowest first."""
    benchmark_dir = Path(benchmark_dir)
    rows = []
    for path in sorted(benchmark_dir.rglob("*.tsv")):
        frame = pd.read_csv(path, sep="\t")
        rows.append({"job": str(path.relative_to(benchmark_dir).with_suffix("")),
                     "seconds": float(frame["s"].iloc[-1]), "max_rss_mb": float(frame["max_rss"].iloc[-1])})
    if not rows:
        raise SystemExit(f"no benchmark files under {benchmark_dir}: run the pipeline first")
    return pd.DataFrame(rows).sort_values("seconds", ascending=False, ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="?", default="benchmarks")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    costs = job_costs(args.benchmarks)
    print(costs.head(args.top).to_string(index=False))
    print(f"\n{len(costs)} benchmarked jobs, {costs['seconds'].sum():.0f} s of job time in total")


if __name__ == "__main__":
    main()
