"""Draw the docs' benchmark tables and figures, and README's performance sentence,
from the stored results file only (no benchmark is run here).

    python benchmarks/report.py            # results.json -> docs/_benchmarks/, README.md

The documentation build calls ``render`` too, so the pages always show what
``results.json`` holds. Each benchmark gets ``<name>.inc`` (provenance, a
summary whose numbers are read from the results, its figures and tables) that
``docs/benchmarks.rst`` includes.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from _results import RESULTS_FILE, format_row, format_value  # noqa: E402

DOCS_OUT = HERE.parent / "docs" / "_benchmarks"
README = HERE.parent / "README.md"
README_START, README_END = "<!-- benchmarks: start -->", "<!-- benchmarks: end -->"
# Colours by contender, so a peer looks the same in every figure.
COLOURS = {
    "hand-written": "#4c72b0",
    "fused": "#64b5cd",
    "sklearn_ae": "#dd8452",
    "AutoencoderTransformer": "#dd8452",
    "VariationalAE": "#dd8452",
    "Keras": "#c44e52",
    "skorch": "#8172b3",
    "MLPRegressor": "#937860",
    "dense": "#55a868",
    "PCA": "#333333",
}


def colour(name):
    for key in ("fused", "dense", "PCA"):  # the more specific keys first
        if key in name:
            return COLOURS[key]
    return next((c for key, c in COLOURS.items() if key in name), "#999999")


def load(path=RESULTS_FILE):
    return json.loads(Path(path).read_text())["benchmarks"]


# -- tables ----------------------------------------------------------------


def csv_table(table):
    """A csv-table whose column widths follow their longest entry, so it fits the page."""
    # A lone "-" would read as a bullet list in reStructuredText.
    rows = [
        ["–" if cell == "-" else cell for cell in format_row(row, table["formats"])]
        for row in table["rows"]
    ]
    lengths = [
        max(len(str(cell)) for cell in column)
        for column in zip(table["columns"], *rows, strict=True)
    ]
    quote = lambda cell: '"' + str(cell).replace('"', '""') + '"'  # noqa: E731
    lines = [
        f".. csv-table:: {table['title']}",
        "   :header: " + ", ".join(quote(c) for c in table["columns"]),
        "   :widths: " + ", ".join(str(max(4, n)) for n in lengths),
        "   :class: benchmark-table",
        "",
    ]
    lines += ["   " + ", ".join(quote(cell) for cell in row) for row in rows]
    return "\n".join(lines) + "\n"


def provenance(produced):
    versions = ", ".join(f"{k} {v}" for k, v in produced["versions"].items())
    commit = f", commit {produced['commit']}" if produced.get("commit") else ""
    return (
        f"*Measured {produced['date']} on {produced['machine']}, "
        f"{produced['threads']} thread(s), Python {produced['python']}, {versions}{commit}; "
        f"data: {produced['data']}; took {produced.get('wall_seconds', 0):.0f} s. "
        f"Command:* ``{produced['command']}``"
    )


# -- figures ---------------------------------------------------------------


def _axes(width=6.4, height=3.8):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(width, height), layout="constrained")
    axes.grid(True, color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _save(figure, path):
    import matplotlib.pyplot as plt

    figure.savefig(path, dpi=110)
    plt.close(figure)


def curves_figure(curves, path, ylabel, title, scale=1.0):
    """One line per contender (epochs as points); single points (PCA) as a dashed level."""
    figure, axes = _axes()
    levels = [p[0][2] / scale for p in curves.values() if len(p) == 1]
    for name, points in curves.items():
        seconds = [p[1] for p in points]
        values = [p[2] / scale for p in points]
        if len(points) == 1:
            axes.axhline(values[0], color=colour(name), linestyle="--", linewidth=1, label=name)
            continue
        style = "o-" if name in ("sklearn_ae", "VariationalAE") or "conv Auto" in name else ".-"
        axes.plot(seconds, values, style, color=colour(name), label=name, markersize=4)
    if levels:  # log scale, cut above: the first epochs would flatten the end of the race
        from matplotlib.ticker import FormatStrFormatter

        lowest = min(p[2] / scale for points in curves.values() for p in points)
        axes.set_yscale("log")
        axes.set_ylim(lowest * 0.9, max(levels) * 2.5)
        for which in (axes.yaxis.set_major_formatter, axes.yaxis.set_minor_formatter):
            which(FormatStrFormatter("%.3g"))
        axes.tick_params(axis="y", which="minor", labelsize=7)
    axes.set_xlabel("CPU seconds spent training (one thread)")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, frameon=False)
    _save(figure, path)


def ratio_bars(
    rows,
    path,
    group_label="batch {}",
    xlabel="fit time / hand-written PyTorch loop (lower is faster)",
    legend_loc="lower right",
):
    """Grouped horizontal bars: a time ratio per contender, one group per batch (or table)."""
    import numpy as np

    batches = list(dict.fromkeys(row[0] for row in rows))
    if all(isinstance(batch, int) for batch in batches):
        batches.sort()
    contenders = list(dict.fromkeys(row[1] for row in rows))
    figure, axes = _axes(height=1.0 + 0.5 * len(contenders))
    height = 0.8 / len(batches)
    shades = [0.45, 0.7, 1.0][-len(batches) :] if len(batches) <= 3 else [1.0] * len(batches)
    for i, batch in enumerate(batches):
        ratios = {row[1]: row[2] for row in rows if row[0] == batch}
        ys = np.arange(len(contenders)) + (i - (len(batches) - 1) / 2) * height
        values = [ratios.get(c, 0) for c in contenders]
        bars = axes.barh(
            ys,
            values,
            height=height * 0.9,
            color=[colour(c) for c in contenders],
            alpha=shades[i],
            label=group_label.format(batch),
        )
        axes.bar_label(bars, [f"{v:.2f}x" for v in values], fontsize=7, padding=2)
    axes.axvline(1.0, color="#333333", linewidth=1)
    axes.set_yticks(np.arange(len(contenders)), contenders, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_xlim(0, max(row[2] for row in rows) * 1.18)
    axes.legend(fontsize=8, frameon=False, loc=legend_loc)
    _save(figure, path)


def impute_bars(rows, path):
    """RMSE relative to mean imputation, grouped by data set."""
    import numpy as np

    datasets = list(dict.fromkeys(row[0] for row in rows))
    methods = list(dict.fromkeys(row[2] for row in rows))
    rmse = {(row[0], row[2]): row[3] for row in rows}
    figure, axes = _axes(height=3.6)
    width = 0.8 / len(methods)
    palette = ["#bbbbbb", "#4c72b0", "#55a868", "#dd8452"]
    for i, method in enumerate(methods):
        xs = np.arange(len(datasets)) + (i - (len(methods) - 1) / 2) * width
        values = [rmse[d, method] / rmse[d, methods[0]] for d in datasets]
        bars = axes.bar(xs, values, width * 0.9, label=method, color=palette[i % len(palette)])
        axes.bar_label(bars, [f"{rmse[d, method]:.3f}" for d in datasets], fontsize=6, padding=1)
    labels = [f"{d} ({next(r[1] for r in rows if r[0] == d)})" for d in datasets]
    axes.set_xticks(np.arange(len(datasets)), labels, fontsize=8)
    axes.set_ylabel("RMSE / mean imputation's (labels: RMSE)")
    axes.set_ylim(0, 1.4)
    axes.legend(fontsize=8, frameon=False, ncols=2, loc="upper center")
    _save(figure, path)


def hamming_figure(by_size, n_queries, path):
    figure, axes = _axes()
    for name, points in by_size.items():
        style = "o-" if "HammingIndex" in name or "hamming_neighbors" in name else ".--"
        axes.loglog(
            [p[0] for p in points],
            [p[1] for p in points],
            style,
            color=_hamming_colour(name),
            label=name,
            markersize=4,
        )
    axes.set_xlabel("codes in the database (32 bits each)")
    axes.set_ylabel(f"seconds for {n_queries:,} queries, k = 10")
    axes.legend(fontsize=8, frameon=False)
    _save(figure, path)


def _hamming_colour(name):
    if "previous" in name:
        return "#999999"
    if "raw" in name:
        return "#c44e52"
    return "#dd8452" if "faiss" in name else "#4c72b0"


# -- sections --------------------------------------------------------------


def _ratio(rows, batch, contender):
    return next((r[2] for r in rows if r[0] == batch and r[1] == contender), None)


def overhead(result, out):
    tables, values = result["tables"], result["values"]
    rows = tables["ratios"]["rows"]
    curves_figure(
        result["series"]["curves"],
        out / "overhead_curves.png",
        "held-out squared error per image",
        f"Keras tutorial network, MNIST, batch {values['curve_batch_size']}",
    )
    ratio_bars(rows, out / "overhead_ratios.png")
    batches = sorted({r[0] for r in rows})
    per_contender = [
        f"{name} {', '.join(format_value(_ratio(rows, b, name), '{:.2f}x') for b in batches)}"
        for name in dict.fromkeys(r[1] for r in rows)
        if name != "hand-written loop"
    ]
    text = (
        f"Fit time relative to the hand-written loop at batch {', '.join(map(str, batches))}: "
        + "; ".join(per_contender)
        + "."
    )
    if values.get("keras_note"):
        text += f" Keras was not measured: {values['keras_note']}."
    return text, ["overhead_curves.png", "overhead_ratios.png"], ["ratios", "curve_ends"]


def conv(result, out):
    values, curves = result["values"], result["series"]["curves"]
    pca = values["pca_error"]
    curves_figure(
        curves,
        out / "conv_curves.png",
        "held-out error / PCA-30's",
        "30-d code on MNIST: convolutional, dense and PCA",
        scale=pca,
    )
    ours = curves["conv AutoencoderTransformer"][-1]
    others = [
        f"{name} {curve[-1][2] / pca:.3f}x in {curve[-1][1]:.0f} s"
        for name, curve in curves.items()
        if name != "conv AutoencoderTransformer" and len(curve) > 1
    ]
    denoise = dict(result["tables"]["denoising"]["rows"])
    text = (
        f"After {ours[0]} epochs the convolutional estimator is at {ours[2] / pca:.3f}x PCA-30's "
        f"held-out error ({ours[1]:.0f} s of CPU time; {'; '.join(others)}). A 5-epoch fit takes "
        f"{values['fit_ratio']:.2f}x the hand loop's time. With 30 % of the held-out pixels "
        f"masked, the convolutional DenoisingAE restores them to an error of "
        f"{denoise['conv DenoisingAE']:.2f} per image against "
        f"{denoise['dense DenoisingAE (512, 256)']:.2f} for the dense one "
        f"({denoise['noisy input itself']:.2f} for the masked input)."
    )
    return text, ["conv_curves.png"], ["curves", "fit_time", "denoising"]


def vae(result, out):
    curves, values = result["series"]["curves"], result["values"]
    curves_figure(
        curves,
        out / "vae_curves.png",
        f"held-out NLL, nats (IWAE, {values['iwae_samples']:,} samples)",
        "Binarised MNIST, 784-512-256-32, Bernoulli decoder",
    )
    ours = curves["VariationalAE"][-1]
    others = [
        f"{name} at {curve[-1][2]:.2f} nats ({curve[-1][1]:.0f} s)"
        for name, curve in curves.items()
        if name != "VariationalAE"
    ]
    text = (
        f"After {ours[0]} epochs VariationalAE is at {ours[2]:.2f} nats ({ours[1]:.0f} s of CPU "
        f"time), the {', the '.join(others)}. An epoch costs "
        f"{values['epoch_ratio']:.2f}x an epoch of AutoencoderTransformer of the same widths."
    )
    if values.get("keras_note"):
        text += f" Keras was not measured: {values['keras_note']}."
    return text, ["vae_curves.png"], ["curves", "epoch_time"]


def impute(result, out):
    rows = result["tables"]["rmse"]["rows"]
    impute_bars(rows, out / "impute_rmse.png")
    best = {}
    for data, _, method, rmse, seconds in rows:
        best.setdefault(data, {})[method] = (rmse, seconds)
    first = next(iter(best))
    ours, knn = best[first]["AutoencoderImputer"], best[first]["KNNImputer"]
    text = (
        f"On {first}, AutoencoderImputer's RMSE is {ours[0] / knn[0]:.2f}x KNNImputer's "
        f"in {ours[1] / max(knn[1], 1e-9):.2f}x its CPU time. IterativeImputer ran with "
        + ", ".join(f"{k}={v}" for k, v in result["values"]["iterative_on_mnist"].items())
        + f" on {first}."
    )
    small = result["tables"].get("small", {}).get("rows", [])
    if small:
        worst = max(small, key=lambda row: row[-1])
        text += (
            f" On the {len(small)} small tables below, its NRMSE is at most "
            f"{worst[-1]:.2f}x KNNImputer's ({worst[0]}), on average "
            f"{sum(row[-2] for row in small) / len(small):.3f} against KNNImputer's "
            f"{sum(row[4] for row in small) / len(small):.3f} and IterativeImputer's "
            f"{sum(row[5] for row in small) / len(small):.3f}."
        )
    return text, ["impute_rmse.png"], ["rmse", "small", "loss", "codes"]


def serving(result, out):
    values, tables = result["values"], result["tables"]
    hamming_figure(
        result["series"]["hamming_by_size"], values["n_queries"], out / "serving_hamming.png"
    )
    latency = {row[0]: row for row in tables["latency"]["rows"]}
    text = (
        f"One-row transform: {latency['float32'][1]:.3f} ms in float32 "
        f"({latency['float32'][3]:.2f}x PCA's), {latency['float64'][1]:.3f} ms in float64 "
        f"({latency['float64'][3]:.2f}x). Every Hamming contender returns the same neighbours "
        f"(checked in the run, ties broken by index)."
    )
    return text, ["serving_hamming.png"], ["latency", "hamming"]


def score(result, out):
    values = result["values"]
    text = f"score_samples costs {values['score_epochs']:.2f} training epochs."
    if "conv_score_epochs" in values:
        text += (
            f" For the convolutional autoencoder it costs {values['conv_score_epochs']:.2f} "
            "training epochs; float64 input costs "
            f"{values['conv_float64_transform_ratio']:.2f}x float32's in transform and "
            f"{values['conv_float64_score_ratio']:.2f}x in score_samples."
        )
    return text, [], ["score", "score_conv"]


def quality(result, out):
    target = result["values"].get("target")
    anchor = result["values"]["published"]
    text = (
        f"For reference, {anchor['source']} report {anchor['autoencoder']:.2f} against "
        f"{anchor['pca']:.2f} for PCA ({anchor['setting']}). "
    )
    if target:
        text += (
            f"Target run: {target['ae_error']:.2f} against PCA's {target['pca_error']:.2f} "
            f"({target['ae_error'] / target['pca_error']:.2f}x) in {target['seconds']:.0f} s "
            "of CPU time."
        )
    return text, [], ["quality", "target"]


def tables(result, out):
    rows, values = result["tables"]["fit_times"]["rows"], result["values"]
    ratio_bars(
        [(row[0], row[2], row[5]) for row in rows],
        out / "tables_ratios.png",
        group_label="{}",
        xlabel="fit CPU time / MLPRegressor's (lower is faster)",
        legend_loc="upper right",
    )
    ours = [row for row in rows if row[2] == "sklearn_ae"]
    text = (
        f"{values['epochs']}-epoch fits at batch {values['batch_size']}, one thread: "
        "sklearn_ae's fit time against MLPRegressor's "
        + ", ".join(f"{row[5]:.2f}x on {row[0]}" for row in ours)
        + "; against the hand-written loop "
        + ", ".join(f"{row[4]:.2f}x" for row in ours)
        + "."
    )
    if values.get("pyod_note"):
        text += f" pyod was not measured: {values['pyod_note']}."
    return text, ["tables_ratios.png"], ["fit_times"]


def adbench_scatter(auc, ours, reference, path):
    """Each table's ROC-AUC: the detector against the reference, one point a table."""
    figure, axes = _axes(width=5.2, height=5.0)
    xs = [by[reference] for by in auc.values()]
    ys = [by[ours] for by in auc.values()]
    axes.plot([0.3, 1.0], [0.3, 1.0], color="#333333", linewidth=1)
    axes.scatter(xs, ys, s=18, color="#4c72b0", zorder=3)
    for table, x, y in zip(auc, xs, ys, strict=True):
        if abs(y - x) > 0.08:
            axes.annotate(
                table.split("_", 1)[1],
                (x, y),
                fontsize=6,
                xytext=(3, 2),
                textcoords="offset points",
            )
    axes.set_xlim(0.3, 1.01)
    axes.set_ylim(0.3, 1.01)
    axes.set_xlabel(f"{reference} ROC-AUC")
    axes.set_ylabel(f"{ours} ROC-AUC")
    _save(figure, path)


