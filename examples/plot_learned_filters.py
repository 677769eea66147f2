"""
Learned filters: plain, sparse and k-sparse autoencoders
========================================================

Each hidden unit of the encoder's first layer looks at the image through its
weight vector, a *filter*. A plain autoencoder spreads information over all
units and learns diffuse filters; an L1 penalty on the code (SparseAE) or
keeping only the k largest code units (k-sparse, Makhzani & Frey 2014) makes
each unit specialise, and the filters become localised strokes.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer, SparseAE
from sklearn_ae.exceptions import DeadCodeUnitsWarning

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
warnings.filterwarnings("ignore", category=DeadCodeUnitsWarning)  # the blank tiles

X = load_digits().data / 16.0
common = {
    "n_components": 36,
    "hidden_layer_sizes": (),
    "batch_size": 64,
    "max_epochs": 60,
    "random_state": 0,
}
models = {
    "plain": AutoencoderTransformer(**common),
    # ReLU codes give exact zeros; units that die are restarted, so no tile stays blank.
    "sparse (L1, alpha=0.01)": SparseAE(alpha=1e-2, code_activation="relu", **common),
    "k-sparse (k=4)": SparseAE(alpha=0.0, k=4, code_activation="identity", **common),
}
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (name, model) in zip(axes, models.items(), strict=True):
    filters = model.fit(X).module_.first_layer_weight().detach().numpy()
    tiles = filters.reshape(6, 6, 8, 8).transpose(0, 2, 1, 3).reshape(48, 48)
    ax.imshow(tiles, cmap="RdBu_r")
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
