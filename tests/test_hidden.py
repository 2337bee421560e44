"""Notebook 03's exported code: hidden-state extraction, eta², the linear probe over time."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from har_rnn.hidden import eta_squared, hidden_trajectories, linear_probe_over_time
from har_rnn.models import RNNClassifier
from har_rnn.rnn_basics import rnn_forward_loop


def _model(cell="rnn", hidden=8, layers=1, seed=0):
    torch.manual_seed(seed)
    model = RNNClassifier(input_size=9, hidden_size=hidden, num_classes=6, cell=cell, num_layers=layers)
    with torch.no_grad():   # move the weights away from the init so nothing is special about them
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


def _windows(n=7, steps=20, seed=1):
    return np.random.default_rng(seed).normal(size=(n, steps, 9)).astype(np.float32)


def test_vanilla_rnn_equals_the_recurrence_by_hand():
    model, X = _model("rnn"), _windows()
    rnn = model.rnn
    W_xh, W_hh, b_xh, b_hh = (t.detach() for t in (rnn.weight_ih_l0, rnn.weight_hh_l0,
                                                    rnn.bias_ih_l0, rnn.bias_hh_l0))
    x = torch.as_tensor(X)
    h = torch.zeros(len(X), 8)
    by_hand = []
    for t in range(X.shape[1]):
        h = torch.tanh(x[:, t] @ W_xh.T + b_xh + h @ W_hh.T + b_hh)
        by_hand.append(h)
    by_hand = torch.stack(by_hand, dim=1).numpy()
    H = hidden_trajectories(model, X)
    np.testing.assert_allclose(H, by_hand, atol=1e-5)
    loop, _ = rnn_forward_loop(x, W_xh, W_hh, b_xh, b_hh)          # notebook 01's loop agrees too
    np.testing.assert_allclose(H, loop.numpy(), atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_cells_step_by_step_and_lstm_gives_h_not_c(cell):
    model, X = _model(cell), _windows()
    rnn = model.rnn
    step = (nn.GRUCell if cell == "gru" else nn.LSTMCell)(9, 8)
    step.load_state_dict({k[:-3]: v for k, v in rnn.state_dict().items()})   # weight_ih_l0 -> weight_ih
    x = torch.as_tensor(X)
    h, c = torch.zeros(len(X), 8), torch.zeros(len(X), 8)
    hs, cs = [], []
    with torch.no_grad():
        for t in range(X.shape[1]):
            if cell == "gru":
                h = step(x[:, t], h)
            else:
                h, c = step(x[:, t], (h, c))
            hs.append(h)
            cs.append(c)
    H = hidden_trajectories(model, X)
    np.testing.assert_allclose(H, torch.stack(hs, 1).numpy(), atol=1e-5)
    if cell == "lstm":
        assert np.abs(H - torch.stack(cs, 1).numpy()).max() > 1e-2, "returned the cell state c"


def test_two_layers_give_the_last_layers_states():
    model, X = _model("rnn", layers=2), _windows()
    with torch.no_grad():
        expected = model.rnn(torch.as_tensor(X))[0].numpy()
        _, h_n = model.rnn(torch.as_tensor(X))
    H = hidden_trajectories(model, X)
    np.testing.assert_allclose(H, expected, atol=1e-6)
    np.testing.assert_allclose(H[:, -1], h_n[-1].numpy(), atol=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_batching_does_not_change_the_result(cell):
    model, X = _model(cell), _windows(n=11)
    full = hidden_trajectories(model, X, batch_size=512)
    for batch_size in (1, 3, 10, 11):
        np.testing.assert_allclose(hidden_trajectories(model, X, batch_size=batch_size), full, atol=1e-6)


def test_shapes_dtype_steps_and_inputs():
    model, X = _model(hidden=5), _windows(n=4, steps=16)
    H = hidden_trajectories(model, X)
    assert H.shape == (4, 16, 5) and H.dtype == np.float32 and isinstance(H, np.ndarray)
    np.testing.assert_array_equal(hidden_trajectories(model, torch.as_tensor(X)), H)     # a tensor works too
    np.testing.assert_allclose(hidden_trajectories(model, X.astype(np.float64)), H, atol=1e-6)
    some = hidden_trajectories(model, X, batch_size=3, steps=[1, 8, 16])
    assert some.shape == (4, 3, 5)
    np.testing.assert_allclose(some, H[:, [0, 7, 15]], atol=1e-6)    # other batch size: rounding only
    for bad in ([0], [17], []):
        with pytest.raises(ValueError):
            hidden_trajectories(model, X, steps=bad)
    with pytest.raises(ValueError):
        hidden_trajectories(model, X[:0])


def test_mode_is_restored():
    model, X = _model(), _windows(n=2)
    model.train()
    hidden_trajectories(model, X)
    assert model.training
    model.eval()
    hidden_trajectories(model, X)
    assert not model.training


def test_eta_squared():
    rng = np.random.default_rng(0)
    groups = np.repeat([3, 7, 9], 50)
    fixed = np.stack([groups.astype(float), -2.0 * groups], axis=1)         # the group fixes the value
    np.testing.assert_allclose(eta_squared(fixed, groups), [1.0, 1.0])
    noise = rng.normal(size=(150, 2))
    noise -= np.stack([noise[groups == g].mean(0) for g in groups])          # equal group means
    np.testing.assert_allclose(eta_squared(noise, groups), [0.0, 0.0], atol=1e-12)
    # all columns together: weighted by each column's variance
    mixed = np.stack([fixed[:, 0], noise[:, 0] * 10], axis=1)
    total = ((mixed - mixed.mean(0)) ** 2).sum(0)
    assert eta_squared(mixed, groups, per_unit=False) == pytest.approx(total[0] / total.sum())
    # the same as the R² of a regression on the group indicators
    x = rng.normal(size=150) + groups
    onehot = (groups[:, None] == np.unique(groups)).astype(float)
    fitted = onehot @ np.linalg.lstsq(onehot, x, rcond=None)[0]
    r2 = 1 - ((x - fitted) ** 2).sum() / ((x - x.mean()) ** 2).sum()
    assert eta_squared(x[:, None], groups)[0] == pytest.approx(r2)


def test_linear_probe_over_time():
    rng = np.random.default_rng(0)
    y_train, y_test = np.repeat([0, 1, 2], 40), np.repeat([0, 1, 2], 20)

    def states(y):   # step 1: pure noise; step 2: the class shifts unit 0 a lot
        H = rng.normal(size=(len(y), 2, 4))
        H[:, 1, 0] += 10 * y
        return H

    result = linear_probe_over_time(states(y_train), y_train, states(y_test), y_test, steps=[1, 5],
                                    class_names=["a", "b", "c"])
    assert list(result.index) == [1, 5] and list(result.columns) == ["accuracy", "a", "b", "c"]
    assert result.loc[5, "accuracy"] == 1.0 and (result.loc[5, ["a", "b", "c"]] == 1.0).all()
    assert result.loc[1, "accuracy"] < 0.7
    # accuracy is the recall of each class weighted by its share of the test windows
    assert result.loc[1, "accuracy"] == pytest.approx(result.loc[1, ["a", "b", "c"]].mean())
    with pytest.raises(ValueError):
        linear_probe_over_time(states(y_train), y_train, states(y_test), y_test, steps=[1, 2, 3])
