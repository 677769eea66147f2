"""VariationalAE on binarised MNIST: held-out likelihood against CPU time, and step cost.

Binarised MNIST (threshold 0.5), 784-512-256-32 with a Bernoulli decoder,
batch 128, Adam(lr=1e-3): the held-out negative log-likelihood (IWAE with
``--iwae-samples`` importance samples, in nats) after each block of epochs,
beside a hand-written PyTorch VAE of the same shape and the same VAE in Keras 3
on the torch backend (skipped with a note without keras), all three scored by
the same IWAE code; then the time of a
training epoch of VariationalAE against AutoencoderTransformer of the same
widths, interleaved. One thread.

    python benchmarks/bench_vae.py --mnist ../shared/data
"""

import math
import time
import warnings

import numpy as np
import torch
from _common import Record, base_parser, interleaved, keras_available, load_data, pin_threads
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer, VariationalAE

HIDDEN, CODE = (512, 256), 32
KERAS = "Keras 3 VAE (torch backend)"


class HandVAE(torch.nn.Module):
    def __init__(self, n_features, generator):
        super().__init__()
        self.trunk = torch.nn.Sequential(
            torch.nn.Linear(n_features, HIDDEN[0]),
            torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN[0], HIDDEN[1]),
            torch.nn.ReLU(),
        )
        self.mean, self.log_var = torch.nn.Linear(HIDDEN[1], CODE), torch.nn.Linear(HIDDEN[1], CODE)
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(CODE, HIDDEN[1]),
            torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN[1], HIDDEN[0]),
            torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN[0], n_features),
        )
        for layer in self.modules():
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
                torch.nn.init.zeros_(layer.bias)

    def posterior(self, x):
        hidden = self.trunk(x)
        return self.mean(hidden), self.log_var(hidden)

    def log_weights(self, x, n_samples, generator):
        return log_weights(self.posterior, self.decoder, x, n_samples, generator)


def log_weights(posterior, decoder, x, n_samples, generator):
    """IWAE log weights (n, n_samples) of a Bernoulli VAE given as two functions."""
    mean, log_var = posterior(x)
    eps = torch.randn((x.shape[0], n_samples, CODE), generator=generator)
    h = mean[:, None] + torch.exp(0.5 * log_var)[:, None] * eps
    logits = decoder(h)
    log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits, x[:, None].expand_as(logits), reduction="none"
    ).sum(-1)
    log_prior = -0.5 * (h**2).sum(-1)
    log_q = -0.5 * ((eps**2).sum(-1) + log_var.sum(1)[:, None])
    return log_px + log_prior - log_q


def hand_iwae(model, X, n_samples):
    generator = torch.Generator().manual_seed(1)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(X), 20):
            log_w = model.log_weights(X[start : start + 20], n_samples, generator)
            total += float((torch.logsumexp(log_w, 1) - math.log(n_samples)).sum())
    return -total / len(X)


class KerasVAE:
    """The same VAE in Keras 3 on the torch backend, as in Keras' VAE example: a
    sampling layer that adds the KL term, the Bernoulli term summed over pixels."""

    def __init__(self, n_features):
        import keras
        from keras import layers, ops

        keras.utils.set_random_seed(0)

        class Sampling(layers.Layer):
            def __init__(self):
                super().__init__()
                self.seed = keras.random.SeedGenerator(0)

            def call(self, inputs):
                mean, log_var = inputs
                kl = 0.5 * ops.sum(ops.exp(log_var) + mean**2 - 1 - log_var, axis=1)
                self.add_loss(ops.mean(kl))
                eps = keras.random.normal(ops.shape(mean), seed=self.seed)
                return mean + ops.exp(0.5 * log_var) * eps

        x = keras.Input((n_features,))
        hidden = layers.Dense(HIDDEN[1], activation="relu")(
            layers.Dense(HIDDEN[0], activation="relu")(x)
        )
        self.encoder = keras.Model(x, [layers.Dense(CODE)(hidden), layers.Dense(CODE)(hidden)])
        h = keras.Input((CODE,))
        logits = layers.Dense(n_features)(
            layers.Dense(HIDDEN[0], activation="relu")(
                layers.Dense(HIDDEN[1], activation="relu")(h)
            )
        )
        self.decoder = keras.Model(h, logits)
        self.model = keras.Model(x, self.decoder(Sampling()(self.encoder(x))))

        def bernoulli(y, logits):
            return n_features * keras.losses.binary_crossentropy(y, logits, from_logits=True)

        self.model.compile(optimizer="adam", loss=bernoulli)

    def train(self, X, epochs):
        self.model.fit(X, X, epochs=epochs, batch_size=128, shuffle=True, verbose=0)

    def log_weights(self, x, n_samples, generator):
        def decode(h):  # a Keras model takes (rows, code) only
            return self.decoder(h.reshape(-1, CODE), training=False).reshape(*h.shape[:-1], -1)

        return log_weights(
            lambda v: self.encoder(v, training=False), decode, x, n_samples, generator
        )


