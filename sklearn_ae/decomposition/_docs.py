"""Docstring fragments shared by every estimator, so parameters are described once.

Classes write their docstring in place with ``%(core_parameters)s`` and
``%(fitted_attributes)s`` where the shared text goes, and ``@Substitution()``
fills it in (as imbalanced-learn does).
"""

import textwrap

from .._nn.losses import LOSSES

_CORE_PARAMETERS = """\
n_components : int, default=2
        Width of the code (the bottleneck).
    hidden_layer_sizes : tuple of int, default=(128,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` gives a single linear map each way.
    activation : {{"relu", "tanh", "sigmoid", "elu", "gelu", "identity"}}, \
default="relu"
        Activation of the hidden layers.
    code_activation : {{"relu", "tanh", "sigmoid", "elu", "gelu", "identity"}}, \
default="{code_activation}"
        Activation applied to the code.
    loss : {{{loss_names}}}, default="mse"
{loss_lines}
    tied_weights : bool, default=False
        Use the transposed encoder weights in the decoder (own biases).
    optimizer : {{"adam", "adamw", "sgd"}}, default="adam"
        The torch optimizer.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.
    batch_size : int, default=256
        Rows per training batch.
    max_epochs : int, default=100
        Maximum number of passes over the training data.
    shuffle : bool, default=True
        Shuffle the rows before each epoch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its
        reconstruction error stops improving and restore the best weights.
        Otherwise training stops when the training loss stops improving.
        Each epoch then records ``valid_loss`` (the training criterion on the
        held-out rows, in the unit of ``train_loss``), ``valid_loss_best`` and
        ``valid_score`` in ``history_``, so skorch's ``EarlyStopping``,
        ``Checkpoint`` and ``LRScheduler`` callbacks work as usual. Has no
        effect in ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Epochs without an improvement of more than ``tol`` (relative to the
        best value so far) before training stops.
    tol : float, default=1e-4
        Relative tolerance of the stopping rule.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state. The
        architecture parameters (``n_components``, ``hidden_layer_sizes``,
        ``activation``, ``code_activation``, ``tied_weights``, ``loss`` and
        those of a variant, such as ``k``) must be those the network was built
        with; the training-run parameters (``lr``, ``weight_decay``,
        ``batch_size``, ``max_epochs``, ``shuffle``, the variant's noise or
        penalty...) take effect on the next fit.
    callbacks : list of skorch callbacks or callables, default=None
        Extra skorch callbacks, or zero-argument factories of them; each fit
        uses fresh copies, dropped with the engine when the fit ends (to read
        a callback's state afterwards, pass a factory that keeps a reference
        to what it makes).
    device : str or torch.device, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto" (CUDA when available). Resolved at
        fit time; ``device_`` records the device used.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and any noise, through private
        generators: torch's and numpy's global random states are untouched.
    verbose : int, default=0
        0 prints nothing; 1 prints one plain line per epoch (epoch, train_loss,
        valid_loss with early stopping, duration); 2 adds a line per batch.
    accelerator : accelerate.Accelerator or None, default=None
        Train data-parallel through Hugging Face Accelerate when the script is
        started with ``accelerate launch`` or ``torchrun``: each process takes
        its share of the batches and gradients are averaged. Placement follows
        the accelerator (``device`` is ignored). Not pickled: a loaded model
        has ``accelerator=None``.
    image_shape : tuple of int or None, default=None
        ``(height, width)`` or ``(channels, height, width)`` of images stored
        as flat rows (channels first, as ``X.reshape(n, channels, height,
        width)`` reads them): the encoder becomes strided convolutions, the
        decoder their mirror (transposed convolutions), with dense layers
        (``hidden_layer_sizes``) between the last feature map and the code.
        Any integer sequence; a last axis of 1, 3 or 4 after a larger first
        one (channels last) is warned about. Convolutional models infer in
        float32 whatever the input's dtype, and return that dtype. None: a
        fully connected network.
    conv_channels : tuple of int, default=(32, 64)
        Output channels of the encoder's 3x3, stride-2 convolutions (with
        ``image_shape``); each halves the height and width, rounding up."""


def core_parameters(code_activation="identity"):
    """The parameters every estimator shares, with its default code activation."""
    names = ", ".join(f'"{name}"' for name in LOSSES)
    lines = "\n".join(
        textwrap.fill(
            f'"{name}": {model.description}',
            width=79,
            initial_indent=" " * 8,
            subsequent_indent=" " * 8,
        )
        for name, model in LOSSES.items()
    )
    return _CORE_PARAMETERS.format(
        code_activation=code_activation, loss_names=names, loss_lines=lines
    )


