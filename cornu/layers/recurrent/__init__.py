"""Recurrent layers: cells, `RNN`, `SimpleRNN`, `LSTM`, `GRU` and the `Bidirectional`/`TimeDistributed` wrappers,
`ConvLSTM2D`."""

from cornu.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from cornu.layers.recurrent.conv_lstm import ConvLSTM2D
from cornu.layers.recurrent.gru import GRU
from cornu.layers.recurrent.lstm import LSTM
from cornu.layers.recurrent.rnn import RNN
from cornu.layers.recurrent.simple_rnn import SimpleRNN
from cornu.layers.recurrent.wrappers import Bidirectional, TimeDistributed

__all__ = [
    "Bidirectional",
    "ConvLSTM2D",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
