"""AdversarialAE beside VariationalAE on MNIST: codes against the prior, samples, reconstruction.

MNIST test split (8,000 train / 2,000 held out), both 784-512-256-8 with a
Bernoulli decoder (``loss="bce"``), batch 128, every other parameter their default
(standard normal prior, Adam 1e-3), the same ``--epochs``, for
``--seeds`` seeds. On the held-out images: the squared MMD between their
codes (for VariationalAE a draw of q(h|x)) and the prior
(``sklearn_ae.metrics.prior_mmd``); the classifier two-sample accuracy of
2,000 samples against the 2,000 images (``classifier_two_sample_accuracy``:
its default, logistic regression, and a 1-nearest-neighbour classifier);
the summed squared reconstruction error per image; the mean log-likelihood
(``score``). Then the time of one training epoch of each beside
AutoencoderTransformer of the same widths, interleaved. One thread.

    python benchmarks/bench_adversarial.py --mnist ../shared/data
"""

import statistics
import time
import warnings

import numpy as np
from _common import Record, base_parser, load_data, pin_threads
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier

from sklearn_ae import AdversarialAE, AutoencoderTransformer, VariationalAE
from sklearn_ae.metrics import classifier_two_sample_accuracy, prior_mmd

HIDDEN, CODE, BATCH = (512, 256), 8, 128
MODELS = {"VariationalAE": VariationalAE, "AdversarialAE": AdversarialAE}
METRICS = ("prior MMD^2", "C2ST", "C2ST 1-NN", "reconstruction error", "log-likelihood")
N_SHOWN = 8  # samples per model kept for the figure


def _fit(cls, X, epochs, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(
            CODE,
            hidden_layer_sizes=HIDDEN,
            loss="bce",
            batch_size=BATCH,
            max_epochs=epochs,
            random_state=seed,
        ).fit(X)


def measure(model, X_test, seed):
    """The held-out measurements of one fitted model, in METRICS order."""
    nearest = KNeighborsClassifier(n_neighbors=1)
    error = float(np.mean(((model.reconstruct(X_test) - X_test) ** 2).sum(1)))
    return [
        prior_mmd(model, X_test, random_state=seed),
        classifier_two_sample_accuracy(model, X_test, random_state=seed),
        classifier_two_sample_accuracy(model, X_test, classifier=nearest, random_state=seed),
        error,
        float(np.mean(model.score_samples(X_test, n_importance_samples=16))),
    ]


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.seeds, args.repeats = 1, 1, 1
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    with pin_threads(args.threads):
        record = Record("adversarial", args, name)
        record.value("epochs", args.epochs)
        measured = {model: [] for model in MODELS}
        seconds = {model: [] for model in MODELS}
        samples = {}
        for seed in range(args.seeds):
            for model_name, cls in MODELS.items():
                start = time.process_time()
                model = _fit(cls, X_train, args.epochs, seed)
                seconds[model_name].append(time.process_time() - start)
                measured[model_name].append(measure(model, X_test, seed))
                print(f"seed {seed} {model_name}: {measured[model_name][-1]}", flush=True)
                if seed == 0:
                    drawn = model.sample(N_SHOWN, random_state=0)
                    samples[model_name] = np.round(drawn, 3).tolist()
        rows = []
        for model_name, runs in measured.items():
            runs = np.array(runs)
            spread = runs.std(0) if len(runs) > 1 else np.zeros(runs.shape[1])
            rows.append(
                [model_name, *runs.mean(0), *spread, statistics.median(seconds[model_name])]
            )
        record.table(
            "quality",
            f"Held-out measurements, mean and standard deviation over {args.seeds} seed(s), "
            f"{args.epochs} epochs",
            [("model", "{}")]
            + [(metric, "{:.4f}") for metric in METRICS]
            + [(f"sd {metric}", "{:.4f}") for metric in METRICS]
            + [("fit CPU s", "{:.1f}")],
            rows,
        )
        record.series("samples", samples)
        ae, aae = "AutoencoderTransformer", "AdversarialAE"
        contenders = {
            ae: AutoencoderTransformer,
            aae: AdversarialAE,
            "VariationalAE": VariationalAE,
        }
        durations = {name: [] for name in contenders}
        for _ in range(args.repeats):  # interleaved; each epoch's own duration
            for contender, cls in contenders.items():
                history = _fit(cls, X_train, 3, 0).history_
                durations[contender].extend(history[:, "dur"])
        record.timing_table(
            "epoch_time",
            f"Training epoch, median over {args.repeats} interleaved fits of 3 epochs",
            durations,
            ae,
            "estimator",
            "{:.3f}",
        )
        ratio = statistics.median(a / b for a, b in zip(durations[aae], durations[ae], strict=True))
        record.value("epoch_ratio", ratio)
    record.save()


if __name__ == "__main__":
    main()
