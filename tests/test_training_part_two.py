"""The training lab's second half: label smoothing, mixup, augmentation, early stopping, ensembles,
the 8x8 digits and transfer learning, checked against their definitions (NumPy references where
a quantity can be recomputed from the result)."""

from __future__ import annotations

import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from optviz.training.compute import run_training, trace_count
from optviz.training.config import TrainConfig
from optviz.training.data import digits_pool
from optviz.training.transfer import TARGET_CLASSES, _pretrained, pixel_permutation, pretrained, source_data, target_data

SMALL = TrainConfig(depth=2, width=16, samples=100, steps=200, eval_every=20, init="normal", scale=0.3)
# Few noisy points and a wide net for many steps: the validation loss turns up (overfitting).
OVERFIT = TrainConfig(samples=30, noise=0.3, width=64, batch_size=30, steps=1500, eval_every=25)
DIGITS = TrainConfig(dataset="digits", samples=200, depth=1, width=32, steps=150, eval_every=15)


def _plain_loss(probabilities, labels):
    return -np.mean(np.log(probabilities[..., np.arange(len(labels)), labels]), axis=-1)


# -- early stopping ------------------------------------------------------------------------------

@pytest.mark.parametrize("restore", [False, True])
def test_best_step_is_the_lowest_validation_loss_and_restore_keeps_that_network(restore):
    result = run_training(OVERFIT.replace(restore_best=restore), seeds=2)
    for seed in range(2):
        best = int(np.nanargmin(result.val_loss[seed]))
        assert result.best_step[seed] == result.steps[best]
        assert result.best_val_loss[seed] == pytest.approx(result.val_loss[seed, best], rel=1e-6)
        # The setting overfits: the last validation loss is well above the best.
        assert result.val_loss[seed, -1] > 1.3 * result.best_val_loss[seed]
    kept = _plain_loss(result.val_probabilities, result.y_val)
    target = result.best_val_loss if restore else result.val_loss[:, -1]
    np.testing.assert_allclose(kept, target, rtol=1e-4)
    payload = result.to_json(0)
    assert payload["best_step"] == int(result.best_step[0]) and payload["best_val_loss"] == float(result.best_val_loss[0])


def test_restore_best_changes_nothing_but_the_kept_network():
    plain, restored = run_training(OVERFIT), run_training(OVERFIT.replace(restore_best=True))
    np.testing.assert_array_equal(plain.val_loss, restored.val_loss)
    assert not np.allclose(plain.val_probabilities, restored.val_probabilities)


# -- label smoothing and mixup -------------------------------------------------------------------

def _confidence(result):
    """Mean probability the final network gives the true class of its training examples."""
    from optviz.training.compute import predict_proba

    params, state = result.seed_params(0)
    p = predict_proba(result.config, params, state, result.x_train)
    return float(np.mean(p[np.arange(len(result.y_train)), result.y_train]))


def test_label_smoothing_caps_the_confidence_at_its_target():
    # Separable blobs trained to convergence: the loss against (1 - eps) onehot + eps / 2 is lowest
    # at p(true) = 1 - eps / 2, so the network settles there instead of at 1.
    base = TrainConfig(dataset="gaussians", noise=0.1, depth=1, width=16, batch_size=200, steps=1500)
    sharp, smoothed = run_training(base), run_training(base.replace(label_smoothing=0.3))
    assert _confidence(sharp) > 0.98
    assert _confidence(smoothed) == pytest.approx(1 - 0.3 / 2, abs=0.02)
    # Reported losses stay the plain cross-entropy: the smoothed net's is about -ln(0.85), not lower.
    assert smoothed.train_loss[0, -1] == pytest.approx(-np.log(0.85), abs=0.03)


