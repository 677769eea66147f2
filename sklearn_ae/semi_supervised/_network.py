"""The fine-tuned network: a pretrained autoencoder's module with an output layer on
its encoder, trained by a private skorch engine on the labelled rows (and, with a
reconstruction weight, on every row's reconstruction)."""

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn

from .._nn.layers import run_layers


def feature_layers(module, head_input):
    """The encoder layers whose output the head reads: all of them (``"code"``), or
    those before the last linear map into the code (``"hidden"``)."""
    if head_input == "code":
        return None
    layers = list(module.encoder)
    last = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
    return nn.Sequential(*layers[:last])


def features(module, x, head_input):
    """What the head reads for the batch ``x``: the code, or the last hidden layer."""
    if head_input == "code":
        return module.encode(x)
    return run_layers(feature_layers(module, head_input), x)


class FineTuned(nn.Module):
    """``autoencoder`` (a fitted module) with ``head``, a linear map from its
    features to the outputs; ``forward`` gives the outputs and, with
    ``reconstruct``, the decoder's output."""

    def __init__(self, autoencoder, head, head_input, reconstruct):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head
        self.head_input = head_input
        self.reconstruct = reconstruct

    def forward(self, x):
        if not self.reconstruct:
            return self.head(features(self.autoencoder, x, self.head_input)), None
        code = self.autoencoder.encode(x)
        hidden = code if self.head_input == "code" else features(self.autoencoder, x, "hidden")
        return self.head(hidden), self.autoencoder.decode(code)


class FineTuneNet(NeuralNet):
    """skorch's ``NeuralNet`` with the fine-tuning objective: ``supervised(outputs,
    y, labelled)`` on the rows of the batch that have a label, plus
    ``reconstruction_weight`` times the autoencoder's reconstruction loss on every
    row of the batch."""

    def __init__(self, *args, supervised=None, reconstruction_weight=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.supervised = supervised
        self.reconstruction_weight = reconstruction_weight

    def get_loss(self, y_pred, y_true, X=None, training=False):
        outputs, decoded = y_pred
        loss = self.supervised(outputs, y_true)
        if decoded is not None and self.reconstruction_weight:
            module = self.module_.autoencoder
            loss = loss + self.reconstruction_weight * module.reconstruction_loss(decoded, X)
        return loss


def fine_tune(module, X, y, valid, supervised, settings, device, generator, reconstruction_weight):
    """Train ``module`` (a ``FineTuned``) on float32 ``X`` and targets ``y``; ``valid``:
    the held-out ``(X, y)`` whose loss stops training early (and whose best epoch's
    weights are kept), or None. Returns the trained module and its history."""
    callbacks = []
    if valid is not None:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss",
                    patience=settings["n_iter_no_change"],
                    threshold=settings["tol"],
                    load_best=True,
                    sink=lambda *_: None,
                ),
            )
        )
    net = FineTuneNet(
        module,
        criterion=nn.Identity,  # unused: get_loss is the objective
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=settings["weight_decay"],
        lr=settings["lr"],
        max_epochs=settings["max_epochs"],
        batch_size=min(settings["batch_size"], len(X)),
        iterator_train__shuffle=True,
        iterator_train__generator=generator,
        train_split=None if valid is None else predefined_split(Dataset(*valid)),
        callbacks=callbacks,
        device=device,
        verbose=0,
        supervised=supervised,
        reconstruction_weight=reconstruction_weight,
    )
    net.fit(X, y)
    return net.module_.cpu().eval() if device != "cpu" else net.module_.eval(), net.history


def masked_cross_entropy(logits, y):
    """Mean cross-entropy over the rows with a label (``y >= 0``); 0 without any."""
    labelled = y >= 0
    if not labelled.any():
        return logits.sum() * 0.0
    return nn.functional.cross_entropy(logits[labelled], y[labelled])


def masked_squared_error(outputs, y):
    """Mean squared error over the rows with a target (not NaN); 0 without any."""
    labelled = ~torch.isnan(y)
    if not labelled.any():
        return outputs.sum() * 0.0
    return nn.functional.mse_loss(outputs[labelled], y[labelled])


def as_float32(X):
    return np.ascontiguousarray(X, dtype=np.float32)
