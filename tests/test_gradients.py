"""har_rnn.gradients (exported from notebook 04 and appendices A1 and A4): gradients through time, measured exactly."""
import numpy as np
import pytest
import torch
from torch import nn

from har_rnn.tooling import export
from har_rnn.gradients import hidden_jacobian_norms, input_gradient_norms, step_jacobian_norms
from har_rnn.recurrence import recurrence, recurrent_spectrum, unroll
from har_rnn.models import RNNClassifier

NOTEBOOKS = ("04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb, appendix/A1_Fixed_points_in_depth.ipynb, "
             "appendix/A4_Which_steps_and_sensors_occlusion.ipynb")
CELLS = ["rnn", "gru", "lstm"]


def tiny(cell, hidden=4, inputs=3, classes=3, seed=0):
    torch.manual_seed(seed)
    return RNNClassifier(input_size=inputs, hidden_size=hidden, num_classes=classes, cell=cell).double().eval()


def test_gradients_module_is_generated_from_notebook_04_and_appendices_a1_a4():
    assert (export.PACKAGE / "gradients.py").read_text(encoding="utf-8").startswith(
        f'"""Generated from {NOTEBOOKS} ')


@pytest.mark.parametrize("a", [0.5, 0.9, 1.0, 1.1])
def test_linear_rnn_jacobian_is_a_power_of_a(a):
    """h_t = W_xh x_t + a I h_{t-1}: d h_T / d h_t = a^(T-t) I, whose norm is a^(T-t)."""
    H, C, T = 5, 3, 20
    W_xh = torch.randn(H, C, dtype=torch.float64)
    W_hh = a * torch.eye(H, dtype=torch.float64)

    def step(x, h):                       # identity activation: a linear RNN
        return x @ W_xh.T + h @ W_hh.T

    norms = step_jacobian_norms(step, torch.randn(2, T, C, dtype=torch.float64), H, H)
    expected = a ** (T - np.arange(1, T + 1))
    assert norms.shape == (2, T)
    np.testing.assert_allclose(norms.numpy(), np.tile(expected, (2, 1)), rtol=1e-10)


def test_tanh_rnn_at_rest_has_the_same_jacobian_as_the_linear_one():
    """Zero input and biases keep h = 0, where tanh' = 1: the model path gives a^(T-t) too."""
    a, T = 0.8, 16
    model = tiny("rnn", hidden=6)
    with torch.no_grad():
        model.rnn.weight_hh_l0.copy_(a * torch.eye(6, dtype=torch.float64))
        model.rnn.bias_ih_l0.zero_()
        model.rnn.bias_hh_l0.zero_()
    norms = hidden_jacobian_norms(model, np.zeros((T, 3)))
    np.testing.assert_allclose(norms, a ** (T - np.arange(1, T + 1)), rtol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_input_gradient_norms_match_finite_differences(cell):
    model = tiny(cell)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(2, 6, 3)), np.array([0, 2])
    got = input_gradient_norms(model, X, y, per_window=True)

    def loss(X_):
        with torch.no_grad():
            return nn.functional.cross_entropy(model(torch.as_tensor(X_)), torch.as_tensor(y),
                                               reduction="sum").item()

    eps = 1e-6
    grad = np.zeros_like(X)
    for index in np.ndindex(*X.shape):
        up, down = X.copy(), X.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (loss(up) - loss(down)) / (2 * eps)
    np.testing.assert_allclose(got, np.linalg.norm(grad, axis=2), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(input_gradient_norms(model, X, y), got.mean(0))


@pytest.mark.parametrize("cell", CELLS)
def test_input_gradient_norms_do_not_depend_on_the_batch_size(cell):
    model = tiny(cell)
    X, y = np.random.default_rng(2).normal(size=(5, 7, 3)), np.array([0, 1, 2, 1, 0])
    np.testing.assert_allclose(input_gradient_norms(model, X, y, batch_size=2),
                               input_gradient_norms(model, X, y, batch_size=64), rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_unrolled_recurrence_reproduces_pytorch(cell):
    model = tiny(cell, hidden=5)
    x = torch.randn(3, 9, 3, dtype=torch.float64)
    step, size = recurrence(model)
    assert size == (10 if cell == "lstm" else 5)
    with torch.no_grad():
        torch.testing.assert_close(unroll(step, x, size)[..., :5], model.hidden_states(x))


@pytest.mark.parametrize("cell", CELLS)
def test_jacobian_norms_match_brute_force_autograd(cell):
    """Chained step Jacobians = the Jacobian of h_T with respect to s_t, computed in one go."""
    model = tiny(cell, hidden=4)
    T = 7
    x = torch.randn(T, 3, dtype=torch.float64)
    step, size = recurrence(model)
    states = unroll(step, x[None], size)[0]
    expected = []
    for t in range(T):                       # 0-based: d h_T / d states[t]
        def h_T_from(s, t=t):
            for k in range(t + 1, T):
                s = step(x[k], s)
            return s[:4]
        J = torch.autograd.functional.jacobian(h_T_from, states[t])
        expected.append(torch.linalg.matrix_norm(J, ord=2).item())
    np.testing.assert_allclose(hidden_jacobian_norms(model, x.numpy()), expected, rtol=1e-9)


@pytest.mark.parametrize("cell", CELLS)
def test_shapes(cell):
    model = RNNClassifier(hidden_size=8, cell=cell).eval()
    X = np.random.default_rng(3).normal(size=(4, 12, 9)).astype(np.float32)
    y = np.array([0, 1, 2, 3])
    assert input_gradient_norms(model, X, y).shape == (12,)
    assert input_gradient_norms(model, X, y, per_window=True).shape == (4, 12)
    one, many = hidden_jacobian_norms(model, X[0]), hidden_jacobian_norms(model, X)
    assert one.shape == (12,) and many.shape == (4, 12)
    np.testing.assert_allclose(many[0], one)
    np.testing.assert_allclose(many[:, -1], 1.0)            # d h_T / d h_T = I (for the LSTM [I 0])
    assert np.all(np.isfinite(many)) and np.all(many >= 0)
    spectrum = recurrent_spectrum(model)
    assert len(spectrum) == {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    for block in spectrum.values():
        sv = block["singular_values"]
        assert sv.shape == (8,) and np.all(np.diff(sv) <= 1e-12)
        assert 0 <= block["spectral_radius"] <= sv[0] + 1e-9


def test_spectrum_of_an_orthogonal_matrix():
    model = RNNClassifier(hidden_size=8, cell="rnn", recurrent_init="orthogonal")
    block = recurrent_spectrum(model)["W_hh"]
    np.testing.assert_allclose(block["singular_values"], 1.0, atol=1e-6)
    assert block["spectral_radius"] == pytest.approx(1.0, abs=1e-6)


def test_multi_layer_models_are_refused():
    with pytest.raises(ValueError, match="one-layer"):
        recurrence(RNNClassifier(hidden_size=4, num_layers=2))


def test_input_gradient_norms_leave_the_model_as_it_was():
    model = tiny("gru")
    X, y = np.zeros((2, 5, 3)), np.array([0, 1])
    input_gradient_norms(model, X, y)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())