def test_mixup_softens_the_training_fit_and_is_reproducible():
    base = TrainConfig(dataset="gaussians", noise=0.1, depth=1, width=16, batch_size=64, steps=800)
    plain, mixed = run_training(base), run_training(base.replace(mixup=1.0))
    again = run_training(base.replace(mixup=1.0))
    np.testing.assert_array_equal(mixed.train_loss, again.train_loss)
    # Mixed targets lie between the classes: the network is less sure of clean training points
    # (measured: 1 - p(true) about 0.02 against 1e-4).
    assert 1 - _confidence(mixed) > 10 * (1 - _confidence(plain))
    assert mixed.train_accuracy[0, -1] > 0.95  # and still classifies them


def test_augmentation_alters_the_steps_not_the_data():
    plain, augmented = run_training(SMALL), run_training(SMALL.replace(augment=True))
    np.testing.assert_array_equal(plain.x_train, augmented.x_train)
    assert not np.allclose(plain.train_loss[0, 1:], augmented.train_loss[0, 1:])
    assert augmented.train_loss[0, -1] < augmented.train_loss[0, 0]


def test_part_two_settings_are_traced():
    run_training(SMALL.replace(mixup=0.5, augment=True))
    before = trace_count()
    for config in (SMALL.replace(label_smoothing=0.2), SMALL.replace(restore_best=True),
                   SMALL.replace(mixup=1.5, augment=True, seed=4), SMALL.replace(label_smoothing=0.1, restore_best=True)):
        run_training(config)
    assert trace_count() == before


# -- ensembles ---------------------------------------------------------------------------------------

def test_ensemble_members_are_the_seeds_and_it_predicts_their_mean():
    config = SMALL.replace(ensemble=5)  # 5 members: padded to 8 seeds, the padding must not count
    result = run_training(config)
    assert result.is_ensemble and result.seeds.tolist() == [0, 1, 2, 3, 4]
    seeds = run_training(SMALL, seeds=5)  # the same data and seeds, not an ensemble
    assert not seeds.is_ensemble
    np.testing.assert_allclose(result.val_loss, seeds.val_loss, rtol=1e-4, atol=1e-6)
    mean = result.val_probabilities.mean(axis=0)
    assert result.ensemble_val_loss[-1] == pytest.approx(_plain_loss(mean, result.y_val), rel=1e-4)
    accuracy = np.mean(np.argmax(mean, axis=1) == result.y_val)
    assert result.ensemble_val_accuracy[-1] == pytest.approx(accuracy, abs=1e-6)
    payload = result.to_json(0)
    assert len(payload["member_val_loss"]) == len(payload["member_val_accuracy"]) == 5
    np.testing.assert_allclose(payload["member_val_loss"], result.val_loss[:, -1], rtol=1e-4)
    # Jensen: the loss of the mean probability is at most the members' mean loss.
    assert payload["ensemble_val_loss"] <= np.mean(payload["member_val_loss"]) + 1e-9


# -- digits ----------------------------------------------------------------------------------------

def test_digits_train_and_report_a_confusion_matrix():
    result = run_training(DIGITS)
    assert result.x_train.shape == (200, 64) and result.val_probabilities.shape == (1, 200, 10)
    assert result.val_accuracy[0, -1] > 0.7 and len(result.grid_x) == 0
    matrix = result.confusion_matrix(0)
    assert matrix.sum() == 200 and np.trace(matrix) / 200 == pytest.approx(result.val_accuracy[0, -1], abs=1e-6)
    wrong = result.misclassified(0)
    assert len(wrong) == 200 - np.trace(matrix) and np.all(result.predictions(0)[wrong] != result.y_val[wrong])


def test_digits_augmentation_shifts_and_still_learns():
    result = run_training(DIGITS.replace(augment=True))
    assert result.val_accuracy[0, -1] > 0.6
    assert not np.allclose(result.train_loss, run_training(DIGITS).train_loss)


# -- transfer learning -------------------------------------------------------------------------------

TRANSFER = TrainConfig(dataset="digits", depth=1, width=32, steps=100, eval_every=10, batch_size=25,
                       samples_per_class=5, pretrain_steps=200)


