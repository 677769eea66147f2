"""Convolutional autoencoders on MNIST: quality against CPU time, speed, denoising.

30-d code, BCE, Adam(1e-3), batch 128: ``AutoencoderTransformer(image_shape=(28,
28), conv_channels=(32, 64))`` (the default ``hidden_layer_sizes="auto"`` is ``()``
with ``image_shape``) against a hand-written
PyTorch loop of the same network (two 3x3 stride-2 convolutions, a dense layer
to the code, the mirror back), the same layers in Keras 3 on the torch backend
(skipped with a note without keras) and the dense 784-512-256-30 autoencoder, as
held-out squared error per image relative to PCA-30's after each block of
epochs; then 5-epoch fit times of the package and the hand loop,
interleaved; then masking noise (30 %) removed from held-out digits by the
convolutional and the dense DenoisingAE of the same code size. One thread.

    python benchmarks/bench_conv.py --mnist ../shared/data
"""

import time
import warnings

import numpy as np
import torch
from _common import (
    Record,
    base_parser,
    interleaved,
    keras_available,
    load_data,
    pin_threads,
    reconstruction_error,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer, DenoisingAE

CODE, CHANNELS, BATCH = 30, (32, 64), 128
KERAS = "Keras 3 conv (torch backend)"


def _hand_network(side, generator):
    inner = -(-side // 2)  # ceil: the sizes of the two feature maps
    last = -(-inner // 2)
    flat = CHANNELS[1] * last**2
    encoder = torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, side, side)),
        torch.nn.Conv2d(1, CHANNELS[0], 3, stride=2, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(CHANNELS[0], CHANNELS[1], 3, stride=2, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(flat, CODE),
    )
    decoder = torch.nn.Sequential(
        torch.nn.Linear(CODE, flat),
        torch.nn.ReLU(),
        torch.nn.Unflatten(1, (CHANNELS[1], last, last)),
        torch.nn.ConvTranspose2d(
            CHANNELS[1], CHANNELS[0], 3, stride=2, padding=1, output_padding=inner - 2 * last + 1
        ),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(
            CHANNELS[0], 1, 3, stride=2, padding=1, output_padding=side - 2 * inner + 1
        ),
        torch.nn.Flatten(),
    )
    model = torch.nn.Sequential(encoder, decoder)
    for layer in model.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
    return model


class HandLoop:
    def __init__(self, X_train):
        self.generator = torch.Generator().manual_seed(0)
        self.X = torch.from_numpy(X_train)
        self.model = _hand_network(int(np.sqrt(X_train.shape[1])), self.generator)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def train(self, epochs):
        for _ in range(epochs):
            order = torch.randperm(len(self.X), generator=self.generator)
            for start in range(0, len(self.X), BATCH):
                batch = self.X[order[start : start + BATCH]]
                self.optimizer.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    self.model(batch), batch
                )
                loss.backward()
                self.optimizer.step()

    def reconstruct(self, X):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.from_numpy(X))).numpy()


