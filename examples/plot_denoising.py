"""
Image denoising with DenoisingAE
================================

A denoising autoencoder is trained on corrupted digits to reconstruct the clean
ones, so it must learn what digits look like rather than copy its input. We
corrupt held-out digits with Gaussian noise and with masking noise and show
noisy / denoised / clean images side by side, with PCA's reconstruction of the
noisy image for comparison.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import DenoisingAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X = load_digits().data / 16.0
X_train, X_test = train_test_split(X, random_state=0)
rng = np.random.default_rng(0)
noisy = {
    "gaussian": X_test + 0.3 * rng.standard_normal(X_test.shape),
    "masking": X_test * (rng.random(X_test.shape) >= 0.4),
}
levels = {"gaussian": 0.3, "masking": 0.4}
pca = PCA(n_components=16).fit(X_train)

n_shown = 6
fig, axes = plt.subplots(8, n_shown, figsize=(n_shown * 1.1, 8 * 1.15))
for block, noise in enumerate(noisy):
    dae = DenoisingAE(
        n_components=16,
        noise=noise,
        noise_level=levels[noise],
        batch_size=64,
        max_epochs=60,
        random_state=0,
    ).fit(X_train)
    rows = {
        f"{noise}\nnoisy": noisy[noise],
        "DenoisingAE": dae.denoise(noisy[noise]),
        "PCA(16)": pca.inverse_transform(pca.transform(noisy[noise])),
        "clean": X_test,
    }
    for r, (label, images) in enumerate(rows.items()):
        row = 4 * block + r
        for c in range(n_shown):
            ax = axes[row, c]
            ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8)
    error = np.mean(((dae.denoise(noisy[noise]) - X_test) ** 2).sum(1))
    pca_error = np.mean(((rows["PCA(16)"] - X_test) ** 2).sum(1))
    print(f"{noise}: DenoisingAE error {error:.2f}, PCA error {pca_error:.2f}")
plt.tight_layout()
plt.show()
