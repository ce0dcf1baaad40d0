"""The MNIST autoencoder of the draft's Table 2.1 and its channel-pruning driver, on tiny data."""
import numpy as np
import pytest

import mobileopt  # noqa: F401

from mobileopt.activation_pruning import criteria as ap
from mobileopt.activation_pruning import autoencoder_experiment as apa
from mobileopt.models import autoencoder as ae
from mobileopt.measurement import cost_model


def test_reference_autoencoder_keeps_784_values_at_every_stage():
    model = ae.build_autoencoder(ae.REFERENCE_CHANNELS)
    for block in ("encoder1", "encoder2", "decoder1", "decoder2"):
        shape = model.get_layer(f"{block}_bn").output_shape[1:]
        assert np.prod(shape) == 784, (block, shape)
    assert model.output_shape == (None, 28, 28, 1)
    assert model.layers[-1].activation.__name__ == "sigmoid"


def test_l1_penalises_only_the_batch_norm_parameters_of_prunable_blocks():
    model = ae.build_autoencoder((4, 8, 4), l1=0.01)
    penalised = [layer.name for layer in model.layers if getattr(layer, "gamma_regularizer", None)]
    assert penalised == ["encoder1_bn", "encoder2_bn", "decoder1_bn"]
    assert not model.get_layer("encoder1_conv").kernel_regularizer
    assert len(model.losses) == 6  # scale and offset of three blocks
    with pytest.raises(ValueError):
        ae.build_autoencoder((4, 8))


@pytest.mark.slow
def test_contribution_counting_scales_by_the_outgoing_weights():
    model = ae.build_autoencoder((4, 8, 4))
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    kernel, bias = model.get_layer("encoder2_conv").get_weights()
    kernel[:, :, 1, :] = 0.0  # encoder1 channel 1 no longer reaches encoder 2
    model.get_layer("encoder2_conv").set_weights([kernel, bias])
    plain = apa.count_channels(model, images)
    strict = apa.count_channels(model, images, tolerance=1e-6)
    assert plain[0][0][1] > 0 and strict[0][0][1] == 0
    assert (strict[0][0] <= plain[0][0]).all()
    assert apa.outgoing_weight_norms(model)[2].shape == (4,)  # decoder1 -> decoder2 (transposed kernel)


AE_SECTION = {"epochs": 1, "finetune_images": 100, "batch_size": 50, "learning_rate": 0.01,
               "finetune_learning_rate": 0.003, "l1": 0.01,
               "count_images": 50, "max_cycles": 2,
               "selection": {"threshold": 0, "outlier_stds": 1.0, "min_probability": 0.2,
                             "contribution_tolerance": 1e-3}}


@pytest.mark.slow
def test_experiment_prunes_every_variant_of_a_family(tiny_arrays):
    settings = apa.AutoencoderSettings.from_config(AE_SECTION)
    small = {key: value[:100] for key, value in tiny_arrays.items()}
    plain = apa.run_autoencoder_experiment(settings, small, seed=0, family="plain",
                                           variants=list(ap.VARIANTS), log=lambda *_: None)
    assert list(plain.runs["variant"]) == ["reference", "unpruned", "vanilla", "distorted", "outliers",
                                           "probability"]
    unpruned = plain.runs.set_index("variant").loc["unpruned"]
    assert (unpruned["channels_encoder1"], unpruned["channels_encoder2"]) == (32, 64)
    for name, model in plain.models.items():
        row = plain.runs.set_index("variant").loc[name]
        assert ae.channels_of(model) == (row["channels_encoder1"], row["channels_encoder2"],
                                         row["channels_decoder1"])
        assert row["multiply_adds"] == cost_model.count_multiply_adds(model)
        assert plain.reconstructions[name].shape == (apa.RECONSTRUCTED_IMAGES, 28, 28)
    assert set(plain.activations["block"]) == set(ae.BLOCKS) and len(plain.activations) == 32 + 64 + 32
    l1 = apa.run_autoencoder_experiment(settings, small, seed=0, family="l1", variants=["l1", "vanilla"],
                                        log=lambda *_: None)
    assert list(l1.runs["variant"]) == ["l1"]  # a family runs only its own variants


@pytest.mark.slow
def test_every_stage_is_seeded_on_its_own(tiny_arrays):
    """A variant's result does not depend on the variants trained before it in the job; seeds differ."""
    settings = apa.AutoencoderSettings.from_config({**AE_SECTION, "max_cycles": 1})
    small = {key: value[:100] for key, value in tiny_arrays.items()}
    quiet = {"seed": 0, "log": lambda *_: None}
    both = apa.run_autoencoder_experiment(settings, small, family="plain", variants=["vanilla", "distorted"],
                                          **quiet)
    alone = apa.run_autoencoder_experiment(settings, small, family="plain", variants=["distorted"], **quiet)
    for name in ("unpruned", "distorted"):
        assert np.array_equal(both.reconstructions[name], alone.reconstructions[name]), name
    other_seed = apa.run_autoencoder_experiment(settings, small, family="plain", variants=[], seed=1,
                                                log=lambda *_: None)
    assert not np.array_equal(other_seed.reconstructions["unpruned"], alone.reconstructions["unpruned"])
