"""
A mixed table: penguins with numbers, categories and holes
==========================================================

Real tables mix numbers with categories. The Palmer penguins (shipped with
the package, CC0) have a species, an island and a sex (text), four
measurements and a year, and 19 missing cells. A
:class:`~sklearn_ae.VariationalAE` reads the DataFrame as it is: each number
is standardised inside and modelled as a Gaussian, each category as a
softmax over its levels, all trained jointly. What comes back is a table in
the same columns and dtypes: reconstructions, level probabilities, and new
rows drawn from the model.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import VariationalAE
from sklearn_ae.datasets import load_penguins

# Epoch budgets are small so that each example runs in seconds.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

penguins = load_penguins()
print(penguins.dtypes)
vae = VariationalAE(2, batch_size=32, max_epochs=300, random_state=0)
vae.fit(penguins)
print("categorical columns:", list(penguins.columns[vae.is_categorical_]))
print("levels:", [list(levels) for levels in vae.categories_])

# %%
# Reconstructions in the table's terms
# ------------------------------------
# ``reconstruct`` returns a DataFrame: each category its most probable level,
# numbers in their units (the integer ``year`` stays an integer), the holes
# filled. ``reconstruct_proba`` gives the level probabilities behind each
# category; through a two-number code, the species comes back for most rows.
reconstructed = vae.reconstruct(penguins)
print(reconstructed.head())
for column in ("species", "island", "sex"):
    observed = penguins[column].notna()
    agree = (reconstructed[column] == penguins[column])[observed].mean()
    print(f"{column}: reconstructed level = observed level for {agree:.0%} of rows")
print({name: p.shape for name, p in vae.reconstruct_proba(penguins).items()})

# %%
# New penguins
# ------------
# ``sample`` draws codes from the prior, then each category from the decoder's
# probabilities and each number from its column's Gaussian, kept within the
# range seen in fit. The drawn Adelie bills fall where the real ones do;
# Chinstrap and Gentoo overlap more than in the real table, as two code units
# learnt from 344 rows blur them.
drawn = vae.sample(len(penguins), random_state=0)
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, table, title in ((axes[0], penguins, "real"), (axes[1], drawn, "sampled")):
    for species, colour in zip(("Adelie", "Chinstrap", "Gentoo"), ("C0", "C1", "C2"), strict=True):
        rows = table[table["species"] == species]
        ax.scatter(rows["bill_length_mm"], rows["bill_depth_mm"], s=8, c=colour, label=species)
    ax.set(title=f"{title} penguins", xlabel="bill length (mm)")
axes[0].set_ylabel("bill depth (mm)")
axes[0].legend(loc="lower left")
fig.tight_layout()

# %%
# A likelihood over the columns
# -----------------------------
# ``score_samples`` sums, over a row's observed cells, a density for each
# number (in its unit) and a probability for each category: rows with holes
# are scored on what they hold, and an unusual combination scores low.
scores = vae.score_samples(penguins)
print(f"mean log-likelihood {scores.mean():.2f} nats per penguin")
odd = penguins.iloc[[int(np.argmin(scores))]]
print("the least likely penguin:")
print(odd.T)
plt.show()
