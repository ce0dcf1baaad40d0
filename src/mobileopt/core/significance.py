"""Is classifier A more accurate than B, less accurate, or is the difference noise?

Two kinds of noise can make one accuracy look higher than another, and a claim must survive both:

- Training noise: another seed gives another model. When both sides have at least two seeds, Welch's
  t-test on the per-seed accuracies asks whether the gap exceeds the seed-to-seed spread (Welch, because
  a compressed variant may be more or less stable than the baseline). With one seed on a side the spread
  is unknown, the test is not available (p = None) and the paired test alone decides.
- Test-set noise: the test set is a sample of images. McNemar's test uses the pairing (both models saw
  the same images) and looks only at the images on which they disagree. With several seeds it runs on
  the 2x2 table averaged over all seed pairs (i of A, j of B): pooling the pairs would count each image
  seeds_a x seeds_b times and make any gap look significant. The averaged discordant counts are rounded;
  below 25 of them the exact binomial test is used, above it the chi-square with continuity correction
  (the usual rule: the chi-square approximation is poor for few discordant pairs).

The verdict is "better" or "worse" only when the mean accuracies differ in that direction and every
available test rejects at `alpha`; otherwise "tie".
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import ttest_ind
from statsmodels.stats.contingency_tables import mcnemar

VERDICTS = ("better", "worse", "tie")
ALPHA = 0.05  # significance level of every verdict in the thesis (printed there as \SignificanceLevelPercent)

# Below this many discordant pairs McNemar's chi-square approximation is poor: use the exact test.
EXACT_BELOW_DISCORDANT = 25


@dataclass(frozen=True)
class Comparison:
    verdict: str  # one of VERDICTS: A compared with B
    difference_points: float  # mean accuracy of A minus that of B, in percentage points
    mcnemar_p: float
    seed_p: float | None  # None when a side has a single seed
    seeds_a: int
    seeds_b: int


def correctness(predicted_labels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Bool matrix (seeds, images): which images each seed's model classified correctly.
    `predicted_labels`: shape (seeds, images), or (images,) for one seed."""
    predicted, labels = np.asarray(predicted_labels), np.asarray(labels)
    if predicted.ndim == 1:
        predicted = predicted[np.newaxis]
    if labels.ndim != 1 or predicted.ndim != 2 or predicted.shape[1] != labels.shape[0]:
        raise ValueError(f"predicted labels of shape {np.shape(predicted_labels)} do not match labels of "
                         f"shape {labels.shape}: expected (images,) or (seeds, images) with images = len(labels)")
    return predicted == labels


def mean_std_points(correct: np.ndarray) -> tuple[float, float]:
    """Accuracy over seeds in percentage points: mean, and standard deviation (ddof=1; 0.0 for one seed)."""
    accuracies = 100 * _checked(correct, "correct").mean(axis=1)
    spread = float(accuracies.std(ddof=1)) if len(accuracies) > 1 else 0.0
    return float(accuracies.mean()), spread


def compare(correct_a: np.ndarray, correct_b: np.ndarray, alpha: float = ALPHA) -> Comparison:
    """Verdict on A against B from correctness matrices (seeds, images) on the same images, in the same order."""
    correct_a, correct_b = _checked(correct_a, "correct_a"), _checked(correct_b, "correct_b")
    if correct_a.shape[1] != correct_b.shape[1]:
        raise ValueError(f"correct_a {correct_a.shape} and correct_b {correct_b.shape} cover different numbers "
                         "of images; both must be (seeds, images) on the same test images")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), not {alpha}")
    difference = 100 * (correct_a.mean() - correct_b.mean())
    mcnemar_p = averaged_mcnemar_p(correct_a, correct_b)
    seed_p = seed_spread_p(correct_a, correct_b)
    verdict = _verdict(difference, [mcnemar_p, seed_p], alpha)
    return Comparison(verdict, float(difference), mcnemar_p, seed_p, len(correct_a), len(correct_b))


# The words the prose uses for a verdict: "A is {phrase} B".
# A tie is "not distinguishable", not "as accurate": with few seeds a widely scattered variant stays a tie
# even when its mean is points lower, and the prose must not claim equality.
VERDICT_PHRASES = {"better": "more accurate than", "worse": "less accurate than",
                   "tie": "not distinguishable in accuracy from"}


def phrase(comparison: Comparison, better: str = VERDICT_PHRASES["better"], worse: str = VERDICT_PHRASES["worse"],
           tie: str = VERDICT_PHRASES["tie"]) -> str:
    """The words the prose uses for a verdict: "A is {phrase} B"."""
    return {"better": better, "worse": worse, "tie": tie}[comparison.verdict]


def averaged_mcnemar_p(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """McNemar's test on the 2x2 table averaged over all seed pairs (n stays the number of images)."""
    # Mean over pairs (i, j) of sum_k a_ik (1 - b_jk) is sum_k mean_i(a_ik) (1 - mean_j(b_jk)):
    # per-image correct fractions give the averaged table without forming every pair.
    share_a, share_b = correct_a.mean(axis=0), correct_b.mean(axis=0)
    table = np.rint([[np.sum(share_a * share_b), np.sum(share_a * (1 - share_b))],
                     [np.sum((1 - share_a) * share_b), np.sum((1 - share_a) * (1 - share_b))]])
    only_a, only_b = table[0, 1], table[1, 0]
    if only_a == only_b:
        # No direction, so p = 1 (this also covers models that never disagree). statsmodels' corrected
        # statistic (|b - c| - 1)^2 / (b + c) would be positive here; Yates's correction stops at zero.
        return 1.0
    exact = only_a + only_b < EXACT_BELOW_DISCORDANT
    return float(mcnemar(table, exact=exact, correction=True).pvalue)


def seed_spread_p(correct_a: np.ndarray, correct_b: np.ndarray) -> float | None:
    """Welch's t-test on per-seed accuracies; None when a side has one seed (its spread is unknown)."""
    if len(correct_a) < 2 or len(correct_b) < 2:
        return None
    # Counts of correct images, not fractions: whole numbers make a zero spread exactly zero, so SciPy's
    # warning about seeds with (nearly) equal scores, meant for rounding error, does not apply.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        p = ttest_ind(correct_a.sum(axis=1).astype(float), correct_b.sum(axis=1).astype(float),
                      equal_var=False).pvalue
    # NaN only when every seed on both sides scored the same: no difference to explain.
    return 1.0 if np.isnan(p) else float(p)


def _verdict(difference: float, p_values: list[float | None], alpha: float) -> str:
    """A direction only when every available test rejects; a test that is not available (None) does not vote."""
    if difference != 0 and all(p < alpha for p in p_values if p is not None):
        return "better" if difference > 0 else "worse"
    return "tie"


def _checked(correct: np.ndarray, name: str) -> np.ndarray:
    correct = np.asarray(correct)
    if correct.ndim != 2 or correct.size == 0:
        raise ValueError(f"{name} must be a non-empty (seeds, images) matrix, not shape {correct.shape}")
    if correct.dtype != bool:
        raise ValueError(f"{name} must be bool (which images each seed classified correctly), not "
                         f"{correct.dtype}; build it with correctness(predicted_labels, labels)")
    return correct
