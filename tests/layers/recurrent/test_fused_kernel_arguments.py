"""What the fused recurrent path hands torch's kernels: on CUDA, cuDNN keeps what its backward pass needs only when
called in training mode, and packs the weights with views, so the flag must follow grad mode and the weights be
contiguous. The CPU kernels ignore both, so they are checked here by recording the arguments."""

import numpy as np
import pytest
import torch

import cornu
from cornu.layers.recurrent import fused


@pytest.fixture
def recorded(monkeypatch):
    calls = []
    kernels = dict(fused._KERNELS)

    def recording(kind):
        def kernel(*args):
            calls.append(args)
            return kernels[kind](*args)

        return kernel

    monkeypatch.setattr(fused, "_KERNELS", {kind: recording(kind) for kind in kernels})
    return calls


def test_the_kernel_trains_when_gradients_are_wanted_and_not_in_inference(recorded):
    model = cornu.Sequential([cornu.Input((5, 2)), cornu.layers.LSTM(3), cornu.layers.Dense(1)])
    model.compile("adam", "mse")
    x, y = np.ones((4, 5, 2), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)
    fitting = [args[6] for args in recorded]  # (input, hx, weights, has_biases, layers, dropout, train, ...)
    recorded.clear()
    model.predict(x, verbose=0)
    assert fitting[-1] is True  # the training step's forward pass, whose backward follows
    assert [args[6] for args in recorded] == [False]


def test_cuda_inputs_get_contiguous_weights(recorded, monkeypatch):
    weights = fused.lstm_weights_to_torch(torch.ones(2, 12), torch.ones(3, 12), torch.zeros(12))
    assert not weights[0].is_contiguous()  # Keras's (in, 4 * units) kernel, transposed
    monkeypatch.setattr(torch.Tensor, "is_cuda", property(lambda self: True))  # the CPU kernel stands in for cuDNN
    fused.run_fused("lstm", torch.ones(1, 4, 2), [torch.zeros(1, 3), torch.zeros(1, 3)], weights)
    assert all(weight.is_contiguous() for weight in recorded[-1][2])
