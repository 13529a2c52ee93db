"""Sphinx configuration of the sklearn_linsgd documentation.

Build with ``make docs`` (``sphinx-build -W --keep-going -b html docs
docs/_build/html``). The gallery runs ``docs/examples/plot_*.py``; pass
``-D plot_gallery=0`` to build without running it.
"""

import os
import re
import sys

sys.path.insert(0, os.path.abspath(".."))

import sklearn_linsgd

project = "sklearn_linsgd"
author = "the sklearn_linsgd developers"
copyright = f"2026, {author}"
version = release = sklearn_linsgd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]
# Figures inline in the user guide: drawn at build time from the code shown.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]

templates_path = ["_templates"]
exclude_patterns = ["_build", "examples", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"

# autodoc / autosummary: one page per public name, under docs/generated/.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# The dask module imports dask at import time; the docs do not need it.
autodoc_mock_imports = ["dask", "distributed", "dask_ml"]

# numpydoc: the class pages list their methods through the autosummary
# template, not numpydoc's member tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# sphinx-gallery: docs/examples/plot_*.py -> docs/auto_examples/.
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "doc_module": ("sklearn_linsgd",),
    "backreferences_dir": "generated",
    "reference_url": {"sklearn_linsgd": None},
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_linsgd {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


# Methods inherited from scikit-learn (score, get_params, set_*_request, ...)
# carry :ref: and :term: links into scikit-learn's own documentation, which
# would be broken links here: render them as plain emphasis instead.
_FOREIGN_XREF = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_foreign_xrefs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn_linsgd"):
        return
    lines[:] = [_FOREIGN_XREF.sub(r"*\1*", line) for line in lines]


# A fitted attribute such as ``n_features_in_`` written bare in a docstring
# ("ndarray of shape (n_features_in_,)") reads as a reST reference (a word with
# a trailing underscore) and breaks the build. After numpydoc has rendered a
# docstring, wrap such words in literals, outside literals, roles and bold.
_PROTECTED = re.compile(r"(``.*?``|`[^`]*`|\*\*[^*]+\*\*)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w`*\\])([A-Za-z]\w*_)(?=[,).:;]|\s|$)")


def _literal_fitted_attributes(app, what, name, obj, options, lines):
    block = None  # indentation of the line opening a literal block or directive
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if block is not None and (not stripped or indent > block):
            continue  # inside a literal block, a directive or a doctest
        block = None
        if stripped.endswith("::") or stripped.startswith((".. ", ">>>")):
            block = indent
        if stripped.startswith((">>>", "...", ".. ")) or "_" not in line:
            continue
        parts = _PROTECTED.split(line)
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"``\1``", p) for p in parts[::2]]
        lines[i] = "".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_foreign_xrefs, priority=100)
    app.connect("autodoc-process-docstring", _literal_fitted_attributes, priority=900)
