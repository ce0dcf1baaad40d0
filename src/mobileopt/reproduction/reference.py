"""Refresh the reference values (reference/) from a finished run of the default configuration.

    python -m mobileopt.reproduction.reference            # from this project's finished run
    python -m mobileopt.reproduction.reference --run DIR  # from a run in another directory

Copies every macro (results/macros/*.json) and the result tables the run registered
(results/reproduction/run.json lists them) with the run's configuration key, commit, software and
machine. Review the diff (git diff reference/) before committing it: it is what a reviewer's run is
judged against.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mobileopt.core import artifacts
from mobileopt.reporting.thesis import read_macro_file

RUN_DESCRIPTION = "results/reproduction/run.json"


class RunNotFinishedError(RuntimeError):
    """The run to refresh from has not made its reproduction files yet."""


def readme(manifest: dict) -> str:
    software = ", ".join(f"{name} {version}" for name, version in manifest["software"].items())
    machine = manifest["machine"]
    return (f"# Reference values of the thesis\n\n"
            f"Written by `python -m mobileopt.reproduction.reference` on {manifest['created']} from a run of "
            f"configuration `{manifest['config_name']}` (key `{manifest['config_key']}`) at commit "
            f"`{manifest['code_version']}`, on {machine['cpu']} ({machine['cores']} cores, {machine['arch']}); "
            f"software: {software}.\n\n"
            "- `macros.csv`: every macro of the run (name, value as printed, result file it came from).\n"
            "- `tables/`: the tidy result tables behind the thesis' tables and figures, as the run wrote them.\n"
            "- `manifest.json`: the run's configuration key, commit, software, machine and table list.\n\n"
            "Rule `reproduction_report` compares every run of this configuration with these values "
            "(results/reproduction/report.html). Do not edit by hand: refresh from a finished default run "
            "(see the README's \"Did my run reproduce the thesis?\").\n")


def refresh(run_dir: str | Path, out_dir: str | Path) -> dict:
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    description_path = run_dir / RUN_DESCRIPTION
    if not description_path.is_file():
        raise RunNotFinishedError(
            f"{description_path} does not exist: finish the run first (snakemake --cores all in {run_dir}), "
            "then refresh the reference from it.")
    run = artifacts.read_json(description_path)
    if run["code_version"].endswith("-dirty"):
        print(f"warning: the run's code ({run['code_version']}) had uncommitted changes", file=sys.stderr)
    macros = [macro for path in sorted((run_dir / "results" / "macros").glob("*.json"))
              for macro in read_macro_file(path)]
    frame = pd.DataFrame([{"name": m.name, "value": m.value, "source": m.source} for m in macros])
    manifest = dict(run, created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    macros=len(frame))
    staging = out_dir.with_name(out_dir.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / "tables").mkdir(parents=True)
        frame.to_csv(staging / "macros.csv", index=False)
        for table in run["tables"]:
            target = staging / "tables" / table
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run_dir / table, target)
        artifacts.write_json(staging / "manifest.json", manifest)
        artifacts.atomic_write_text(staging / "README.md", readme(manifest))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # Replace the old reference only once the new one is complete.
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=".", help="directory of the finished run (default: here)")
    parser.add_argument("--out", default="reference", help="reference directory to write (default: reference)")
    args = parser.parse_args(argv)
    try:
        manifest = refresh(args.run, args.out)
    except RunNotFinishedError as error:
        sys.exit(f"error: {error}")
    print(f"reference: {manifest['macros']} macros and {len(manifest['tables'])} tables of configuration "
          f"{manifest['config_name']} ({manifest['config_key']}), commit {manifest['code_version']}, "
          f"written to {args.out}/")


if __name__ == "__main__":
    main()
