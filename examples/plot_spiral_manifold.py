"""
A curved manifold: PCA's line against an autoencoder's curve
============================================================

Points near a spiral form a one-dimensional manifold in the plane. With a
one-number code, PCA can only project onto a straight line; an autoencoder
learns a curve through the data. The reconstructions ``inverse_transform(
transform(X))`` are drawn over the data.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
t = rng.uniform(0.5, 3 * np.pi, 1500)
X = np.column_stack([t * np.cos(t), t * np.sin(t)]) / 5
X += 0.05 * rng.standard_normal(X.shape)

pca = PCA(n_components=1).fit(X)
ae = AutoencoderTransformer(
    n_components=1,
    hidden_layer_sizes=(64, 64),
    activation="tanh",
    lr=3e-3,
    batch_size=64,
    max_epochs=400,
    n_iter_no_change=400,
    random_state=0,
).fit(X)

fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharex=True, sharey=True)
models = [("PCA, 1 component", pca), ("autoencoder, 1 unit", ae)]
for ax, (name, model) in zip(axes, models, strict=True):
    recon = model.inverse_transform(model.transform(X))
    error = np.mean(((recon - X) ** 2).sum(1))
    ax.scatter(X[:, 0], X[:, 1], s=3, color="0.7", label="data")
    ax.scatter(recon[:, 0], recon[:, 1], s=3, color="C3", label="reconstruction")
    ax.set_title(f"{name}\nmean squared error {error:.3f}")
    ax.set_aspect("equal")
axes[0].legend(loc="lower left", markerscale=4)
plt.show()
