"""The pruning settings of the config: a block variant whose block_layer is not pruned is an error."""
import pytest
import yaml

from tests.conftest import REPO
from mobileopt.compression import weight_pruning


def pruning_section(config_name: str) -> dict:
    return yaml.safe_load((REPO / "config" / config_name).read_text())["compression"]["pruning"]


@pytest.mark.parametrize("config_name", ["config.yaml", "small.yaml"])
def test_shipped_configs_give_block_variants_on_a_pruned_layer(config_name):
    settings = weight_pruning.PruningSettings.from_config(pruning_section(config_name))
    assert settings.block_layer in settings.layers
    assert any(variant.pattern == "block" for variant in settings.variants())


def test_block_layer_outside_the_pruned_layers_is_a_clear_error():
    section = dict(pruning_section("config.yaml"), layers=["conv2"], block_layer="conv3",
                   block_sparsities=[0.9])
    with pytest.raises(ValueError) as caught:
        weight_pruning.PruningSettings.from_config(section)
    message = str(caught.value)
    assert "compression.pruning.block_layer is 'conv3'" in message
    assert "not in compression.pruning.layers ['conv2']" in message
    assert "would get no block pruning" in message
    assert "Add 'conv3' to compression.pruning.layers" in message and "block_sparsities to []" in message


def test_block_layer_may_be_anything_without_block_variants():
    section = dict(pruning_section("config.yaml"), layers=["conv2"], block_layer="conv3", block_sparsities=[])
    settings = weight_pruning.PruningSettings.from_config(section)
    assert [variant.pattern for variant in settings.variants()].count("block") == 0
