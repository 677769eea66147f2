"""The torch networks: one module per kind, the observation models, activations and
the network specification. Nothing here knows scikit-learn."""
