"""scikit-learn's common estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD


@parametrize_with_checks([LinearSVMSGD(), SoftmaxSGD()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
