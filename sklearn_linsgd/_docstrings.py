"""Docstring paragraphs written once and shared by several public objects.

A module keeps the paragraphs that several of its docstrings repeat in a dict,
``{name: text}``, each text unindented. A docstring stands for one of them
with a line that holds nothing but ``<name>``, indented as the paragraph must
be; :func:`fill_doc` replaces that line with the paragraph, each of its lines
indented like the placeholder. This happens once, at import, so ``help()``,
Sphinx (autodoc and numpydoc) and the doctests all read complete docstrings.
A placeholder with no entry in the dict is a KeyError at import.

Examples
--------
>>> from sklearn_linsgd._docstrings import fill_doc
>>> parts = {"x": "x : float\\n    The point."}
>>> @fill_doc(parts)
... def f(x):
...     '''Return ``x``.
...
...     Parameters
...     ----------
...     <x>
...     '''
...     return x
>>> print(f.__doc__.rstrip())
Return ``x``.
<BLANKLINE>
    Parameters
    ----------
    x : float
        The point.
"""

import re
import textwrap

_PLACEHOLDER = re.compile(r"^( *)<([^<>\n]+)>$", re.MULTILINE)


def fill_doc(parts):
    """Return a decorator that fills the ``<name>`` lines of a docstring.

    Parameters
    ----------
    parts : dict of str to str
        The shared paragraphs, unindented, by name.

    Returns
    -------
    decorate : callable
        Takes a function or class, sets its ``__doc__`` with every placeholder
        line replaced by its paragraph, and returns it. A ``None`` docstring
        (``python -OO``) is left alone.
    """

    def paragraph(match):
        indent, name = match.groups()
        return textwrap.indent(parts[name], indent)

    def decorate(obj):
        if obj.__doc__ is not None:
            obj.__doc__ = _PLACEHOLDER.sub(paragraph, obj.__doc__)
        return obj

    return decorate
