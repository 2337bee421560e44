"""Train the models the package ships (`har_rnn.shipped`), or check that they are what the notebooks train.

    python -m har_rnn.tooling.ship                     # train both, write har_rnn/shipped/{rnn,answer}.pt
    python -m har_rnn.tooling.ship --check             # train again, compare with the shipped files; write nothing
    python -m har_rnn.tooling.ship --check --only answer
    python -m har_rnn.tooling.ship --evaluate          # the shipped models' test accuracy here; no training

Each model is trained exactly as its notebook trains it: the data from `load_har()`, standardized
with the training set's statistics (notebook 02), then `train_rung(rung, TrainConfig(), ...)` with
seed 0: "rnn" is notebook 02's model, "answer" notebook 04's `ANSWER` (about 1 and 2 minutes).
The script re-executes itself under reference numerics (`numerics.reference_env()`), so that on
the CPU kinds `numerics.REPRODUCED_ON` lists the weights come back bit for bit. On another kind
it does not write (unless --force), and --check compares the test accuracy within the seed
spread (`comparison.tolerance`) instead of the weights.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from . import numerics

MODULE = "har_rnn.tooling.ship"


def prepared_data():
    """Notebook 02's arrays: the windows standardized with the training set's statistics."""
    from types import SimpleNamespace

    from ..data import fit_standardizer, load_har, standardize

    har = load_har(log=lambda *_: None)
    stats = fit_standardizer(har.X_train)
    return SimpleNamespace(har=har, stats=stats, X_train=standardize(har.X_train, stats),
                           X_test=standardize(har.X_test, stats),
                           info={"source": har.source, "fingerprint": har.fingerprint,
                                 "n_train": len(har.y_train), "n_test": len(har.y_test)})


def train(name: str, data, *, log=print) -> dict:
    """Train shipped model `name` as its notebook does; its record (`shipped.make_record`)."""
    import torch

    from ..config import LADDER, TrainConfig
    from ..shipped import SHIPPED, make_record
    from ..ladder import train_rung
    from ..training import evaluate

    rung, config, har = SHIPPED[name], TrainConfig(), data.har
    log(f"{name} ({rung}): ", end="")
    start = time.perf_counter()
    model, history = train_rung(rung, config, data.X_train, har.y_train, har.subjects_train, data.stats)
    seconds = time.perf_counter() - start
    test = evaluate(model, data.X_test, har.y_test)
    best = history.attrs["best_epoch"]
    metrics = {"test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
               "val_accuracy": float(history.set_index("epoch").loc[best, "val_acc"]), "best_epoch": best,
               "epochs": LADDER[rung].train_config(config).epochs}
    exact, _ = numerics.bit_identity_possible(har.fingerprint)
    provenance = {"made_by": f"python -m {MODULE}", "cpu_kind": numerics.cpu_kind(),
                  "reference_numerics": numerics.is_reference_run(), "bit_identical_to_the_book": exact,
                  "torch": str(torch.__version__)}
    log(f"{name}: test accuracy {test['accuracy']:.2%} ({seconds:.0f} s)")
    return make_record(name, model, config, data.stats, data.info, metrics, provenance)


def seed_zero(rung: str) -> float:
    """The committed seed results' seed-0 test accuracy of `rung`, in percent."""
    from .seeds import load_results

    return load_results()["runs"][rung]["0"]["test_acc"]


def _tolerance(rung: str) -> float:
    """How far a test accuracy (percent) may move where bit identity cannot hold."""
    from .comparison import seed_spread, tolerance
    from .seeds import load_results

    std = seed_spread(load_results(), rung, "test_acc")
    return tolerance("test_acc", 0.0 if std is None else std)


