"""
2-D codes of digits: PCA against an autoencoder
===============================================

The classic figure of Hinton & Salakhutdinov (2006): squeeze each 8x8 digit
into two numbers and colour the points by class. PCA keeps the two directions
of largest variance, so the classes overlap; a non-linear autoencoder can bend
its code to keep them apart.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0

reducers = {
    "PCA": PCA(n_components=2),
    "AutoencoderTransformer": AutoencoderTransformer(
        n_components=2,
        hidden_layer_sizes=(128, 32),
        batch_size=64,
        max_epochs=100,
        random_state=0,
    ),
}
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, (name, reducer) in zip(axes, reducers.items(), strict=True):
    codes = reducer.fit_transform(X)
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=5)
    ax.set_title(name)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(scatter, ax=axes, ticks=range(10), label="digit")
plt.show()
