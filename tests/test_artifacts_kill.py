"""Kill a process while it writes the artifacts: the previous set must still load, whole.

A helper process (``python -c HELPER``) imports everything once, then forks one
writer per attempt (importing torch takes seconds, a write about one). Each
writer saves a big set B over a small set A and is killed with SIGKILL, either
at a named point (it says where and waits there) or after a delay spread
across the whole write. After every kill `load_artifacts` must return all of A
or all of B, and the next save must work and leave no hidden folder behind.
"""
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

from har_rnn import artifacts as art
from har_rnn.files import REPOSITORY
from har_rnn.models import RNNClassifier

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")

N_TRAIN, N_TEST = 2400, 800          # set B: ~30 MB of CSV, about a second to write
DATA_INFO = {"source": "synthetic", "fingerprint": "f" * 64}
STATS = {"mean": np.zeros(9), "std": np.ones(9)}

HELPER = r"""
import os, shutil, sys, time
import numpy as np, torch
torch.set_num_threads(1)
from har_rnn import artifacts as art
from har_rnn import files
from har_rnn.models import RNNClassifier

folder, inputs = sys.argv[1], sys.argv[2]
with np.load(os.path.join(inputs, "b.npz")) as f:
    arrays = {k: f[k] for k in f.files}
model = RNNClassifier(hidden_size=4)
model.load_state_dict(torch.load(os.path.join(inputs, "b.pth"), weights_only=True))


def say(*words):                         # unbuffered, one write: safe from both processes
    os.write(1, (" ".join(map(str, words)) + "\n").encode())


def stop_at(point):
    say("at", point)
    time.sleep(60)                       # the test kills us here


def hook(point):
    real_csv, real_rename, real_rmtree = art.format_csv_rows, os.replace, shutil.rmtree
    calls = []

    def csv(*args, **kwargs):            # after the first 1024 rows of the training CSV
        calls.append(1)
        if len(calls) == 2:
            stop_at(point)
        return real_csv(*args, **kwargs)

    def rename(src, dst):                # replace_dir moved the old set aside, not yet the new in
        real_rename(src, dst)
        if ".old-" in os.path.basename(dst):
            stop_at(point)

    def rmtree(path, *args, **kwargs):   # the new set is in place, the old one not yet deleted
        if ".old-" in os.path.basename(path):
            stop_at(point)
        return real_rmtree(path, *args, **kwargs)

    if point == "csv":
        art.format_csv_rows = csv
    elif point == "swap":                # everything written, replace_dir not called yet
        files.replace_dir = lambda new, out: stop_at(point)
    elif point == "between-renames":
        os.replace = rename
    elif point == "cleanup":
        shutil.rmtree = rmtree


say("ready")
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            hook(line.strip())
            art.save_artifacts(folder, **arrays, stats={"mean": np.zeros(9), "std": np.ones(9)},
                               data_info={"source": "synthetic", "fingerprint": "f" * 64}, model=model,
                               train_config={"hidden_size": 4}, metrics={}, seed=1)
            say("saved")
            os._exit(0)
        except BaseException as err:
            say("error", repr(err).replace(" ", "_"))
            os._exit(1)
    say("pid", pid)
    say("exit", pid, os.waitpid(pid, 0)[1])
"""


def make_set(seed, n_train, n_test):
    rng = np.random.default_rng(seed)
    arrays = dict(X_train_std=rng.normal(size=(n_train, 128, 9)).astype(np.float32),
                  y_train=rng.integers(0, 6, n_train), subjects_train=rng.integers(1, 31, n_train),
                  X_test_std=rng.normal(size=(n_test, 128, 9)).astype(np.float32),
                  y_test=rng.integers(0, 6, n_test), subjects_test=rng.integers(1, 31, n_test))
    torch.manual_seed(seed)
    return arrays, RNNClassifier(hidden_size=4)


