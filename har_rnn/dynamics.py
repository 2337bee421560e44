"""Fixed points of an RNN held at a constant input (Sussillo & Barak 2013, "Opening the black box").

With the input frozen at x̄ (say, one activity's mean standardized input) the
vanilla RNN becomes an autonomous map F(h) = tanh(W_ih x̄ + b_ih + W_hh h + b_hh).
Its fixed points F(h*) = h* and the Jacobian there describe what the network
"settles into" for that activity and how long it remembers a perturbation.

We find them as Sussillo & Barak do: minimise the speed q(h) = ½‖F(h) − h‖²
from many states visited by real trajectories (after letting them settle a
little under the constant input). True fixed points reach
q ≈ 0 (float64 round-off); "slow points" stop at a clearly positive q, so a
log-scale plot of all final q values shows a gap and a threshold separates them.

Everything works on a `step(x, h) -> h_next` function (float64, batched over
rows of h); pass an `RNNClassifier` and `har_rnn.gradients.recurrence` builds it.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .gradients import recurrence


def step_and_jacobian(step_or_model):
    """(step, jacobian) for a model or a plain step(x, h) function.

    jacobian(x, h) gives ∂F/∂h at every row of h: (K, S, S). A model goes
    through `har_rnn.gradients.recurrence` (for a GRU the state is h, for an
    LSTM [h, c]). For the vanilla tanh RNN the Jacobian has a closed form,
    about 10x cheaper than autograd; anything else uses autograd (torch.func).
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
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def class_mean_inputs(X, y, n_classes=None):
    """Mean input vector x̄ of each class, averaged over windows and steps: (n_classes, C)."""
    X, y = np.asarray(X), np.asarray(y)
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    return np.stack([X[y == c].mean(axis=(0, 1), dtype=np.float64) for c in range(n_classes)])


def sample_states(hidden, n, *, noise=0.0, seed=0):
    """n states drawn from real hidden trajectories (N, T, H), plus optional Gaussian noise.

    Starting the search where the network actually goes finds the fixed points
    that matter for the data, not exotic ones far away.
    """
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
    """Minimise q for every row of h with exact-Jacobian Levenberg-Marquardt steps.

    The step solves (MᵀM + mu I) δ = -Mᵀr for r = F(h) - h, M = J - I. With a
    small mu this is Newton's method: quadratic convergence, q down to float64
    round-off. A large mu gives a short gradient step, safe where M is nearly
    singular. A step is kept only if it lowers q (then mu shrinks), so slow
    points stay slow. Rows stop when converged or after `patience` steps
    without lowering q by 1%.
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
                      max_iter=20, q_threshold=1e-10, merge_tol=1e-3):
    """Fixed points of h -> step(x_const, h), searched from every row of initial_states.

    Each start is first run `relax_steps` steps with the input held at x_const:
    states from input-driven trajectories can be far from where the
    constant-input dynamics live, and q has many local minima there that are
    not fixed points.
    Then up to `max_iter` Levenberg-Marquardt steps minimise q. (Adam with a
    fixed learning rate, as often used, keeps jittering at q ~ 1e-3 on a trained
    network; Newton-type steps reach round-off.) Candidates with
    q < q_threshold are fixed points; those closer than merge_tol are merged.
    Returns `FixedPoints`.
    """
    step, jacobian = step_and_jacobian(step_or_model)
    x = _tensor(x_const)
    h = _tensor(initial_states)
    if h.dim() != 2:
        raise ValueError(f"initial_states must be (K, state_size), got shape {tuple(h.shape)}")
    h = _relax(step, x, h, relax_steps)
    h, q = _levenberg_marquardt(step, jacobian, x, h, max_iter)
    h, q = h.numpy(), q.numpy()
    fixed = np.flatnonzero(q < q_threshold)
    kept, counts = _merge(h[fixed], q[fixed], merge_tol)
    return FixedPoints(points=h[fixed][kept], q=q[fixed][kept], counts=counts,
                       candidate_states=h, candidate_q=q, q_threshold=q_threshold)


def jacobian_at(step_or_model, x_const, h):
    """Exact ∂F/∂h at state h (S,) -> (S, S), or at each row of h (K, S) -> (K, S, S)."""
    _, jacobian = step_and_jacobian(step_or_model)
    x, h = _tensor(x_const), _tensor(h)
    J = jacobian(x, h) if h.dim() == 2 else jacobian(x, h[None])[0]
    return J.detach().numpy()


@dataclass
class Stability:
    """Linear stability of a fixed point from its Jacobian's eigenvalues.

    eigenvalues: sorted by modulus, largest first. stable: spectral radius < 1
    (every small perturbation shrinks). decay_factor: the largest |λ| below 1,
    the slowest-shrinking direction; a perturbation along it keeps
    decay_factor**t of its size after t steps. time_constant: -1/ln(decay_factor),
    the number of steps to shrink by e (the memory horizon).
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
    decay = float(decaying.max()) if decaying.size else float("nan")
    tau = -1.0 / np.log(decay) if decay > 0 else 0.0 if decay == 0 else float("nan")
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
