"""Quantisation and the TFLite artefact helpers, on a tiny classifier trained on an easy synthetic task."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.compression import tflite
from mobileopt.compression import quantization
from mobileopt.models.classifier import build_mnist_classifier
from mobileopt.core.training import to_model_input


def bright_square_images(count: int, seed: int):
    """Class c = a bright 7x7 square at the c-th of ten positions, on faint noise: easy to learn."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        row, column = divmod(int(label), 4)
        image[2 + 8 * row: 9 + 8 * row, 1 + 7 * column: 8 + 7 * column] = 250
    return images, labels


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    train_images, train_labels = bright_square_images(600, 0)
    test_images, test_labels = bright_square_images(200, 1)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(to_model_input(train_images), train_labels, epochs=4, batch_size=32, verbose=0)
    arrays = {"train_images": train_images, "train_labels": train_labels,
              "test_images": test_images, "test_labels": test_labels,
              # the held-out images variants are chosen on (training.load_configured_dataset adds them)
              "selection_images": train_images[-60:], "selection_labels": train_labels[-60:]}
    return model, arrays


@pytest.mark.slow
def test_float_tflite_matches_keras_accuracy(trained):
    model, arrays = trained
    keras_predictions = np.argmax(model.predict(to_model_input(arrays["test_images"]), verbose=0), axis=-1)
    flatbuffer = tflite.convert(model)
    litert = tflite.litert_predictions(flatbuffer, arrays["test_images"])
    assert np.mean(litert == keras_predictions) == 1.0
    batched = tflite.litert_predictions(flatbuffer, arrays["test_images"], batch_size=64)  # ragged last batch
    np.testing.assert_array_equal(batched, litert)


@pytest.mark.slow
def test_int8_accuracy_is_close_to_float_and_the_model_is_integer(trained):
    model, arrays = trained
    float_accuracy = tflite.litert_accuracy(tflite.convert(model), arrays["test_images"], arrays["test_labels"])
    assert float_accuracy > 0.9  # the task was learnt, so the comparison means something
    int8 = tflite.convert(model, quantization.post_training_options("int8"),
                          quantization.representative_images(arrays, 100))
    interpreter = tflite.interpreter(int8)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    int8_accuracy = tflite.litert_accuracy(int8, arrays["test_images"], arrays["test_labels"])
    assert abs(int8_accuracy - float_accuracy) <= 0.03
    assert len(int8) < 0.5 * len(tflite.convert(model))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["dynamic_range", "float16"])
def test_weight_only_formats_shrink_and_keep_accuracy(trained, fmt):
    model, arrays = trained
    reference = tflite.convert(model)
    flatbuffer = tflite.convert(model, quantization.post_training_options(fmt))
    assert len(flatbuffer) < 0.75 * len(reference)
    assert abs(tflite.litert_accuracy(flatbuffer, arrays["test_images"], arrays["test_labels"])
               - tflite.litert_accuracy(reference, arrays["test_images"], arrays["test_labels"])) <= 0.02


@pytest.mark.slow
def test_quantization_aware_model_converts_to_what_it_simulates(trained):
    """The int8 TFLite model computes what the fake-quantised Keras model predicted."""
    model, arrays = trained
    qat = quantization.quantization_aware_model(model)
    qat.compile(optimizer=keras.optimizers.Adam(1e-4), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    qat.fit(to_model_input(arrays["train_images"]), arrays["train_labels"], epochs=1, batch_size=32, verbose=0)
    flatbuffer = tflite.convert(qat, quantization.post_training_options("int8"),
                                quantization.representative_images(arrays, 20))
    assert tflite.interpreter(flatbuffer).get_input_details()[0]["dtype"] == np.int8
    simulated = np.argmax(qat.predict(to_model_input(arrays["test_images"]), verbose=0), axis=-1)
    deployed = tflite.litert_predictions(flatbuffer, arrays["test_images"])
    assert np.mean(simulated == deployed) >= 0.95


@pytest.mark.slow
def test_sizes_and_records(trained, tmp_path):
    model, arrays = trained
    flatbuffer = tflite.convert(model)
    assert tflite.gzip_bytes(flatbuffer) == tflite.gzip_bytes(flatbuffer) < len(flatbuffer)
    record = tflite.write_artefact(flatbuffer, tmp_path / "m.tflite", tmp_path / "m.json", arrays, method="x")
    assert (tmp_path / "m.tflite").read_bytes() == flatbuffer
    assert record["tflite_bytes"] == len(flatbuffer) and record["method"] == "x"
    assert "CONV_2D" in record["ops"] and 0.0 <= record["litert_test_accuracy"] <= 1.0
    assert 0.0 <= record["litert_validation_accuracy"] <= 1.0
    correct = tflite.decode_correct(record["litert_test_correct"], record["test_images"])
    assert correct.mean() == pytest.approx(record["litert_test_accuracy"])


def test_bad_options_raise():
    with pytest.raises(ValueError, match="unknown weight format"):
        tflite.ConversionOptions(weights="int4")
    with pytest.raises(ValueError, match="integer_io"):
        tflite.ConversionOptions(weights="float16", integer_io=True)
    with pytest.raises(ValueError, match="unknown post-training format"):
        quantization.post_training_options("int4")
    with pytest.raises(ValueError, match="at least one image"):
        quantization.representative_images({"train_images": np.zeros((3, 28, 28))}, 0)