class KerasLoop:
    """The same layers in Keras 3 on the torch backend ("same" padding, channels last)."""

    def __init__(self, X_train):
        import keras

        keras.utils.set_random_seed(0)
        side = int(np.sqrt(X_train.shape[1]))
        inner = -(-side // 2)
        last = -(-inner // 2)
        layers = keras.layers
        self.model = keras.Sequential(
            [
                keras.Input((side * side,)),
                layers.Reshape((side, side, 1)),
                layers.Conv2D(CHANNELS[0], 3, strides=2, padding="same", activation="relu"),
                layers.Conv2D(CHANNELS[1], 3, strides=2, padding="same", activation="relu"),
                layers.Flatten(),
                layers.Dense(CODE),
                layers.Dense(last * last * CHANNELS[1], activation="relu"),
                layers.Reshape((last, last, CHANNELS[1])),
                layers.Conv2DTranspose(
                    CHANNELS[0], 3, strides=2, padding="same", activation="relu"
                ),
                layers.Conv2DTranspose(1, 3, strides=2, padding="same"),
                layers.Cropping2D(((0, 4 * last - side), (0, 4 * last - side))),
                layers.Flatten(),
            ]
        )
        self.model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
        self.X = X_train

    def train(self, epochs):
        self.model.fit(self.X, self.X, epochs=epochs, batch_size=BATCH, shuffle=True, verbose=0)

    def reconstruct(self, X):
        with torch.no_grad():
            return torch.sigmoid(torch.as_tensor(self.model(X, training=False))).cpu().numpy()


def _package(X_train, epochs, **params):
    side = int(np.sqrt(X_train.shape[1]))
    common = {"loss": "bce", "batch_size": BATCH, "random_state": 0, "n_iter_no_change": 10**6}
    return AutoencoderTransformer(
        CODE,
        image_shape=(side, side),
        conv_channels=CHANNELS,
        max_epochs=epochs,
        **common,
        **params,
    )


def quality(X_train, X_test, blocks, epochs):
    """{contender: [[epoch, CPU s, held-out error], ...]}, evaluated after each block."""
    common = {"loss": "bce", "batch_size": BATCH, "random_state": 0, "n_iter_no_change": 10**6}
    contenders = {
        "hand-written conv loop": HandLoop(X_train),
        "conv AutoencoderTransformer": _package(X_train, epochs, warm_start=True),
        KERAS: KerasLoop(X_train) if keras_available() is None else None,
        "dense AutoencoderTransformer (512, 256)": AutoencoderTransformer(
            CODE, hidden_layer_sizes=(512, 256), max_epochs=epochs, warm_start=True, **common
        ),
    }
    curves = {}
    for name, model in contenders.items():
        if model is None:
            print(f"{name} skipped: {keras_available()}")
            continue
        seconds, curve = 0.0, []
        for block in range(blocks):
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if isinstance(model, (HandLoop, KerasLoop)):
                    model.train(epochs)
                else:
                    model.fit(X_train)
            seconds += time.process_time() - start
            error = reconstruction_error(X_test, model.reconstruct(X_test))
            curve.append([(block + 1) * epochs, seconds, error])
        curves[name] = curve
    return curves


def denoising(X_train, X_test, epochs):
    side = int(np.sqrt(X_train.shape[1]))
    mask = np.random.default_rng(0).random(X_test.shape) < 0.3
    noisy = np.where(mask, 0.0, X_test).astype(np.float32)
    common = {
        "noise": "masking",
        "noise_level": 0.3,
        "loss": "bce",
        "batch_size": BATCH,
        "max_epochs": epochs,
        "random_state": 0,
    }
    rows = []
    for name, model in {
        "conv DenoisingAE": DenoisingAE(
            CODE,
            image_shape=(side, side),
            conv_channels=CHANNELS,
            **common,
        ),
        "dense DenoisingAE (512, 256)": DenoisingAE(CODE, hidden_layer_sizes=(512, 256), **common),
    }.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train)
        rows.append((name, reconstruction_error(X_test, model.denoise(noisy))))
    rows.append(("noisy input itself", reconstruction_error(X_test, noisy)))
    return rows


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--epochs-per-block", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.smoke:
        args.blocks, args.epochs_per_block, args.repeats = 1, 1, 1
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    with pin_threads(args.threads):
        record = Record("conv", args, name)
        start = time.process_time()
        pca = PCA(CODE if X_train.shape[1] > CODE else 4).fit(X_train)
        pca_seconds = time.process_time() - start
        pca_error = reconstruction_error(X_test, pca.inverse_transform(pca.transform(X_test)))
        record.value("pca_error", pca_error)
        record.value("keras_note", keras_available())
        curves = quality(X_train, X_test, args.blocks, args.epochs_per_block)
        curves[f"PCA ({pca.n_components_} components)"] = [[None, pca_seconds, pca_error]]
        record.series("curves", curves)
        record.table(
            "curves",
            "Held-out error per image against CPU time spent training",
            [
                ("contender", "{}"),
                ("epochs", "{}"),
                ("CPU s", "{:.1f}"),
                ("held-out error", "{:.2f}"),
                ("/ PCA", "{:.3f}"),
            ],
            [
                (contender, epoch, seconds, error, error / pca_error)
                for contender, curve in curves.items()
                for epoch, seconds, error in curve
            ],
        )

        epochs = 1 if args.smoke else 5

        def package_fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                _package(X_train, epochs).fit(X_train)

        hand, ours = "hand-written conv loop", "conv AutoencoderTransformer"
        times, _ = interleaved(
            {hand: lambda: HandLoop(X_train).train(epochs), ours: package_fit}, args.repeats
        )
        ratio = record.timing_table(
            "fit_time",
            f"{epochs}-epoch fit, median of {args.repeats} interleaved repeats",
            times,
            hand,
            "contender",
        )
        record.value("fit_ratio", ratio)
        record.table(
            "denoising",
            "Masking noise (30 %) on held-out digits: error to the clean image",
            [("model", "{}"), ("error per image", "{:.2f}")],
            denoising(X_train, X_test, 4 * args.epochs_per_block),
        )
    record.save()


if __name__ == "__main__":
    main()
