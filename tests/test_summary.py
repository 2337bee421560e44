import numpy as np

from har_rnn.tooling import comparison, publish, readme_table


def test_publish_round_trips_unseen_and_gives_accuracies_in_percent():
    """The numbers live in the output's own MIME type; what a reader sees (text/plain) is empty."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell.display_pub.publish = lambda data, metadata=None, **kwargs: shown.append(data)
    try:
        publish.publish(data_source="x", windows_test=np.int64(10), rnn_test_accuracy=0.91234567,
                        rnn_log10=-7.123, rnn_best_epoch=29)
    finally:
        InteractiveShell.clear_instance()
    (data,) = shown
    assert data["text/plain"] == ""
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": data}]}]}
    assert publish.from_notebook(nb) == {"data_source": "x", "windows_test": 10, "rnn_test_accuracy": 91.23,
                                         "rnn_log10": -7.12, "rnn_best_epoch": 29}
    assert publish.from_notebook({"cells": []}) is None


def test_compare_is_exact_except_for_timings():
    old = {"windows_test": 2996, "rnn_test_accuracy": 91.0, "grad_log10": -3.0, "rnn_best_epoch": 29,
           "rnn_train_seconds": 50.0, "data_source": "a"}

    def compare(committed, fresh):
        return comparison.compare_headlines(committed, fresh, exact=True, results={"runs": {}})

    assert compare(old, dict(old, rnn_train_seconds=90.0)).moved == []
    moved = compare(old, dict(old, windows_test=2995, rnn_test_accuracy=91.01, grad_log10=-3.01,
                              rnn_best_epoch=30, data_source="b")).moved
    assert len(moved) == 5 and any("windows_test changed from 2996 to 2995" in m for m in moved)
    assert compare(old, {k: v for k, v in old.items() if k != "grad_log10"}).moved == [
        "grad_log10 is only in the committed run"]
    assert compare(None, old).moved


def test_results_table_shows_each_rung_over_the_seeds():
    run = lambda acc, f1, pair: {"test_acc": acc, "test_macro_f1": f1, "sitting_standing_errors": pair}
    seeds = {"seeds": [0, 1, 2], "runs": {"rnn": {"0": run(90.1, 90.0, 200), "1": run(91.1, 91.0, 210),
                                                 "2": run(92.1, 92.0, 190)},
                                         "gru": {"0": run(92.5, 92.4, 100), "1": run(92.5, 92.4, 100),
                                                 "2": run(92.5, 92.4, 101)}}}
    table = readme_table.results_table({"02_x.ipynb": {"data_source": "rebuilt", "rnn_parameters": 5190},
                                   "04_y.ipynb": {"gru_parameters": 4326}}, seeds)
    assert "| **1. vanilla RNN, last state** | 91.10 ± 1.00% | 90.10 / 91.10 / 92.10 | 91.00 ± 1.00% | 200 | 5190 |" in table
    assert "| GRU | 92.50 ± 0.00% | 92.50 / 92.50 / 92.50 | 92.40 ± 0.00% | 100 | 4326 |" in table
    assert "LSTM" not in table and "Data: rebuilt." in table      # only runs in the seed results
