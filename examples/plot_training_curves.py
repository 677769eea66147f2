"""
Training curves and early stopping
==================================

``loss_curve_`` records the training loss of every epoch. With
``early_stopping=True`` a ``validation_fraction`` of the rows is held out,
``validation_scores_`` records minus its reconstruction error per epoch, and
training stops once it has not improved for ``n_iter_no_change`` epochs; the
weights of the best epoch are restored.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X = load_digits().data / 16.0
ae = AutoencoderTransformer(
    n_components=16,
    hidden_layer_sizes=(256,),
    lr=3e-3,
    batch_size=32,
    max_epochs=500,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=15,
    tol=0.0,
    random_state=0,
).fit(X)

best = int(np.argmax(ae.validation_scores_))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.8))
ax1.plot(ae.loss_curve_)
ax1.set_xlabel("epoch")
ax1.set_ylabel("training loss (MSE)")
ax1.set_yscale("log")
ax2.plot(-np.asarray(ae.validation_scores_), color="C1")
ax2.axvline(best, color="0.5", linestyle="--", label=f"best epoch {best}")
ax2.set_xlabel("epoch")
ax2.set_ylabel("held-out reconstruction error")
ax2.legend()
fig.suptitle(f"stopped after {ae.n_iter_} of 500 epochs")
plt.tight_layout()
plt.show()
