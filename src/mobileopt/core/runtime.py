"""TensorFlow process set-up shared by every rule: determinism, thread pools, quiet logs."""
from __future__ import annotations

import mobileopt  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)


def configure_tensorflow(seed: int, threads: int) -> None:
    """Seed every RNG and make kernels deterministic; size TF's pools to the rule's `threads`.

    Must run before any op executes: thread pools cannot be resized once TensorFlow has started.
    """
    import tensorflow as tf
    import tf_keras as keras

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow together
    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")


class ThreadsError(RuntimeError):
    """A training job got fewer threads than the configuration asks for."""


def training_threads(granted: int, configured: int) -> int:
    """The thread count a training job runs with, checked against the configuration.

    Results depend on it (the baseline's accuracy moved from 99.30 % to 99.26 % when train_threads went
    from 2 to 1), so a job that Snakemake scaled down (`--cores` below the configured count) stops here
    instead of writing another machine's numbers beside this one's.
    """
    if granted != configured:
        raise ThreadsError(
            f"this job was given {granted} thread(s) but the configuration asks for {configured} "
            f"(train_threads or activation_pruning.threads); results depend on the thread count. "
            f"Run with --cores {configured} or more, or set the key to {granted} (which reruns every "
            f"training).")
    return configured
