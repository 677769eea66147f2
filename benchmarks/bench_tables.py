"""Small networks on tables: fit time against scikit-learn's MLPRegressor, side by side.

On tables the networks are tiny and a training step costs what surrounds the
matmuls. Three ADBench shapes: ``23_mammography`` (11,183 x 6), ``6_cardio``
(1,831 x 21) and ``24_mnist`` (7,603 x 100), ADBench's stratified 70 / 30
split with seed 0, standardised on the training rows (float64, as
``StandardScaler`` returns them, passed as they are to every contender; the
hand-written loop converts them to a float32 tensor). Network d-64-3-64-d,
ReLU hidden layers, squared error, Adam(1e-3), batch 256, exactly ``--epochs``
epochs, one thread. Contenders, interleaved in each round (CPU time of the
fit, median over rounds):

* a hand-written PyTorch loop (PyTorch's default Adam, a gather per batch),
* sklearn_ae ``AutoencoderTransformer(3, hidden_layer_sizes=(64,))``,
* scikit-learn ``MLPRegressor(hidden_layer_sizes=(64, 3, 64)).fit(X, X)``
  (its ReLU also acts on the 3-unit code),
* pyod ``AutoEncoder(hidden_neuron_list=[64, 3])`` without batch norm or
  dropout (the ``[bench]`` extra; skipped with a note when absent).

Each contender's held-out reconstruction error (squared error summed over
the standardised features, mean per row) is reported beside its time.

    python benchmarks/bench_tables.py --data ../shared/data/adbench

Without ADBench's files it runs on scikit-learn's bundled breast-cancer,
wine and digits tables (stored only with ``--save``).
"""

import os
import statistics
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import torch
from _common import Record, base_parser, median_ratio, pin_threads
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderTransformer

ADBENCH_ENV = "SKLEARN_AE_ADBENCH"
TABLES = ("23_mammography", "6_cardio", "24_mnist")
HIDDEN, CODE = 64, 3
HAND, OURS, MLP, PYOD = (
    "hand-written loop",
    "sklearn_ae",
    "sklearn MLPRegressor",
    "pyod AutoEncoder",
)


def _adbench_folder(args):
    """``--data``, else $SKLEARN_AE_ADBENCH, else ``adbench`` beside the MNIST files."""
    for folder in (
        args.data,
        os.environ.get(ADBENCH_ENV),
        args.mnist and Path(args.mnist) / "adbench",
    ):
        if folder and Path(folder, f"{TABLES[0]}.npz").exists():
            return Path(folder)
    return None


def load_tables(folder, smoke):
    """{name: (X_train, X_test)}, float64, standardised on the training rows."""
    if folder is None:
        from sklearn.datasets import load_breast_cancer, load_digits, load_wine

        print(
            "ADBench not found (--data or $SKLEARN_AE_ADBENCH): "
            "falling back to digits, breast_cancer and wine."
        )
        raw = {
            "breast_cancer": load_breast_cancer(return_X_y=True),
            "wine": load_wine(return_X_y=True),
            "digits": load_digits(return_X_y=True),
        }
        name = "scikit-learn breast_cancer, wine, digits"
    else:
        raw = {}
        for table in TABLES:
            data = np.load(folder / f"{table}.npz")
            raw[table] = data["X"], data["y"]
        name = "ADBench " + ", ".join(
            f"{t} ({len(raw[t][0]):,} x {raw[t][0].shape[1]})" for t in TABLES
        )
    tables = {}
    for table, (X, y) in raw.items():
        X_train, X_test = train_test_split(X, test_size=0.3, stratify=y, random_state=0)
        if smoke:
            X_train, X_test = X_train[:300], X_test[:100]
        scaler = StandardScaler().fit(X_train.astype(np.float64))
        # float64, as StandardScaler gives them: what a user passes to every contender.
        tables[table] = tuple(
            scaler.transform(part.astype(np.float64)) for part in (X_train, X_test)
        )
    return tables, name + " (70 / 30 split, seed 0, standardised)"


def held_out_error(X_test, reconstruction):
    return float(np.mean(np.sum((np.asarray(reconstruction, np.float64) - X_test) ** 2, axis=1)))


