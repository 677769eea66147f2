"""
Anomaly detection with reconstruction error and log-likelihood
==============================================================

An autoencoder trained on normal data reconstructs normal samples well and
anomalies badly. We inject outliers (random noise images and digits with
shuffled pixels) into the digits and rank every image by
``reconstruction_error`` and by minus ``score_samples`` (the log-likelihood,
comparable with PCA's).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score, roc_curve

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X = load_digits().data / 16.0
rng = np.random.default_rng(0)
noise_images = rng.random((40, 64))
shuffled = np.array([rng.permutation(x) for x in X[:40]])
X_all = np.vstack([X, noise_images, shuffled])
is_outlier = np.r_[np.zeros(len(X)), np.ones(80)]

ae = AutoencoderTransformer(n_components=8, batch_size=64, max_epochs=60, random_state=0)
ae.fit(X)  # trained on normal digits only
scores = {
    "reconstruction error": ae.reconstruction_error(X_all),
    "- log-likelihood": -ae.score_samples(X_all),
}

fig, ax = plt.subplots(figsize=(5, 4.5))
for name, score in scores.items():
    fpr, tpr, _ = roc_curve(is_outlier, score)
    ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(is_outlier, score):.3f})")
ax.plot([0, 1], [0, 1], color="0.7", linestyle="--")
ax.set_xlabel("false positive rate")
ax.set_ylabel("true positive rate")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()
