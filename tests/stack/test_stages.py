"""Every stage on a tiny network: multiply-adds and sizes fall, and sparsity and clusters survive QAT
into the int8 file."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.compression import tflite
from mobileopt.compression.weight_pruning import kernel_sparsity
from mobileopt.measurement import cost_model
from mobileopt.models.classifier import build_mnist_classifier
from mobileopt.stack import pipeline, runner
from mobileopt.stack.distillation import Distillation, teacher_logits

pytestmark = pytest.mark.slow

SETTINGS = pipeline.StackSettings(
    layers=("conv1", "conv2", "conv3"), multiply_adds_fraction=0.3, rounds=2, scoring_images=64,
    recovery_epochs=1, sparsity={"conv2": 0.75, "conv3": 0.75}, cluster_layers=("conv2", "conv3"),
    clusters=8, stage_epochs=1, train_images=None, learning_rate=1e-3, batch_size=32, optimizer="adam",
    distillation=Distillation(4.0, 0.7), representative_images=20)


@pytest.fixture(scope="module")
def chain():
    """The tiny teacher and every stage's model, run once for all tests."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), rng.integers(0, 10, 256)
    teacher = build_mnist_classifier(conv_filters=(8, 16), head_filters=32)
    data = pipeline.FineTuning(images[:192], labels[:192], teacher_logits(teacher, images[:192]))
    scoring = (images[192:], labels[192:])
    log = []
    channels = pipeline.prune_channels(teacher, data, scoring, SETTINGS, log)
    sparse = pipeline.sparsify(channels, data, SETTINGS, log)
    clustered = pipeline.cluster(sparse, data, SETTINGS, log)
    quantised = pipeline.quantisation_aware(clustered, data, SETTINGS, log)
    return dict(teacher=teacher, channels=channels, sparsity=sparse, clusters=clustered, int8=quantised,
                log=log, calibration=images[:20])


def test_channels_meet_the_multiply_add_target(chain):
    assert cost_model.count_multiply_adds(chain["channels"]) <= 0.3 * cost_model.count_multiply_adds(chain["teacher"])
    assert {frame["stage"].iloc[0] for frame in chain["log"]} == set(pipeline.STAGES)


def test_sparsity_reaches_its_target_and_clusters_keep_it(chain):
    for stage in ("sparsity", "clusters"):
        sparsity = kernel_sparsity(chain[stage])
        assert all(sparsity[name] >= 0.74 for name in SETTINGS.sparsity), (stage, sparsity)


def test_clustered_kernels_hold_few_values(chain):
    for name in SETTINGS.cluster_layers:
        # k shared values, plus the preserved zero.
        assert np.unique(chain["clusters"].get_layer(name).get_weights()[0]).size <= SETTINGS.clusters + 1


def test_sparsity_and_clusters_survive_quantisation_aware_training(chain):
    """In the int8 file each output channel of a clustered kernel holds at most k + 1 codes, most zero."""
    from ai_edge_litert.interpreter import Interpreter

    flatbuffer = tflite.convert(chain["int8"], tflite.ConversionOptions(weights="int8", integer_io=True),
                                chain["calibration"])
    interpreter = Interpreter(model_content=flatbuffer)
    kernels = [detail for detail in interpreter.get_tensor_details()
               if detail["dtype"] == np.int8 and len(detail["shape"]) >= 2 and detail["shape"][0] > 1
               and np.prod(detail["shape"]) > 1000]
    assert kernels, "no int8 weight tensors found in the converted model"
    for detail in kernels:
        values = interpreter.get_tensor(detail["index"])
        assert np.mean(values == 0) >= 0.74, detail["name"]
        per_channel = values.reshape(values.shape[0], -1)
        assert max(np.unique(row).size for row in per_channel) <= SETTINGS.clusters + 1, detail["name"]


def test_files_shrink_stage_by_stage(chain):
    sizes = {stage: len(runner.deployable(chain[stage], stage, chain["calibration"])[0])
             for stage in ("channels", "sparsity", "int8")}
    teacher = len(tflite.convert(chain["teacher"]))
    assert teacher > sizes["channels"] > sizes["sparsity"] > sizes["int8"]
