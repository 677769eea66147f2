"""Fine-tuning a pretrained module with an output layer: a private skorch engine
trained on the labelled rows (and, with a reconstruction weight, on every row's
reconstruction), stopping early on held-out labelled rows."""

import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn


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
    """Train ``module`` (``forward(x) -> (outputs, decoded or None)``, with the
    autoencoder as ``module.autoencoder``) on float32 ``X`` and targets ``y``; ``valid``:
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
