from har_rnn import summary


def test_publish_round_trips_and_gives_accuracies_in_percent(capsys):
    summary.publish(data_source="x", windows_test=10, rnn_test_accuracy=0.91234567, rnn_log10=-7.123,
                    rnn_best_epoch=29)
    assert summary.parse(capsys.readouterr().out) == {"data_source": "x", "windows_test": 10,
                                                      "rnn_test_accuracy": 91.23, "rnn_log10": -7.12,
                                                      "rnn_best_epoch": 29}


def test_compare_is_exact_except_for_timings():
    old = {"windows_test": 2996, "rnn_test_accuracy": 91.0, "grad_log10": -3.0, "rnn_best_epoch": 29,
           "rnn_train_seconds": 50.0, "data_source": "a"}
    assert summary.compare(old, dict(old, rnn_train_seconds=90.0)) == []
    moved = summary.compare(old, dict(old, windows_test=2995, rnn_test_accuracy=91.01, grad_log10=-3.01,
                                      rnn_best_epoch=30, data_source="b"))
    assert len(moved) == 5 and any("windows_test changed from 2996 to 2995" in m for m in moved)
    assert summary.compare(old, {k: v for k, v in old.items() if k != "grad_log10"}) == [
        "grad_log10 is only in the committed run"]
    assert summary.compare(None, old)


def test_results_table_shows_seed_zero_and_the_seed_spread():
    seeds = {"seeds": [0, 1, 2], "runs": {"rnn": {"0": {"test_acc": 90.1}, "1": {"test_acc": 91.1},
                                                 "2": {"test_acc": 92.1}},
                                         "gru": {"0": {"test_acc": 92.5}, "1": {"test_acc": 92.5},
                                                 "2": {"test_acc": 92.5}}}}
    table = summary.results_table({
        "02_x.ipynb": {"data_source": "rebuilt", "rnn_test_accuracy": 90.1, "rnn_test_macro_f1": 89.9,
                       "rnn_train_seconds": 40.0},
        "04_y.ipynb": {"gru_test_accuracy": 92.5, "gru_test_macro_f1": 92.4, "gru_train_seconds": 70.0,
                       "gru_parameters": 4326}}, seeds)
    assert "| vanilla RNN | 90.10% | 89.90% | 91.10 ± 1.00% |  | 40 s | 02 |" in table
    assert "| GRU | 92.50% | 92.40% | 92.50 ± 0.00% | 4326 | 70 s | 04 |" in table and "LSTM" not in table
    assert "Data: rebuilt." in table
