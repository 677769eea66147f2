"""
Few labels: pretraining with AutoencoderClassifier
==================================================

Labels are expensive; unlabeled rows are not. :class:`~sklearn_ae.AutoencoderClassifier`
does the autoencoder lecture's recipe for this: an autoencoder is trained on
every row (labelled or not), an output layer is put on its encoder, and the
whole network is fine-tuned on the labelled rows. Rows without a label carry
``y = -1``, as scikit-learn's ``LabelSpreading`` and ``SelfTrainingClassifier``
expect.

The autoencoder is pretrained once and handed over with ``prefit=True``, so
each draw of labelled rows only fine-tunes a copy of it. We compare it with a
logistic regression on the labelled pixels and on the frozen codes, and with
``LabelSpreading`` over a 10-nearest-neighbour graph of all rows, for a few
labelled digits (three random draws each).

On digits the neighbour graph is hard to beat: 64 clean pixels put images of
the same digit next to each other, and label spreading walks that graph from
the few labels to every row. Fine-tuning the pretrained encoder beats both
logistic regressions, which see only the labelled rows.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.semi_supervised import LabelSpreading

from sklearn_ae import AutoencoderClassifier, AutoencoderTransformer

# Epoch budgets are small so that the example runs in seconds; training would
# still improve a little, which a ConvergenceWarning would report.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
# LabelSpreading divides 0 by 0 for rows its graph leaves unreached (it predicts them anyway).
warnings.filterwarnings("ignore", message="invalid value encountered in divide")

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

ae = AutoencoderTransformer(n_components=16, max_epochs=40, random_state=0).fit(X_pool)


def with_labels(rows):
    """The pool's labels on ``rows``, -1 elsewhere."""
    y_few = np.full_like(y_pool, -1)
    y_few[rows] = y_pool[rows]
    return y_few


def logistic_on(transform):
    def fit_predict(y_few):
        labelled = y_few != -1
        model = LogisticRegression(max_iter=2000)
        model.fit(transform(X_pool[labelled]), y_few[labelled])
        return model.predict(transform(X_test))

    return fit_predict


models = {
    "AutoencoderClassifier (pretrained, fine-tuned)": lambda y_few: (
        AutoencoderClassifier(ae, prefit=True, random_state=0)
        .fit(X_pool, y_few)
        .predict(X_test)
    ),
    "LogisticRegression on the frozen codes": logistic_on(ae.transform),
    "LogisticRegression on the pixels": logistic_on(lambda X: X),
    "LabelSpreading (10 neighbours)": lambda y_few: (
        LabelSpreading(kernel="knn", n_neighbors=10).fit(X_pool, y_few).predict(X_test)
    ),
}
sizes = [20, 50, 100]
error = {name: [] for name in models}
for n in sizes:
    draws = [
        np.random.default_rng(100 * seed + n).choice(len(X_pool), n, replace=False)
        for seed in range(3)
    ]
    for name, fit_predict in models.items():
        errors = [np.mean(fit_predict(with_labels(d)) != y_test) for d in draws]
        error[name].append(100 * np.mean(errors))

fig, ax = plt.subplots(figsize=(6.4, 4))
for name, values in error.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set_xlabel("labelled training digits (of 1,257)")
ax.set_ylabel("test error, % (mean of 3 draws)")
ax.set_xticks(sizes)
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

for name, values in error.items():
    print(f"{name:48s}" + "".join(f"{v:7.1f}" for v in values))
