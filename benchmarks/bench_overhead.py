"""Framework overhead: AutoencoderTransformer.fit against the alternatives.

Contenders, all with the same architecture (784-128-32-128-784 on MNIST,
ReLU hidden layers, linear code), batch size, epochs, Adam(lr=1e-3), float32
data and Glorot-uniform initialisation:

* hand-written PyTorch loop that slices one in-memory tensor (the reference),
* the same loop with PyTorch's fused Adam (what sklearn_ae uses),
* sklearn_ae's AutoencoderTransformer,
* skorch's NeuralNetRegressor used the obvious way, ``fit(X, X)``,
* scikit-learn's MLPRegressor ``fit(X, X)`` (ReLU on the code layer too: it
  cannot mix activations).

Runs are interleaved and pinned to ``--threads`` threads; the table gives the
median time ratio to the hand-written loop, samples per second and the final
held-out reconstruction error (summed squared error per image).

    python benchmarks/bench_overhead.py --mnist ../shared/data
"""

import statistics
import warnings
from functools import partial

import numpy as np
import torch
from _common import (
    base_parser,
    describe_machine,
    interleaved,
    load_data,
    median_ratio,
    pin_threads,
    print_table,
    reconstruction_error,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from skorch import NeuralNetRegressor

from sklearn_ae import AutoencoderTransformer

HIDDEN, CODE = 128, 32


def _sequential(n_features, seed):
    module = torch.nn.Sequential(
        torch.nn.Linear(n_features, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, CODE),
        torch.nn.Linear(CODE, HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, n_features),
    )
    generator = torch.Generator().manual_seed(seed)
    for layer in module:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
    return module


def hand_written_loop(X_train, X_test, batch_size, epochs, device="cpu", fused=None):
    X = torch.from_numpy(X_train).to(device)
    model = _sequential(X.shape[1], seed=0).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    loss_fn = torch.nn.MSELoss()
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = X[order[start : start + batch_size]]
            optimizer.zero_grad()
            loss = loss_fn(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
    with torch.no_grad():
        recon = model.eval()(torch.from_numpy(X_test).to(device)).cpu().numpy()
    return reconstruction_error(X_test, recon)


def sklearn_ae_fit(X_train, X_test, batch_size, epochs, device="cpu"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs by design
        ae = _sklearn_ae(X_train, batch_size, epochs, device)
    return reconstruction_error(X_test, ae.inverse_transform(ae.transform(X_test)))


def _sklearn_ae(X_train, batch_size, epochs, device):
    return AutoencoderTransformer(
        n_components=CODE,
        hidden_layer_sizes=(HIDDEN,),
        batch_size=batch_size,
        max_epochs=epochs,
        n_iter_no_change=epochs + 1,  # train exactly ``epochs`` epochs
        device=device,
        random_state=0,
    ).fit(X_train)


def skorch_obvious(X_train, X_test, batch_size, epochs):
    net = NeuralNetRegressor(
        _sequential(X_train.shape[1], seed=0),
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,  # same work as the others: no hidden validation split
        iterator_train__shuffle=True,
        verbose=0,
    ).fit(X_train, X_train)
    return reconstruction_error(X_test, net.predict(X_test))


def mlp_regressor(X_train, X_test, batch_size, epochs):
    mlp = MLPRegressor(
        hidden_layer_sizes=(HIDDEN, CODE, HIDDEN),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_train, X_train)
    return reconstruction_error(X_test, mlp.predict(X_test))


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=[], choices=["skorch", "mlp"])
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch_sizes, args.epochs, args.repeats = [64], 1, 1
    X_train, X_test, _, _, data_name = load_data(args.mnist, args.smoke)
    with pin_threads(args.threads):
        print(describe_machine(args.threads))
        print(f"data: {data_name}; {args.epochs} epochs; {args.repeats} interleaved repeats")
        rows = []
        for batch_size in args.batch_sizes:
            run = (X_train, X_test, batch_size, args.epochs)
            contenders = {
                "hand-written loop": partial(hand_written_loop, *run),
                "hand-written loop, fused Adam": partial(hand_written_loop, *run, fused=True),
                "sklearn_ae": partial(sklearn_ae_fit, *run),
            }
            if "skorch" not in args.skip:
                contenders["skorch NeuralNetRegressor"] = partial(skorch_obvious, *run)
            if "mlp" not in args.skip:
                contenders["sklearn MLPRegressor"] = partial(mlp_regressor, *run)
            times, errors = interleaved(contenders, args.repeats)
            for name in contenders:
                seconds = statistics.median(times[name])
                rows.append(
                    (
                        batch_size,
                        name,
                        f"{median_ratio(times, name, 'hand-written loop'):.2f}x",
                        f"{len(X_train) * args.epochs / seconds:,.0f}",
                        f"{errors[name]:.2f}",
                    )
                )
        print_table(["batch", "contender", "time / hand loop", "samples/s", "held-out error"], rows)
    return rows


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
