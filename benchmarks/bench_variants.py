"""Variant cost: training time of each regularised autoencoder relative to the plain one.

Each variant is timed against a plain AutoencoderTransformer with the same
network (same widths, activations, batch size, epochs), interleaved, pinned to
``--threads`` threads; the ratio is the median of per-repeat ratios.

    python benchmarks/bench_variants.py --mnist ../shared/data
"""

import statistics

from _common import Record, base_parser, interleaved, load_data, median_ratio, pin_threads

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE

SMALL, ONE_LAYER, DEEP = (
    "784-128-32 (ReLU, linear code)",
    "784-32 (sigmoid code)",
    "784-256-128-32 (3-layer encoder)",
)
NETWORKS = {
    SMALL: {"hidden_layer_sizes": (128,)},
    ONE_LAYER: {"hidden_layer_sizes": (), "code_activation": "sigmoid"},
    DEEP: {"hidden_layer_sizes": (256, 128)},
}
# (name, networks, estimator class, its parameters, target ratio from the variants issue)
VARIANTS = [
    ("DenoisingAE gaussian", [SMALL, DEEP], DenoisingAE, {}, 1.1),
    (
        "DenoisingAE masking",
        [SMALL, DEEP],
        DenoisingAE,
        {"noise": "masking", "noise_level": 0.3},
        1.1,
    ),
    (
        "DenoisingAE salt_and_pepper",
        [SMALL, DEEP],
        DenoisingAE,
        {"noise": "salt_and_pepper", "noise_level": 0.2},
        1.1,
    ),
    ("SparseAE L1", [SMALL, DEEP], SparseAE, {"code_activation": "identity"}, 1.1),
    (
        "SparseAE k=8",
        [SMALL, DEEP],
        SparseAE,
        {"code_activation": "identity", "alpha": 0.0, "k": 8},
        1.1,
    ),
    ("ContractiveAE analytic", [ONE_LAYER], ContractiveAE, {"jacobian_method": "analytic"}, 1.3),
    ("ContractiveAE hutchinson", [DEEP], ContractiveAE, {"jacobian_method": "hutchinson"}, 2.0),
    ("ContractiveAE exact", [ONE_LAYER], ContractiveAE, {"jacobian_method": "exact"}, None),
]


def _fit(estimator_class, X, **params):
    def run():
        estimator_class(n_components=32, random_state=0, **params).fit(X)

    return run


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.repeats = 1, 1
    X_train, _, _, _, data_name = load_data(args.mnist, args.smoke)
    common = {
        "batch_size": args.batch_size,
        "max_epochs": args.epochs,
        "n_iter_no_change": args.epochs + 1,
    }
    with pin_threads(args.threads):
        record = Record("variants", args, data_name)
        rows = []
        for name, networks, variant_class, params, target in VARIANTS:
            for network in networks:
                net = {**NETWORKS[network], **common}
                # The plain baseline shares the variant's code activation.
                plain = {**net, **{k: v for k, v in params.items() if k == "code_activation"}}
                contenders = {
                    "plain": _fit(AutoencoderTransformer, X_train, **plain),
                    name: _fit(variant_class, X_train, **{**net, **params}),
                }
                times, _ = interleaved(contenders, args.repeats)
                ratio = median_ratio(times, name, "plain")
                n_steps = args.epochs * -(-len(X_train) // args.batch_size)
                step_ms = 1000 * statistics.median(times[name]) / n_steps
                met = None if target is None else ("yes" if ratio <= target else "no")
                network = network.replace("784", str(X_train.shape[1]))
                rows.append((name, network, ratio, step_ms, target, met))
        record.table(
            "variants",
            f"Fit time relative to the plain autoencoder of the same network: batch "
            f"{args.batch_size}, {args.epochs} epochs, "
            f"median of {args.repeats} interleaved repeats",
            [
                ("variant", "{}"),
                ("network", "{}"),
                ("time / plain", "{:.2f}x"),
                ("ms per step", "{:.2f}"),
                ("target", "<= {}x"),
                ("met", "{}"),
            ],
            rows,
        )
    record.save()


if __name__ == "__main__":
    main()
