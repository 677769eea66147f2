"""
Unsupervised pretraining with few labels
========================================

Labels are expensive; unlabeled images are not. An autoencoder trained on all
images gives an encoder that already separates digits; ``encoder_module()``
hands it over as a ``torch.nn.Module`` to become the first layers of a skorch
``NeuralNetClassifier``, which is then fine-tuned on a handful of labels. The
same classifier trained from scratch on those labels does worse.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
y = y.astype(np.int64)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

ae = AutoencoderTransformer(
    n_components=32, hidden_layer_sizes=(128,), batch_size=64, max_epochs=80, random_state=0
).fit(X_pool)  # uses no labels


def classifier(encoder):
    torch.manual_seed(0)
    return NeuralNetClassifier(
        torch.nn.Sequential(encoder, torch.nn.ReLU(), torch.nn.Linear(32, 10)),
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=3e-3,
        max_epochs=60, batch_size=32, train_split=None, verbose=0,
    )


def scratch_encoder():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 32)
    )


sizes = [20, 50, 100, 200]
pretrained, scratch = [], []
for n in sizes:
    labeled = np.random.default_rng(n).choice(len(X_pool), n, replace=False)
    pretrained.append(
        classifier(ae.encoder_module()).fit(X_pool[labeled], y_pool[labeled]).score(X_test, y_test)
    )
    scratch.append(
        classifier(scratch_encoder()).fit(X_pool[labeled], y_pool[labeled]).score(X_test, y_test)
    )

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(sizes, pretrained, marker="o", label="pretrained encoder + fine-tuning")
ax.plot(sizes, scratch, marker="o", label="same network from scratch")
ax.set_xlabel("number of labeled training images")
ax.set_ylabel("test accuracy")
ax.legend()
plt.tight_layout()
plt.show()
