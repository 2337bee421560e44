import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from har_rnn.config import TrainConfig
from har_rnn.models import RNNClassifier
from har_rnn.training import (RandomRotation, evaluate, fit, make_loader, set_seed, train_one_epoch,
                              volunteer_split)

EASY = TrainConfig(epochs=6, lr=1e-2, batch_size=32, clip_norm=1.0, schedule=None)


def easy_task(n, seed, steps=24):
    """3 classes: channel 0 carries a constant offset of -1, 0 or +1 under unit noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(scale=0.5, size=(n, steps, 9)).astype(np.float32)
    X[:, :, 0] += (y - 1)[:, None]
    return X, y


def train_easy(seed=0, epochs=6, **changes):
    X_tr, y_tr = easy_task(600, 1)
    X_val, y_val = easy_task(300, 2)
    set_seed(seed)
    model = RNNClassifier(hidden_size=16, num_classes=3)
    history = fit(model, X_tr, y_tr, X_val, y_val, dataclasses.replace(EASY, seed=seed, epochs=epochs, **changes))
    return model, history, (X_val, y_val)


def test_set_seed_repeats_random_numbers():
    set_seed(3)
    a = (torch.rand(3), np.random.rand(3))
    set_seed(3)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_volunteer_split_holds_out_exactly_the_named_volunteers():
    subjects = np.repeat(np.arange(1, 22), 10)
    train_idx, val_idx = volunteer_split(subjects, (8, 17, 21))
    assert set(subjects[val_idx]) == {8, 17, 21}
    assert set(subjects[train_idx]).isdisjoint(subjects[val_idx])
    assert sorted(np.concatenate([train_idx, val_idx])) == list(range(len(subjects)))
    with pytest.raises(ValueError, match="missing: \\[40\\]"):
        volunteer_split(subjects, (8, 40))
    with pytest.raises(ValueError):
        volunteer_split(subjects, tuple(range(1, 22)))


def test_the_default_validation_volunteers_are_training_volunteers():
    test_volunteers = {2, 4, 9, 10, 12, 13, 18, 20, 24}
    assert not set(TrainConfig().validation_volunteers) & test_volunteers
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({**TrainConfig().to_dict(), "n_val_subjects": 4})


def test_loader_order_depends_only_on_the_seed():
    X, y = np.zeros((50, 4, 9), np.float32), np.arange(50)
    order = lambda seed: torch.cat([yb for _, yb in make_loader(X, y, 8, True, seed)]).tolist()
    assert order(1) == order(1) != order(2)
    assert sorted(order(1)) == list(range(50))
    assert torch.cat([yb for _, yb in make_loader(X, y, 8, False)]).tolist() == list(range(50))


def test_gradient_clipping_bounds_the_step():
    X, y = easy_task(64, 0)
    model = RNNClassifier(hidden_size=8, num_classes=3)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    result = train_one_epoch(model, make_loader(X, y, 64, False), optimizer, clip_norm=0.01)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert (after - before).norm() <= 0.01 + 1e-6     # one SGD step, lr 1: step = clipped gradient
    assert result["grad_norms"].shape == (1,) and result["grad_norms"][0] > 0.01   # measured before clipping


def test_without_clipping_the_gradient_norm_is_measured_and_the_step_is_unclipped():
    X, y = easy_task(64, 0)
    model = RNNClassifier(hidden_size=8, num_classes=3)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    result = train_one_epoch(model, make_loader(X, y, 64, False), torch.optim.SGD(model.parameters(), lr=1.0),
                             clip_norm=None)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert (after - before).norm().item() == pytest.approx(result["grad_norms"][0], rel=1e-4)


def test_evaluate():
    X, y = easy_task(100, 0)
    model = RNNClassifier(hidden_size=8, num_classes=3)
    result = evaluate(model, X, y, batch_size=32)
    assert set(result) == {"loss", "accuracy", "macro_f1", "predictions"}
    assert result["predictions"].shape == (100,)
    assert result["accuracy"] == pytest.approx((result["predictions"] == y).mean())
    logits = model(torch.as_tensor(X))
    assert result["loss"] == pytest.approx(nn.functional.cross_entropy(logits, torch.as_tensor(y)).item(), rel=1e-5)


def test_fit_learns_an_easy_task_and_keeps_the_best_epoch(capsys):
    model, history, (X_val, y_val) = train_easy()
    assert history.val_acc.max() >= 0.97
    (line,) = capsys.readouterr().out.strip().splitlines()        # one line of progress per training
    marks = line.split(": ", 1)[1].split()[0]                       # a character per epoch
    assert len(marks) == len(history) == 6 and set(marks) <= {"*", "."} and marks[0] == "*"
    assert f"kept epoch {history.attrs['best_epoch']} " in line
    # the model holds the weights of the best validation epoch
    assert evaluate(model, X_val, y_val)["accuracy"] == history.val_acc.max()
    assert history.attrs["best_epoch"] == history.epoch[history.val_acc.idxmax()]
    assert history.clipped_share.between(0, 1).all() and (history.grad_norm_median > 0).all()


def test_fit_is_reproducible():
    _, h1, _ = train_easy(seed=5, epochs=3)
    _, h2, _ = train_easy(seed=5, epochs=3)
    _, h3, _ = train_easy(seed=6, epochs=3)
    numbers = ["train_loss", "train_acc", "val_loss", "val_acc"]
    assert h1[numbers].equals(h2[numbers])
    assert not h1[numbers].equals(h3[numbers])


def test_cosine_schedule_decays_the_learning_rate():
    _, history, _ = train_easy(epochs=4, schedule="cosine")
    assert history.lr.is_monotonic_decreasing and history.lr.iloc[0] == 1e-2


# Standardization statistics of the kind notebook 02 computes: gravity lies mostly on total_acc's x axis.
STATS = {"mean": np.array([0, 0, 0, 0, 0, 0, 0.8, -0.1, 0.1]),
         "std": np.array([0.2, 0.1, 0.1, 0.4, 0.3, 0.3, 0.4, 0.3, 0.3])}


def sensor_windows(n=32, steps=20, seed=0):
    """(raw windows in sensor units, the same standardized as fit sees them)."""
    raw = np.random.default_rng(seed).normal(STATS["mean"], STATS["std"], (n, steps, 9)).astype(np.float32)
    return raw, torch.as_tensor((raw - STATS["mean"]) / STATS["std"], dtype=torch.float32)


def rotate(x, degrees=20.0, seed=0):
    """RandomRotation on standardized windows, returned in sensor units: (B, T, 3 triads, 3 axes)."""
    out = RandomRotation(STATS, degrees, seed)(x).double().numpy()
    return (out * STATS["std"] + STATS["mean"]).reshape(len(x), x.shape[1], 3, 3)


def test_random_rotation_turns_each_window_rigidly_within_the_angle():
    """One rotation per window, the same for its three triads and every step, by at most max_degrees."""
    raw, x = sensor_windows()
    turned = rotate(x)
    before = raw.astype(np.float64).reshape(turned.shape)
    np.testing.assert_allclose(np.linalg.norm(turned, axis=-1), np.linalg.norm(before, axis=-1), rtol=1e-4)
    angles = []
    for a, b in zip(before, turned):
        R = np.linalg.lstsq(a.reshape(-1, 3), b.reshape(-1, 3), rcond=None)[0].T   # b = R a, one R for all
        np.testing.assert_allclose(a.reshape(-1, 3) @ R.T, b.reshape(-1, 3), atol=1e-4)
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-4)
        assert np.linalg.det(R) == pytest.approx(1, abs=1e-4)                     # a rotation, not a mirror
        angles.append(np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1, 1))))
    assert max(angles) <= 20 + 1e-2 and max(angles) > 10      # within ±20°, and really turned
    assert len({round(a, 3) for a in angles}) == len(angles)   # each window its own angle


def test_random_rotation_by_zero_degrees_changes_nothing_and_repeats_with_its_seed():
    _, x = sensor_windows()
    torch.testing.assert_close(RandomRotation(STATS, 0, seed=0)(x), x, atol=1e-5, rtol=0)
    assert np.array_equal(rotate(x, seed=4), rotate(x, seed=4))
    assert not np.allclose(rotate(x, seed=4), rotate(x, seed=5))


class Recorder:
    """An augment that records the batches it is given and passes them on (rotated, if given a rotation)."""

    def __init__(self, then=None):
        self.batches, self.then = [], then

    def __call__(self, xb):
        self.batches.append(xb.clone())
        return xb if self.then is None else self.then(xb)


def test_augment_leaves_the_batch_order_and_the_initial_weights_alone():
    """Adding the rotation must change only what the model sees, not which batches or which start."""
    X, y = easy_task(96, 0)
    config = dataclasses.replace(EASY, epochs=2)
    trained = {}
    for name, augment in (("none", None), ("identity", Recorder()),
                          ("rotation", Recorder(RandomRotation(STATS, 20, seed=0)))):
        torch.manual_seed(0)
        model = RNNClassifier(hidden_size=8, num_classes=3)
        fit(model, X[:64], y[:64], X[64:], y[64:], config, augment=augment, verbose=False)
        trained[name] = torch.cat([v.flatten() for v in model.state_dict().values()])
        if augment is not None:
            loader = make_loader(X[:64], y[:64], config.batch_size, True, config.seed)
            expected = [xb for _ in range(config.epochs) for xb, _ in loader]
            assert len(augment.batches) == len(expected) == 4, name
            assert all(torch.equal(a, b) for a, b in zip(augment.batches, expected)), name
    assert torch.equal(trained["identity"], trained["none"])             # a no-op augment is a no-op
    assert not torch.equal(trained["rotation"], trained["none"])
    torch.manual_seed(0)                            # the rotation draws from its own generator, so
    RandomRotation(STATS, 20, seed=0)(torch.zeros(4, 5, 9))   # weights drawn after it are the same
    drawn = torch.rand(5)
    torch.manual_seed(0)
    assert torch.equal(drawn, torch.rand(5))