def test_target_data_are_k_images_per_new_class_and_the_rest_validate():
    images, labels = digits_pool()
    (x_train, y_train, x_val, y_val), counts = target_data(3, 4, different=False)
    n_train, n_val = counts
    assert n_train == 20 and np.bincount(y_train[:n_train], minlength=10)[5:].tolist() == [4] * 5
    assert n_val == np.isin(labels, TARGET_CLASSES).sum() - 20 and set(y_val[:n_val]) == set(TARGET_CLASSES)
    (_, _, x_diff, _), _ = target_data(3, 4, different=True)
    np.testing.assert_array_equal(x_diff[:n_val], x_val[:n_val][:, pixel_permutation()])
    (xs, ys, xv, yv), (half, _) = source_data(3)
    assert set(ys[:half]) == {0, 1, 2, 3, 4} and not set(map(bytes, xs[:half])) & set(map(bytes, xv[:half]))


def _flat(params, seed=0):
    return [ravel_pytree({k: np.asarray(v)[seed] for k, v in layer.items()})[0] for layer in params]


def test_freeze_keeps_the_pretrained_features_and_finetune_moves_them():
    frozen = run_training(TRANSFER.replace(transfer="freeze"))
    tuned = run_training(TRANSFER.replace(transfer="finetune"))
    scratch = run_training(TRANSFER.replace(transfer="scratch"))
    source, _, accuracy = pretrained(TRANSFER.replace(transfer="freeze"), (0,))
    assert accuracy[0] > 0.9 and frozen.transfer["pretrain_val_accuracy"] == pytest.approx(float(accuracy[0]))
    np.testing.assert_array_equal(_flat(frozen.params)[0], _flat(source)[0])  # hidden layer: untouched
    assert not np.allclose(_flat(frozen.params)[-1], _flat(source)[-1])  # a new head, trained
    assert not np.allclose(_flat(tuned.params)[0], _flat(source)[0])
    assert scratch.transfer["pretrain_val_accuracy"] is None and scratch.transfer["pretrain_steps"] == 0
    for result in (frozen, tuned, scratch):
        assert len(result.y_train) == 25 and result.val_accuracy[0, -1] > 0.4  # well above chance (0.2)


def test_transfer_needs_digits():
    with pytest.raises(ValueError, match="digits"):
        TrainConfig(transfer="freeze")
    config, notices = TrainConfig.from_values({"transfer": "freeze"})
    assert config.dataset == "digits" and any("digits" in n for n in notices)
    config, notices = TrainConfig.from_values({"dataset": "digits", "samples": 2000})
    assert config.samples == 898 and notices


def test_runs_that_differ_only_in_the_target_share_one_pretraining():
    base = TRANSFER.replace(transfer="freeze", seed=11)
    _pretrained.cache_clear()
    for config in (base, base.replace(transfer="finetune"), base.replace(transfer_data="different"),
                   base.replace(samples_per_class=3), base.replace(finetune_factor=0.5, transfer="finetune")):
        run_training(config.replace(steps=10, eval_every=5))
    info = _pretrained.cache_info()
    assert (info.misses, info.hits) == (1, 4)
    run_training(base.replace(steps=10, eval_every=5, pretrain_steps=50))  # a different pretraining
    assert _pretrained.cache_info().misses == 2


def test_ensemble_loss_stays_finite_where_every_member_underflows():
    # A memorizing net on 30 noisy points: some validation points get p(true) < 1e-38 (float32's
    # smallest normal) from every member; the ensemble's log mean probability is a log-sum-exp.
    result = run_training(OVERFIT.replace(ensemble=5, steps=3000, seed=2000))
    assert np.all(np.isfinite(result.ensemble_val_loss)) and np.all(np.isfinite(result.val_loss[:, -1]))
    members, _ = result.final_val_metrics()
    np.testing.assert_allclose(members, result.val_loss[:, -1], rtol=1e-4)  # no clipping of tiny probabilities
    mean_loss = -np.mean(result.ensemble_val_log_probabilities()[np.arange(len(result.y_val)), result.y_val])
    assert result.ensemble_val_loss[-1] == pytest.approx(mean_loss, rel=1e-4)
    assert result.to_json(0)["ensemble_val_loss"] == pytest.approx(mean_loss, rel=1e-9)
