"""Generated from 01_Exploring_the_HAR_Dataset_&_Understanding_RNNs.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export rnn_basics` and re-run
the export (`make export`)."""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import torch

from har_rnn.data import CHANNEL_UNITS, SAMPLE_RATE_HZ, channel_groups

__all__ = [
    "autocorrelation",
    "feature_baseline",
    "order_aware_features",
    "order_blind_features",
    "plot_window",
    "rnn_forward_loop",
]


# notebook 01, cell 50203a5a
def plot_window(x, channels, title=None, *, ylims=None, units=None, axes=None,
                sample_rate=SAMPLE_RATE_HZ):
    """Plot one window of shape (T, C): one panel per sensor, its x/y/z axes as lines.

    channels: the C channel names in column order (e.g. `data.channels`); names
        '<sensor>_<axis>' share a panel, in order of first appearance.
    ylims: optional {sensor: (low, high)}, to give several plots one scale.
    units: optional {channel: unit} instead of CHANNEL_UNITS (g, rad/s), e.g.
        {c: "z-score" for c in channels} for standardized windows.
    axes: optional existing axes, one per sensor (to place windows side by
        side); by default a new figure is made.
    Returns the figure.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(channels):
        raise ValueError(f"expected one window of shape (T, {len(channels)}), got {x.shape}")
    units = CHANNEL_UNITS if units is None else units
    groups = channel_groups(channels)
    sensors = list(groups)
    if axes is None:
        fig, axes = plt.subplots(len(sensors), 1, sharex=True, squeeze=False, layout="constrained",
                                 figsize=(8, 0.6 + 1.7 * len(sensors)))
        axes = axes[:, 0]
        if title:
            fig.suptitle(title)
    else:
        axes = np.ravel(axes)
        if len(axes) != len(sensors):
            raise ValueError(f"got {len(axes)} axes for {len(sensors)} sensors {sensors}")
        fig = axes[0].figure
        if title:
            axes[0].set_title(title)
    t = np.arange(len(x)) / sample_rate
    for ax, sensor in zip(axes, sensors):
        columns = groups[sensor]
        for k, i in enumerate(columns):
            ax.plot(t, x[:, i], lw=1.2, color=f"C{k}", label=channels[i].rsplit("_", 1)[-1])
        unit = units.get(channels[columns[0]], "")
        ax.set_ylabel(f"{sensor}\n({unit})" if unit else sensor)
        if ylims and sensor in ylims:
            ax.set_ylim(*ylims[sensor])
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes[-1].set_xlabel("time (s)")
    return fig


# notebook 01, cell 8aecaad2
def order_blind_features(X):
    """Per-channel mean and standard deviation over the time steps: (N, 2 * channels)."""
    return np.concatenate([X.mean(axis=1), X.std(axis=1)], axis=1)


# notebook 01, cell fa8aa038
def autocorrelation(X, lag):
    """Per-channel correlation of each window with itself `lag` steps later: (N, channels)."""
    centred = X - X.mean(axis=1, keepdims=True)
    return ((centred[:, lag:] * centred[:, :-lag]).sum(axis=1)
            / np.maximum((centred ** 2).sum(axis=1), 1e-12))


def order_aware_features(X):
    """The order-blind features plus each channel's autocorrelation at lags 1, 5 and 25 steps: (N, 5 * channels)."""
    return np.concatenate([order_blind_features(X)] + [autocorrelation(X, lag) for lag in (1, 5, 25)],
                          axis=1)


def feature_baseline():
    """A logistic regression on window features, each feature scaled to mean 0 and std 1 first."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


# notebook 01, cell f1fc8b50
def rnn_forward_loop(x, W_xh, W_hh, b_xh, b_hh, h0=None):
    """A one-layer tanh RNN, one time step at a time.

    x: (B, T, I) batch-first input; W_xh: (H, I); W_hh: (H, H); b_xh, b_hh: (H,);
    h0: (B, H) initial state, zeros when None.
    Returns (outputs, h_T): every h_t stacked as (B, T, H), and the last one, (B, H).
    """
    batch, steps, _ = x.shape
    h = x.new_zeros(batch, W_hh.shape[0]) if h0 is None else h0
    outputs = []
    for t in range(steps):
        h = torch.tanh(x[:, t] @ W_xh.T + b_xh + h @ W_hh.T + b_hh)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h
