"""Generated from appendix/A2_The_volunteer_effect_tested.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export volunteers` and re-run
the export (`make export`)."""

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

__all__ = [
    "distance_from_class_centre",
    "recall_by_volunteer",
    "volunteer_effect",
]


# notebook A2, cell 8ade678a
def recall_by_volunteer(y, pred, volunteers, class_names):
    """Recall (%) of every class for every volunteer: a (volunteers x classes) table."""
    correct = pd.Series(100.0 * (pred == y))
    table = correct.groupby([volunteers, y]).mean().unstack()
    return table.rename(columns=dict(enumerate(class_names))).rename_axis(index="volunteer", columns=None)


def distance_from_class_centre(h, y, volunteers, classes, keep=None):
    """How far each volunteer's windows of a class sit from that class's centre in hidden space.

    For class k: || mean of the volunteer's h - mean of all windows' h || divided by the
    class's spread (root-mean-square distance of its windows from the centre), so that
    1 means "one typical window's distance away". `keep` (a mask) limits the volunteer's
    windows, e.g. to correctly classified ones. (volunteers x classes); NaN if none kept.
    """
    h = np.asarray(h, dtype=np.float64)
    keep = np.ones(len(y), bool) if keep is None else np.asarray(keep)
    out = {}
    for k in classes:
        centre = h[y == k].mean(0)
        spread = np.sqrt(((h[y == k] - centre) ** 2).sum(1).mean())
        out[k] = {int(v): np.linalg.norm(h[(volunteers == v) & (y == k) & keep].mean(0) - centre) / spread
                  if ((volunteers == v) & (y == k) & keep).any() else np.nan
                  for v in np.unique(volunteers)}
    return pd.DataFrame(out).rename_axis(index="volunteer")


def volunteer_effect(h, y, pred, volunteers, classes):
    """Do the volunteers whose windows of `classes` sit apart in hidden space fail on them?

    Per volunteer: mean recall over `classes`, and mean distance from the class centres
    (`distance_from_class_centre`), once with all their windows and once with the
    correctly classified ones only (a misclassified window lies past a decision
    boundary, so it tends to lie farther from its class centre). Returns the table
    and Spearman's rank correlation between recall and each distance.
    """
    recall = recall_by_volunteer(y, pred, volunteers, range(int(y.max()) + 1))[list(classes)]
    table = pd.DataFrame({
        "recall %": recall.mean(axis=1),
        "distance, all windows": distance_from_class_centre(h, y, volunteers, classes).mean(axis=1),
        "distance, correct windows": distance_from_class_centre(h, y, volunteers, classes,
                                                                keep=pred == y).mean(axis=1)})
    rho = {col: float(spearmanr(table["recall %"], table[col], nan_policy="omit")[0])
           for col in table.columns[1:]}
    return table, rho
