"""mobileopt: the importable core of the thesis pipeline.

One subpackage per thesis topic, one concept per module; Snakemake rules (workflow/rules/*.smk) only
call these.
"""
import os

# TFMOT needs the Keras 2 API; TensorFlow >= 2.16 only routes tf.keras to tf_keras when this is set
# before TensorFlow is first imported, so every entry point imports mobileopt first.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