def keras_vae(X_train, X_test, blocks, epochs_per_block, iwae_samples):
    model, points, seconds = KerasVAE(X_train.shape[1]), [], 0.0
    for block in range(blocks):
        start = time.process_time()
        model.train(X_train, epochs_per_block)
        seconds += time.process_time() - start
        nll = hand_iwae(model, torch.from_numpy(X_test), iwae_samples)
        points.append([(block + 1) * epochs_per_block, seconds, nll])
    return points


def hand_vae(X_train, X_test, blocks, epochs_per_block, iwae_samples):
    generator = torch.Generator().manual_seed(0)
    X = torch.from_numpy(X_train)
    model = HandVAE(X.shape[1], generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    points, seconds = [], 0.0
    for block in range(blocks):
        start = time.process_time()
        for _ in range(epochs_per_block):
            order = torch.randperm(len(X), generator=generator)
            for i in range(0, len(X), 128):
                batch = X[order[i : i + 128]]
                mean, log_var = model.posterior(batch)
                eps = torch.randn(mean.shape, generator=generator)
                logits = model.decoder(mean + torch.exp(0.5 * log_var) * eps)
                rec = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, batch, reduction="sum"
                )
                kl = 0.5 * (torch.exp(log_var) + mean**2 - 1 - log_var).sum()
                loss = (rec + kl) / len(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        seconds += time.process_time() - start
        nll = hand_iwae(model.eval(), torch.from_numpy(X_test), iwae_samples)
        model.train()
        points.append([(block + 1) * epochs_per_block, seconds, nll])
    return points


def package_vae(X_train, X_test, blocks, epochs_per_block, iwae_samples):
    vae = VariationalAE(
        CODE,
        hidden_layer_sizes=HIDDEN,
        loss="bce",
        batch_size=128,
        max_epochs=epochs_per_block,
        warm_start=True,
        n_iter_no_change=10**6,
        random_state=0,
    )
    points, seconds = [], 0.0
    for block in range(blocks):
        start = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            vae.fit(X_train)
        seconds += time.process_time() - start
        # the Bernoulli log-probability papers report, not the Gaussian score
        log_p = vae.bernoulli_log_likelihood(X_test, n_importance_samples=iwae_samples)
        nll = -float(np.mean(log_p))
        points.append([(block + 1) * epochs_per_block, seconds, nll])
    return vae, points


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--epochs-per-block", type=int, default=15)
    parser.add_argument("--iwae-samples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.smoke:
        args.blocks, args.epochs_per_block, args.iwae_samples, args.repeats = 1, 1, 8, 1
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    X_train, X_test = (X_train > 0.5).astype(np.float32), (X_test > 0.5).astype(np.float32)
    with pin_threads(args.threads):
        record = Record("vae", args, f"{name}, binarised at 0.5")
        record.value("iwae_samples", args.iwae_samples)
        hand = hand_vae(X_train, X_test, args.blocks, args.epochs_per_block, args.iwae_samples)
        _, ours = package_vae(
            X_train, X_test, args.blocks, args.epochs_per_block, args.iwae_samples
        )
        curves = {"hand-written VAE": hand, "VariationalAE": ours}
        note = keras_available()
        record.value("keras_note", note)
        if note is None:
            curves[KERAS] = keras_vae(
                X_train, X_test, args.blocks, args.epochs_per_block, args.iwae_samples
            )
        else:
            print(f"{KERAS} skipped: {note}")
        record.series("curves", curves)
        record.table(
            "curves",
            f"Held-out negative log-likelihood (IWAE, {args.iwae_samples} samples)",
            [("contender", "{}"), ("epochs", "{}"), ("CPU s", "{:.1f}"), ("NLL (nats)", "{:.2f}")],
            [(c, *point) for c, curve in curves.items() for point in curve],
        )
        ae, vae = "AutoencoderTransformer", "VariationalAE"
        times, _ = interleaved(
            {
                ae: lambda: _epoch(AutoencoderTransformer, X_train),
                vae: lambda: _epoch(VariationalAE, X_train),
            },
            args.repeats,
        )
        ratio = record.timing_table(
            "epoch_time",
            f"One-epoch fit of the same widths, median of {args.repeats} interleaved repeats",
            times,
            ae,
            "estimator",
            "{:.3f}",
        )
        record.value("epoch_ratio", ratio)
    record.save()


def _epoch(cls, X_train):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cls(
            CODE,
            hidden_layer_sizes=HIDDEN,
            loss="bce",
            batch_size=128,
            max_epochs=1,
            random_state=0,
        ).fit(X_train)


if __name__ == "__main__":
    main()
