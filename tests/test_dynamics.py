"""har_rnn.dynamics: fixed points, their stability, constant-input trajectories."""
import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import brentq

from har_rnn.dynamics import (class_mean_inputs, constant_input_trajectories, find_fixed_points,
                              fixed_points_by_class, jacobian_at, sample_states, stability)
from har_rnn.recurrence import recurrence
from har_rnn.models import RNNClassifier


def linear_rnn(eigenvalues, seed=0):
    """h -> A h + B x + b with A = P diag(eigenvalues) P^-1: known fixed point and spectrum."""
    rng = np.random.default_rng(seed)
    H = len(eigenvalues)
    P = rng.normal(size=(H, H)) + 3 * np.eye(H)
    A = P @ np.diag(eigenvalues) @ np.linalg.inv(P)
    B, b = rng.normal(size=(H, 2)), rng.normal(size=H)
    At, Bt, bt = (torch.tensor(m) for m in (A, B, b))

    def step(x, h):
        return h @ At.T + x @ Bt.T + bt
    return step, A, B, b


def test_linear_rnn_fixed_point_and_spectrum():
    eigenvalues = [0.9, 0.5, -0.3, 0.1]
    step, A, B, b = linear_rnn(eigenvalues)
    x = np.array([0.7, -1.2])
    expected = np.linalg.solve(np.eye(4) - A, B @ x + b)
    starts = np.random.default_rng(1).normal(size=(20, 4))

    fp = find_fixed_points(step, x, starts)
    assert fp.points.shape == (1, 4) and fp.counts.tolist() == [20]   # all 20 starts merged
    np.testing.assert_allclose(fp.points[0], expected, atol=1e-9)
    assert fp.candidate_q.shape == (20,) and fp.candidate_q.max() < 1e-20

    J = jacobian_at(step, x, fp.points[0])
    np.testing.assert_allclose(J, A, atol=1e-12)
    s = stability(J)
    np.testing.assert_allclose(s.eigenvalues.real, eigenvalues, atol=1e-9)  # sorted by |λ|
    assert s.stable and s.n_unstable == 0
    assert s.spectral_radius == pytest.approx(0.9)
    assert s.decay_factor == pytest.approx(0.9)
    assert s.time_constant == pytest.approx(-1 / np.log(0.9))


def test_constant_input_trajectories_converge_to_the_stable_fixed_point():
    step, A, B, b = linear_rnn([0.8, 0.3, -0.5])
    x = np.array([0.2, 0.4])
    expected = np.linalg.solve(np.eye(3) - A, B @ x + b)
    starts = np.random.default_rng(2).normal(size=(5, 3))
    traj = constant_input_trajectories(step, x, starts, n_steps=200)
    assert traj.shape == (5, 201, 3)
    np.testing.assert_allclose(traj[:, 0], starts)
    np.testing.assert_allclose(traj[:, -1], np.tile(expected, (5, 1)), atol=1e-12)


def test_tanh_rnn_finds_stable_and_unstable_fixed_points():
    """h -> tanh(diag(w) h), w > 1: per unit 0 is unstable (slope w) and ±h* stable."""
    w = np.array([1.5, 2.5])
    Wt = torch.tensor(np.diag(w))

    def step(x, h):
        return torch.tanh(h @ Wt.T)

    h_star = [brentq(lambda h, wi=wi: np.tanh(wi * h) - h, 0.1, 1.0) for wi in w]
    expected = np.array(list(itertools.product(*[(-hs, 0.0, hs) for hs in h_star])))   # 9 points

    grid = np.linspace(-0.95, 0.95, 10)                   # no start exactly at 0
    starts = np.array(list(itertools.product(grid, grid)))
    fp = find_fixed_points(step, np.zeros(1), starts, relax_steps=0)   # relaxing would avoid 0

    assert len(fp.points) == 9
    assert fp.counts.sum() == (fp.candidate_q < fp.q_threshold).sum()
    for point in expected:
        dist = np.linalg.norm(fp.points - point, axis=1)
        found = np.argmin(dist)
        assert dist[found] < 1e-8 and fp.q[found] < 1e-20
        s = stability(jacobian_at(step, np.zeros(1), fp.points[found]))
        slopes = w * (1 - np.tanh(w * point) ** 2)          # diagonal Jacobian
        np.testing.assert_allclose(np.sort(s.eigenvalues.real), np.sort(slopes), atol=1e-8)
        assert s.stable == bool(np.all(point != 0))
        assert s.n_unstable == int(np.sum(point == 0))


def test_slow_point_is_rejected():
    """h -> h + 0.01 + h^2 never stands still: q has its minimum 5e-5 at h = 0."""
    def step(x, h):
        return h + 0.01 + h ** 2

    starts = np.linspace(-0.5, 0.5, 11)[:, None]
    fp = find_fixed_points(step, np.zeros(1), starts, relax_steps=0)   # running it would blow up
    assert len(fp.points) == 0 and fp.points.shape == (0, 1)
    assert np.all(fp.candidate_q >= 5e-5 * (1 - 1e-9))   # q can't go lower ...
    assert np.all(fp.candidate_q < 1e-4)                 # ... and every start got near it


