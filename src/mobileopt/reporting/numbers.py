"""Numbers as the thesis prints them: one formatter per kind, shared by every topic's tables and macros.

Values a configuration does not produce print as MISSING (the prose still compiles).
"""
from __future__ import annotations

import math

import numpy as np

MISSING = "--"  # value of a macro whose run is not in this configuration

_ONES = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven",
         "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"]
_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def thousands(value: int) -> str:
    """1234567 -> 1{,}234{,}567 (LaTeX-safe thousands separators)."""
    return f"{int(value):,}".replace(",", "{,}")


def percent(fraction: float, digits: int = 2) -> str:
    """0.9926 -> 99.26."""
    return f"{100 * fraction:.{digits}f}"


def millions(value: float, digits: int = 2) -> str:
    """11070000 -> 11.07."""
    return f"{value / 1e6:.{digits}f}"


def scientific(value: float, digits: int = 1) -> str:
    """2.3e-05 -> $2.3\\cdot10^{-5}$ (LaTeX)."""
    if not np.isfinite(value) or value == 0:
        return f"${value:g}$"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"${mantissa}\\cdot10^{{{int(exponent)}}}$"


def percent_text(fraction: float, digits: int = 2) -> str:
    return MISSING if is_missing(fraction) else percent(fraction, digits)


def kib_text(size: float) -> str:
    return MISSING if is_missing(size) else f"{size / 1024:.1f}"


def ms_text(value: float) -> str:
    return MISSING if is_missing(value) else f"{value:.3f}"


def millions_text(value: float) -> str:
    return MISSING if is_missing(value) else millions(value)


def factor_text(value: float) -> str:
    return MISSING if is_missing(value) else f"{value:.1f}"


def count_of(number: int, noun: str) -> str:
    """'1 epoch', '2 epochs': a count with its noun in the right number (regular plurals)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def count_among(count: int, total: int, noun: str) -> str:
    """'none of the 7 models', '1 of the 7 models', 'all 7 models' (regular plurals; never '0 have')."""
    nouns = count_of(total, noun).split(" ", 1)[1]
    if count == 0:
        return f"none of the {total} {nouns}"
    if count == total:
        return f"all {total} {nouns}" if total > 1 else f"the one {noun}"
    return f"{count} of the {total} {nouns}"


def p_value(p: float) -> str:
    """A p-value for running text (the thesis sets it in math mode): 'p = 0.032', 'p < 0.001'."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def join_words(items) -> str:
    """[10, 25, 50] -> '10, 25 and 50'."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def number_words(number: int) -> str:
    """0..999 as CamelCase English words (macro names may hold letters only): 32 -> ThirtyTwo."""
    if not 0 <= number <= 999:
        raise ValueError(f"number_words covers 0..999, not {number}")
    if number < 20:
        return _ONES[number]
    if number < 100:
        return _TENS[number // 10] + (_ONES[number % 10] if number % 10 else "")
    return _ONES[number // 100] + "Hundred" + (number_words(number % 100) if number % 100 else "")
