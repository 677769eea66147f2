"""Dense autoencoders: this package against every peer, as error-vs-time curves and fit-time ratios.

The network of the Keras autoencoder tutorial ("Building Autoencoders in
Keras", deep autoencoder): 784-128-64-32-64-128-784, ReLU everywhere, sigmoid
output, binary cross-entropy, Adam(1e-3), Glorot-uniform weights, zero biases,
float32. Contenders, side by side in one run:

* a hand-written PyTorch loop slicing one in-memory tensor (the reference),
  and the same loop with PyTorch's fused Adam (what sklearn_ae uses),
* sklearn_ae's AutoencoderTransformer,
* Keras 3 on the torch backend, the tutorial's own code (skipped with a note
  when keras is not installed: ``pip install keras``),
* skorch's NeuralNetRegressor used the obvious way, ``fit(X, X)``,
* scikit-learn's MLPRegressor ``fit(X, X)`` (squared error and an identity
  output: it has neither a sigmoid output nor cross-entropy for regression),
* PCA with 32 components, as a single point.

First, held-out squared error per image after every epoch against the CPU time
spent training so far (evaluation is not timed); then the time of a
``--epochs``-epoch fit relative to the hand-written loop at several batch
sizes, interleaved, medians of per-repeat ratios.

    python benchmarks/bench_overhead.py --mnist ../shared/data
"""

import statistics
import time
import warnings
from functools import partial

import numpy as np
import torch
from _common import (
    CpuClock,
    Record,
    base_parser,
    interleaved,
    keras_available,
    load_data,
    median_ratio,
    pin_threads,
    reconstruction_error,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer

ENCODER, CODE = (128, 64), 32
HAND, FUSED, OURS = "hand-written loop", "hand-written loop, fused Adam", "sklearn_ae"
KERAS, SKORCH, MLP = "Keras 3 (torch backend)", "skorch NeuralNetRegressor", "sklearn MLPRegressor"


def _sequential(n_features, seed, sigmoid=False):
    widths = [n_features, *ENCODER, CODE, *ENCODER[::-1], n_features]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    if sigmoid:
        layers.append(torch.nn.Sigmoid())
    module = torch.nn.Sequential(*layers)
    generator = torch.Generator().manual_seed(seed)
    for layer in module:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
    return module


def _evaluate(clock, curve, X_test, reconstruct):
    """Pause the clock, add (epoch, CPU s, held-out error) to ``curve``, resume."""
    seconds = clock.stop()
    with torch.no_grad():
        error = reconstruction_error(X_test, reconstruct(X_test))
    curve.append([len(curve) + 1, seconds, error])
    clock.start()


def hand_written_loop(
    X_train, X_test, batch_size, epochs, fused=None, curve=None, clock=None, device="cpu"
):
    X = torch.from_numpy(X_train).to(device)
    model = _sequential(X.shape[1], seed=0).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    generator = torch.Generator().manual_seed(0)

    @torch.no_grad()
    def reconstruct(X_eval):
        return torch.sigmoid(model(torch.from_numpy(X_eval).to(device))).cpu().numpy()

    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator).to(device)
        for start in range(0, len(X), batch_size):
            batch = X[order[start : start + batch_size]]
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch), batch)
            loss.backward()
            optimizer.step()
        if curve is not None:
            _evaluate(clock, curve, X_test, reconstruct)
    return reconstruction_error(X_test, reconstruct(X_test))


class _EpochEnd(Callback):
    def __init__(self, on_epoch_end):
        self.hook = on_epoch_end

    def on_epoch_end(self, net, **kwargs):
        self.hook(net)


