"""Significance verdicts on constructed correctness matrices whose answers are known by hand."""
import numpy as np
import pytest
from scipy.stats import binom, chi2

from mobileopt.core import significance
from mobileopt.core.significance import Comparison, compare, correctness, mean_std_points, phrase

IMAGES = 10_000


def random_correct(accuracy: float, seeds: int, seed: int) -> np.ndarray:
    """Each seed's model right on each image independently with probability `accuracy`."""
    return np.random.default_rng(seed).random((seeds, IMAGES)) < accuracy


def nested_correct(accuracies_points: list[float]) -> np.ndarray:
    """Images ordered by difficulty: a model of accuracy x% is right on exactly the easiest x% of them, so
    two models disagree only on the images between their accuracies."""
    counts = np.rint(np.asarray(accuracies_points) / 100 * IMAGES)
    return np.arange(IMAGES) < counts[:, np.newaxis]


def paired(only_a: int, only_b: int, images: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """One seed each: A alone right on `only_a` images, B alone on `only_b`, both right on the rest."""
    a, b = np.ones((1, images), bool), np.ones((1, images), bool)
    b[0, :only_a] = False
    a[0, only_a:only_a + only_b] = False
    return a, b


@pytest.mark.parametrize("seeds", [1, 3])
def test_identical_predictions_are_a_tie_with_p_one(seeds):
    correct = random_correct(0.97, seeds, seed=1)
    result = compare(correct, correct.copy())
    assert result.verdict == "tie" and result.difference_points == 0
    assert result.mcnemar_p == 1.0
    assert result.seed_p == (None if seeds == 1 else 1.0)


def test_a_clear_gap_is_better_and_swapped_worse():
    """99 % against 95 % on 10,000 images, three seeds each spread by about 0.1-0.2 points."""
    a, b = random_correct(0.99, 3, seed=2), random_correct(0.95, 3, seed=3)
    forward, backward = compare(a, b), compare(b, a)
    assert forward.verdict == "better" and backward.verdict == "worse"
    assert forward.difference_points == pytest.approx(4.0, abs=0.3)
    assert backward.difference_points == pytest.approx(-forward.difference_points)
    assert forward.mcnemar_p < 1e-10 and forward.seed_p < 1e-3
    # both tests are symmetric in A and B
    assert (backward.mcnemar_p, backward.seed_p) == pytest.approx((forward.mcnemar_p, forward.seed_p))
    assert (forward.seeds_a, forward.seeds_b) == (3, 3)


def test_a_gap_inside_the_seed_spread_is_a_tie_although_mcnemar_rejects():
    """A 0.5-point gap between seeds that spread over 3 points. Averaged over the nine seed pairs, A alone
    is right on 100 images and B alone on 50: McNemar rejects, but another seed could reverse the gap."""
    a, b = nested_correct([95.0, 96.5, 98.0]), nested_correct([94.5, 96.0, 97.5])
    result = compare(a, b)
    assert result.difference_points == pytest.approx(0.5)
    assert result.mcnemar_p == pytest.approx(chi2.sf((50 - 1) ** 2 / 150, df=1))
    assert result.mcnemar_p < 1e-3 and result.seed_p > 0.5
    assert result.verdict == "tie"


def test_with_one_seed_each_mcnemar_alone_decides():
    # The middle seeds of the test above: 50 images apart, no seed spread to weigh them against.
    clear = compare(nested_correct([96.5]), nested_correct([96.0]))
    assert clear.seed_p is None and clear.mcnemar_p < 1e-10 and clear.verdict == "better"
    # Three discordant images: exact binomial p = 2 x 0.5^3.
    few = compare(*paired(only_a=3, only_b=0))
    assert few.seed_p is None and few.mcnemar_p == 0.25 and few.verdict == "tie"


def test_one_seed_on_one_side_has_no_seed_test():
    result = compare(random_correct(0.99, 1, seed=4), random_correct(0.95, 3, seed=5))
    assert result.seed_p is None and (result.seeds_a, result.seeds_b) == (1, 3)
    assert result.verdict == "better"


def test_exact_test_below_25_discordant_pairs_chi_square_above():
    assert compare(*paired(only_a=10, only_b=0)).mcnemar_p == pytest.approx(2 * 0.5**10)
    # 24 discordant: still exact (two-sided binomial, 6 or fewer of 24)
    assert compare(*paired(only_a=18, only_b=6)).mcnemar_p == pytest.approx(2 * binom.cdf(6, 24, 0.5))
    # 40 discordant: chi-square with continuity correction, (|30 - 10| - 1)^2 / 40 = 9.025
    assert compare(*paired(only_a=30, only_b=10)).mcnemar_p == pytest.approx(chi2.sf(9.025, df=1))


def test_repeated_seeds_do_not_multiply_the_test_set():
    """Two copies of each model: the averaged table is the single-seed table. Pooling the four pairs would
    count each image four times and shrink p by orders of magnitude."""
    a, b = paired(only_a=30, only_b=10)
    single = compare(a, b)
    doubled = compare(np.repeat(a, 2, axis=0), np.repeat(b, 2, axis=0))
    assert doubled.mcnemar_p == pytest.approx(single.mcnemar_p)
    # No spread on either side and different means: seed noise cannot explain the gap.
    assert doubled.seed_p == 0.0 and doubled.verdict == "better"


def test_alpha_is_the_threshold_of_every_test():
    a, b = paired(only_a=10, only_b=0)  # p = 0.00195
    assert compare(a, b, alpha=0.05).verdict == "better"
    assert compare(a, b, alpha=0.001).verdict == "tie"
    with pytest.raises(ValueError, match="alpha"):
        compare(a, b, alpha=1.5)


@pytest.mark.parametrize("a, b, message", [
    (np.ones((3, 100), bool), np.ones((3, 90), bool), r"\(3, 100\).*\(3, 90\)"),
    (np.ones(100, bool), np.ones((1, 100), bool), r"correct_a .*shape \(100,\)"),
    (np.ones((1, 100), bool), np.ones((0, 100), bool), r"correct_b .*shape \(0, 100\)"),
    (np.ones((1, 100), int), np.ones((1, 100), bool), r"correct_a must be bool"),
])
def test_bad_inputs_are_rejected_naming_the_shapes(a, b, message):
    with pytest.raises(ValueError, match=message):
        compare(a, b)


def test_correctness_accepts_one_seed_or_many():
    labels = np.array([0, 1, 2, 3])
    assert correctness(np.array([0, 1, 0, 3]), labels).tolist() == [[True, True, False, True]]
    many = correctness(np.array([[0, 1, 2, 3], [3, 2, 1, 0]]), labels)
    assert many.shape == (2, 4) and many.sum(axis=1).tolist() == [4, 0]
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        correctness(np.zeros((2, 3)), labels)


def test_mean_and_std_in_points():
    correct = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], bool)  # 50, 75, 100 %
    assert mean_std_points(correct) == pytest.approx((75.0, 25.0))
    assert mean_std_points(correct[:1]) == (50.0, 0.0)


def test_phrase_words_each_verdict():
    def made(verdict):
        return Comparison(verdict, 0.0, 1.0, None, 1, 1)

    assert [phrase(made(v)) for v in significance.VERDICTS] == [
        "more accurate than", "less accurate than", "not distinguishable in accuracy from"]
    assert phrase(made("worse"), worse="slower to learn than") == "slower to learn than"
