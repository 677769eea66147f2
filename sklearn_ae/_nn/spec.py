"""The fitted specification of a network: what was built, not what the parameters say now.

An estimator derives a ``NetworkSpec`` from its parameters when it builds a
network and keeps it as ``spec_``. Inference, pickling, ``save``/``load`` and
any converter read ``spec_`` alone, so ``set_params`` after ``fit`` can never
change what a fitted model computes.
"""

import dataclasses

from .activations import ACTIVATIONS
from .joint import BLOCK_MODELS, GAUSSIAN
from .layers import positive_int
from .losses import LOSSES
from .modules import MODULE_KINDS


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """The architecture of one autoencoder network, as plain values."""

    kind: str
    n_features: int
    n_components: int
    hidden_layer_sizes: tuple
    activation: str
    code_activation: str
    tied_weights: bool
    loss: str
    k: int | None = None
    image_shape: tuple | None = None  # (channels, height, width) of a "conv" kind
    conv_channels: tuple = ()
    # An "adversarial" kind's encoder ("deterministic" or "gaussian"), the
    # hidden widths of its discriminator, and its prior: a mixture of
    # isotropic Gaussians with these means (n_modes rows of n_components)
    # and this standard deviation.
    encoder: str = "deterministic"
    discriminator_layer_sizes: tuple = ()
    prior_means: tuple | None = None
    prior_std: float | None = None
    # A mixed table's columns, one ``(model, width)`` each (``_nn.joint``), in
    # the order of the matrix the network sees; () for a plain matrix, which
    # ``loss`` models entry by entry.
    column_blocks: tuple = ()

    # Spec fields that are not estimator parameters.
    DERIVED = ("kind", "n_features", "column_blocks")
    # Fields every kind reads; the others belong to the kinds that declare them
    # (their class's ``spec_fields``).
    COMMON = (
        "kind",
        "n_features",
        "n_components",
        "hidden_layer_sizes",
        "activation",
        "code_activation",
        "tied_weights",
        "loss",
        "column_blocks",
    )

    def to_dict(self):
        fields = dataclasses.asdict(self)
        fields["hidden_layer_sizes"] = list(self.hidden_layer_sizes)
        fields["conv_channels"] = list(self.conv_channels)
        fields["discriminator_layer_sizes"] = list(self.discriminator_layer_sizes)
        fields["column_blocks"] = [list(block) for block in self.column_blocks]
        if self.prior_means is not None:
            fields["prior_means"] = [list(mean) for mean in self.prior_means]
        if self.image_shape is not None:
            fields["image_shape"] = list(self.image_shape)
        return fields

    @classmethod
    def from_params(cls, params, kind, n_features, image_shape, extra, column_blocks=()):
        """The spec an estimator's ``get_params()`` describe for ``n_features`` inputs,
        with its checked ``image_shape``, its own ``extra`` fields (e.g. ``k``) and
        the ``column_blocks`` of a mixed table."""
        return cls(
            column_blocks=tuple(tuple(block) for block in column_blocks),
            kind=kind,
            n_features=int(n_features),
            n_components=int(params["n_components"]),
            hidden_layer_sizes=tuple(int(s) for s in params["hidden_layer_sizes"]),
            activation=params["activation"],
            code_activation=params["code_activation"],
            tied_weights=bool(params["tied_weights"]),
            loss=params["loss"],
            image_shape=image_shape,
            conv_channels=tuple(int(c) for c in params["conv_channels"]) if image_shape else (),
            **extra,
        )

    @classmethod
    def from_dict(cls, fields):
        """A spec from ``to_dict`` output (for example a JSON file), validated.

        Raises ValueError for anything that is not a well-formed spec.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(fields, dict) or set(fields) - names:
            raise ValueError(f"not a network specification: {fields!r}")
        fields = dict(fields)
        fields["hidden_layer_sizes"] = tuple(fields.get("hidden_layer_sizes", ()))
        fields["conv_channels"] = tuple(fields.get("conv_channels", ()))
        fields["discriminator_layer_sizes"] = tuple(fields.get("discriminator_layer_sizes", ()))
        fields["column_blocks"] = tuple(tuple(block) for block in fields.get("column_blocks", ()))
        if fields.get("prior_means") is not None:
            fields["prior_means"] = tuple(tuple(mean) for mean in fields["prior_means"])
        if fields.get("image_shape") is not None:
            fields["image_shape"] = tuple(fields["image_shape"])
        spec = cls(**fields)
        spec.validate()
        return spec

    def validate(self):
        problems = []
        if self.kind not in MODULE_KINDS:
            problems.append(f"kind={self.kind!r} is not one of {sorted(MODULE_KINDS)}")
        for name in ("n_features", "n_components"):
            if not positive_int(getattr(self, name)):
                problems.append(f"{name}={getattr(self, name)!r} is not a positive int")
        if not all(positive_int(s) for s in self.hidden_layer_sizes):
            problems.append(f"hidden_layer_sizes={self.hidden_layer_sizes!r}")
        for name in ("activation", "code_activation"):
            if getattr(self, name) not in ACTIVATIONS:
                problems.append(f"{name}={getattr(self, name)!r}")
        if self.loss not in LOSSES or not isinstance(self.tied_weights, bool):
            problems.append(f"loss={self.loss!r}, tied_weights={self.tied_weights!r}")
        if self.k is not None and not positive_int(self.k):
            problems.append(f"k={self.k!r}")
        if not all(positive_int(c) for c in self.conv_channels):
            problems.append(f"conv_channels={self.conv_channels!r}")
        if self.image_shape is not None and (
            len(self.image_shape) != 3
            or not all(positive_int(s) for s in self.image_shape)
            or self.image_shape[0] * self.image_shape[1] * self.image_shape[2] != self.n_features
        ):
            problems.append(f"image_shape={self.image_shape!r} for n_features={self.n_features}")
        kind = MODULE_KINDS.get(self.kind)
        if kind is not None:
            # A kind reads the common fields and the ones it declares; any
            # other field must keep its default.
            for field in dataclasses.fields(self):
                if field.name not in self.COMMON and field.name not in kind.spec_fields:
                    if getattr(self, field.name) != field.default:
                        problems.append(f"{field.name}={getattr(self, field.name)!r}")
            problems.extend(kind.spec_problems(self))
        problems.extend(self._block_problems())
        if problems:
            raise ValueError("invalid network specification: " + "; ".join(problems))

    def _block_problems(self):
        if not self.column_blocks:
            return
        valid = all(
            isinstance(block, tuple)
            and len(block) == 2
            and block[0] in BLOCK_MODELS
            and positive_int(block[1])
            and (block[0] != GAUSSIAN or block[1] == 1)
            for block in self.column_blocks
        )
        if not valid or sum(width for _, width in self.column_blocks) != self.n_features:
            yield f"column_blocks={self.column_blocks!r} for n_features={self.n_features}"
        elif self.loss != "mse":
            yield f"loss={self.loss!r} with column_blocks"

    def check_continues(self, other, method):
        """Raise ValueError when ``other`` (from the current parameters) is not this
        spec, so that ``method`` cannot continue training the fitted network."""
        changed = self.changed_parameters(other)
        if not changed:
            return
        described = ", ".join(
            f"{name}={getattr(self, name)!r} -> {getattr(other, name)!r}" for name in changed
        )
        fix = (
            "set warm_start=False to train a new network"
            if method == "fit"
            else "call fit to train a new network"
        )
        raise ValueError(
            f"{method} would continue training the fitted network, but its architecture "
            f"parameters changed since it was built ({described}); {fix}, or set them back."
        )

    def changed_parameters(self, other):
        """Names of the estimator parameters in which ``other`` differs from this spec."""
        return [
            field.name
            for field in dataclasses.fields(self)
            if field.name not in self.DERIVED
            and getattr(self, field.name) != getattr(other, field.name)
        ]