# The package's own detector configurations that a default is chosen among.
ADBENCH_CONFIGURATIONS = (
    "AutoencoderOutlierDetector (likelihood)",
    "AutoencoderOutlierDetector (reconstruction)",
    "AutoencoderTransformer likelihood",
)


def held_out_halves(auc, reference="IsolationForest", n_random=10):
    """The default chosen on half of the tables, scored on the other half.

    Halves: the tables in turn (alternate), then ``n_random`` random halves
    (seed 0), each both ways round. Each time the configuration with the best
    mean ROC-AUC on the tuning half is chosen among ``ADBENCH_CONFIGURATIONS``
    and its mean on the held-out half is set beside ``reference``'s there.
    """
    import numpy as np

    tables = list(auc)
    if not all(name in auc[t] for t in tables for name in ADBENCH_CONFIGURATIONS):
        return []
    rng = np.random.default_rng(0)
    splits = [("alternate", np.arange(len(tables)) % 2 == 0)]
    splits += [
        (f"random {i}", rng.permutation(len(tables)) < len(tables) // 2) for i in range(n_random)
    ]

    def mean(config, part):
        return float(
            np.mean([auc[t][config] for t, keep in zip(tables, part, strict=True) if keep])
        )

    rows = []
    for name, first in splits:
        for label, tune in (("first", first), ("second", ~first)):
            chosen = max(ADBENCH_CONFIGURATIONS, key=lambda config: mean(config, tune))
            rows.append(
                (
                    f"{name}, tuned on the {label} half",
                    chosen,
                    mean(chosen, ~tune),
                    mean(reference, ~tune),
                )
            )
    return rows


def adbench(result, out):
    rows, values = result["tables"]["summary"]["rows"], result["values"]
    ours, reference = "AutoencoderOutlierDetector (likelihood)", "IsolationForest"
    adbench_scatter(result["series"]["auc"], ours, reference, out / "adbench_auc.png")
    by_name = {row[0]: row for row in rows}
    best_rank = min(rows, key=lambda row: row[3])[0]
    text = (
        f"{values['n_tables']} tables x {len(values['seeds'])} seeds. The default detector: "
        f"mean ROC-AUC {by_name[ours][1]:.3f} (IsolationForest {by_name[reference][1]:.3f}), "
        f"average rank {by_name[ours][3]:.2f} (best: {best_rank}, "
        f"{min(row[3] for row in rows):.2f}), better than IsolationForest on "
        f"{by_name[ours][4]} of {values['n_tables']} tables."
    )
    if values.get("pyod_note"):
        text += f" pyod was not measured: {values['pyod_note']}."
    halves = held_out_halves(result["series"]["auc"])
    if halves:
        held, reference_held = (sum(row[i] for row in halves) / len(halves) for i in (2, 3))
        text += (
            " A default chosen on half of the tables is no evidence for the other half, so "
            "the choice among the package's configurations ("
            + ", ".join(ADBENCH_CONFIGURATIONS)
            + f") was made on one half and scored on the other, both ways round, over "
            f"{len(halves) // 2} splits: held-out mean ROC-AUC {held:.3f} against "
            f"IsolationForest's {reference_held:.3f}, at least IsolationForest's on "
            f"{sum(row[2] >= row[3] for row in halves)} of {len(halves)} held-out halves "
            "(the table below)."
        )
        # derived from the stored per-table results, drawn like a stored table
        result["tables"]["halves"] = {
            "title": "The default chosen on one half of the tables, scored on the other",
            "columns": ["split", "chosen", "held-out ROC-AUC", "IsolationForest"],
            "formats": ["{}", "{}", "{:.3f}", "{:.3f}"],
            "rows": halves,
        }
    return text, ["adbench_auc.png"], ["summary", "halves", "per_table"]


def samples_figure(samples, path):
    """A row of decoded prior draws per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_columns = max(len(rows) for rows in samples.values())
    figure, axes = plt.subplots(
        len(samples), n_columns, figsize=(0.8 * n_columns, 0.95 * len(samples)), squeeze=False
    )
    for row, (name, images) in zip(axes, samples.items(), strict=True):
        for ax, image in zip(row, images, strict=False):
            side = int(round(len(image) ** 0.5))
            ax.imshow(np.reshape(image, (side, side)), cmap="gray_r", vmin=0, vmax=1)
        for ax in row:
            ax.set_axis_off()
        row[0].set_title(name, fontsize=8, loc="left")
    _save(figure, path)


def adversarial(result, out):
    table, values = result["tables"]["quality"], result["values"]
    samples_figure(result["series"]["samples"], out / "adversarial_samples.png")
    by_name = {row[0]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    aae, vae = by_name["AdversarialAE"], by_name["VariationalAE"]

    def pair(metric, fmt):
        return f"{fmt.format(aae[metric])} against {fmt.format(vae[metric])}"

    text = (
        f"After {values['epochs']} epochs, AdversarialAE against VariationalAE (means over the "
        f"seeds): prior MMD² {pair('prior MMD^2', '{:.4f}')}; two-sample accuracy of its "
        f"samples {pair('C2ST', '{:.3f}')} (the default, logistic regression) and "
        f"{pair('C2ST 1-NN', '{:.3f}')} (1-nearest neighbour in pixel space, which favours "
        "blurred samples); held-out reconstruction "
        f"error {pair('reconstruction error', '{:.2f}')} per image; mean held-out "
        f"log-likelihood {pair('log-likelihood', '{:.1f}')} nats (higher is better). "
        "An AdversarialAE epoch costs "
        f"{values['epoch_ratio']:.2f}x an AutoencoderTransformer epoch of the same widths."
    )
    return text, ["adversarial_samples.png"], ["quality", "epoch_time"]


def gpu(result, out):
    if "skipped" in result["values"]:
        return f"Not measured: {result['values']['skipped']}.", [], []
    return (
        f"Device: {result['values']['device']}; GPU memory after 20 fits: "
        f"{result['values']['leaked_mib']:.2f} MiB above baseline.",
        [],
        ["agreement", "overhead"],
    )


def tables_only(*keys):
    return lambda result, out: ("", [], list(keys))


SECTIONS = {
    "overhead": overhead,
    "tables": tables,
    "adbench": adbench,
    "conv": conv,
    "vae": vae,
    "adversarial": adversarial,
    "impute": impute,
    "serving": serving,
    "load": tables_only("load"),
    "mixed": tables_only(
        "impute_means", "synthesis_means", "detect_means", "explain", "rare_levels"
    ),
    "defaults": tables_only("defaults", "sparsity"),
    "variants": tables_only("variants"),
    "quality": quality,
    "score": score,
    "scaling": tables_only("scaling"),
    "transform": tables_only("throughput"),
    "out_of_core": tables_only("memory", "throughput", "dask"),
    "few_labels": tables_only("images", "tables", "table_means", "pretraining"),
    "gpu": gpu,
}


def render_section(name, result, out):
    text, figures, keys = SECTIONS[name](result, out)
    parts = [provenance(result["produced"])]
    if result["produced"].get("smoke"):
        parts.append(".. warning:: A smoke run: tiny data, numbers meaningless.")
    if text:
        parts.append(text)
    parts += [f".. figure:: /_benchmarks/{figure}\n   :width: 100%" for figure in figures]
    parts += [csv_table(result["tables"][key]) for key in keys if key in result["tables"]]
    return "\n\n".join(parts) + "\n"


def overview(results):
    """Which machines and dates the stored results come from, and what they cost."""
    if not results:
        return "*No stored results yet.*\n"
    produced = [r["produced"] for r in results.values()]
    machines = sorted({f"{p['machine']}, {p['threads']} thread(s)" for p in produced})
    dates = sorted(p["date"] for p in produced)
    minutes = sum(p.get("wall_seconds", 0) for p in produced) / 60
    return (
        f"The stored results of {len(results)} benchmarks were produced between "
        f"{dates[0]} and {dates[-1]} on {'; '.join(machines)}; together they ran "
        f"{minutes:.0f} minutes.\n"
    )


def render(results_path=RESULTS_FILE, out=DOCS_OUT):
    """Write ``<name>.inc`` and figures for every section; missing results say so."""
    results = load(results_path) if Path(results_path).exists() else {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "overview.inc").write_text(overview(results))
    for name in SECTIONS:
        if name in results:
            body = render_section(name, results[name], out)
        else:
            body = f"*Not measured yet: run* ``python benchmarks/run_all.py --only {name}``.\n"
        (out / f"{name}.inc").write_text(body)
    return results


README_NAMES = {
    "hand-written loop, fused Adam": "the same loop with fused Adam",
    "Keras 3 (torch backend)": "Keras 3 on the torch backend",
    "skorch NeuralNetRegressor": "skorch used the obvious way",
    "sklearn MLPRegressor": "scikit-learn's MLPRegressor",
}


def readme_block(results):
    """README's performance sentence, from the stored results."""
    result = results["overhead"]
    rows, produced = result["tables"]["ratios"]["rows"], result["produced"]
    batch = 256 if any(r[0] == 256 for r in rows) else rows[0][0]
    peers = [
        f"{README_NAMES.get(name, name)} {_ratio(rows, batch, name):.2f}x"
        for name in dict.fromkeys(r[1] for r in rows)
        if name not in ("hand-written loop", "sklearn_ae")
    ]
    threads = produced["threads"]
    text = (
        f"Measured with {threads} thread{'s' if threads > 1 else ''} on {produced['machine']} "
        f"({produced['date'][:10]}, stored in `benchmarks/results.json`): fitting the "
        f"Keras tutorial's autoencoder on MNIST at batch {batch} takes "
        f"{_ratio(rows, batch, 'sklearn_ae'):.2f}x the time of a hand-written PyTorch loop; "
        f"{'; '.join(peers)}."
    )
    if "conv" in results:
        curves = results["conv"]["series"]["curves"]
        ours = curves["conv AutoencoderTransformer"][-1]
        pca = results["conv"]["values"]["pca_error"]
        text += (
            " A convolutional autoencoder, `AutoencoderTransformer(30, image_shape=(28, 28), "
            f'loss="bce", batch_size=128, max_epochs={ours[0]:.0f})` (with `image_shape`, '
            "no dense layer between the convolutions and the code by default) fitted on "
            "8,000 images, "
            f"reaches {ours[2] / pca:.2f}x 30-component PCA's held-out error in "
            f"{ours[1]:.0f} s of CPU time."
        )
    return text


def update_readme(results, readme=README):
    content = readme.read_text()
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    block = f"{README_START}\n{_wrap(readme_block(results))}\n{README_END}"
    readme.write_text(pattern.sub(lambda _: block, content))


def _wrap(text, width=79):
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default=str(RESULTS_FILE))
    parser.add_argument("--out", default=str(DOCS_OUT))
    parser.add_argument("--readme", default=str(README), help="'' leaves README alone")
    args = parser.parse_args(argv)
    results = render(args.results, args.out)
    if args.readme and "overhead" in results:
        update_readme(results, Path(args.readme))
    print(f"tables and figures of {len(results)} benchmarks written to {args.out}")


if __name__ == "__main__":
    main()
