"""Knowledge distillation (Hinton et al., 2015) for fine-tuning a compressed student from the baseline.

The student's loss is weight * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - weight) *
cross-entropy with the labels. Keras' fit passes one target array, so the label and the teacher's
logits travel together as its columns: [label, logit_0, ..., logit_9]. The teacher's logits are
computed once, before fine-tuning (the teacher is fixed), which costs one forward pass instead of one
per step. Written by hand: TFMOT and tf_keras have no distillation loss.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import mobileopt  # noqa: F401


@dataclass(frozen=True)
class Distillation:
    temperature: float
    weight: float  # share of the distillation term; 0 = labels only

    def __post_init__(self):
        if self.temperature <= 0:
            raise ValueError(f"distillation temperature must be positive, got {self.temperature}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"distillation weight must lie in [0, 1], got {self.weight}")


def packed_targets(labels: np.ndarray, teacher_logits: np.ndarray) -> np.ndarray:
    """(N, 1 + classes) float32: the label, then the teacher's logits."""
    if len(labels) != len(teacher_logits):
        raise ValueError(f"{len(labels)} labels but {len(teacher_logits)} teacher outputs")
    return np.concatenate([np.asarray(labels, np.float32)[:, None], teacher_logits.astype(np.float32)], axis=1)


def distillation_loss(distillation: Distillation):
    import tensorflow as tf

    temperature, weight = distillation.temperature, distillation.weight

    def loss(targets, logits):
        logits = tf.cast(logits, tf.float32)
        labels = tf.cast(targets[:, 0], tf.int32)
        cross_entropy = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        soft_teacher = tf.nn.softmax(targets[:, 1:] / temperature)
        soft_student = tf.nn.log_softmax(logits / temperature)
        kl = tf.reduce_sum(soft_teacher * (tf.math.log(soft_teacher + 1e-12) - soft_student), axis=-1)
        return weight * temperature ** 2 * kl + (1.0 - weight) * cross_entropy
    return loss


def label_accuracy(targets, logits):
    """Accuracy against the label column of the packed targets."""
    import tensorflow as tf

    labels = tf.cast(targets[:, 0], tf.int64)
    return tf.cast(tf.equal(labels, tf.argmax(logits, axis=-1)), tf.float32)


def teacher_logits(teacher, images: np.ndarray) -> np.ndarray:
    from mobileopt.core.training import to_model_input

    return teacher.predict(to_model_input(images), batch_size=1000, verbose=0)


def fit_distilled(model, images: np.ndarray, labels: np.ndarray, teacher_outputs: np.ndarray, settings,
                  distillation: Distillation, callbacks: tuple = ()):
    """Fit `model` on (images, labels) against the teacher's logits, under `settings` (a
    core.training.TrainingSettings: epochs, batch, optimiser, schedule, validation share, patience);
    the best epoch on the held-out share is kept. Returns (history frame, seconds)."""
    import tf_keras as keras

    from mobileopt.core import training

    targets = packed_targets(labels, teacher_outputs)
    train, valid = training.split_validation(training.to_model_input(images), targets, settings.validation_fraction)
    total_steps = settings.epochs * int(np.ceil(len(train[0]) / settings.batch_size))
    model.compile(optimizer=training.make_optimizer(settings.optimizer, settings.learning_rate,
                                                    settings.lr_schedule, total_steps),
                  loss=distillation_loss(distillation), metrics=[label_accuracy])
    stop = keras.callbacks.EarlyStopping(monitor="val_label_accuracy", patience=settings.early_stopping_patience,
                                         restore_best_weights=True, mode="max")
    started = time.perf_counter()
    history = model.fit(*train, validation_data=valid, epochs=settings.epochs, batch_size=settings.batch_size,
                        shuffle=True, callbacks=[stop, *callbacks], verbose=2)
    frame = training.history_frame(history).rename(columns={"label_accuracy": "accuracy",
                                                            "val_label_accuracy": "val_accuracy"})
    return frame, time.perf_counter() - started
