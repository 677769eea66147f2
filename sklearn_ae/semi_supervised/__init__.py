"""Learning from few labels: autoencoders pretrained on every row, fine-tuned on the
labelled ones (unlabeled rows carry ``y = -1``, or NaN for a regression)."""

from ._classifier import AutoencoderClassifier
from ._regressor import AutoencoderRegressor

__all__ = ["AutoencoderClassifier", "AutoencoderRegressor"]
