import dataclasses

import pytest
import torch

from har_rnn.config import TrainConfig
from har_rnn.ladder import build_model
from har_rnn.models import CNNClassifier, ConvRNNClassifier, RNNClassifier, init_recurrent_weights

# Parameters of each kind with the default TrainConfig: the notebooks compare models of about this size.
PARAMETERS = {"rnn": 5190, "rnn-mean": 5190, "conv-rnn": 13286, "conv-rnn-mean": 13286,
              "gru": 4326, "lstm": 5702, "cnn": 7062}


def same_weights(a, b):
    return a.state_dict().keys() == b.state_dict().keys() and all(
        torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


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


@pytest.mark.parametrize("kind", PARAMETERS)
def test_build_model_sizes_and_seeds_every_kind(kind):
    """The sizes the notebooks quote, and initial weights that depend on config.seed only."""
    model = build_model(kind, TrainConfig())
    assert sum(p.numel() for p in model.parameters()) == PARAMETERS[kind]
    assert model(torch.randn(2, 128, 9)).shape == (2, 6)
    assert same_weights(model, build_model(kind, TrainConfig()))
    assert not same_weights(model, build_model(kind, dataclasses.replace(TrainConfig(), seed=1)))


def test_conv_rnn_shapes_and_readouts():
    torch.manual_seed(0)
    model = ConvRNNClassifier(channels=8, conv_layers=2, hidden_size=12, readout="mean")
    x = torch.randn(5, 128, 9)
    assert model(x).shape == (5, 6)
    h = model.hidden_states(x)
    assert h.shape == (5, 32, 12)                      # each conv block halves the sequence
    torch.testing.assert_close(model(x), model.head(h.mean(1)))
    last = ConvRNNClassifier(**{**model.config, "readout": "last"})
    last.load_state_dict(model.state_dict())           # same weights, only the readout differs
    torch.testing.assert_close(last(x), model.head(h[:, -1]))
    assert not torch.allclose(last(x), model(x))
    with pytest.raises(ValueError, match="readout"):
        ConvRNNClassifier(readout="max")


def test_conv_rnn_without_convolutions_reading_the_last_state_is_the_rnn_classifier():
    """The ladder's first rung changes only the readout: with conv_layers=0 and "last" it is notebook 02's model."""
    torch.manual_seed(3)
    rnn = RNNClassifier(hidden_size=10, recurrent_init="default")
    torch.manual_seed(3)
    conv = ConvRNNClassifier(conv_layers=0, hidden_size=10, readout="last", recurrent_init="default")
    assert same_weights(rnn, conv)                     # the same seed draws the same weights
    with torch.no_grad():
        for p in rnn.parameters():
            p.add_(0.1 * torch.randn_like(p))
    conv.load_state_dict(rnn.state_dict())
    x = torch.randn(4, 40, 9)
    assert torch.equal(conv(x), rnn(x))
    assert torch.equal(conv.hidden_states(x), rnn.hidden_states(x))


def test_cnn_output_shape():
    model = CNNClassifier(channels=8)
    assert model(torch.randn(5, 128, 9)).shape == (5, 6)
    assert model(torch.randn(2, 37, 9)).shape == (2, 6)     # the mean over time takes any length
