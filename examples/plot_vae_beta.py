"""
The beta of a variational autoencoder: reconstruction against a simple code
===========================================================================

A :class:`~sklearn_ae.VariationalAE` maximises ``E_q[log p(x|h)] - beta *
KL(q(h|x) || N(0, I))``. With ``beta`` above 1 (beta-VAE, Higgins et al.
2017) the code is pulled towards the prior: codes shrink and fewer units
carry information, so reconstructions blur. Below 1 the model reconstructs
better but its codes stray from the prior it samples from. The held-out
log-likelihood (``score``, an importance-weighted estimate in nats per
sample) peaks near ``beta = 1``, the value for which training maximises a
bound on exactly that likelihood.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import VariationalAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, X_test = train_test_split(load_digits().data / 16.0, random_state=0)
betas = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
errors, scores, spreads = [], [], []
for beta in betas:
    vae = VariationalAE(
        n_components=8, beta=beta, batch_size=64, max_epochs=60, random_state=0
    ).fit(X_train)
    errors.append(vae.reconstruction_error(X_test).mean())
    scores.append(vae.score(X_test))
    spreads.append(np.std(vae.transform(X_test), axis=0).mean())

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, values, label in zip(
    axes,
    (errors, spreads, scores),
    ("held-out reconstruction error", "spread of the codes (mean std)", "held-out score (nats)"),
    strict=True,
):
    ax.plot(betas, values, marker="o")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("beta")
    ax.set_title(label)
plt.tight_layout()
plt.show()
