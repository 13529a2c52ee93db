"""The real-text workload: docstrings of installed packages, labelled by package.

Built offline from the Python sources of packages installed in the
environment (the ``[bench]`` extra installs :data:`PACKAGES`): every module,
class and function docstring of at least :data:`MIN_CHARS` characters, read
with :mod:`ast` (nothing is imported), labelled by its top-level package.
Docstrings that occur more than once (in one package or several: vendored
code, inherited templates) are dropped, each class keeps at most
:data:`PER_CLASS` of them (a seeded draw), and the rows are split 75 / 25,
stratified, with a fixed seed. The vectorisers are fitted on the training
rows only:

* ``"tfidf"``: ``TfidfVectorizer`` with word 1-2-grams (``min_df=2``,
  ``sublinear_tf=True``);
* ``"hashing"``: ``HashingVectorizer(n_features=2**20)`` of word 1-2-grams
  followed by ``TfidfTransformer(sublinear_tf=True)``; ``n_features`` sets
  another width (``benchmarks.bench_memory`` hashes to 2**22 columns).

The texts are cached in ``benchmarks/.cache`` (one JSON file per list of
packages and versions), so later runs skip the parse.
"""

import ast
import hashlib
import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path

import numpy as np

#: The labels: top-level packages of scientific Python and its tooling. Those
#: that are not installed are left out (the report lists the ones used).
PACKAGES = (
    "numpy",
    "scipy",
    "sklearn",
    "matplotlib",
    "pandas",
    "dask",
    "distributed",
    "sympy",
    "networkx",
    "statsmodels",
    "river",
    "hypothesis",
    "_pytest",
    "sphinx",
    "docutils",
    "pygments",
    "jinja2",
    "setuptools",
    "pip",
    "fontTools",
    "PIL",
    "IPython",
    "numba",
    "pyarrow",
    "Cython",
)
MIN_CHARS = 40
PER_CLASS = 1200
N_CLASSES = 21
SEED = 0
CACHE = Path(__file__).resolve().parent / ".cache"


def _package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _docstrings(path):
    """Docstrings of a source file's module, classes and functions."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return []
    nodes = [tree] + [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    out = []
    for node in nodes:
        doc = ast.get_docstring(node, clean=True)
        if doc and len(doc) >= MIN_CHARS:
            out.append(doc)
    return out


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def collect(packages=PACKAGES):
    """``(texts, labels, used)``: the docstrings, their package, the packages.

    The :data:`N_CLASSES` installed packages with the most distinct
    docstrings are used.
    """
    found = {}
    for name in packages:
        root = _package_dir(name)
        if root is None:
            continue
        docs = []
        for path in sorted(root.rglob("*.py")):
            docs.extend(_docstrings(path))
        found[name] = docs
    counts = {}
    for docs in found.values():
        for doc in set(docs):
            counts[doc] = counts.get(doc, 0) + 1
    rng = np.random.default_rng(SEED)
    kept = {}
    for name, docs in found.items():
        unique = sorted({d for d in docs if counts[d] == 1 and docs.count(d) == 1})
        if len(unique) > PER_CLASS:
            pick = np.sort(rng.choice(len(unique), PER_CLASS, replace=False))
            unique = [unique[i] for i in pick]
        kept[name] = unique
    used = sorted(kept, key=lambda n: (-len(kept[n]), n))[:N_CLASSES]
    used.sort()
    texts, labels = [], []
    for name in used:
        texts.extend(kept[name])
        labels.extend([name] * len(kept[name]))
    return texts, labels, used


def load(packages=PACKAGES):
    """The cached ``(texts, labels, used)`` of :func:`collect`."""
    key = json.dumps([(p, _version(p)) for p in packages] + [MIN_CHARS, PER_CLASS])
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    path = CACHE / f"realtext-{digest}.json"
    if path.exists():
        data = json.loads(path.read_text())
        return data["texts"], data["labels"], data["used"]
    texts, labels, used = collect(packages)
    CACHE.mkdir(exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"texts": texts, "labels": labels, "used": used}))
    tmp.replace(path)
    return texts, labels, used


def vectorise(kind="tfidf", packages=PACKAGES, dtype=np.float64, n_features=2**20):
    """The real-text workload, vectorised.

    Parameters
    ----------
    kind : {"tfidf", "hashing"}, default="tfidf"
        The vectoriser (see the module docstring).
    packages : sequence of str, default=PACKAGES
        The candidate labels (:func:`collect` keeps :data:`N_CLASSES`).
    dtype : numpy dtype, default=np.float64
        The dtype of X.
    n_features : int, default=2**20
        The number of columns of ``"hashing"`` (``HashingVectorizer``'s
        ``n_features``); ignored by ``"tfidf"``, whose vocabulary sets it.

    Returns
    -------
    X_train, X_test : scipy.sparse.csr_matrix of ``dtype``
    y_train, y_test : ndarray of str
    used : list of str
        The packages used as labels.
    """
    from sklearn.feature_extraction.text import (
        HashingVectorizer,
        TfidfTransformer,
        TfidfVectorizer,
    )
    from sklearn.model_selection import train_test_split

    texts, labels, used = load(packages)
    t_train, t_test, y_train, y_test = train_test_split(
        texts, np.asarray(labels), test_size=0.25, stratify=labels, random_state=SEED
    )
    if kind == "tfidf":
        vec = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=dtype
        )
        X_train = vec.fit_transform(t_train)
        X_test = vec.transform(t_test)
    elif kind == "hashing":
        hasher = HashingVectorizer(
            n_features=n_features,
            ngram_range=(1, 2),
            alternate_sign=False,
            norm=None,
            dtype=dtype,
        )
        tfidf = TfidfTransformer(sublinear_tf=True)
        X_train = tfidf.fit_transform(hasher.transform(t_train)).astype(dtype)
        X_test = tfidf.transform(hasher.transform(t_test)).astype(dtype)
    else:
        raise ValueError(f"kind must be 'tfidf' or 'hashing', got {kind!r}")
    return X_train.tocsr(), X_test.tocsr(), y_train, y_test, used