def sklearn_ae_fit(X_train, X_test, batch_size, epochs, curve=None, clock=None, device="cpu"):
    callbacks = None
    if curve is not None:
        from sklearn_ae._nn.inference import reconstruct

        def hook(net):
            _evaluate(
                clock,
                curve,
                X_test,
                lambda X: reconstruct(net.module_, torch.from_numpy(X)).numpy(),
            )

        callbacks = [_EpochEnd(hook)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs by design
        ae = AutoencoderTransformer(
            n_components=CODE,
            hidden_layer_sizes=ENCODER,
            code_activation="relu",
            loss="bce",
            batch_size=batch_size,
            max_epochs=epochs,
            n_iter_no_change=epochs + 1,  # train exactly ``epochs`` epochs
            callbacks=callbacks,
            device=device,
            random_state=0,
        ).fit(X_train)
    return reconstruction_error(X_test, ae.inverse_transform(ae.transform(X_test)))


def keras_tutorial(X_train, X_test, batch_size, epochs, curve=None, clock=None):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(X_train.shape[1],))
    hidden = inputs
    for width in (*ENCODER, CODE, *ENCODER[::-1]):
        hidden = keras.layers.Dense(width, activation="relu")(hidden)
    outputs = keras.layers.Dense(X_train.shape[1], activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    callbacks = []
    if curve is not None:

        class EpochEnd(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                _evaluate(clock, curve, X_test, lambda X: np.asarray(model(X, training=False)))

        callbacks = [EpochEnd()]
    model.fit(
        X_train,
        X_train,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    with torch.no_grad():
        return reconstruction_error(X_test, np.asarray(model(X_test, training=False)))


def skorch_obvious(X_train, X_test, batch_size, epochs, curve=None, clock=None):
    callbacks = []
    if curve is not None:
        callbacks = [_EpochEnd(lambda net: _evaluate(clock, curve, X_test, net.predict))]
    net = NeuralNetRegressor(
        _sequential(X_train.shape[1], seed=0, sigmoid=True),
        criterion=torch.nn.BCELoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,  # same work as the others: no hidden validation split
        iterator_train__shuffle=True,
        callbacks=callbacks,
        predict_nonlinearity=None,  # skorch would stack [1 - p, p] for a BCE criterion
        verbose=0,
    ).fit(X_train, X_train)
    return reconstruction_error(X_test, net.predict(X_test))


def mlp_regressor(X_train, X_test, batch_size, epochs, curve=None, clock=None):
    mlp = MLPRegressor(
        hidden_layer_sizes=(*ENCODER, CODE, *ENCODER[::-1]),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if curve is None:
            mlp.fit(X_train, X_train)
        else:
            for _ in range(epochs):  # one partial_fit is one shuffled epoch
                mlp.partial_fit(X_train, X_train)
                _evaluate(clock, curve, X_test, mlp.predict)
    return reconstruction_error(X_test, mlp.predict(X_test))


def contenders(keras_note):
    table = {
        HAND: hand_written_loop,
        FUSED: partial(hand_written_loop, fused=True),
        OURS: sklearn_ae_fit,
        KERAS: keras_tutorial,
        SKORCH: skorch_obvious,
        MLP: mlp_regressor,
    }
    if keras_note:
        del table[KERAS]
    return table


def curves(X_train, X_test, batch_size, epochs, keras_note):
    """{contender: [[epoch, CPU s, held-out error], ...]}; the last point includes
    whatever a fit does after its last epoch."""
    result = {}
    for name, run in contenders(keras_note).items():
        torch.manual_seed(0)
        curve, clock = [], CpuClock()
        clock.start()
        run(X_train, X_test, batch_size, epochs, curve=curve, clock=clock)
        curve[-1][1] = clock.stop()
        result[name] = curve
    start = time.process_time()
    pca = PCA(CODE, random_state=0).fit(X_train)
    seconds = time.process_time() - start
    error = reconstruction_error(X_test, pca.inverse_transform(pca.transform(X_test)))
    result[f"PCA ({CODE} components)"] = [[None, seconds, error]]
    return result


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the timed fits")
    parser.add_argument("--curve-epochs", type=int, default=40)
    parser.add_argument("--curve-batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.smoke:
        args.batch_sizes, args.epochs, args.repeats, args.curve_epochs = [64], 1, 1, 2
    X_train, X_test, _, _, data_name = load_data(args.mnist, args.smoke)
    keras_note = keras_available()
    with pin_threads(args.threads):
        record = Record("overhead", args, data_name)
        if keras_note:
            print(f"Keras skipped: {keras_note}")
        record.value("keras_note", keras_note)
        record.value("network", "784-128-64-32-64-128-784, ReLU, sigmoid output, BCE")

        found = curves(X_train, X_test, args.curve_batch_size, args.curve_epochs, keras_note)
        record.series("curves", found)
        record.value("curve_batch_size", args.curve_batch_size)
        record.table(
            "curve_ends",
            f"After {args.curve_epochs} epochs at batch {args.curve_batch_size}",
            [("contender", "{}"), ("CPU s", "{:.1f}"), ("held-out error", "{:.2f}")],
            [(name, curve[-1][1], curve[-1][2]) for name, curve in found.items()],
        )

        rows = []
        for batch_size in args.batch_sizes:
            run = (X_train, X_test, batch_size, args.epochs)
            timed = {name: partial(fit, *run) for name, fit in contenders(keras_note).items()}
            times, errors = interleaved(timed, args.repeats)
            for name in timed:
                seconds = statistics.median(times[name])
                rows.append(
                    (
                        batch_size,
                        name,
                        median_ratio(times, name, HAND),
                        len(X_train) * args.epochs / seconds,
                        errors[name],
                    )
                )
        record.value("epochs", args.epochs)
        record.value("repeats", args.repeats)
        record.table(
            "ratios",
            f"{args.epochs}-epoch fit, time relative to the hand-written loop "
            f"(median of {args.repeats} interleaved repeats); held-out error per image",
            [
                ("batch", "{}"),
                ("contender", "{}"),
                ("time / hand loop", "{:.2f}x"),
                ("samples/s", "{:,.0f}"),
                ("held-out error", "{:.2f}"),
            ],
            rows,
        )
    record.save()
    return record


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
