"""
A linear autoencoder finds PCA's subspace
=========================================

With no hidden layer, identity activations and squared error, an autoencoder
is linear, and its optimum spans the same subspace as the leading principal
components (Baldi & Hornik 1989). We train one epoch at a time with
``partial_fit`` and watch the largest principal angle between
``components_`` and ``PCA.components_`` shrink towards zero.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
basis = np.linalg.qr(rng.standard_normal((20, 20)))[0]
X = (rng.standard_normal((1000, 20)) * ([5, 4, 3] + [0.3] * 17)) @ basis.T
X -= X.mean(0)
pca = PCA(n_components=3).fit(X)

angles, tied_angles = [], []
for tied, curve in [(False, angles), (True, tied_angles)]:
    ae = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(),
        activation="identity",
        tied_weights=tied,
        lr=1e-2,
        batch_size=100,
        random_state=0,
    )
    for _ in range(60):
        ae.partial_fit(X)
        curve.append(np.degrees(subspace_angles(ae.components_.T, pca.components_.T)).max())

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(angles, label="untied weights")
ax.plot(tied_angles, label="tied weights")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("largest principal angle to PCA (degrees)")
ax.legend()
plt.tight_layout()
plt.show()
