"""
Shaping the code with an adversary: AdversarialAE beside VariationalAE
======================================================================

An :class:`~sklearn_ae.AdversarialAE` trains a discriminator to tell the
encoder's codes from draws of a prior, and the encoder to fool it (Makhzani
et al. 2016). The prior can be any distribution we can draw from: here ten
Gaussians on a circle, the figure of the paper. A
:class:`~sklearn_ae.VariationalAE` can only pull its codes towards ``N(0, I)``
through its KL term. Both are generative: decoding draws of the prior gives
new digits. The discriminator's loss, recorded each epoch, tells whether the
game stays balanced (``log 2 = 0.69``) or the discriminator wins (towards 0).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AdversarialAE, VariationalAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

digits = load_digits()
X, y = digits.data / 16.0, digits.target
shared = dict(hidden_layer_sizes=(256, 128), loss="bce", batch_size=64, random_state=0)
aae = AdversarialAE(2, prior="circle", max_epochs=60, **shared).fit(X)
vae = VariationalAE(2, max_epochs=60, **shared).fit(X)

# %%
# The codes of the digits
# -----------------------
# Under the circle prior, the codes gather in ten clusters on the circle;
# nothing tells the adversarial autoencoder which digit goes where, so a
# cluster can hold more than one digit. The variational autoencoder's codes
# fill a disc around 0.

fig, axes = plt.subplots(1, 2, figsize=(10, 5))
models = [("AdversarialAE, circle prior", aae), ("VariationalAE", vae)]
for ax, (name, model) in zip(axes, models, strict=True):
    codes = model.transform(X)
    points = ax.scatter(codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=6)
    ax.set_title(name)
    ax.set_aspect("equal")
means = aae.prior_means_
axes[0].scatter(means[:, 0], means[:, 1], marker="x", color="black", label="prior means")
axes[0].legend(loc="upper right", fontsize=8)
fig.colorbar(points, ax=axes, label="digit", shrink=0.8)
plt.show()

# %%
# Digits generated from the prior
# -------------------------------
# ``sample`` decodes draws of each model's prior.


def tile(images, rows, cols):
    """One picture of ``rows x cols`` 8x8 images, each framed by a blank pixel."""
    framed = np.pad(images.reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)))
    return framed.reshape(rows, cols, 10, 10).transpose(0, 2, 1, 3).reshape(rows * 10, cols * 10)


fig, axes = plt.subplots(1, 2, figsize=(10, 5))
for ax, (name, model) in zip(axes, [("AdversarialAE", aae), ("VariationalAE", vae)], strict=True):
    ax.imshow(tile(model.sample(36, random_state=0), 6, 6), cmap="gray_r")
    ax.set_title(f"36 digits sampled from the prior of {name}")
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %%
# The game
# --------
# The history records the three losses of each epoch.

history = aae.history_
fig, ax = plt.subplots(figsize=(7, 3.5))
for key in ("discriminator_loss", "generator_loss"):
    ax.plot(history[:, "epoch"], history[:, key], label=key)
ax.axhline(np.log(2), color="gray", linestyle="--", linewidth=1, label="log 2 (balance)")
ax.set_xlabel("epoch")
ax.set_ylabel("cross-entropy")
ax.legend()
plt.tight_layout()
plt.show()
