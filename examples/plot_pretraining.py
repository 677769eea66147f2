"""
Unsupervised pretraining with few labels
========================================

Labels are expensive; unlabeled images are not. An autoencoder trained on all
images (no labels) gives an encoder, and ``encoder_module()`` hands it over as
a ``torch.nn.Module`` to become the first layers of a skorch
``NeuralNetClassifier``, either frozen (only the last layer learns) or
fine-tuned. We compare both with the same network trained from scratch, for a
few labeled images, averaging three random draws of the labeled set.

On scikit-learn's digits the three end up close: 64 clean pixels are easy
enough for a small network to learn from a few labels directly. Pretraining
pays off on harder inputs (more pixels, fewer labels, noisier data), which is
where Hinton & Salakhutdinov (2006) used it; the code below is the hand-off to
reuse there.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
y = y.astype(np.int64)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

ae = AutoencoderTransformer(
    n_components=32, hidden_layer_sizes=(128,), batch_size=64, max_epochs=80, random_state=0
).fit(X_pool)  # uses no labels


def classifier(encoder, frozen=False):
    torch.manual_seed(0)
    for parameter in encoder.parameters():
        parameter.requires_grad_(not frozen)
    return NeuralNetClassifier(
        torch.nn.Sequential(encoder, torch.nn.Linear(32, 10)),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-2 if frozen else 1e-3,
        max_epochs=100,
        batch_size=32,
        train_split=None,
        verbose=0,
    )


def scratch_encoder():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 32))


sizes = [10, 20, 50, 100]
models = {
    "pretrained encoder, frozen": lambda: classifier(ae.encoder_module(), frozen=True),
    "pretrained encoder, fine-tuned": lambda: classifier(ae.encoder_module()),
    "same network from scratch": lambda: classifier(scratch_encoder()),
}
accuracy = {name: [] for name in models}
for n in sizes:
    draws = [
        np.random.default_rng(100 * seed + n).choice(len(X_pool), n, replace=False)
        for seed in range(3)
    ]
    for name, make in models.items():
        scores = [make().fit(X_pool[d], y_pool[d]).score(X_test, y_test) for d in draws]
        accuracy[name].append(np.mean(scores))

fig, ax = plt.subplots(figsize=(6, 4))
for name, values in accuracy.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set_xlabel("number of labeled training images")
ax.set_ylabel("test accuracy (mean of 3 draws)")
ax.legend()
plt.tight_layout()
plt.show()
