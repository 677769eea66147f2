"""AutoencoderTransformer: the plain (undercomplete) autoencoder."""

from ._base import _BaseAutoencoder
from ._docs import Substitution


@Substitution()
class AutoencoderTransformer(_BaseAutoencoder):
    """Autoencoder as a scikit-learn transformer, a drop-in for PCA.

    An encoder ``f`` maps each sample to a code of ``n_components`` values and a
    decoder ``g`` maps it back; training minimises the reconstruction error of
    ``g(f(x))``. With ``hidden_layer_sizes=()`` and identity activations it is
    a linear autoencoder, whose optimum spans PCA's subspace. The network is a
    PyTorch module trained through skorch, on the CPU or CUDA.

    Parameters
    ----------
    %(core_parameters)s

    Attributes
    ----------
    %(fitted_attributes)s

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

    # No parameters of its own: __init__ is the base's, as in RidgeCV.