class Substitution:
    """Class decorator: fill ``%(name)s`` placeholders of the docstring in place."""

    def __init__(self, **fragments):
        self.fragments = {
            "core_parameters": core_parameters(),
            "fitted_attributes": FITTED_ATTRIBUTES,
            **fragments,
        }

    def __call__(self, obj):
        obj.__doc__ = obj.__doc__ % self.fragments
        return obj


FITTED_ATTRIBUTES = """\
n_components_ : int
        Width of the code.
    spec_ : NetworkSpec
        The architecture of the trained network (kind, widths, activations,
        loss, k). Inference, pickling and ``save`` read it, never the current
        parameters.
    components_ : ndarray of shape (n_components, n_features)
        The decoder's weight matrix, transposed, when encoder and decoder are
        both affine (``hidden_layer_sizes=()``, identity code, ``loss="mse"``,
        no k); absent otherwise. Spans PCA's subspace at the optimum.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when ``X`` has string column names.
    module_ : torch.nn.Module
        The trained network (encoder and decoder), all that inference reads
        besides ``spec_`` and the fitted arrays. Unpickling and
        :func:`sklearn_ae.load` rebuild it alone: no optimizer, no engine.
    history_ : skorch.history.History
        One row per epoch over all fits of a warm-started model:
        ``train_loss``, ``dur``, ``valid_loss``, ``valid_score`` and what the
        estimator records (``history_[:, "train_loss"]`` reads a column).
    training_state_ : Continuation
        What continuing training (``warm_start=True``, ``partial_fit``)
        needs besides ``module_``: the optimizer's state, the private
        generators' states and the last run's settings, as numpy arrays and
        plain values. :func:`sklearn_ae.load` keeps the settings only: the
        optimizer then starts afresh.
    device_ : str
        The device the model was trained on.
    loss_curve_ : list of float
        Training loss (the criterion's mean per element) of each epoch, over
        all fits of a warm-started model.
    validation_scores_ : list of float or None
        Minus the mean reconstruction error (as ``reconstruction_error``) on
        the held-out rows at each epoch with ``early_stopping=True``, else None.
    validation_loss_curve_ : list of float or None
        The training criterion on the held-out rows at each epoch with
        ``early_stopping=True``, in the unit of ``loss_curve_``; else None.
    n_iter_ : int
        Number of epochs run.
    fill_values_ : ndarray of shape (n_features,)
        What the network sees in place of a missing (NaN) entry:
        ``feature_means_`` (0 for masking noise).
    feature_means_ : ndarray of shape (n_features,)
        Mean of each feature's observed entries over every row trained on
        since the network was built (``partial_fit`` and warm starts keep
        running means, so a feature a stream's first batch lacks gets its
        mean from later batches; 0 until one is observed).
    n_observed_ : ndarray of shape (n_features,)
        Number of observed entries of each feature behind ``feature_means_``.
    hash_thresholds_ : ndarray of shape (n_components,)
        Where ``hash_codes`` splits each code unit: the median of its codes
        on the training rows behind ``code_mean_`` (``partial_fit`` keeps a
        running average of the batches' medians, weighted by rows).
    code_moments_ : dict of ndarray
        Running sums of the training codes and residuals from which
        ``code_mean_``, ``code_covariance_`` and ``noise_variance_`` follow
        (``partial_fit`` adds each batch).
    code_mean_ : ndarray of shape (n_components,)
        Mean ``mu`` of the code in the latent model ``h ~ N(mu, Sigma)``,
        ``x | h ~ N(g(h), s^2 I)`` behind ``score_samples``: the mean of the
        training codes (at most 2048 rows per fit, drawn with
        ``random_state``). 0 for a VariationalAE (its prior).
    code_covariance_ : ndarray of shape (n_components, n_components)
        ``Sigma``: the covariance of the training codes (ddof=1) less the
        noise the encoder passes through, ``s^2 (J^T J)^+``, clipped to be
        positive semi-definite. The identity for a VariationalAE.
    noise_variance_ : float
        ``s^2``: the training residual per degree of freedom the decoder
        leaves, as ``PCA.noise_variance_``. For a VariationalAE, the mean
        squared residual of posterior draws; with ``loss="bce"`` too, around
        the Bernoulli mean, so that its score is a Gaussian density like every
        other estimator's."""