class Helper:
    """The helper process, and the lines it and its writers print (in any order)."""

    def __init__(self, folder, inputs):
        self.proc = subprocess.Popen([sys.executable, "-c", HELPER, str(folder), str(inputs)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPOSITORY)
        self.lines, self.pending, self.writer = queue.Queue(), [], None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.decode().split())
        self.lines.put(["eof"])

    def wait_for(self, *words, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.pending:
                if msg[0] == "error":
                    pytest.fail(f"the writer failed: {msg[1]}")
                if msg[0] in words:
                    self.pending.remove(msg)
                    return msg
            msg = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            assert msg != ["eof"], f"the helper stopped (exit status {self.proc.wait()})"
            self.pending.append(msg)

    def write(self, point="none", delay=None):
        """Start a writer; kill it at `point`, or after `delay` s, or not at all.
        Returns (killed, seconds from the start to the kill or to the end)."""
        self.proc.stdin.write(f"{point}\n".encode())
        self.proc.stdin.flush()
        self.writer = int(self.wait_for("pid")[1])
        start = time.perf_counter()
        if point != "none":
            assert self.wait_for("at", "saved")[0] == "at", f"the writer never reached {point}"
        elif delay is not None:
            time.sleep(delay)
        seconds = time.perf_counter() - start
        if point != "none" or delay is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.writer, signal.SIGKILL)
        status = int(self.wait_for("exit")[2])
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert killed or status == 0
        if not killed:
            self.wait_for("saved")
            seconds = time.perf_counter() - start
        return killed, seconds

    def close(self):
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(self.writer, signal.SIGKILL)
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def hidden_folders(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def test_killed_save_leaves_a_complete_set(tmp_path):
    folder, inputs = tmp_path / "artifacts", tmp_path / "inputs"
    inputs.mkdir()
    sets = {"A": make_set(0, 30, 12), "B": make_set(1, N_TRAIN, N_TEST)}
    np.savez(inputs / "b.npz", **sets["B"][0])
    torch.save(sets["B"][1].state_dict(), inputs / "b.pth")
    helper = Helper(folder, inputs)

    def save_a():
        arrays, model = sets["A"]
        art.save_artifacts(folder, **arrays, stats=STATS, data_info=DATA_INFO, model=model,
                           train_config={"hidden_size": 4}, metrics={}, seed=0)

    def loaded_set():
        """"A" or "B": which set load_artifacts returns, checking that it is all of that set."""
        loaded = art.load_artifacts(folder)            # never an ArtifactError
        name = "A" if loaded.checkpoint["seed"] == 0 else "B"
        arrays, model = sets[name]
        for key, array in arrays.items():
            assert np.array_equal(getattr(loaded, key), array), (name, key)
        for key, weight in model.state_dict().items():
            assert torch.equal(loaded.model.state_dict()[key], weight), (name, key)
        return name

    assert not torch.equal(sets["A"][1].head.weight, sets["B"][1].head.weight)
    try:
        save_a()
        helper.wait_for("ready")
        # Killed at named points: what loads, and which hidden folders the writer left.
        for point, expected, left in [("csv", "A", ["new"]),            # in the training CSV
                                      ("swap", "A", ["new"]),           # all written, not swapped in
                                      ("between-renames", "A", ["new", "old"]),
                                      ("cleanup", "B", ["old"])]:       # swapped in, old not deleted
            _, seconds = helper.write(point)
            if point == "swap":
                write_seconds = seconds                # the whole write but the swap
            assert hidden_folders(folder) == [f".artifacts.{kind}-{helper.writer}" for kind in left], point
            new = folder.parent / f".artifacts.new-{helper.writer}"
            assert (new / art.MANIFEST_FILE).exists() == (point != "csv") or not new.exists()
            assert folder.exists() == (point != "between-renames")
            assert loaded_set() == expected, point
            save_a()
            assert hidden_folders(folder) == [] and loaded_set() == "A", point
        # Killed after delays spread across the write (and just past it). The write's length is
        # the shorter of two measurements: one slowed by a busy machine would put every kill too late.
        _, full_seconds = helper.write()
        write_seconds = min(write_seconds, full_seconds)
        save_a()
        outcomes = {}
        for fraction in (0.15, 0.4, 0.65, 0.9, 1.1):
            killed, _ = helper.write(delay=fraction * write_seconds)
            outcomes[fraction] = (killed, loaded_set())
            save_a()
            assert hidden_folders(folder) == [] and loaded_set() == "A", fraction
        assert sum(killed for killed, _ in outcomes.values()) >= 2, outcomes
    finally:
        helper.close()
