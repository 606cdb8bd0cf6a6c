"""Every layer's training step runs on meta tensors (shapes, no data): any host sync (`.item()`, a branch on a
value, `.numpy()`) in `call` would raise here."""

import pytest
import torch

from cornu import layers as L

SINGLE = [
    (lambda: L.BatchNormalization(), (4, 3)),
    (lambda: L.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "dmax": 1.0}), (4, 3)),
    (lambda: L.BatchNormalization(axis=1), (4, 3, 5)),
    (lambda: L.LayerNormalization(), (4, 3)),
    (lambda: L.LayerNormalization(axis=1), (4, 3, 5)),
    (lambda: L.Dropout(0.5), (4, 3)),
    (lambda: L.Dropout(0.5, noise_shape=(None, 1)), (4, 3)),
    (lambda: L.SpatialDropout1D(0.5), (4, 3, 2)),
    (lambda: L.GaussianNoise(0.1), (4, 3)),
    (lambda: L.GaussianDropout(0.1), (4, 3)),
    (lambda: L.ActivityRegularization(l1=0.1), (4, 3)),
    (lambda: L.PReLU(), (4, 3)),
    (lambda: L.ReLU(max_value=2.0, threshold=0.5, negative_slope=0.1), (4, 3)),
    (lambda: L.LeakyReLU(), (4, 3)),
    (lambda: L.ELU(), (4, 3)),
    (lambda: L.Softmax(), (4, 3)),
    (lambda: L.Flatten(), (4, 3, 2)),
    (lambda: L.Reshape((-1,)), (4, 3, 2)),
    (lambda: L.Permute((2, 1)), (4, 3, 2)),
    (lambda: L.RepeatVector(2), (4, 3)),
    (lambda: L.Masking(), (4, 3, 2)),
    (lambda: L.Identity(), (4, 3)),
    (lambda: L.Lambda(lambda t: t * 2), (4, 3)),
]


@pytest.mark.parametrize("make, shape", SINGLE)
def test_single_input_layers_do_not_sync_the_host(make, shape):
    layer = make()
    layer(torch.zeros(shape))  # build on real data, then move the weights to the meta device
    layer.to("meta")
    out = layer(torch.empty(shape, device="meta"), training=True)
    assert out.device.type == "meta" and tuple(out.shape) == tuple(layer(torch.zeros(shape).to("meta")).shape)


@pytest.mark.parametrize(
    "layer, shapes",
    [
        (L.Add(), [(4, 3), (4, 3)]),
        (L.Maximum(), [(4, 3), (4, 1)]),
        (L.Concatenate(), [(4, 3), (4, 2)]),
        (L.Dot(axes=1, normalize=True), [(4, 3), (4, 3)]),
    ],
)
def test_merge_layers_do_not_sync_the_host(layer, shapes):
    layer([torch.zeros(s) for s in shapes])
    assert layer([torch.empty(s, device="meta") for s in shapes]).device.type == "meta"


def test_embedding_does_not_sync_the_host():
    layer = L.Embedding(5, 2).to("meta")
    assert layer(torch.zeros(2, 3, dtype=torch.long, device="meta")).shape == (2, 3, 2)