def test_duplicates_are_merged_within_tolerance():
    step, A, B, b = linear_rnn([0.5, 0.2])
    starts = np.random.default_rng(3).normal(size=(30, 2))
    fp = find_fixed_points(step, np.zeros(2), starts, merge_tol=1e-6)
    assert len(fp.points) == 1 and fp.counts.tolist() == [30]
    assert np.ptp(fp.candidate_states, axis=0).max() < 1e-9    # 30 copies of one point


def test_rnn_classifier_fixed_points_match_the_model():
    torch.manual_seed(0)
    model = RNNClassifier(input_size=3, hidden_size=8, num_classes=2, recurrent_init="default")
    with torch.no_grad():
        model.rnn.weight_hh_l0.mul_(3)          # strong recurrence: several fixed points
    X = np.random.default_rng(0).normal(size=(10, 20, 3))
    hidden = model.hidden_states(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    x_bar = class_mean_inputs(X, np.array([0, 1] * 5))[0]
    fp = find_fixed_points(model, x_bar, sample_states(hidden, 50, noise=0.1))
    assert len(fp.points) >= 1
    autograd_step, _ = recurrence(model)       # a plain function: Jacobian by autograd

    W_ih, W_hh, b_ih, b_hh = (getattr(model.rnn, n).detach().double().numpy()
                              for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    for h in fp.points:
        F = np.tanh(W_ih @ x_bar + b_ih + W_hh @ h + b_hh)
        np.testing.assert_allclose(F, h, atol=1e-10)
        np.testing.assert_allclose(jacobian_at(model, x_bar, h), (1 - F ** 2)[:, None] * W_hh,
                                   atol=1e-12)
        np.testing.assert_allclose(jacobian_at(autograd_step, x_bar, h),
                                   jacobian_at(model, x_bar, h), atol=1e-12)
    assert jacobian_at(model, x_bar, fp.points).shape == (len(fp.points), 8, 8)


def test_sample_states_and_class_means():
    hidden = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    states = sample_states(hidden, 5, seed=0)
    assert states.shape == (5, 4)
    assert all(any(np.array_equal(s, r) for r in hidden.reshape(-1, 4)) for s in states)
    X, y = np.ones((4, 5, 2)) * np.array([0, 0, 1, 1])[:, None, None], np.array([0, 0, 1, 1])
    np.testing.assert_allclose(class_mean_inputs(X, y), [[0, 0], [1, 1]])


def test_at_threshold_reads_the_same_search_with_another_threshold():
    """h -> h + c + h^2: c = 0 has the fixed point 0; c = 3e-5 only a slow point with q = 4.5e-10."""
    for c, kept_at_1e10, kept_at_1e9 in ((0.0, 1, 1), (3e-5, 0, 1)):
        def step(x, h, c=c):
            return h + c + h ** 2
        fp = find_fixed_points(step, np.zeros(1), np.linspace(-0.01, 0.01, 5)[:, None], relax_steps=0)
        assert len(fp.points) == kept_at_1e10
        wider = fp.at_threshold(1e-9)
        assert len(wider.points) == kept_at_1e9 and wider.q_threshold == 1e-9
        assert wider.candidate_q is fp.candidate_q          # no new search


def test_fixed_points_by_class_table():
    """Two classes of a linear RNN: one fixed point each, with the known slowest decay."""
    step, A, B, b = linear_rnn([0.9, 0.5, -0.3])
    inputs = np.array([[0.0, 0.0], [1.0, -1.0]])
    expected = [np.linalg.solve(np.eye(3) - A, B @ x + b) for x in inputs]
    rng = np.random.default_rng(0)
    y = np.array([0, 0, 0, 1, 1, 1])
    hidden = rng.normal(size=(6, 10, 3)) + np.array(expected)[y][:, None]   # trajectories near each point
    found, table = fixed_points_by_class(step, inputs, hidden, y, n_starts=12)
    assert table["fixed points"].tolist() == [1, 1] and table["stable"].tolist() == [1, 1]
    assert table.iloc[:, 1].tolist() == [1, 1]                               # the tenfold threshold
    np.testing.assert_allclose(table["slowest decay factor"], 0.9)
    np.testing.assert_allclose(table["time constant (steps)"], -1 / np.log(0.9))
    for k in (0, 1):
        np.testing.assert_allclose(found[k].points[0], expected[k], atol=1e-9)
        final = hidden[y == k, -1]
        spread = np.sqrt(((final - final.mean(0)) ** 2).sum(1).mean())
        distance = np.median(np.linalg.norm(final - expected[k], axis=1)) / spread
        assert table.loc[k, "h_T to nearest (spreads)"] == pytest.approx(distance, rel=1e-6)
