"""mobileopt.reporting.numbers: the one formatter per kind of number."""
import math

import pytest

from mobileopt.reporting import numbers


def test_formats():
    assert numbers.thousands(1234567) == "1{,}234{,}567"
    assert numbers.percent(0.99256) == "99.26" and numbers.percent(0.5, 1) == "50.0"
    assert numbers.millions(11_065_088) == "11.07"
    assert numbers.scientific(2.34e-5) == "$2.3\\cdot10^{-5}$" and numbers.scientific(0.0) == "$0$"
    assert numbers.kib_text(1_331_200) == "1300.0" and numbers.ms_text(0.10449) == "0.104"
    assert numbers.factor_text(7.25) == "7.2" and numbers.millions_text(2_300_000) == "2.30"


@pytest.mark.parametrize("formatter", [numbers.percent_text, numbers.kib_text, numbers.ms_text,
                                       numbers.millions_text, numbers.factor_text])
def test_missing_values_print_the_placeholder(formatter):
    assert formatter(None) == numbers.MISSING and formatter(math.nan) == numbers.MISSING


def test_words():
    assert numbers.join_words([10]) == "10" and numbers.join_words([10, 25, 50]) == "10, 25 and 50"
    assert [numbers.number_words(n) for n in (0, 13, 32, 100, 999)] == [
        "Zero", "Thirteen", "ThirtyTwo", "OneHundred", "NineHundredNinetyNine"]
    with pytest.raises(ValueError, match="0..999"):
        numbers.number_words(1000)


def test_count_among_never_prints_zero_or_a_bare_count():
    from mobileopt.reporting.numbers import count_among

    assert count_among(0, 7, "model") == "none of the 7 models"
    assert count_among(1, 7, "model") == "1 of the 7 models"
    assert count_among(7, 7, "model") == "all 7 models"
    assert count_among(1, 1, "model") == "the one model"
