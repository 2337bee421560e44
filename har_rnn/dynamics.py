"""Fixed points of an RNN held at a constant input (Sussillo & Barak 2013, "Opening the black box").

With the input frozen at x̄ (say, one activity's mean standardized input) the
recurrence becomes an autonomous map F(s) = step(x̄, s) of its state s: for the
vanilla RNN F(h) = tanh(W_ih x̄ + b_ih + W_hh h + b_hh), for a GRU its gated
update of h, for an LSTM the update of s = [h, c]. Its fixed points F(s*) = s*
and the Jacobian ∂F/∂s there (`stability`: eigenvalues, decay factor, time
constant) describe what the network "settles into" for that activity and how
long it remembers a perturbation.

`find_fixed_points` minimises the speed q(s) = ½‖F(s) − s‖² from many states
visited by real trajectories, as Sussillo & Barak do, after first running each
start for a while with the input held (relaxing long finds only the stable
points; relax_steps=0 is their plain search), with Levenberg-Marquardt steps and
the exact Jacobian (closed form for the tanh RNN, autograd otherwise). True
fixed points reach q ≈ 0 (float64 round-off); "slow points" stop at a clearly
positive q, so a log-scale plot of all final q values shows a gap, and a
threshold separates them. `fixed_points_by_class` does this for every activity
and tabulates the result; `constant_input_trajectories` runs the held-input
dynamics, to draw next to the real trajectories.

Everything works on a `step(x, s) -> s_next` function (float64, batched over
rows of s); for a model with one recurrent layer (an `RNNClassifier`: "rnn",
"gru" or "lstm"), `har_rnn.recurrence.recurrence` builds it.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .recurrence import recurrence


def step_and_jacobian(step_or_model):
    """(step, jacobian) for a model (via `recurrence`) or a plain step(x, h) function.

    jacobian(x, h) -> ∂F/∂h at every row of h, (K, S, S): in closed form for the
    vanilla tanh RNN (about 10x cheaper), else by autograd. (An LSTM's state is [h, c].)
    """
    if not isinstance(step_or_model, torch.nn.Module):
        step = step_or_model
    else:
        step, rnn = recurrence(step_or_model)[0], step_or_model.rnn
        if isinstance(rnn, torch.nn.RNN) and rnn.nonlinearity == "tanh":
            W_hh = rnn.weight_hh_l0.detach().cpu().double()

            def jacobian(x, h):
                # F = tanh(W_ih x + b + W_hh h)  =>  ∂F/∂h = diag(1 - F²) W_hh
                return (1 - step(x, h) ** 2)[..., None] * W_hh
            return step, jacobian
    return step, torch.func.vmap(torch.func.jacrev(step, argnums=1), in_dims=(None, 0))


def _tensor(a):
    """float64 tensor: fixed points are resolved far below float32 precision."""
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def class_mean_inputs(X, y, n_classes=None):
    """Mean input vector x̄ of each class, averaged over windows and steps: (n_classes, C)."""
    X, y = np.asarray(X), np.asarray(y)
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    return np.stack([X[y == c].mean(axis=(0, 1), dtype=np.float64) for c in range(n_classes)])


def sample_states(hidden, n, *, noise=0.0, seed=0):
    """n states drawn from real hidden trajectories (N, T, H), plus optional Gaussian noise:
    starting where the network actually goes finds the fixed points that matter."""
    flat = np.asarray(hidden, dtype=np.float64).reshape(-1, np.shape(hidden)[-1])
    rng = np.random.default_rng(seed)
    states = flat[rng.choice(len(flat), size=n, replace=n > len(flat))]
    return states + noise * rng.standard_normal(states.shape)


@dataclass
class FixedPoints:
    """Result of `find_fixed_points`.

    points, q, counts: the kept fixed points (q < q_threshold) after merging
    duplicates, their speed, and how many starts converged to each (sorted by count).
    candidate_states, candidate_q: where every start ended and its final speed
    (plot candidate_q on a log scale to see the gap between fixed and slow points).
    """
    points: np.ndarray
    q: np.ndarray
    counts: np.ndarray
    candidate_states: np.ndarray
    candidate_q: np.ndarray
    q_threshold: float
    merge_tol: float = 1e-3

    def at_threshold(self, q_threshold):
        """The same search read with another threshold (no new search)."""
        return _select(self.candidate_states, self.candidate_q, q_threshold, self.merge_tol)


def _speed(step, x, h):
    """q(h) = ½‖F(h) − h‖² for every row of h."""
    return 0.5 * (step(x, h) - h).pow(2).sum(-1)


def _relax(step, x, h, n_steps):
    """Run the network with the input held at x for n_steps."""
    with torch.no_grad():
        for _ in range(n_steps):
            h = step(x, h)
    return h


def _levenberg_marquardt(step, jacobian, x, h, max_iter, patience=4, converged=1e-28):
    """Minimise q for every row of h with Levenberg-Marquardt steps (exact Jacobian).

    Each step solves (MᵀM + mu I) δ = -Mᵀr for r = F(h) - h, M = J - I: with a
    small mu it is Newton's method (q falls to round-off in a few steps), with a
    large mu a short gradient step, safe where M is nearly singular. A step is
    kept only if it lowers q, so slow points stay slow. A row stops once
    converged or after `patience` steps that did not lower q by 1%.
    """
    eye = torch.eye(h.shape[-1], dtype=h.dtype)
    h = h.clone()
    q = _speed(step, x, h)
    mu = torch.full_like(q, 1e-3)
    stalled = torch.zeros(len(q), dtype=torch.long)
    for _ in range(max_iter):
        rows = torch.nonzero((q > converged) & (stalled < patience))[:, 0]
        if len(rows) == 0:
            break
        hr, qr, mur = h[rows], q[rows], mu[rows]
        M = jacobian(x, hr) - eye
        r = step(x, hr) - hr
        A = M.mT @ M + mur[:, None, None] * eye
        delta = -torch.linalg.solve_ex(A, M.mT @ r[..., None])[0][..., 0]   # singular: nan, rejected
        q_new = _speed(step, x, hr + delta)
        better = q_new < qr
        h[rows] = torch.where(better[:, None], hr + delta, hr)
        q[rows] = torch.where(better, q_new, qr)
        mu[rows] = torch.where(better, mur / 10, mur * 10).clamp(1e-12, 1e8)
        stalled[rows] = torch.where(q_new < 0.99 * qr, 0, stalled[rows] + 1)
    return h, q


def _merge(points, q, tol):
    """Greedy merge (lowest q first): a point within `tol` of a kept one joins it."""
    kept, counts = [], []
    for i in np.argsort(q):
        dist = [np.linalg.norm(points[i] - points[k]) for k in kept]
        if dist and min(dist) < tol:
            counts[int(np.argmin(dist))] += 1
        else:
            kept.append(i)
            counts.append(1)
    kept, counts = np.array(kept, dtype=int), np.array(counts, dtype=int)
    order = np.argsort(-counts, kind="stable")
    return kept[order], counts[order]


def find_fixed_points(step_or_model, x_const, initial_states, *, relax_steps=50,
                      max_iter=50, q_threshold=1e-10, merge_tol=1e-3):
    """Fixed points of h -> step(x_const, h), searched from every row of initial_states.

    1. Each start runs `relax_steps` steps with the input held at x_const: states
       of input-driven trajectories can lie far from where the constant-input
       dynamics live, where q has many minima that are not fixed points. Relaxing
       long finds only stable points; 0 is the plain Sussillo & Barak search.
    2. Up to `max_iter` Levenberg-Marquardt steps minimise q (Adam crawls on these
       badly conditioned landscapes; Newton-type steps reach round-off).
    3. Candidates with q < q_threshold are fixed points; those closer than
       merge_tol are merged. Returns `FixedPoints`.
    """
    step, jacobian = step_and_jacobian(step_or_model)
    x = _tensor(x_const)
    h = _tensor(initial_states)
    if h.dim() != 2:
        raise ValueError(f"initial_states must be (K, state_size), got shape {tuple(h.shape)}")
    h = _relax(step, x, h, relax_steps)
    h, q = _levenberg_marquardt(step, jacobian, x, h, max_iter)
    return _select(h.numpy(), q.numpy(), q_threshold, merge_tol)


def _select(h, q, q_threshold, merge_tol):
    """Candidates with q < q_threshold, duplicates merged: `FixedPoints`."""
    fixed = np.flatnonzero(q < q_threshold)
    kept, counts = _merge(h[fixed], q[fixed], merge_tol)
    return FixedPoints(points=h[fixed][kept], q=q[fixed][kept], counts=counts, candidate_states=h,
                       candidate_q=q, q_threshold=q_threshold, merge_tol=merge_tol)


def jacobian_at(step_or_model, x_const, h):
    """Exact ∂F/∂h at state h (S,) -> (S, S), or at each row of h (K, S) -> (K, S, S)."""
    _, jacobian = step_and_jacobian(step_or_model)
    x, h = _tensor(x_const), _tensor(h)
    J = jacobian(x, h) if h.dim() == 2 else jacobian(x, h[None])[0]
    return J.detach().numpy()


@dataclass
class Stability:
    """Linear stability of a fixed point, from its Jacobian's eigenvalues (largest |λ| first).

    stable: spectral radius < 1, every small perturbation shrinks. decay_factor:
    the largest |λ| below 1; along that slowest direction a perturbation keeps
    decay_factor**t of its size after t steps. time_constant = -1/ln(decay_factor):
    steps to shrink by a factor e, the memory horizon.
    """
    eigenvalues: np.ndarray
    spectral_radius: float
    stable: bool
    n_unstable: int
    decay_factor: float
    time_constant: float


def stability(jacobian):
    """Classify a fixed point from its Jacobian (S, S): see `Stability`."""
    eig = np.linalg.eigvals(np.asarray(jacobian, dtype=np.float64))
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    modulus = np.abs(eig)
    decaying = modulus[modulus < 1]
    decay = float(decaying.max()) if decaying.size else float("nan")   # nan: nothing decays
    with np.errstate(divide="ignore"):
        tau = -1.0 / np.log(decay)                                       # decay 0: tau 0
    radius = float(modulus.max())
    return Stability(eigenvalues=eig, spectral_radius=radius, stable=radius < 1,
                     n_unstable=int((modulus >= 1).sum()), decay_factor=decay,
                     time_constant=float(tau))


def constant_input_trajectories(step_or_model, x_const, initial_states, n_steps):
    """Run the network with the input held at x_const from each initial state.

    Returns (K, n_steps + 1, S), starting with the initial states: trajectories
    that settle onto stable fixed points, to draw next to the real ones.
    """
    step, _ = step_and_jacobian(step_or_model)
    x, h = _tensor(x_const), _tensor(initial_states)
    states = [h]
    for _ in range(n_steps):
        states.append(_relax(step, x, states[-1], 1))
    return torch.stack(states, 1).numpy()


def fixed_points_by_class(model, class_inputs, hidden, y, *, n_starts=100, seed=0, **search):
    """For each class k: the fixed points with the input held at class_inputs[k], searched
    from n_starts states of class k's real trajectories (hidden (N, T, H), labels y).

    Returns (list of `FixedPoints`, one per class; a table with, per class, the distinct
    fixed points, how many are stable, the slowest decay factor and time constant over
    the stable ones, and how far the real final states h_T lie from the nearest fixed
    point: the median, in units of the class's spread of h_T). `search` goes to
    `find_fixed_points`.
    """
    import pandas as pd

    hidden, y = np.asarray(hidden), np.asarray(y)
    found, rows = [], []
    for k, x_const in enumerate(class_inputs):
        trajectories = hidden[y == k]
        starts = sample_states(trajectories, n_starts, seed=seed + k)
        fp = find_fixed_points(model, x_const, starts, **search)
        found.append(fp)
        stab = [stability(J) for J in jacobian_at(model, x_const, fp.points)] if len(fp.points) else []
        decay = max((s.decay_factor for s in stab if s.stable), default=float("nan"))
        final = trajectories[:, -1].astype(np.float64)
        spread = np.sqrt(((final - final.mean(0)) ** 2).sum(1).mean())
        nearest = (np.linalg.norm(final[:, None] - fp.points[None], axis=-1).min(1) if len(fp.points)
                   else np.full(len(final), np.nan))
        rows.append({"fixed points": len(fp.points),
                     f"at q < {10 * fp.q_threshold:g}": len(fp.at_threshold(10 * fp.q_threshold).points),
                     "stable": sum(s.stable for s in stab),
                     "slowest decay factor": decay,
                     "time constant (steps)": -1.0 / np.log(decay) if decay == decay else float("nan"),
                     "h_T to nearest (spreads)": float(np.median(nearest) / spread)})
    return found, pd.DataFrame(rows)
