"""har_rnn.occlusion: occlusion and input-gradient maps over time blocks x channel groups."""
import numpy as np
import pytest
import torch
from torch import nn

from har_rnn.models import RNNClassifier
from har_rnn.occlusion import (CHANNEL_GROUPS, input_saliency, last_block_share, occlusion_map,
                               peak, replacement_indices)

T, C, K = 128, 9, 3      # steps, channels, classes


def windows(n_per_class, seed):
    """Noisy windows whose class shows as an offset on one total_acc channel."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(K), n_per_class)
    X = rng.normal(size=(len(y), T, C))
    X[np.arange(len(y)), :, 6 + y] += 1.0
    return X.astype(np.float32), y


class LateTotalAcc(nn.Module):
    """Logits from the mean of total_acc over steps 96..127 only."""
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, K)
        with torch.no_grad():
            self.linear.weight.copy_(3 * torch.eye(3))
            self.linear.bias.zero_()

    def forward(self, x):
        return self.linear(x[:, 96:, 6:9].mean(1))


class Recorder(nn.Module):
    """Constant logits; keeps every batch it is shown."""
    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(K))
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.dummy.expand(len(x), K)


def class_means(maps, y):
    """Each class's mean map: (N, G, B) -> (K, G, B)."""
    return np.stack([maps[y == k].mean(axis=0) for k in range(K)])


def test_a_model_reading_only_late_total_acc_is_mapped_there():
    X, y = windows(10, seed=0)
    X_pool, y_pool = windows(20, seed=1)
    model = LateTotalAcc()
    occ = class_means(np.abs(occlusion_map(model, X, y, X_pool, y_pool)), y)  # (K, 3, 8)
    sal = class_means(input_saliency(model, X, y), y)
    total_acc = list(CHANNEL_GROUPS).index("total_acc")
    for heat in (occ, sal):
        assert heat.shape == (K, 3, 8)
        inside = heat[:, total_acc, 6:]
        outside = heat.copy()
        outside[:, total_acc, 6:] = 0
        assert np.all(inside > 1e-3)
        assert np.all(outside < 1e-6)      # the model never reads these values
        assert inside.sum() / heat.sum() > 0.999


def test_replacements_are_other_windows_of_the_same_class():
    X_pool, y_pool = windows(4, seed=2)
    X_pool[5] = X_pool[4]                      # an exact copy of window 4 inside the pool
    X, y = X_pool[:8], y_pool[:8]              # the windows are part of the pool
    idx = replacement_indices(X, y, X_pool, y_pool, n_replacements=3, seed=0)
    assert idx.shape == (8, 3)
    assert np.all(y_pool[idx] == y[:, None])
    for i in range(8):
        assert not any(np.array_equal(X_pool[j], X[i]) for j in idx[i])


def test_occluded_values_are_pasted_from_the_chosen_pool_windows():
    X, y = windows(2, seed=3)
    X, y = X[:, :32], y                        # 2 blocks of 16 steps
    X_pool, y_pool = windows(3, seed=4)
    X_pool = np.concatenate([X_pool[:, :32], np.zeros((5, 32, C), np.float32)])
    y_pool = np.concatenate([y_pool, np.full(5, K)])   # all-zero windows of another class
    idx = replacement_indices(X, y, X_pool, y_pool, n_replacements=2, seed=7)
    model = Recorder()
    occlusion_map(model, X, y, X_pool, y_pool, n_replacements=2, seed=7)
    rows = torch.cat(model.seen).numpy()
    n_occluded = 0
    for row in rows:
        i = np.argmin([(row != x).sum() for x in X])         # the window it came from
        changed = row != X[i]
        if not changed.any():
            continue                                           # an unoccluded forward pass
        n_occluded += 1
        steps, chans = np.nonzero(changed.any(1))[0], np.nonzero(changed.any(0))[0]
        block = steps[0] // 16
        group = [g for g in CHANNEL_GROUPS.values() if set(chans) <= set(g)]
        assert len(group) == 1 and steps.max() // 16 == block   # one block of one group
        region = (slice(16 * block, 16 * block + 16), list(group[0]))
        assert any(np.array_equal(row[region], X_pool[j][region]) for j in idx[i])
        assert np.any(row[region] != 0)
    assert n_occluded == len(X) * 3 * 2 * 2                   # windows x groups x blocks x R


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_rnn_shortcut_matches_full_forward_passes(cell):
    """For an RNNClassifier the prefix before the block is run once; same numbers as running it all."""
    torch.manual_seed(0)
    model = RNNClassifier(input_size=C, hidden_size=16, num_classes=K, cell=cell).double()
    wrapped = nn.Sequential(model)             # hides the RNNClassifier: full forward passes
    X, y = windows(3, seed=5)
    X_pool, y_pool = windows(5, seed=6)
    fast = occlusion_map(model, X, y, X_pool, y_pool, n_replacements=2, batch_size=20)
    slow = occlusion_map(wrapped, X, y, X_pool, y_pool, n_replacements=2, batch_size=1000)
    np.testing.assert_allclose(fast, slow, atol=1e-12)
    assert np.abs(fast).max() > 1e-6


def test_shapes_and_determinism():
    torch.manual_seed(1)
    model = RNNClassifier(input_size=C, hidden_size=8, num_classes=K)
    X, y = windows(2, seed=8)
    X_pool, y_pool = windows(6, seed=9)
    a = occlusion_map(model, X, y, X_pool, y_pool, seed=3)
    b = occlusion_map(model, X, y, X_pool, y_pool, seed=3)
    c = occlusion_map(model, X, y, X_pool, y_pool, seed=4)
    assert a.shape == (6, 3, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    groups = {"acc": (0, 1, 2, 6, 7, 8), "gyro": (3, 4, 5)}
    assert occlusion_map(model, X, y, X_pool, y_pool, block=32, groups=groups).shape == (6, 2, 4)
    for method in ("gradient", "gradient_x_input"):
        assert input_saliency(model, X, y, block=32, groups=groups, method=method).shape == (6, 2, 4)
    with pytest.raises(ValueError):
        input_saliency(model, X, y, method="zeros")
    with pytest.raises(ValueError):
        occlusion_map(model, X, y, X_pool, y_pool, block=20)


def test_last_block_share():
    mean_map = np.zeros((3, 8))
    mean_map[0, 7], mean_map[1, 7], mean_map[2, 3], mean_map[2, 0] = 1.0, 1.0, 2.0, -5.0   # negatives ignored
    assert last_block_share(mean_map) == 0.5


def test_peak_names_the_group_and_steps():
    mean_map = np.zeros((3, 8))
    mean_map[1, 6], mean_map[2, 0] = 0.5, -0.25
    assert peak(mean_map) == ("body_gyro", 97, 112, 0.5)
    assert peak(mean_map, lowest=True) == ("total_acc", 1, 16, -0.25)
    assert peak(mean_map, block=8)[1:3] == (49, 56)
