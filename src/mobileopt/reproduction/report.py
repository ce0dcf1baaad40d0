"""The reproduction report in the forms its readers need: one screen for the terminal, an HTML page for
the Snakemake report, and a title-page line and appendix table for the thesis."""
from __future__ import annotations

import html

import pandas as pd

from mobileopt.reporting.numbers import thousands
from mobileopt.reporting.thesis import Macro, latex_escape
from mobileopt.reproduction import classes

FAILURES_ON_SCREEN = 12


def headline(result: dict) -> str:
    """'1,234 of 1,240 numbers reproduced (1,100 identical); 6 not reproduced'."""
    if result["status"] != "compared":
        return result["reason"]
    counts = result["counts"]
    line = (f"{counts['reproduced']:,} of {counts['numbers']:,} numbers reproduced "
            f"({counts['identical']:,} identical)")
    return line + (f"; {counts['failed']:,} not reproduced" if counts["failed"] else "")


def by_kind(result: dict) -> str:
    """'exact 2,405 of 2,407 identical; statistical 345 of 345 within the noise; ...'."""
    words = {classes.EXACT: "identical", classes.STATISTICAL: "within the sampling noise",
             classes.MACHINE: "within the latency tolerance"}
    parts = []
    for number_class, outcomes in result["counts"]["by_class"].items():
        total = sum(outcomes.values())
        good = sum(outcomes.get(outcome, 0) for outcome in classes.REPRODUCED)
        if total:
            parts.append(f"{number_class} {good:,} of {total:,} {words[number_class]}")
    return "; ".join(parts)


def where_it_ran(result: dict) -> list[str]:
    """What a reader needs to weigh the verdicts: which CPU, commit and software each run had."""
    run, reference = result["run"], result["reference"]
    same = "the same CPU" if reference["machine"] == run["machine"] else "another CPU"
    differing = [f"{package} {reference['software'].get(package, '-')} -> {version}"
                 for package, version in run["software"].items() if reference["software"].get(package) != version]
    lines = [f"this run: {run['machine']['cpu']}, commit {run['code_version']}; reference run: "
             f"{reference['machine']['cpu']}, commit {reference['code_version']} ({same})",
             "software: " + (", ".join(differing) if differing else "the reference's versions")]
    if result.get("slowdown"):
        lines.append(f"latencies here are {result['slowdown']:.2f}x the reference's (median ratio)")
    return lines


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    judged = frame[frame["class"] != classes.INFORMATIONAL]
    return judged[~judged["outcome"].isin(classes.REPRODUCED)]


def terminal_text(result: dict, frame: pd.DataFrame) -> str:
    lines = ["Reproduction: " + headline(result)]
    if result["status"] != "compared":
        return "\n".join(lines) + "\n"
    lines += ["  " + line for line in [by_kind(result), *where_it_ran(result)]]
    failed = failures(frame)
    for row in failed.head(FAILURES_ON_SCREEN).itertuples(index=False):
        lines.append(f"  [{row.section}] {row.number}: reference {row.reference or '-'}, "
                     f"this run {row.reproduced or '-'} ({row.outcome}; {row.tolerance})")
    if len(failed) > FAILURES_ON_SCREEN:
        lines.append(f"  ... and {len(failed) - FAILURES_ON_SCREEN} more in results/reproduction/report.html")
    return "\n".join(lines) + "\n"


def class_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per class: how many numbers, and how each fared."""
    rows = []
    for number_class in classes.CLASSES:
        part = frame[frame["class"] == number_class]
        if part.empty:
            continue
        counts = part["outcome"].value_counts()
        rows.append({"class": number_class, "numbers": len(part),
                     **{outcome: int(counts.get(outcome, 0)) for outcome in
                        (classes.IDENTICAL, classes.WITHIN, classes.OUTSIDE, classes.MISSING, classes.NEW,
                         classes.SHOWN)}})
    return pd.DataFrame(rows)


def html_page(result: dict, frame: pd.DataFrame) -> str:
    """One self-contained page: the headline, the failures first, the counts, then every number."""
    style = ("body{font-family:sans-serif;margin:1.5em;max-width:80em}table{border-collapse:collapse;"
             "font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
             ".bad{color:#b00}.ok{color:#070}")
    parts = [f"<html><head><meta charset='utf-8'><title>Reproduction report</title><style>{style}</style>"
             f"</head><body><h1>Reproduction report</h1>",
             f"<p class='{'bad' if result.get('counts', {}).get('failed') else 'ok'}'>"
             f"<b>{html.escape(headline(result))}</b></p>"]
    if result["status"] == "compared":
        parts.append("<p>" + "<br>".join(map(html.escape, [by_kind(result), *where_it_ran(result)])) + "</p>")
        parts.append(f"<p>How numbers are judged: {html.escape(result['rules'])}</p>")
        failed = failures(frame)
        parts.append(f"<h2>Not reproduced ({len(failed)})</h2>")
        parts.append(failed.to_html(index=False) if len(failed) else "<p>None.</p>")
        parts.append("<h2>By class</h2>" + class_table(frame).to_html(index=False))
        parts.append("<h2>Every number</h2>" + frame.to_html(index=False))
    parts.append("</body></html>")
    return "\n".join(parts)


def thesis_macros(result: dict) -> list[Macro]:
    """The title page's reproduction line."""
    if result["status"] != "compared":
        statement = result["reason"].rstrip(".")
    elif result["counts"]["failed"] == 0 and result["counts"]["identical"] == result["counts"]["numbers"] \
            and result["reference"]["machine"] == result["run"]["machine"]:
        statement = (f"all {result['counts']['numbers']:,} numbers identical to the reference run "
                     f"(commit {result['reference']['code_version']}) on the same CPU")
    else:
        statement = (f"against the reference run (commit {result['reference']['code_version']}, "
                     f"{result['reference']['machine']['cpu']}), " + headline(result))
    return [Macro("ReproductionStatement", latex_escape(statement), "results/reproduction/summary.json")]


def thesis_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The appendix table: short headers (it has eight columns) and the thesis' thousands separators."""
    table = class_table(frame)
    counts = [column for column in table.columns if column != "class"]
    table[counts] = table[counts].map(thousands)
    return table.rename(columns={"class": "Kind", "numbers": "Numbers", classes.IDENTICAL: "Identical",
                                 classes.WITHIN: "Within", classes.OUTSIDE: "Outside", classes.MISSING: "Missing",
                                 classes.NEW: "New", classes.SHOWN: "Shown"})
