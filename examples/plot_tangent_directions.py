"""
Tangent directions of a contractive autoencoder
===============================================

A contractive autoencoder penalises the encoder's Jacobian, so its code is
insensitive to every direction except those along the data manifold. The
leading right singular vectors of the Jacobian at a digit
(``tangent_space``) are therefore the small changes of that digit which stay
digit-like: strokes thickening, shifting or bending (Rifai et al. 2011).
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import ContractiveAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X = load_digits().data / 16.0
cae = ContractiveAE(
    n_components=10,
    hidden_layer_sizes=(),
    code_activation="sigmoid",
    alpha=0.1,
    batch_size=64,
    max_epochs=100,
    random_state=0,
).fit(X)
points = X[[0, 1, 2, 3]]
singular_values, directions = cae.tangent_space(points, n_directions=4)

fig, axes = plt.subplots(4, 5, figsize=(6.5, 5.5))
for i, point in enumerate(points):
    axes[i, 0].imshow(point.reshape(8, 8), cmap="gray_r")
    axes[i, 0].set_ylabel(f"digit {i}")
    for j in range(4):
        axes[i, j + 1].imshow(directions[i, j].reshape(8, 8), cmap="RdBu_r")
        axes[0, j + 1].set_title(f"direction {j + 1}", fontsize=9)
        axes[i, j + 1].set_xlabel(f"s={singular_values[i, j]:.2f}", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
