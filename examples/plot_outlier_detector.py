"""
Outlier detection on a table, and which features make a row abnormal
=====================================================================

:class:`~sklearn_ae.AutoencoderOutlierDetector` follows scikit-learn's
outlier-detector contract (``predict`` gives +1 / -1, ``decision_function``
is negative for outliers) and adds ``feature_scores``: each feature's share
of a row's anomaly score. The table is scikit-learn's breast-cancer data, in
its raw units (areas in the thousands beside smoothness ratios near 0.1): the
detector standardises each feature itself. It is trained on benign tumours
with a few malignant ones mixed in, as real training data would be, and
scores unseen tumours of both kinds.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score

from sklearn_ae import AutoencoderOutlierDetector

warnings.filterwarnings("ignore", category=ConvergenceWarning)

data = load_breast_cancer()
X, malignant = data.data, data.target == 0
rng = np.random.default_rng(0)
benign_rows = rng.permutation(np.flatnonzero(~malignant))
malignant_rows = rng.permutation(np.flatnonzero(malignant))
train = np.r_[benign_rows[:250], malignant_rows[:10]]  # 4 % contamination
test = np.r_[benign_rows[250:], malignant_rows[10:60]]

detector = AutoencoderOutlierDetector(contamination=0.04, random_state=0).fit(X[train])
forest = IsolationForest(contamination=0.04, random_state=0).fit(X[train])

# %%
# ``predict`` and ``decision_function``
# -------------------------------------
# The offset is set so that 4 % of the training rows are flagged; the ROC-AUC
# ranks every test row by ``decision_function``.
for name, model in (("AutoencoderOutlierDetector", detector), ("IsolationForest", forest)):
    flagged = model.predict(X[test]) == -1
    auc = roc_auc_score(malignant[test], -model.decision_function(X[test]))
    print(
        f"{name:27s} ROC-AUC {auc:.3f}; flags {flagged[malignant[test]].mean():.0%} of "
        f"malignant and {flagged[~malignant[test]].mean():.0%} of benign test tumours"
    )

# %%
# ``feature_scores``: why a row is abnormal
# -----------------------------------------
# Each column is one feature's term of the row's anomaly score (higher is more
# abnormal). The most abnormal malignant tumour is explained by a few features;
# a typical benign one has no feature that stands out.
scores = detector.decision_function(X[test])
worst = test[np.argmin(scores)]
typical = test[np.argsort(scores)[len(scores) // 2]]
per_feature = detector.feature_scores(X[[worst, typical]])
order = np.argsort(-per_feature[0])[:8]

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True)
for ax, row, title in zip(
    axes,
    per_feature,
    ("most abnormal test tumour (malignant)", "a typical benign tumour"),
    strict=True,
):
    ax.barh(np.arange(8), row[order], color="#4c72b0")
    ax.set_yticks(np.arange(8), [data.feature_names[j] for j in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("feature score (higher: more abnormal)")
fig.tight_layout()
plt.show()
