"""har_rnn.volunteers (notebook 04): recall per volunteer and the volunteer effect."""
import numpy as np
import pytest

from har_rnn.volunteers import distance_from_class_centre, recall_by_volunteer, volunteer_effect


def test_recall_by_volunteer():
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1])
    pred = np.array([0, 1, 1, 1, 0, 0, 0, 1])
    volunteers = np.array([7, 7, 7, 7, 9, 9, 9, 9])
    table = recall_by_volunteer(y, pred, volunteers, ["a", "b"])
    assert table.index.tolist() == [7, 9] and table.columns.tolist() == ["a", "b"]
    np.testing.assert_allclose(table.to_numpy(), [[50, 100], [100, 100 / 3]])


def test_distance_from_class_centre_in_units_of_spread():
    # class 0: volunteer 1 at (0, 0) twice, volunteer 2 at (2, 0) and (4, 0); centre (1.5, 0)
    h = np.array([[0.0, 0], [0, 0], [2, 0], [4, 0]])
    y = np.zeros(4, int)
    volunteers = np.array([1, 1, 2, 2])
    spread = np.sqrt(np.mean([1.5 ** 2, 1.5 ** 2, 0.5 ** 2, 2.5 ** 2]))
    table = distance_from_class_centre(h, y, volunteers, [0])
    np.testing.assert_allclose(table[0].to_numpy(), [1.5 / spread, 1.5 / spread])
    kept = distance_from_class_centre(h, y, volunteers, [0], keep=np.array([1, 1, 1, 0], bool))
    np.testing.assert_allclose(kept[0].to_numpy(), [1.5 / spread, 0.5 / spread])
    none = distance_from_class_centre(h, y, volunteers, [0], keep=np.array([1, 1, 0, 0], bool))
    assert np.isnan(none.loc[2, 0])


@pytest.mark.filterwarnings("ignore:An input array is constant")   # the second case, on purpose
def test_volunteer_effect_separates_the_errors_from_the_volunteer():
    """Volunteer 0: 100 correct windows at x = 0, which fix the class centre near 0. Volunteer
    k = 1..4: 5 windows, k of them wrong; the correct ones at x = k + 1, the wrong ones 3 further.
    Recall falls with k and both distances grow with it: both correlations are -1."""
    h = [[0.0, 0.0]] * 100
    pred, volunteers = [0] * 100, [0] * 100
    for k in (1, 2, 3, 4):
        for j in range(5):
            wrong = j < k
            h.append([k + 1 + (3 if wrong else 0), 0.0])
            pred.append(1 if wrong else 0)
            volunteers.append(k)
    h, pred, volunteers = map(np.array, (h, pred, volunteers))
    y = np.zeros(len(h), int)
    table, rho = volunteer_effect(h, y, pred, volunteers, [0])
    np.testing.assert_allclose(table["recall %"], [100, 80, 60, 40, 20])
    assert rho == {"distance, all windows": pytest.approx(-1), "distance, correct windows": pytest.approx(-1)}

    # Now every correct window sits at the origin and the errors on the other axis, in
    # directions that keep the class centre at the origin: only the errors are far out.
    h[:] = 0.0
    wrong = pred != y
    h[wrong, 1] = np.array([0, 1, -1, -1, 1])[volunteers[wrong]]
    table, rho = volunteer_effect(h, y, pred, volunteers, [0])
    assert rho["distance, all windows"] == pytest.approx(-1)
    assert np.ptp(table["distance, correct windows"].dropna()) < 1e-12
    assert np.isnan(rho["distance, correct windows"])        # no ranking left to correlate
