"""
Convolutional denoising, and tangent planes seen as images
==========================================================

Images stay flat rows; ``image_shape=(8, 8)`` makes the network read them as
8x8 pictures, with strided convolutions in the encoder and their mirror in
the decoder. Top: a convolutional :class:`~sklearn_ae.DenoisingAE` trained
with masking noise fills in digits with 40 % of their pixels removed. Bottom:
the leading directions of the tangent plane of a convolutional
:class:`~sklearn_ae.ContractiveAE` at a few digits (right singular vectors of
the encoder's Jacobian, Rifai et al. 2011): pixel patterns along which the
learned manifold continues, stroke shifts and thickenings rather than noise.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import ContractiveAE, DenoisingAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, X_test = train_test_split(load_digits().data / 16.0, random_state=0)
conv = {"image_shape": (8, 8), "conv_channels": (16, 32), "hidden_layer_sizes": ()}
dae = DenoisingAE(
    16, noise="masking", noise_level=0.4, batch_size=64, max_epochs=40, random_state=0, **conv
).fit(X_train)
noisy = np.where(np.random.default_rng(0).random(X_test.shape) < 0.4, 0.0, X_test)
cleaned = dae.denoise(noisy)

cae = ContractiveAE(8, alpha=1e-3, batch_size=64, max_epochs=40, random_state=0, **conv).fit(
    X_train
)
_, directions = cae.tangent_space(X_test[:2], n_directions=2)

fig, axes = plt.subplots(4, 6, figsize=(9, 6.4))
for col in range(6):
    for row, (images, label) in enumerate(
        ((X_test, "clean"), (noisy, "40 % masked"), (cleaned, "denoised"))
    ):
        ax = axes[row, col]
        ax.imshow(images[col].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        if col == 0:
            ax.set_ylabel(label)
for col in range(6):
    ax = axes[3, col]
    sample, direction = divmod(col, 3)
    if direction == 0:
        ax.imshow(X_test[sample].reshape(8, 8), cmap="gray_r")
        ax.set_title(f"digit {sample + 1}", fontsize=9)
    else:
        pattern = directions[sample, direction - 1].reshape(8, 8)
        ax.imshow(pattern, cmap="RdBu_r", vmin=-np.abs(pattern).max(), vmax=np.abs(pattern).max())
        ax.set_title(f"tangent {direction}", fontsize=9)
axes[3, 0].set_ylabel("tangent plane")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
error = lambda a: ((a - X_test) ** 2).sum(1).mean()  # noqa: E731
fig.suptitle(f"error to the clean digits: masked {error(noisy):.1f}, denoised {error(cleaned):.1f}")
plt.tight_layout()
plt.show()
