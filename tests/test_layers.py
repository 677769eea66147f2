"""The package tree is the architecture: imports go down the layers, never up."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "sklearn_ae"
# Top to bottom, as the design page draws them; a module may import its own
# layer's modules and the layers below.
LAYERS = [
    {"__init__", "__main__", "_demo", "metrics", "onnx", "_registry"},
    {"impute", "outlier_detection", "semi_supervised"},
    {"decomposition", "neighbors"},
    {"_io"},
    {"_training"},
    {"_density", "_nn", "_tables"},
    {"_utils"},
    {"exceptions", "_version", "datasets"},
]


def _layer(part):
    return next(i for i, names in enumerate(LAYERS) if part in names)


def _imported_parts(path):
    """The top-level parts of sklearn_ae that ``path`` imports (relative imports)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1  # 0 for a top-level module
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            up = node.level - 1
            base = list(path.relative_to(PACKAGE).parts[:depth])[: depth - up]
            names = (node.module or "").split(".") if node.module else []
            target = [*base, *names]
            if target:
                yield target[0]
            else:  # ``from . import name``: a module, or a name of the package's __init__
                for alias in node.names:
                    module = (PACKAGE / alias.name).is_dir() or (
                        PACKAGE / f"{alias.name}.py"
                    ).exists()
                    yield alias.name if module else "__init__"


def test_every_import_goes_down_the_layers():
    for path in PACKAGE.rglob("*.py"):
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for part in _imported_parts(path):
            assert _layer(part) >= _layer(own), f"{path.relative_to(PACKAGE)} imports {part}"
