"""Sphinx configuration of the sklearn_ae documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("../benchmarks"))
import report  # noqa: E402

import sklearn_ae  # noqa: E402

# The benchmark tables and figures, drawn from the stored results file only
# (benchmarks/results.json); no benchmark runs during the build.
report.render(out=os.path.abspath("_benchmarks"))

project = "sklearn_ae"
author = "the sklearn_ae developers"
copyright = "2026, the sklearn_ae developers"
release = version = sklearn_ae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
# scikit-learn's own docstrings of these two link to labels of its docs.
autodoc_default_options = {
    "members": True,
    "inherited-members": True,
    "exclude-members": "get_metadata_routing, set_output",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = []
exclude_patterns = ["_build", "_benchmarks"]
html_static_path = ["_static"]
html_css_files = ["benchmarks.css"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
html_title = f"sklearn_ae {release}"

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
}