def hand_written_loop(X_train, X_test, epochs, batch_size):
    X = torch.from_numpy(X_train.astype(np.float32))
    widths = [X.shape[1], HIDDEN, CODE, HIDDEN, X.shape[1]]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i in (0, 2):  # ReLU after the hidden layers; the code and output are linear
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(0)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), batch_size):
            batch = X[order[start : start + batch_size]]
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(batch), batch)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return held_out_error(X_test, model(torch.from_numpy(X_test.astype(np.float32))).numpy())


def sklearn_ae_fit(X_train, X_test, epochs, batch_size):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs by design
        ae = AutoencoderTransformer(
            CODE,
            hidden_layer_sizes=(HIDDEN,),
            batch_size=batch_size,
            max_epochs=epochs,
            n_iter_no_change=epochs + 1,  # exactly ``epochs`` epochs
            random_state=0,
        ).fit(X_train)
    return held_out_error(X_test, ae.reconstruct(X_test))


def mlp_regressor(X_train, X_test, epochs, batch_size):
    mlp = MLPRegressor(
        hidden_layer_sizes=(HIDDEN, CODE, HIDDEN),
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_train, X_train)
    return held_out_error(X_test, mlp.predict(X_test))


def pyod_autoencoder(X_train, X_test, epochs, batch_size):
    from pyod.models.auto_encoder import AutoEncoder

    detector = AutoEncoder(
        hidden_neuron_list=[HIDDEN, CODE],
        batch_norm=False,
        dropout_rate=0.0,
        epoch_num=epochs,
        batch_size=batch_size,
        lr=1e-3,
        optimizer_params={"weight_decay": 0.0},
        preprocessing=False,
        device="cpu",
        verbose=0,
        random_state=0,
    ).fit(X_train)
    # decision_function is each row's Euclidean reconstruction distance.
    return float(np.mean(detector.decision_function(X_test) ** 2))


def pyod_note():
    """None when pyod is installed, else why it is skipped."""
    try:
        import pyod  # noqa: F401
    except ImportError:
        return "pyod is not installed (pip install pyod, in the [bench] extra)"
    return None


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"ADBench folder (or set ${ADBENCH_ENV})")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.repeats = 2, 1
    tables, data_name = load_tables(_adbench_folder(args), args.smoke)
    note = pyod_note()
    contenders = {
        HAND: hand_written_loop,
        OURS: sklearn_ae_fit,
        MLP: mlp_regressor,
        PYOD: pyod_autoencoder,
    }
    if note:
        print(f"pyod skipped: {note}")
        del contenders[PYOD]
    with pin_threads(args.threads):
        record = Record("tables", args, data_name)
        record.value("pyod_note", note)
        record.value("network", f"d-{HIDDEN}-{CODE}-{HIDDEN}-d, ReLU, squared error, Adam(1e-3)")
        record.value("epochs", args.epochs)
        record.value("batch_size", args.batch_size)
        record.value("repeats", args.repeats)
        rows = []
        for table, (X_train, X_test) in tables.items():
            batch_size = min(args.batch_size, len(X_train))  # pyod drops a short batch
            run = {
                name: partial(fit, X_train, X_test, args.epochs, batch_size)
                for name, fit in contenders.items()
            }
            for fit in run.values():  # warm-up
                fit()
            times, errors = {name: [] for name in run}, {}
            for _ in range(args.repeats):
                for name, fit in run.items():
                    start = time.process_time()
                    errors[name] = fit()
                    times[name].append(time.process_time() - start)
            for name in run:
                rows.append(
                    (
                        table,
                        f"{X_train.shape[0]:,} x {X_train.shape[1]}",
                        name,
                        statistics.median(times[name]),
                        median_ratio(times, name, HAND),
                        median_ratio(times, name, MLP),
                        errors[name],
                    )
                )
        record.table(
            "fit_times",
            f"{args.epochs}-epoch fit at batch {args.batch_size}: CPU seconds (median of "
            f"{args.repeats} interleaved rounds) and held-out error per row",
            [
                ("table", "{}"),
                ("train rows x features", "{}"),
                ("contender", "{}"),
                ("fit CPU s", "{:.3f}"),
                ("/ hand loop", "{:.2f}x"),
                ("/ MLPRegressor", "{:.2f}x"),
                ("held-out error", "{:.3f}"),
            ],
            rows,
        )
    record.save()
    return record


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
