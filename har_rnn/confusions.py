"""Generated from 04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export confusions` and re-run
the export (`make export`)."""

import numpy as np
from sklearn.metrics import confusion_matrix

__all__ = [
    "confusion_percent",
    "pair_errors",
]


# notebook 04, cell 16f338dc
def confusion_percent(y_true, y_pred, n_classes):
    """Row-normalized confusion matrix in %: entry (a, b) is the share of class a's windows predicted as b."""
    return 100 * confusion_matrix(y_true, y_pred, labels=range(n_classes), normalize="true")


def pair_errors(y_true, y_pred, a, b):
    """How many windows of class a were predicted as b, plus those of b predicted as a."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return int(((y_true == a) & (y_pred == b)).sum() + ((y_true == b) & (y_pred == a)).sum())
