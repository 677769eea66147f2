"""
Grid search of the sparsity strength inside a Pipeline
======================================================

An autoencoder drops into a scikit-learn Pipeline like PCA, so its
regularisation strength is tuned with GridSearchCV exactly as one tunes
``alpha`` of a linear model. Here the L1 weight of a SparseAE feeding a
LogisticRegression is searched by cross-validated accuracy.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ae import SparseAE

# Epoch budgets are small so that each example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X[:900] / 16.0
y = y[:900]
pipe = Pipeline(
    [
        ("ae", SparseAE(n_components=32, batch_size=64, max_epochs=30, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
alphas = np.logspace(-5, -1, 5)
search = GridSearchCV(pipe, {"ae__alpha": alphas}, cv=3).fit(X, y)

mean = search.cv_results_["mean_test_score"]
std = search.cv_results_["std_test_score"]
fig, ax = plt.subplots(figsize=(6, 4))
ax.errorbar(alphas, mean, yerr=std, marker="o", capsize=3)
ax.set_xscale("log")
ax.set_xlabel("SparseAE alpha (L1 weight on the code)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title(f"best alpha: {search.best_params_['ae__alpha']:.0e}")
plt.tight_layout()
plt.show()
