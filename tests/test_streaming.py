"""Appendix A5's whole recordings: `har_rnn.streaming`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from har_rnn import streaming
from har_rnn.data import HarDataError, WINDOW
from har_rnn.data.hapt import read_segments
from har_rnn.models import RNNClassifier


def small_rnn(seed: int = 0) -> RNNClassifier:
    torch.manual_seed(seed)
    return RNNClassifier(hidden_size=16).eval()


@pytest.mark.parametrize("dtype, tolerance", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
def test_one_call_is_the_sample_by_sample_loop(dtype: torch.dtype, tolerance: float) -> None:
    """The stateful run is one `nn.RNN` call; a phone would step it one sample at a time."""
    model = small_rnn().to(dtype)
    x = np.random.default_rng(0).normal(size=(400, 9))
    with torch.no_grad():
        one_call = model.rnn(torch.as_tensor(x, dtype=dtype)[None])[0][0].numpy()
    loop = streaming.stateful_step_by_step(model, x)
    assert loop.shape == (400, 16)
    assert np.abs(one_call - loop).max() < tolerance
    hidden, probs = streaming.stateful(model.float(), x)
    assert hidden.shape == (400, 16) and probs.shape == (400, 6)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)


def test_the_state_carries_across_chunks() -> None:
    """Chunks with the state handed over give exactly the one call's states."""
    model = small_rnn(1)
    x = torch.randn(1, 300, 9)
    with torch.no_grad():
        whole = model.rnn(x)[0]
        first, h = model.rnn(x[:, :128])
        second, _ = model.rnn(x[:, 128:], h)
    assert torch.equal(whole, torch.cat([first, second], 1))


def test_window_truth_needs_one_activity_in_all_128_samples() -> None:
    labels = np.r_[np.full(200, 5), np.full(60, 7), np.full(300, 4), np.zeros(40, int)]
    starts = np.arange(0, len(labels) - WINDOW + 1, 64)
    truth, in_transition = streaming.window_truth(labels, starts)
    expected = [4 if s + WINDOW <= 200 else 3 if s >= 260 and s + WINDOW <= 560 else -1 for s in starts]
    assert truth.tolist() == expected
    assert in_transition.tolist() == [s < 260 and s + WINDOW > 200 for s in starts]


def test_causal_gives_each_sample_the_last_window_ended() -> None:
    starts = np.array([0, 64, 128])
    per_sample = streaming.causal(starts, np.array([3, 1, 2]), 300)
    assert (per_sample[:127] == -1).all()
    assert (per_sample[127:191] == 3).all() and (per_sample[191:255] == 1).all() and (per_sample[255:] == 2).all()


def test_changes_skip_transitions_and_gaps_and_note_them() -> None:
    labels = np.r_[np.zeros(10, int), np.full(100, 5), np.full(30, 7), np.full(100, 4), np.zeros(20, int),
                   np.full(80, 4), np.full(50, 1)]
    table = streaming.changes(labels)
    assert table[["from", "to", "start", "transition"]].values.tolist() == [
        ["STANDING", "SITTING", 140, True], ["SITTING", "WALKING", 340, False]]


def test_follow_delay_waits_for_the_prediction_to_hold() -> None:
    predicted = np.r_[np.full(100, 4), np.full(10, 3), np.full(20, 4), np.full(200, 3)]
    # From sample 100: a 10-sample blip does not count; the run from 130 holds 64 samples.
    assert streaming.follow_delay(predicted, 3, 100, 330) == pytest.approx(30 / 50)
    assert np.isnan(streaming.follow_delay(predicted, 5, 100, 330))


def test_runs_of_and_the_turn() -> None:
    assert streaming.runs_of(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    R = streaming.turn_about_z(90)
    np.testing.assert_allclose(R @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(streaming.turn_about_z(0), np.eye(3))


def test_without_hapt_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAR_HAPT_DIR", raising=False)
    with pytest.raises(HarDataError, match=r"fetch --hapt"):
        streaming.test_recordings([2], data_home=tmp_path)


def test_stand_in_recordings_for_quick_runs() -> None:
    rng = np.random.default_rng(0)
    X, y, s = rng.normal(size=(6, 128, 9)), np.array([0, 1, 2, 3, 4, 5]), np.array([2, 2, 2, 4, 4, 4])
    recs = streaming.windows_as_recordings(X, y, s)
    assert [r.user for r in recs] == [2, 4]
    assert recs[0].acc.shape == (192, 3) and recs[0].labels.tolist() == [1] * 64 + [2] * 64 + [3] * 64
    np.testing.assert_array_equal(recs[1].gyro[:64], X[3, :64, 3:6])


@pytest.mark.real_data
def test_whole_recordings_hold_the_test_windows_exactly_where_the_data_set_cut_them(real_hapt, real_har) -> None:
    """One code path: the test set's windows are slices of A5's whole recordings."""
    recordings = streaming.read_whole_recordings(real_hapt, np.unique(real_har.subjects_test))
    assert sorted({r.user for r in recordings}) == sorted(np.unique(real_har.subjects_test).tolist())
    segments = read_segments(real_hapt)
    windows = []
    for rec in recordings:                       # experiment order, then labels.txt order, as the rebuild
        channels = rec.channels()
        mine = segments[(segments.experiment == rec.experiment) & (segments.activity <= 6)]
        windows += [channels[s:s + WINDOW] for seg in mine.itertuples()
                    for s in range(seg.start - 1, seg.end - WINDOW + 1, 64)]
    X = np.stack(windows)
    assert X.shape == real_har.X_test.shape
    np.testing.assert_allclose(X, real_har.X_test, atol=1e-6)
