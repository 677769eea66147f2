"""Convolutional autoencoders on MNIST: quality against CPU time, speed, denoising.

30-d code, BCE, Adam(1e-3), batch 128: ``AutoencoderTransformer(image_shape=(28,
28), conv_channels=(32, 64), hidden_layer_sizes=())`` against a hand-written
PyTorch loop of the same network (two 3x3 stride-2 convolutions, a dense layer
to the code, the mirror back) and the dense 784-512-256-30 autoencoder, as
held-out squared error per image relative to PCA-30's after each block of
epochs; then 5-epoch fit times of the package and the hand loop,
interleaved; then masking noise (30 %) removed from held-out digits by the
convolutional and the dense DenoisingAE of the same code size. One thread.

    python benchmarks/bench_conv.py --mnist ../shared/data
"""

import statistics
import time
import warnings

import numpy as np
import torch
from _common import (
    base_parser,
    describe_machine,
    interleaved,
    load_data,
    pin_threads,
    print_table,
    reconstruction_error,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer, DenoisingAE

CODE, CHANNELS, BATCH = 30, (32, 64), 128


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


def _package(X_train, epochs, **params):
    side = int(np.sqrt(X_train.shape[1]))
    common = {"loss": "bce", "batch_size": BATCH, "random_state": 0, "n_iter_no_change": 10**6}
    return AutoencoderTransformer(
        CODE,
        image_shape=(side, side),
        conv_channels=CHANNELS,
        hidden_layer_sizes=(),
        max_epochs=epochs,
        **common,
        **params,
    )


def quality(X_train, X_test, pca_error, blocks, epochs):
    common = {"loss": "bce", "batch_size": BATCH, "random_state": 0, "n_iter_no_change": 10**6}
    contenders = {
        "hand-written conv loop": HandLoop(X_train),
        "conv AutoencoderTransformer": _package(X_train, epochs, warm_start=True),
        "dense AutoencoderTransformer (512, 256)": AutoencoderTransformer(
            CODE, hidden_layer_sizes=(512, 256), max_epochs=epochs, warm_start=True, **common
        ),
    }
    rows = []
    for name, model in contenders.items():
        seconds = 0.0
        for block in range(blocks):
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if isinstance(model, HandLoop):
                    model.train(epochs)
                else:
                    model.fit(X_train)
            recon = (
                model.reconstruct(X_test)
                if isinstance(model, HandLoop)
                else model.reconstruct(X_test)
            )
            seconds += time.process_time() - start
            error = reconstruction_error(X_test, recon)
            rows.append(
                (
                    name,
                    (block + 1) * epochs,
                    f"{seconds:.1f}",
                    f"{error:.2f}",
                    f"{error / pca_error:.3f}",
                )
            )
    return rows


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
            hidden_layer_sizes=(),
            **common,
        ),
        "dense DenoisingAE (512, 256)": DenoisingAE(CODE, hidden_layer_sizes=(512, 256), **common),
    }.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train)
        rows.append((name, f"{reconstruction_error(X_test, model.denoise(noisy)):.2f}"))
    rows.append(("noisy input itself", f"{reconstruction_error(X_test, noisy):.2f}"))
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
    pca = PCA(CODE if X_train.shape[1] > CODE else 4).fit(X_train)
    pca_error = reconstruction_error(X_test, pca.inverse_transform(pca.transform(X_test)))
    with pin_threads(args.threads):
        print(describe_machine(args.threads))
        print(f"data: {name}; PCA-{pca.n_components_} held-out error {pca_error:.2f}")
        print_table(
            ["contender", "epochs", "CPU s", "held-out error", "/ PCA"],
            quality(X_train, X_test, pca_error, args.blocks, args.epochs_per_block),
        )

        epochs = 1 if args.smoke else 5

        def package_fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                _package(X_train, epochs).fit(X_train)

        times, _ = interleaved(
            {
                "hand-written conv loop": lambda: HandLoop(X_train).train(epochs),
                "conv AutoencoderTransformer": package_fit,
            },
            args.repeats,
        )
        ratio = statistics.median(
            a / b
            for a, b in zip(
                times["conv AutoencoderTransformer"], times["hand-written conv loop"], strict=True
            )
        )
        print_table(
            [f"{epochs}-epoch fit", "median s", "/ hand loop"],
            [
                (
                    "hand-written conv loop",
                    f"{statistics.median(times['hand-written conv loop']):.2f}",
                    "1.00x",
                ),
                (
                    "conv AutoencoderTransformer",
                    f"{statistics.median(times['conv AutoencoderTransformer']):.2f}",
                    f"{ratio:.2f}x",
                ),
            ],
        )
        print_table(
            ["masking noise 30 %, held-out", "error to the clean image"],
            denoising(X_train, X_test, 4 * args.epochs_per_block),
        )


if __name__ == "__main__":
    main()
