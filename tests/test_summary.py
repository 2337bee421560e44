from har_rnn import summary


def test_publish_round_trips(capsys):
    summary.publish({"data_source": "x", "windows_test": 10, "rnn_test_accuracy": 91.234567})
    assert summary.parse(capsys.readouterr().out) == {"data_source": "x", "windows_test": 10,
                                                      "rnn_test_accuracy": 91.23}


def test_compare_reports_what_moved():
    old = {"windows_test": 2996, "rnn_test_accuracy": 91.0, "grad_log10": -3.0, "pca_var": 60.0,
           "rnn_train_seconds": 50.0, "data_source": "a"}
    assert summary.compare(old, dict(old, rnn_train_seconds=90.0, rnn_test_accuracy=91.4, grad_log10=-3.4)) == []
    moved = summary.compare(old, dict(old, windows_test=2995, rnn_test_accuracy=90.4, pca_var=64.0,
                                      data_source="b"))
    assert len(moved) == 4 and any("windows_test changed from 2996 to 2995" in m for m in moved)
    assert summary.compare(old, {k: v for k, v in old.items() if k != "pca_var"}) == [
        "pca_var is only in the committed run"]
    assert summary.compare(None, old)


def test_results_table_reads_the_model_keys():
    table = summary.results_table({
        "02_x.ipynb": {"data_source": "rebuilt", "rnn_test_accuracy": 90.1, "rnn_test_macro_f1": 89.9,
                       "rnn_train_seconds": 40.0},
        "04_y.ipynb": {"gru_test_accuracy": 92.5, "gru_test_macro_f1": 92.4, "gru_train_seconds": 70.0}})
    assert "| vanilla RNN | 90.10% | 89.90% | 40 s | 02 |" in table
    assert "| GRU | 92.50% | 92.40% | 70 s | 04 |" in table and "LSTM" not in table
    assert "Data: rebuilt." in table
