"""
Generating digits with a variational autoencoder
================================================

A :class:`~sklearn_ae.VariationalAE` is a generative model: codes drawn from
its prior ``N(0, I)`` decode into new samples. With a 2-D code the whole
learned manifold can be laid out as a grid, each point of the grid decoded
to an image (Kingma & Welling 2014, figure 4): the grid walks the quantiles of
the prior, so equal steps cover equal probability.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import VariationalAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X = load_digits().data / 16.0
vae = VariationalAE(
    n_components=2,
    hidden_layer_sizes=(256, 128),
    loss="bce",
    batch_size=64,
    max_epochs=150,
    random_state=0,
).fit(X)

samples = vae.sample(36, random_state=0)
quantiles = norm.ppf(np.linspace(0.05, 0.95, 12))
grid = np.array([[a, b] for b in quantiles[::-1] for a in quantiles])
traversal = vae.inverse_transform(grid)


def tile(images, rows, cols):
    """One picture of ``rows x cols`` 8x8 images, each framed by a blank pixel."""
    framed = np.pad(images.reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)))
    return framed.reshape(rows, cols, 10, 10).transpose(0, 2, 1, 3).reshape(rows * 10, cols * 10)


fig, axes = plt.subplots(1, 2, figsize=(10, 5))
axes[0].imshow(tile(samples, 6, 6), cmap="gray_r")
axes[0].set_title("36 digits sampled from the prior")
axes[1].imshow(tile(traversal, 12, 12), cmap="gray_r")
axes[1].set_title("the 2-D code space, decoded on a grid")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
