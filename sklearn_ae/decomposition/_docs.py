"""Docstring fragments shared by every estimator, so parameters are described once.

Classes write their docstring in place with ``%(core_parameters)s`` and
``%(fitted_attributes)s`` where the shared text goes, and ``@Substitution()``
fills it in (as imbalanced-learn does).
"""

import textwrap

from .._io.schema import numpydoc
from .._nn.activations import ACTIVATIONS
from .._nn.losses import LOSSES
from .._training.optimizers import OPTIMIZERS

_CORE_PARAMETERS = """\
n_components : int, default=2
        Width of the code (the bottleneck).
    hidden_layer_sizes : tuple of int or "auto", default="auto"
        Widths of the encoder's dense hidden layers; the decoder mirrors them.
        ``()`` gives a single linear map each way. "auto" is ``(128,)``, and
        ``()`` with ``image_shape`` (the convolutions are the hidden layers:
        on MNIST a dense layer of 128 after them cost 0.43x against 0.34x
        30-component PCA's held-out error, in 2.4x the time).
    activation : {{{activation_names}}}, default="relu"
        Activation of the hidden layers.
    code_activation : {{{activation_names}}}, \
default="{code_activation}"
        Activation applied to the code.
    loss : {{{loss_names}}}, default="mse"
{loss_lines}
    tied_weights : bool, default=False
        Use the transposed encoder weights in the decoder (own biases).
    optimizer : {{{optimizer_names}}}, default="adam"
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
        0 prints nothing; 1 (or True) shows a progress bar of the epochs (done
        out of ``max_epochs``, the current losses, time spent and left; tqdm's,
        a widget in a notebook); 2 prints one plain line per epoch instead
        (epoch, train_loss, valid_loss with early stopping, duration), for
        logs; 3 adds a line per batch.
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
        ``image_shape``); each halves the height and width, rounding up.
    categorical_features : "from_dtype", array-like of str, int or bool, or \
None, default="from_dtype"
        The categorical columns, as ``HistGradientBoostingClassifier`` reads
        them: ``"from_dtype"`` takes a DataFrame's ``category``, ``object``,
        ``string`` and ``bool`` columns; or column names, indices or a
        boolean mask (for an array, its levels are numbers); None: none.
        With any, the model reads a mixed table: each numeric column is
        standardised and modelled as a Gaussian with its own variance, each
        categorical column as a categorical distribution over its levels
        (softmax, cross-entropy), trained jointly (``loss`` must be
        ``"mse"``). Missing cells (NaN, None, ``pd.NA``) of either kind are
        handled; a level not seen in fit counts as a missing cell, with a
        warning. Fitted on a DataFrame, ``inverse_transform``,
        ``reconstruct`` and ``sample`` return one with the same columns and
        dtypes."""


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
        code_activation=code_activation,
        activation_names=", ".join(f'"{name}"' for name in ACTIVATIONS),
        optimizer_names=", ".join(f'"{name}"' for name in OPTIMIZERS),
        loss_names=names,
        loss_lines=lines,
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


# The Attributes section, from the one table of the fitted state.
FITTED_ATTRIBUTES = numpydoc()
