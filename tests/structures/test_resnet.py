"""ResNet-34/50 built from He et al.'s Table 1: block costs by hand, totals against the paper."""
import pytest
import tf_keras as keras

from mobileopt.measurement import cost_model
from mobileopt.structures import resnet
from mobileopt.models.architectures import basic_block, bottleneck_block

layers = keras.layers


@pytest.fixture(scope="module")
def frame():
    return resnet.resnet_cost_frame()


# Independent numbers, written here rather than read from the module under test:
# He et al. [HZRS15], Table 1: 3.6e9 (34-layer) and 3.8e9 (50-layer) multiply-adds ("FLOPs").
PAPER_MULTIPLY_ADDS = {34: 3.6e9, 50: 3.8e9}
# torchvision's model cards (num_params of resnet34 / resnet50): the same architectures with no conv
# biases and affine batch norm, i.e. our trainable weights. Their "GFLOPS" for resnet34, 3.66, are
# multiply-adds as well (torchvision's resnet50 is v1.5, stride in the 3x3, hence 4.09 there: not comparable).
TORCHVISION_PARAMETERS = {34: 21_797_672, 50: 25_557_032}
TORCHVISION_RESNET34_GIGA_MULTIPLY_ADDS = 3.66


def trainable_parameters(model) -> int:
    return sum(int(weight.shape.num_elements()) for weight in model.trainable_weights)


@pytest.mark.slow
@pytest.mark.parametrize("depth", [34, 50])
def test_totals_within_3_percent_of_the_paper(frame, depth):
    total = frame[(frame["depth"] == depth) & (frame["stage"] == "total")].iloc[0]
    assert abs(total["multiply_adds"] / PAPER_MULTIPLY_ADDS[depth] - 1) < 0.03
    assert total["published_multiply_adds"] == PAPER_MULTIPLY_ADDS[depth]  # what the thesis table quotes
    assert total["relative_difference"] == pytest.approx(total["multiply_adds"] / PAPER_MULTIPLY_ADDS[depth] - 1)


@pytest.mark.slow
@pytest.mark.parametrize("depth", [34, 50])
def test_parameters_equal_torchvisions(depth):
    """Trainable weights (convolutions without bias, batch-norm scale and shift, the fc layer) equal
    torchvision's published count exactly; count_params adds the batch norms' moving mean and variance."""
    model = resnet.build_resnet(depth)
    assert trainable_parameters(model) == TORCHVISION_PARAMETERS[depth]
    batch_norm_channels = sum(layer.gamma.shape[0] for layer in model.layers
                              if isinstance(layer, layers.BatchNormalization))
    assert model.count_params() == TORCHVISION_PARAMETERS[depth] + 2 * batch_norm_channels


@pytest.mark.slow
def test_resnet34_multiply_adds_equal_torchvisions_rounded(frame):
    totals = frame[frame["stage"] == "total"].set_index("depth")["multiply_adds"]
    assert round(totals[34] / 1e9, 2) == TORCHVISION_RESNET34_GIGA_MULTIPLY_ADDS


@pytest.mark.slow
def test_resnet50_matches_keras_applications_layer_by_layer():
    """keras.applications.ResNet50 is an independent implementation of the same network (stride in the
    first 1x1 of a bottleneck, projection shortcuts, 25.6 M parameters with its conv biases): its
    convolutions and fc layer cost what ours do, one for one, and it has exactly our weights plus one bias
    per convolution output channel."""
    ours = resnet.build_resnet(50)
    theirs = keras.applications.ResNet50(weights=None)

    def weight_layer_costs(model):
        return sorted((c.layer_type, c.output_shape, c.multiply_adds) for c in cost_model.layer_costs(model)
                      if c.layer_type in ("Conv2D", "Dense"))

    assert weight_layer_costs(ours) == weight_layer_costs(theirs)
    assert cost_model.count_multiply_adds(ours) == cost_model.count_multiply_adds(theirs)
    assert theirs.count_params() == 25_636_712  # the "25.6 M" of the Keras documentation
    conv_biases = sum(layer.filters for layer in theirs.layers if isinstance(layer, layers.Conv2D))
    assert trainable_parameters(theirs) - conv_biases == trainable_parameters(ours)


@pytest.mark.slow
def test_exact_totals_and_stage_sums(frame):
    totals = frame[frame["stage"] == "total"].set_index("depth")["multiply_adds"]
    for depth, group in frame.groupby("depth"):
        stages = group[group["stage"] != "total"]
        assert list(stages["stage"]) == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"]
        assert stages["multiply_adds"].sum() == totals[depth]
        assert stages["parameters"].sum() == resnet.build_resnet(depth).count_params()


def test_stem_and_head_by_hand(frame):
    conv1 = 112 * 112 * 64 * 7 * 7 * 3
    rows = frame.set_index(["depth", "stage"])["multiply_adds"]
    assert rows[(34, "conv1")] == rows[(50, "conv1")] == conv1
    assert rows[(34, "fc")] == 512 * 1000 and rows[(50, "fc")] == 2048 * 1000


def block_model(input_shape, make_block):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, make_block(inputs))


def test_basic_block_costs():
    """conv2_x block: two 3x3 convolutions at 64 channels on 56x56; the first conv3_x block strides
    and projects 64 -> 128 with a 1x1 shortcut."""
    identity = block_model((56, 56, 64), lambda x: basic_block(x, 64, "b"))
    assert cost_model.count_multiply_adds(identity) == 2 * 56 * 56 * 9 * 64 * 64
    down = block_model((56, 56, 64), lambda x: basic_block(x, 128, "d", strides=2))
    assert cost_model.count_multiply_adds(down) == 28 * 28 * (9 * 64 * 128 + 9 * 128 * 128 + 64 * 128)


def test_bottleneck_block_costs():
    """conv3_x identity block: 17 d^2 per position at d = 128 (512 outer channels); the first conv3_x
    block strides in its first 1x1 and projects 256 -> 512."""
    d = 128
    identity = block_model((28, 28, 4 * d), lambda x: bottleneck_block(x, d, "b", batch_norm=True))
    assert cost_model.count_multiply_adds(identity) == 28 * 28 * 17 * d * d
    down = block_model((56, 56, 256), lambda x: bottleneck_block(x, d, "d", strides=2, batch_norm=True))
    assert cost_model.count_multiply_adds(down) == 28 * 28 * (256 * d + 9 * d * d + d * 4 * d + 256 * 4 * d)


@pytest.mark.slow
def test_layer_counts_match_the_names():
    for depth in (34, 50):
        model = resnet.build_resnet(depth)
        weight_layers = [layer for layer in model.layers
                         if isinstance(layer, (layers.Conv2D, layers.Dense)) and "projection" not in layer.name]
        assert len(weight_layers) == depth


def test_bad_arguments():
    with pytest.raises(ValueError, match="depth"):
        resnet.build_resnet(18)
    with pytest.raises(ValueError, match="no stage"):
        resnet.stage_of("pool9")


def test_quoted_numbers_are_the_drafts_table_2_3():
    p34, p50 = resnet.PUBLISHED[34], resnet.PUBLISHED[50]
    assert (p34.top1_error_single_model, p50.top1_error_single_model) == (21.53, 20.74)
    assert (p34.top5_error_single_model, p50.top5_error_single_model) == (5.60, 5.25)
    assert (p34.top1_error_10crop, p50.top1_error_10crop) == (24.19, 22.85)
    assert (p34.top5_error_10crop, p50.top5_error_10crop) == (7.40, 6.71)
