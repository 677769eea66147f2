"""The demo behind ``python -m sklearn_ae``: PCA against the autoencoders on digits."""

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE


def _reducers(n_components, max_epochs, device, random_state):
    # Early stopping on held-out rows ends each fit when it stops improving, so
    # that the defaults run without a ConvergenceWarning.
    common = {
        "n_components": n_components,
        "batch_size": 64,
        "early_stopping": True,
        "max_epochs": max_epochs,
        "device": device,
        "random_state": random_state,
    }
    return {
        "PCA": PCA(n_components=n_components),
        "AutoencoderTransformer": AutoencoderTransformer(**common),
        "DenoisingAE (masking 0.2)": DenoisingAE(noise="masking", noise_level=0.2, **common),
        "SparseAE (L1 1e-3)": SparseAE(alpha=1e-3, code_activation="identity", **common),
        "ContractiveAE (0.01)": ContractiveAE(alpha=1e-2, **common),
    }


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="sklearn-ae",
        description="Fit PCA and the autoencoders on scikit-learn's digits, print a "
        "comparison table and save a picture of the 2-D codes.",
    )
    parser.add_argument("--n-components", type=int, default=2, help="code size (default 2)")
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=500,
        help="maximum epochs per autoencoder; early stopping usually ends sooner (default 500)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--output", default="sklearn_ae_codes.png", help="PNG path")
    parser.add_argument("--random-state", type=int, default=0)
    return parser.parse_args(argv)


def _plot_codes(codes, labels, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no picture saved (pip install matplotlib).")
        return
    fig, axes = plt.subplots(1, len(codes), figsize=(3.2 * len(codes), 3.4), squeeze=False)
    for ax, (name, code) in zip(axes[0], codes.items(), strict=True):
        ax.scatter(code[:, 0], code[:, 1], c=labels, cmap="tab10", s=6)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("2-D codes of held-out digits, coloured by class")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"Saved the 2-D codes to {path}")


def main(argv=None):
    args = _parse_args(argv)
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, random_state=0
    )
    print(f"digits: {len(X_train)} training and {len(X_test)} held-out images, 64 pixels")
    rows, codes = [], {}
    reducers = _reducers(args.n_components, args.max_epochs, args.device, args.random_state)
    for i, (name, reducer) in enumerate(reducers.items(), start=1):
        print(f"[{i}/{len(reducers)}] fitting {name:<28}", end=" ", flush=True)
        start = time.perf_counter()
        reducer.fit(X_train)
        seconds = time.perf_counter() - start
        recon = reducer.inverse_transform(reducer.transform(X_test))
        error = float(np.mean(((recon - X_test) ** 2).sum(1)))
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        accuracy = clf.fit(reducer.transform(X_train), y_train).score(
            reducer.transform(X_test), y_test
        )
        epochs = getattr(reducer, "n_iter_", None)
        print(f"done in {seconds:5.1f} s" + (f" ({epochs} epochs)" if epochs else ""))
        rows.append((name, error, accuracy, seconds))
        codes[name] = reducer.transform(X_test)

    header = f"{'model':<28} {'recon. error':>12} {'LogReg acc.':>11} {'fit time':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for name, error, accuracy, seconds in rows:
        print(f"{name:<28} {error:>12.3f} {accuracy:>11.3f} {seconds:>8.1f}s")
    print("recon. error: held-out squared error per image, summed over the 64 pixels")
    if args.n_components >= 2:
        _plot_codes(codes, y_test, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
