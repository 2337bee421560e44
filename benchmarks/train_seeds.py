"""Train one configuration on the real data with several seeds; report test accuracy.

    python benchmarks/train_seeds.py --cell rnn --seeds 0 1 2
    python benchmarks/train_seeds.py --cell gru --epochs 20 --lr 2e-3

The data comes from `har_rnn.data.load_har()` (e.g. HAR_HAPT_DIR=<hapt folder>
to rebuild the windows from the raw HAPT recordings).

The protocol is notebook 02's: standardize with training-set statistics, hold
out whole training subjects for validation, select the epoch on validation
accuracy only, and evaluate on the test set once, at the end. Prints one line
per seed and mean +- std; writes a JSON summary under benchmarks/results/.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import confusion_matrix

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from har_rnn.models import RNNClassifier  # noqa: E402
from har_rnn.training import evaluate, fit, set_seed, subject_validation_split  # noqa: E402

# The configurations chosen in benchmarks/EXPERIMENTS.md (on validation accuracy only).
DEFAULTS = {
    "rnn": dict(hidden=128, init="identity", lr=1e-3, batch_size=64, clip_norm=1.0, epochs=40,
                schedule="cosine"),
    "gru": dict(hidden=64, init="orthogonal", lr=2e-3, batch_size=128, clip_norm=1.0, epochs=25,
                schedule="cosine"),
    "lstm": dict(hidden=64, init="orthogonal", lr=2e-3, batch_size=64, clip_norm=1.0, epochs=40,
                 schedule="cosine"),
}
N_VAL_SUBJECTS = 4
SPLIT_SEED = 0


def load_standardized():
    from har_rnn.data import fit_standardizer, load_har, standardize
    har = load_har()
    stats = fit_standardizer(har.X_train)
    return (standardize(har.X_train, stats), har.y_train, har.subjects_train,
            standardize(har.X_test, stats), har.y_test, har.subjects_test,
            {"source": har.source, "fingerprint": har.fingerprint})


def run_seed(cell, seed, cfg, data, patience, weight_decay, n_val, split_seed):
    X_tr, y_tr, s_tr, X_te, y_te, s_te, _ = data
    train_idx, val_idx = subject_validation_split(s_tr, n_val, split_seed)
    set_seed(seed)
    model = RNNClassifier(hidden_size=cfg["hidden"], cell=cell, num_layers=cfg.get("layers", 1),
                          recurrent_init=cfg["init"])
    start = time.perf_counter()
    history, _ = fit(model, X_tr[train_idx], y_tr[train_idx], X_tr[val_idx], y_tr[val_idx],
                     epochs=cfg["epochs"], lr=cfg["lr"], batch_size=cfg["batch_size"],
                     clip_norm=cfg["clip_norm"], patience=patience, seed=seed, device="cpu",
                     weight_decay=weight_decay, schedule=cfg["schedule"])
    seconds = time.perf_counter() - start
    test = evaluate(model, X_te, y_te)
    best = history.loc[history.val_acc.idxmax()]
    pred = test["predictions"]
    return {"seed": seed, "test_acc": test["accuracy"], "test_macro_f1": test["macro_f1"],
            "val_acc": float(best.val_acc), "best_epoch": int(best.epoch),
            "epochs_run": len(history), "train_seconds": seconds,
            "epoch_seconds": float(history.seconds.mean()),
            "test_confusion": confusion_matrix(y_te, pred).tolist(),
            "test_acc_by_subject": {int(s): float((pred[s_te == s] == y_te[s_te == s]).mean())
                                    for s in np.unique(s_te)},
            "history": history.to_dict(orient="records")}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", choices=sorted(DEFAULTS), default="rnn")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--hidden", type=int)
    p.add_argument("--layers", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--clip-norm", type=float)
    p.add_argument("--epochs", type=int)
    p.add_argument("--init", choices=["default", "orthogonal", "identity"])
    p.add_argument("--patience", type=int)
    p.add_argument("--schedule", choices=["cosine", "none"])
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--n-val-subjects", type=int, default=N_VAL_SUBJECTS)
    p.add_argument("--split-seed", type=int, default=SPLIT_SEED,
                   help="which training subjects are held out for validation")
    p.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--tag", default="", help="suffix for the results file name")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = dict(DEFAULTS[args.cell])
    for key in ("hidden", "layers", "lr", "batch_size", "clip_norm", "epochs", "init", "schedule"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg["schedule"] = None if cfg["schedule"] == "none" else cfg["schedule"]

    data = load_standardized()
    print(f"{args.cell}: {cfg}, patience={args.patience}, "
          f"weight_decay={args.weight_decay}, threads={torch.get_num_threads()}, "
          f"{args.n_val_subjects} val subjects (split seed {args.split_seed}), "
          f"train {len(data[1])} / test {len(data[4])} windows", flush=True)
    runs = []
    for seed in args.seeds:
        r = run_seed(args.cell, seed, cfg, data, args.patience, args.weight_decay,
                     args.n_val_subjects, args.split_seed)
        runs.append(r)
        print(f"seed {seed}: test acc {r['test_acc']:.4f}  macro-F1 {r['test_macro_f1']:.4f}  "
              f"val acc {r['val_acc']:.4f}  best epoch {r['best_epoch']}/{r['epochs_run']}  "
              f"train {r['train_seconds']:.1f} s ({r['epoch_seconds']:.2f} s/epoch)", flush=True)
    summary = {}
    for key in ("test_acc", "test_macro_f1", "val_acc", "train_seconds", "epoch_seconds"):
        values = np.array([r[key] for r in runs])
        summary[key] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(runs) > 1 else 0.0}
    print(f"{args.cell} mean over {len(runs)} seeds: "
          f"test acc {summary['test_acc']['mean']:.4f} +- {summary['test_acc']['std']:.4f}  "
          f"macro-F1 {summary['test_macro_f1']['mean']:.4f} +- {summary['test_macro_f1']['std']:.4f}  "
          f"val acc {summary['val_acc']['mean']:.4f}  "
          f"train {summary['train_seconds']['mean']:.1f} s", flush=True)

    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"{args.cell}{'-' + args.tag if args.tag else ''}-{stamp}.json"
    path.write_text(json.dumps({
        "cell": args.cell, "config": cfg, "patience": args.patience, "schedule": cfg["schedule"],
        "weight_decay": args.weight_decay, "threads": torch.get_num_threads(),
        "n_val_subjects": args.n_val_subjects, "split_seed": args.split_seed, "data": data[6],
        "summary": summary, "runs": runs}, indent=1) + "\n")
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
