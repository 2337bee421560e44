"""The numerics trace: hashes of every stage from the raw recordings to trained weights.

    python -m har_rnn.tooling.numerics trace           # write TRACE_FILE (the machine that makes the numbers)
    python -m har_rnn.tooling.numerics trace --check   # compare this machine with it

Both run under reference numerics (`numerics.main` re-executes itself with them).
Three kinds of entries, in the order the numbers are made:

- stages: the HAPT rebuild of one recording step by step (raw, median filter,
  low-pass, gravity split, windows, formatted text), all rebuilt windows, the
  data files, the standardization, each model's initial weights;
- operations: every PyTorch operation (name, a hash of its inputs, a hash of its
  output) of each model's first training step on real windows, recorded with a
  `TorchDispatchMode`;
- epochs: each model's weights after each of a few short epochs.

`--check` prints "matches", or the first stage that differs while the one before
agrees, and the first operation whose output differs, saying whether its inputs
agreed (then that kernel rounds differently on this machine). The trace holds
hashes only; it is small enough to commit.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from .. import files
from ..files import atomic_open, display_path

TRACE_FILE = Path(__file__).with_name("numerics_trace.json")   # the committed trace, shipped with the package
HASH_CHARS = 12                                  # 48 bits: a chance collision is out of reach
RECORDING = (1, 1)                               # HAPT experiment 1, user 1: the stages of one rebuild
OP_KINDS = ("rnn", "gru", "lstm", "cnn", "conv-rnn-mean+rot")   # between them, every kernel the ladder runs
EPOCHS, EPOCH_WINDOWS = 3, 512
OCCURRENCES = 3


def _digest(*values, unwritten: frozenset = frozenset()) -> str:
    """A short hash of arrays, tensors, numbers and strings (other objects count by type only).

    Tensors whose memory is in `unwritten` (made by an empty* operation and not yet written)
    count as "unwritten": their bytes mean nothing and differ from run to run."""
    import torch
    from torch.utils._pytree import tree_leaves

    h = hashlib.sha256()
    for leaf in tree_leaves(list(values)):
        if isinstance(leaf, torch.Tensor):
            t = leaf.detach().cpu().contiguous()
            h.update(f"{t.dtype}{tuple(t.shape)}".encode())
            h.update(b"unwritten" if leaf.data_ptr() in unwritten else t.numpy().tobytes())
        elif isinstance(leaf, np.ndarray):
            h.update(f"{leaf.dtype}{leaf.shape}".encode() + np.ascontiguousarray(leaf).tobytes())
        elif leaf is None or isinstance(leaf, (bool, int, float, str, bytes)):
            h.update(repr(leaf).encode())
        else:                                    # a generator, device, dtype...: no addresses in the hash
            h.update(type(leaf).__name__.encode())
    return h.hexdigest()[:HASH_CHARS]


def _signature(values) -> str:
    import torch
    from torch.utils._pytree import tree_leaves

    return ",".join(f"{tuple(v.shape)}{v.dtype}" for v in tree_leaves(list(values)) if isinstance(v, torch.Tensor))


def _op_recorder():
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class OpRecorder(TorchDispatchMode):
        """Operations in the order they run: name, input hash, output hash.

        Only the first OCCURRENCES calls of each operation on each input shape are kept: a
        kernel that rounds differently on another CPU does so from its first call, and the
        128 steps of a recurrent layer would otherwise fill the trace with repeats."""

        def __init__(self):
            super().__init__()
            self.rows: list[str] = []
            self.seen: dict[str, int] = {}
            self.unwritten: set[int] = set()     # memory of empty* outputs not yet written

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            key = f"{func}{_signature((args, kwargs))}"
            self.seen[key] = self.seen.get(key, 0) + 1
            keep = self.seen[key] <= OCCURRENCES
            unwritten = frozenset(self.unwritten)
            inputs = _digest(args, kwargs, unwritten=unwritten) if keep else ""   # before in-place ops change them
            out = func(*args, **kwargs)
            made = {t.data_ptr() for t in tree_leaves([out]) if isinstance(t, torch.Tensor)}
            if "empty" in str(func):
                self.unwritten |= made
            else:
                self.unwritten -= made
            if keep:
                self.rows.append(f"{func} {inputs} {_digest(out, unwritten=frozenset(self.unwritten))}")
            return out

    return OpRecorder()


def _model(name: str, config):
    from ..config import LADDER
    from ..ladder import build_model

    rung = LADDER[name]
    return rung, build_model(rung.kind, config)


def collect(machine: dict, log=print) -> dict:
    """Hash every stage, the first training step's operations and a few epochs, on this machine
    (described by `machine`, e.g. its CPU kind); run under reference numerics."""
    import scipy
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook

    from .. import training
    from ..config import LADDER, TrainConfig
    from ..data import fit_standardizer, load_har, rebuild_stage_digests, standardize

    config = TrainConfig()
    hapt_dir = files.hapt_dir()
    log("tracing the rebuild..." if hapt_dir else "no HAR_HAPT_DIR: the rebuild's stages are not traced")
    stages = [[name, digest[:HASH_CHARS]] for name, digest in rebuild_stage_digests(hapt_dir, RECORDING)] if hapt_dir else []
    har = load_har(log=lambda *_: None)
    stats = fit_standardizer(har.X_train)
    X, X_test = standardize(har.X_train, stats), standardize(har.X_test, stats)
    fit_idx, val_idx = training.volunteer_split(har.subjects_train, config.validation_volunteers)
    stages += [["data files (fingerprint)", har.fingerprint[:HASH_CHARS]],
               ["standardization statistics", _digest(stats["mean"], stats["std"])],
               ["standardized windows", _digest(X, X_test)]]
    for name in LADDER:
        stages.append([f"initial weights: {name}", _digest(dict(_model(name, config)[1].state_dict()))])

    def rotation(rung, run_config):
        return training.RandomRotation(stats, rung.rotation_degrees, run_config.seed) if rung.rotation_degrees else None

    batch = config.batch_size
    operations = {}
    log("tracing the first training step's operations...")
    for name in OP_KINDS:
        rung, model = _model(name, config)
        one_step = dataclasses.replace(config, epochs=1)
        recorder = _op_recorder()
        with recorder:
            training.fit(model, X[fit_idx[:batch]], har.y_train[fit_idx[:batch]], X[val_idx[:batch]],
                         har.y_train[val_idx[:batch]], one_step, augment=rotation(rung, one_step), verbose=False)
        operations[name] = recorder.rows
    log(f"tracing {EPOCHS} short epochs of every model...")
    epochs = {}
    for name in LADDER:
        rung, model = _model(name, config)
        short = dataclasses.replace(config, epochs=EPOCHS)
        hashes = []
        hook = register_optimizer_step_post_hook(
            lambda *_: _after_step(model, hashes, EPOCH_WINDOWS // batch))
        try:
            training.fit(model, X[fit_idx[:EPOCH_WINDOWS]], har.y_train[fit_idx[:EPOCH_WINDOWS]],
                         X[val_idx[:batch]], har.y_train[val_idx[:batch]], short,
                         augment=rotation(rung, short), verbose=False)
        finally:
            hook.remove()
        epochs[name] = [h for h in hashes if h]
    return {"machine": {**machine, "torch": torch.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
            "stages": stages, "operations": operations, "epochs": epochs}


def _after_step(model, hashes: list, steps_per_epoch: int) -> None:
    """The optimizer's post-step hook: the weights' hash at the end of each epoch ('' between)."""
    end_of_epoch = (len(hashes) + 1) % steps_per_epoch == 0
    hashes.append(_digest(dict(model.state_dict())) if end_of_epoch else "")


def differences(committed: dict, here: dict) -> list[str]:
    """The first difference of each section, earliest stage first (empty: the traces match)."""
    found = []
    ours = dict(here["stages"])
    previous = None
    for name, digest in committed["stages"]:
        if name not in ours:
            found.append(f"stage '{name}' was not traced here")
        elif ours[name] != digest:
            after = f" (the stage before, '{previous}', agrees)" if previous else ""
            found.append(f"stage '{name}' differs{after}")
            break
        previous = name
    for kind, rows in committed["operations"].items():
        mine = here["operations"].get(kind, [])
        for i, (theirs, ours_row) in enumerate(zip(rows, mine)):
            if theirs == ours_row:
                continue
            op, in_theirs, _ = theirs.split()
            op_here, in_here, _ = ours_row.split()
            where = f"operation #{i + 1} of {kind}'s first training step"
            if op != op_here:
                found.append(f"{where}: the sequence of operations differs ({op} committed, {op_here} here)")
            elif in_theirs == in_here:
                found.append(f"{where}, {op}, gives another result from the same inputs: "
                             "this kernel rounds differently on this machine")
            else:
                found.append(f"{where}, {op}, gets other inputs (from data or weights made before the step)")
            break
        else:
            if len(rows) != len(mine):
                found.append(f"{kind}'s first training step runs {len(mine)} operations here, {len(rows)} committed")
    for kind, hashes in committed["epochs"].items():
        mine = here["epochs"].get(kind, [])
        first = next((i for i, (a, b) in enumerate(zip(hashes, mine)) if a != b), None)
        if first is not None or len(hashes) != len(mine):
            found.append(f"{kind}'s weights differ after epoch {(first if first is not None else len(mine)) + 1}")
    return found


def write(machine: dict, path: Path = TRACE_FILE, log=print) -> None:
    trace = collect(machine, log)
    with atomic_open(path) as fh:
        fh.write((json.dumps(trace, indent=0) + "\n").encode())
    log(f"wrote {display_path(path)}")


def check(machine: dict, path: Path = TRACE_FILE, log=print) -> int:
    """Compare this machine's trace with the one at `path`; 0 when they match."""
    committed = json.loads(Path(path).read_text(encoding="utf-8"))
    here = collect(machine, log=lambda *_: None)
    theirs, ours = committed["machine"], here["machine"]
    log(f"committed trace: {theirs['cpu_kind']} ({theirs['cpu_model']}); this machine: {ours['cpu_kind']} "
        f"({ours['cpu_model']})")
    versions = [f"{k} {theirs[k]} committed, {ours[k]} here" for k in ("torch", "numpy", "scipy") if theirs[k] != ours[k]]
    if versions:
        log("other library versions: " + "; ".join(versions))
    found = differences(committed, here)
    if not found:
        log("matches: every stage, operation and epoch is bit-identical to the committed trace")
        return 0
    for line in found:
        log("DIFFERS: " + line)
    return 1
