"""AutoencoderTransformer: the plain (undercomplete) autoencoder."""

from ._base import _BaseAutoencoder
from ._docs import FITTED_ATTRIBUTES, core_parameters


class AutoencoderTransformer(_BaseAutoencoder):
    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(128,),
        activation="relu",
        code_activation="identity",
        loss="mse",
        tied_weights=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        accelerator=None,
    ):
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            code_activation=code_activation,
            loss=loss,
            tied_weights=tied_weights,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
            accelerator=accelerator,
        )


AutoencoderTransformer.__doc__ = f"""Autoencoder as a scikit-learn transformer, a drop-in for PCA.

    An encoder ``f`` maps each sample to a code of ``n_components`` values and a
    decoder ``g`` maps it back; training minimises the reconstruction error of
    ``g(f(x))``. With ``hidden_layer_sizes=()`` and identity activations it is
    a linear autoencoder, whose optimum spans PCA's subspace. The network is a
    PyTorch module trained through skorch, on the CPU or CUDA.

    Parameters
    ----------
    {core_parameters()}

    Attributes
    ----------
    {FITTED_ATTRIBUTES}

    See Also
    --------
    sklearn.decomposition.PCA : The linear, closed-form counterpart.
    DenoisingAE : Learns to undo noise added to the input.
    SparseAE : Penalises (or caps) the number of active code units.
    ContractiveAE : Penalises the encoder's sensitivity to its input.

    References
    ----------
    .. [1] G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality
       of data with neural networks", Science 313(5786), 504-507, 2006.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> X = load_digits().data[:200] / 16
    >>> ae = AutoencoderTransformer(n_components=8, max_epochs=5, random_state=0)
    >>> ae.fit_transform(X).shape
    (200, 8)
    >>> ae.inverse_transform(ae.transform(X)).shape
    (200, 64)
    """
