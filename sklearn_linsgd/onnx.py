"""ONNX export of the estimators through ``skl2onnx``.

Needs the ``[onnx]`` extra (``pip install sklearn_linsgd[onnx]``). This is the
only module of the package that imports skl2onnx; importing
:mod:`sklearn_linsgd` never does.

Importing this module registers a converter and a shape calculator for
:class:`~sklearn_linsgd.LinearSVMSGD` and :class:`~sklearn_linsgd.SoftmaxSGD`
with ``skl2onnx.update_registered_converter``, so that ``skl2onnx.to_onnx``
converts them, bare or as the last step of a ``Pipeline``::

    import sklearn_linsgd.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(model, X[:1].astype(np.float32))

The converted graph has two outputs, as skl2onnx's converters of scikit-learn's
classifiers:

- ``label``: the predicted class (``predict``), int64 for integer classes,
  string for string classes;
- ``probabilities``: for :class:`~sklearn_linsgd.SoftmaxSGD`, ``predict_proba``;
  for :class:`~sklearn_linsgd.LinearSVMSGD`, the scores of
  ``decision_function``, one column per class (with two classes ``[-f, f]``,
  as skl2onnx converts ``SGDClassifier(loss="hinge")``). By default it is a
  sequence of dictionaries (a ``ZipMap``); the option ``zipmap=False`` makes it
  a tensor of shape ``(n_samples, n_classes)``.

The options ``zipmap`` (True, False, "columns"), ``nocl``,
``output_class_labels`` and ``raw_scores`` (True: the scores of
``decision_function`` instead of the probabilities of ``SoftmaxSGD``) have their
usual skl2onnx meaning, e.g. ``options={id(model): {"zipmap": False}}``.
"""

import numbers

import numpy as np

from ._classes import LinearSVMSGD, SoftmaxSGD

try:  # the [onnx] extra
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "sklearn_linsgd.onnx needs skl2onnx: pip install sklearn_linsgd[onnx] "
        "(or: pip install skl2onnx onnxruntime)."
    ) from exc

__all__ = ["register"]

#: The alias under which each estimator is registered with skl2onnx.
ALIASES = {
    LinearSVMSGD: "SklearnLinsgdLinearSVMSGD",
    SoftmaxSGD: "SklearnLinsgdSoftmaxSGD",
}

#: The converter options, those of skl2onnx's linear classifiers.
OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "raw_scores": [True, False],
}

_registered = False


def _class_initializer(scope, container, classes):
    """Add the class labels as an initializer; return its name and the
    ONNX type of the labels."""
    classes = np.asarray(classes)
    if all(isinstance(c, str) for c in classes.ravel()):
        values = np.array([str(c).encode("utf-8") for c in classes])
        proto = onnx_proto.TensorProto.STRING
    elif all(isinstance(c, (numbers.Real, bool, np.bool_)) for c in classes):
        values = classes.astype(np.int64)
        if not np.array_equal(values, classes):
            raise RuntimeError(
                "ONNX labels are int64 or strings: the classes "
                f"{classes.tolist()} are not integers."
            )
        proto = onnx_proto.TensorProto.INT64
    else:
        raise RuntimeError("The classes must be all integers or all strings.")
    name = scope.get_unique_variable_name("classes")
    container.add_initializer(name, proto, values.shape, values)
    return name


def _convert_linsgd(scope, operator, container):
    """The skl2onnx converter of LinearSVMSGD and SoftmaxSGD.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The naming scope of the graph.
    operator : skl2onnx.common._topology.Operator
        The operator to convert; ``operator.raw_operator`` is the estimator.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and initializers.
    """
    model = operator.raw_operator
    options = container.get_options(model, dict(raw_scores=False))
    probabilities = isinstance(model, SoftmaxSGD) and not options["raw_scores"]
    input_type = operator.inputs[0].type
    if isinstance(input_type, DoubleTensorType):
        proto, dtype = onnx_proto.TensorProto.DOUBLE, np.float64
    else:
        proto, dtype = onnx_proto.TensorProto.FLOAT, np.float32

    def node(op_type, inputs, **attrs):
        output = scope.get_unique_variable_name(op_type.lower())
        container.add_node(
            op_type,
            inputs,
            output,
            name=scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def constant(name, value):
        value = np.asarray(value, dtype=dtype)
        unique = scope.get_unique_variable_name(name)
        container.add_initializer(unique, proto, value.shape, value.ravel())
        return unique

    x = operator.inputs[0].full_name
    if not isinstance(input_type, (FloatTensorType, DoubleTensorType)):
        x = node("Cast", [x], to=proto)

    # scores = X @ coef_.T + intercept_, shape (N, 1) or (N, K)
    coef = constant("coef", np.asarray(model.coef_).T)
    intercept = constant("intercept", np.asarray(model.intercept_))
    scores = node("Add", [node("MatMul", [x, coef]), intercept])

    if len(model.classes_) == 2:
        # One column f, the score of classes_[1]: two columns [-f, f], as
        # skl2onnx converts SGDClassifier; their sigmoids are the probabilities
        # [1 - sigmoid(f), sigmoid(f)] of predict_proba.
        scores = node("Concat", [node("Neg", [scores]), scores], axis=1)
    if not probabilities:
        post, attrs = "Identity", {}
    elif len(model.classes_) == 2:
        post, attrs = "Sigmoid", {}
    else:
        post, attrs = "Softmax", {"axis": 1}
    container.add_node(
        post,
        [scores],
        operator.outputs[1].full_name,
        name=scope.get_unique_operator_name(post),
        **attrs,
    )

    # The label: the first maximum of the scores, as predict.
    index = node("ArgMax", [scores], axis=1, keepdims=0)
    classes = _class_initializer(scope, container, get_label_classes(scope, model))
    container.add_node(
        "Gather",
        [classes, index],
        operator.outputs[0].full_name,
        name=scope.get_unique_operator_name("Gather"),
        axis=0,
    )


def register():
    """Register the converters of both estimators with skl2onnx.

    Called when :mod:`sklearn_linsgd.onnx` is imported; calling it again does
    nothing. After it, ``skl2onnx.to_onnx`` (and ``convert_sklearn``) convert
    :class:`~sklearn_linsgd.LinearSVMSGD` and :class:`~sklearn_linsgd.SoftmaxSGD`,
    bare or inside a ``Pipeline``.

    Returns
    -------
    aliases : dict
        The estimator classes and the skl2onnx alias of each.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_linsgd import SoftmaxSGD
    >>> from sklearn_linsgd.onnx import register
    >>> sorted(register().values())
    ['SklearnLinsgdLinearSVMSGD', 'SklearnLinsgdSoftmaxSGD']
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SoftmaxSGD(random_state=0).fit(X, y)
    >>> onx = to_onnx(model, X[:1].astype(np.float32))
    >>> [output.name for output in onx.graph.output]
    ['output_label', 'output_probability']
    """
    global _registered
    if not _registered:
        for estimator, alias in ALIASES.items():
            update_registered_converter(
                estimator,
                alias,
                calculate_linear_classifier_output_shapes,
                _convert_linsgd,
                options=OPTIONS,
            )
        _registered = True
    return dict(ALIASES)


register()
