"""What the model looks at: occlusion and gradient maps over time blocks x channel groups.

Occlusion asks "how much does the true-class probability drop if this part of
the window is replaced?". Replacing with zeros (or the mean window, which is
~0 after standardization) feeds the model inputs it never saw; instead we paste
the same steps and channels from other training windows of the same class: real
data of the class, though the spliced window (its edges, one sensor group from
another window) is still new to the model. Averaging over a few such
replacements reduces the luck of the draw.

The input-gradient map is the cheap first-order view of the same question;
`last_block_share` compares where in time the two put their weight.
"""
import numpy as np
import torch

from .data import CHANNEL_GROUPS
from .gradients import input_gradients
from .models import RNNClassifier
from .training import model_mode


def replacement_indices(X, y, X_pool, y_pool, n_replacements=4, seed=0):
    """Which pool windows replace the occluded parts of each window: (N, n_replacements).

    Always windows of the same class, never an exact copy of the window itself
    (so X may be part of the pool). Drawn without replacement when the class
    has enough windows, by a numpy Generator seeded with `seed`.
    """
    X, X_pool = np.asarray(X, dtype=np.float64), np.asarray(X_pool, dtype=np.float64)
    y, y_pool = np.asarray(y), np.asarray(y_pool)
    rng = np.random.default_rng(seed)
    # Fingerprints (a random projection) find candidate copies of a window in the
    # pool without comparing every pair; candidates are then checked exactly.
    probe = np.random.default_rng(12345).standard_normal(X.shape[1] * X.shape[2])
    prints = X.reshape(len(X), -1) @ probe
    pool_prints = X_pool.reshape(len(X_pool), -1) @ probe
    idx = np.empty((len(X), n_replacements), dtype=np.int64)
    for i in range(len(X)):
        same = np.flatnonzero(y_pool == y[i])
        copies = same[np.isclose(pool_prints[same], prints[i], rtol=1e-9, atol=1e-9)]
        copies = [j for j in copies if np.array_equal(X_pool[j], X[i])]
        candidates = np.setdiff1d(same, copies)
        if len(candidates) == 0:
            raise ValueError(f"the pool holds no other window of class {y[i]} (window {i})")
        idx[i] = rng.choice(candidates, size=n_replacements,
                            replace=len(candidates) < n_replacements)
    return idx


def _boundary_states(rnn, x, block):
    """The recurrent state before each block: [None, state after block 0, ...]."""
    states, state = [None], None
    for start in range(0, x.shape[1] - block, block):
        _, state = rnn(x[:, start:start + block], state)
        states.append(state)
    return states


def _repeat(state, k):
    """Each window's recurrent state repeated k times, consecutively (batch is dim 1)."""
    if state is None:
        return None
    if isinstance(state, tuple):   # LSTM: (h, c)
        return tuple(s.repeat_interleave(k, dim=1) for s in state)
    return state.repeat_interleave(k, dim=1)


def _true_prob(logits, y):
    """Softmax probability of each window's true class."""
    return logits.softmax(-1).gather(1, y[:, None])[:, 0]


def _occluded_copies(x, pool, t0, t1, groups):
    """Copies of each window x (n, T, C), one per (group, replacement), with steps
    t0:t1 of that group's channels pasted from the pool windows (n, R, T, C).
    Returns (n * n_groups * R, T, C), ordered window by window."""
    n, R, T, C = pool.shape
    copies = x[:, None, None].expand(n, len(groups), R, T, C).clone()
    for g, channels in enumerate(groups):
        copies[:, g, :, t0:t1][..., channels] = pool[:, :, t0:t1][..., channels]
    return copies.reshape(-1, T, C)


