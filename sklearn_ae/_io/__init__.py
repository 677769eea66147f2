"""Input and output: safe save/load of fitted models and ONNX export."""