def differences(shipped: dict, fresh: dict, exact: bool) -> list[str]:
    """What differs between a shipped record and a freshly trained one (`exact`: bit for bit)."""
    import numpy as np
    import torch

    name, found = shipped["name"], []
    for key in ("rung", "model_class", "model_config", "train_config", "data"):
        if shipped[key] != fresh[key]:
            found.append(f"{name}: {key} differs ({shipped[key]!r} shipped, {fresh[key]!r} now)")
    old, new = shipped["standardization"], fresh["standardization"]
    same_stats = old == new if exact else (old["channels"] == new["channels"] and all(
        np.allclose(old[k], new[k], rtol=1e-9, atol=0) for k in ("mean", "std")))
    if not same_stats:
        found.append(f"{name}: the standardization statistics differ")
    old_acc, new_acc = 100 * shipped["metrics"]["test_accuracy"], 100 * fresh["metrics"]["test_accuracy"]
    if exact:
        weights_old, weights_new = shipped["state_dict"], fresh["state_dict"]
        if weights_old.keys() != weights_new.keys():
            found.append(f"{name}: other parameters ({sorted(weights_old)} shipped, {sorted(weights_new)} now)")
        else:
            moved = [k for k in weights_old if not torch.equal(weights_old[k], weights_new[k])]
            if moved:
                found.append(f"{name}: the weights differ ({', '.join(moved)})")
        if shipped["metrics"] != fresh["metrics"]:
            found.append(f"{name}: the metrics differ ({shipped['metrics']} shipped, {fresh['metrics']} now)")
    elif abs(new_acc - old_acc) > (allowed := _tolerance(shipped["rung"])):
        found.append(f"{name}: test accuracy {new_acc:.2f}% now, {old_acc:.2f}% shipped "
                     f"(tolerance {allowed:.2f} points)")
    committed = seed_zero(shipped["rung"])
    if exact and old_acc != committed:
        found.append(f"{name}: shipped test accuracy {old_acc}% is not the committed seed 0's {committed}%")
    return found


def evaluate_shipped(names, data) -> dict:
    """{name: {"test_accuracy", "stored", "seed_0"}}: each shipped model on the test set here, its
    windows standardized with the model's own shipped statistics (fractions; seed_0 in percent)."""
    from ..data import standardize
    from ..shipped import load_shipped
    from ..training import evaluate

    found = {}
    for name in names:
        shipped = load_shipped(name)
        test = evaluate(shipped.model, standardize(data.har.X_test, shipped.stats), data.har.y_test)
        found[name] = {"test_accuracy": test["accuracy"], "stored": shipped.test_accuracy,
                       "seed_0": seed_zero(shipped.rung)}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=("rnn", "answer"), default=None,
                        help="these models only (default: both)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="train again and compare with the shipped files")
    what.add_argument("--evaluate", action="store_true", help="measure the shipped models' test accuracy here")
    parser.add_argument("--force", action="store_true",
                        help="write even where this machine cannot reproduce the book's weights")
    args = parser.parse_args(argv)
    if not numerics.is_reference_run():           # pin the kernels before torch and numpy load
        os.execve(sys.executable, [sys.executable, "-m", MODULE, *(sys.argv[1:] if argv is None else argv)],
                  numerics.reference_env())

    from ..data.errors import HarError
    from ..files import display_path, require_repository
    from ..shipped import SHIPPED, read_record, save_record, shipped_path

    print("numerics:", numerics.apply_in_process(), flush=True)
    names = args.only or list(SHIPPED)
    try:
        data = prepared_data()
        exact, why = numerics.bit_identity_possible(data.har.fingerprint)
        if args.evaluate:
            found = evaluate_shipped(names, data)
            bad = []
            for name, got in found.items():
                print(f"{name}: test accuracy {got['test_accuracy']:.4%} here, {got['stored']:.4%} stored, "
                      f"{got['seed_0']:.4f}% committed seed 0")
                if exact and not (got["test_accuracy"] == got["stored"] and 100 * got["stored"] == got["seed_0"]):
                    bad.append(name)
            return 1 if bad else 0
        if not (args.check or exact or args.force):
            print(f"Nothing written: this machine would not train the book's weights ({why}). "
                  "Pass --force to ship its own anyway.")
            return 1
        if not args.check:
            require_repository(f"python -m {MODULE}")     # it writes into the clone's har_rnn/shipped/
        records = {name: train(name, data, log=lambda *a, **k: print(*a, **k, flush=True)) for name in names}
        if args.check:
            if not exact:
                print(f"comparing the test accuracies within the seed spread, not the weights: {why}")
            found = [line for name in names for line in differences(read_record(name), records[name], exact)]
            for line in found:
                print("DIFFERS:", line)
            print(f"{len(found)} differences: run `python -m {MODULE}` (and commit har_rnn/shipped/)" if found
                  else "the shipped models are what this code trains" + (" (bit for bit)" if exact else ""))
            return 1 if found else 0
        for name, record in records.items():
            path = shipped_path(name)
            save_record(record, path)
            committed = seed_zero(record["rung"])
            note = ("" if 100 * record["metrics"]["test_accuracy"] == committed
                    else f"; NOT the committed seed 0's {committed:.4f}%: are the seed results current?")
            print(f"wrote {display_path(path)} ({path.stat().st_size:,} bytes)" + note)
        return 0
    except HarError as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
