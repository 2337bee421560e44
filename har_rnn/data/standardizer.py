"""Per-channel standardization with statistics from the training windows only."""
from __future__ import annotations

import numpy as np


def fit_standardizer(X_train: np.ndarray) -> dict[str, np.ndarray]:
    """Per-channel mean and std over all training windows and time steps."""
    X = np.asarray(X_train, dtype=np.float64)
    return {"mean": X.mean(axis=(0, 1)), "std": X.std(axis=(0, 1))}


def standardize(X: np.ndarray, stats: dict) -> np.ndarray:
    """Apply training statistics (never the test set's own) to any split."""
    mean = np.asarray(stats["mean"], dtype=np.float64)
    std = np.asarray(stats["std"], dtype=np.float64)
    return ((X - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)
