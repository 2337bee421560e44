"""Notebook 01's exported code: the hand-written RNN loop and the window plot."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: no display needed

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from har_rnn.rnn_basics import plot_window, rnn_forward_loop
from har_rnn.data.uci_format import CHANNELS, WINDOW


def _weights(rnn: nn.RNN):
    return rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0


@pytest.mark.parametrize("batch, steps, inputs, hidden",
                         [(1, 1, 1, 1), (1, WINDOW, 9, 1), (4, 7, 9, 3), (32, WINDOW, 9, 32), (3, 20, 5, 64)])
@pytest.mark.parametrize("with_h0", [False, True])
def test_loop_equals_nn_rnn(batch, steps, inputs, hidden, with_h0):
    torch.manual_seed(0)
    rnn = nn.RNN(inputs, hidden, batch_first=True)
    x = torch.randn(batch, steps, inputs)
    h0 = torch.randn(1, batch, hidden) if with_h0 else None
    with torch.no_grad():
        expected_out, expected_h = rnn(x, h0)
        out, h_T = rnn_forward_loop(x, *_weights(rnn), h0=None if h0 is None else h0[0])
    assert out.shape == (batch, steps, hidden) and h_T.shape == (batch, hidden)
    torch.testing.assert_close(out, expected_out, atol=1e-6, rtol=0)
    torch.testing.assert_close(h_T, expected_h[0], atol=1e-6, rtol=0)
    assert torch.equal(out[:, -1], h_T)


def test_loop_gradients_equal_nn_rnn():
    """Backpropagation through the loop gives nn.RNN's gradients."""
    torch.manual_seed(1)
    rnn = nn.RNN(9, 16, batch_first=True)
    x = torch.randn(4, 30, 9)
    rnn(x)[0].square().sum().backward()
    expected = [p.grad.clone() for p in _weights(rnn)]
    rnn.zero_grad()
    rnn_forward_loop(x, *_weights(rnn))[0].square().sum().backward()
    for got, want in zip((p.grad for p in _weights(rnn)), expected):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_loop_leaves_h0_alone_and_keeps_dtype():
    torch.manual_seed(2)
    rnn = nn.RNN(3, 4, batch_first=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    h0 = torch.randn(2, 4, dtype=torch.float64)
    before = h0.clone()
    with torch.no_grad():
        out, h_T = rnn_forward_loop(x, *_weights(rnn), h0=h0)
        expected, _ = rnn(x, h0[None])
    assert torch.equal(h0, before)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


def test_plot_window_draws_one_panel_per_sensor():
    window = np.random.default_rng(0).normal(size=(WINDOW, len(CHANNELS)))
    fig = plot_window(window, CHANNELS, "a title", ylims={"body_gyro": (-2.0, 2.0)})
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        axes = fig.axes
        assert len(axes) == 3 and [len(ax.lines) for ax in axes] == [3, 3, 3]
        assert [ax.get_ylabel() for ax in axes] == ["body_acc\n(g)", "body_gyro\n(rad/s)", "total_acc\n(g)"]
        assert axes[1].get_ylim() == (-2.0, 2.0)
        np.testing.assert_allclose(axes[2].lines[0].get_ydata(), window[:, 6])  # total_acc_x
        assert axes[-1].lines[0].get_xdata()[-1] == pytest.approx((WINDOW - 1) / 50)
        fig.canvas.draw()  # renders without a display
    finally:
        plt.close(fig)


def test_plot_window_into_given_axes_with_a_tensor_and_other_units():
    fig, axes = plt.subplots(3, 2)
    try:
        window = torch.randn(WINDOW, len(CHANNELS))
        got = plot_window(window, CHANNELS, "standardized", axes=axes[:, 1],
                          units={c: "z-score" for c in CHANNELS})
        assert got is fig
        assert [len(ax.lines) for ax in axes[:, 0]] == [0, 0, 0]
        assert [len(ax.lines) for ax in axes[:, 1]] == [3, 3, 3]
        assert axes[0, 1].get_ylabel() == "body_acc\n(z-score)"
    finally:
        plt.close(fig)


def test_plot_window_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        plot_window(np.zeros((4, WINDOW, 9)), CHANNELS)
    with pytest.raises(ValueError, match="shape"):
        plot_window(np.zeros((WINDOW, 6)), CHANNELS)
    fig, axes = plt.subplots(2, 1)
    try:
        with pytest.raises(ValueError, match="axes"):
            plot_window(np.zeros((WINDOW, 9)), CHANNELS, axes=axes)
    finally:
        plt.close(fig)