def _drops(model, x, y, pool, block, groups):
    """occlusion_map for one batch of windows x (n, T, C), as a tensor (n, n_groups, n_blocks)."""
    n, R, T, _ = pool.shape
    copies = len(groups) * R                       # occluded copies of each window per block
    p_true = _true_prob(model(x), y)
    y_copies = y.repeat_interleave(copies)
    resumable = isinstance(model, RNNClassifier)
    states = _boundary_states(model.rnn, x, block) if resumable else None
    drops = []
    for t0 in range(0, T, block):
        if resumable:   # the steps before t0 are unchanged: start from the state there
            xs = _occluded_copies(x[:, t0:], pool[:, :, t0:], 0, block, groups)
            logits = model(xs, _repeat(states[t0 // block], copies))
        else:
            logits = model(_occluded_copies(x, pool, t0, t0 + block, groups))
        p = _true_prob(logits, y_copies).reshape(n, len(groups), R)
        drops.append(p_true[:, None] - p.mean(-1))
    return torch.stack(drops, -1)


def occlusion_map(model, X, y, X_pool, y_pool, *, block=16, groups=CHANNEL_GROUPS,
                  n_replacements=4, seed=0, batch_size=512):
    """Drop in true-class probability when one time block of one channel group is replaced.

    Returns (N, n_groups, n_blocks): original p minus occluded p, averaged over
    `n_replacements` same-class pool windows, the ones
    `replacement_indices(X, y, X_pool, y_pool, n_replacements, seed)` returns.
    Positive: the model relied on that part. batch_size counts occluded copies
    per forward pass. For an `RNNClassifier` the unchanged steps before a block
    are run once and the state reused (about half the work).
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[1] % block:
        raise ValueError(f"window length {X.shape[1]} is not a multiple of block={block}")
    groups = [list(channels) for channels in groups.values()]
    idx = replacement_indices(X, y, X_pool, y_pool, n_replacements, seed)
    param = next(model.parameters())
    as_input = lambda a: torch.as_tensor(a, dtype=param.dtype, device=param.device)
    chunk = max(1, batch_size // (len(groups) * n_replacements))    # windows per pass
    drops = []
    with model_mode(model, False), torch.no_grad():
        for lo in range(0, len(X), chunk):
            x, pool = as_input(X[lo:lo + chunk]), as_input(np.asarray(X_pool)[idx[lo:lo + chunk]])
            labels = torch.as_tensor(y[lo:lo + chunk], dtype=torch.long, device=param.device)
            drops.append(_drops(model, x, labels, pool, block, groups))
    return torch.cat(drops).cpu().numpy().astype(np.float64)


def _block_sums(values, block, groups):
    """(N, T, C) -> (N, n_groups, n_blocks): sum over each block's steps and each group's channels."""
    N, T, C = values.shape
    per_block = values.reshape(N, T // block, block, C).sum(axis=2)          # (N, n_blocks, C)
    return np.stack([per_block[:, :, list(ch)].sum(-1) for ch in groups.values()], axis=1)


def input_saliency(model, X, y, *, block=16, groups=CHANNEL_GROUPS, method="gradient",
                   batch_size=512):
    """Input-gradient map in the occlusion layout (N, n_groups, n_blocks).

    method="gradient": sum of |∂p_true/∂x| over the block's steps and the group's
    channels (sensitivity). method="gradient_x_input": sum of ∂p_true/∂x · x,
    the first-order change in p if that part were set to 0 (the standardized mean).
    """
    if method not in ("gradient", "gradient_x_input"):
        raise ValueError(f"method must be 'gradient' or 'gradient_x_input', got {method!r}")
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[1] % block:
        raise ValueError(f"window length {X.shape[1]} is not a multiple of block={block}")
    p_true = lambda logits, labels: _true_prob(logits, labels).sum()      # windows independent
    grads = input_gradients(model, X, y, p_true, batch_size).numpy().astype(np.float64)
    values = np.abs(grads) if method == "gradient" else grads * X
    return _block_sums(values, block, groups)



def last_block_share(mean_map):
    """Share of a (groups, blocks) map's positive mass, summed over groups, in the last block."""
    positive = np.clip(np.asarray(mean_map, dtype=np.float64), 0, None).sum(axis=0)
    return float(positive[-1] / positive.sum())


def peak(mean_map, *, block=16, groups=CHANNEL_GROUPS, lowest=False):
    """Where a (n_groups, n_blocks) map is largest (or lowest): (group name, first step, last step, value).

    Steps count from 1, as in the notebooks' plots.
    """
    mean_map = np.asarray(mean_map)
    flat = mean_map.argmin() if lowest else mean_map.argmax()
    g, b = np.unravel_index(flat, mean_map.shape)
    return list(groups)[g], int(b * block + 1), int((b + 1) * block), float(mean_map[g, b])
