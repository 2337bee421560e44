import re

import pytest
import torch

from har_rnn import export
from har_rnn.models import RNNClassifier, init_recurrent_weights

def check_cell_shape(module):
    """The module is `header + blocks`, each block marked with the notebook cell it came from."""
    text = (export.PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    assert text.startswith('"""Generated from 0')
    body = text[text.index('"""\n', 3) + 4:]
    assert body.startswith("\n") and body.endswith("\n") and not body.endswith("\n\n")
    blocks = re.split(r"\n\n\n(?=# notebook )", body[1:-1])
    marker, _, first = blocks[0].partition("\n")
    assert first.startswith(("import", "from")), "the first cell holds the imports"
    for block in blocks:
        assert re.fullmatch(r"# notebook 0[1-4], cell \d+", block.partition("\n")[0]), block[:60]
        assert block.strip() and block == block.strip("\n"), f"not one cell: {block[:60]!r}"


def test_models_module_is_in_cell_shape():
    check_cell_shape("models")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_output_shapes(cell, num_layers):
    model = RNNClassifier(input_size=9, hidden_size=16, num_classes=6, cell=cell, num_layers=num_layers)
    x = torch.randn(5, 128, 9)
    assert model(x).shape == (5, 6)
    assert model.hidden_states(x).shape == (5, 128, 16)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_logits_come_from_the_last_hidden_state(cell):
    model = RNNClassifier(hidden_size=8, cell=cell, num_layers=2)
    x = torch.randn(3, 20, 9)
    torch.testing.assert_close(model(x), model.head(model.hidden_states(x)[:, -1]))


def test_hidden_states_follow_the_vanilla_rnn_recurrence():
    torch.manual_seed(0)
    model = RNNClassifier(input_size=9, hidden_size=12, cell="rnn")
    x = torch.randn(4, 30, 9)
    rnn = model.rnn
    h = torch.zeros(4, 12)
    expected = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        expected.append(h)
    with torch.no_grad():
        torch.testing.assert_close(model.hidden_states(x), torch.stack(expected, dim=1))


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_recurrent_init(cell, gates):
    eye = torch.eye(10)
    ortho = RNNClassifier(hidden_size=10, cell=cell, recurrent_init="orthogonal")
    for block in ortho.rnn.weight_hh_l0.detach().split(10):
        torch.testing.assert_close(block @ block.T, eye, atol=1e-5, rtol=0)
    ident = RNNClassifier(hidden_size=10, cell=cell, recurrent_init="identity")
    assert torch.equal(ident.rnn.weight_hh_l0.detach(), eye.repeat(gates, 1))
    with pytest.raises(ValueError, match="recurrent_init"):
        init_recurrent_weights(ortho.rnn, "xavier")


def test_config_rebuilds_the_model():
    model = RNNClassifier(hidden_size=7, cell="gru", num_layers=2, recurrent_init="default")
    clone = RNNClassifier(**model.config)
    clone.load_state_dict(model.state_dict())
    x = torch.randn(2, 10, 9)
    torch.testing.assert_close(clone(x), model(x))
    assert all(isinstance(v, (int, float, str)) for v in model.config.values())


def test_unknown_cell():
    with pytest.raises(ValueError, match="cell"):
        RNNClassifier(cell="transformer")
