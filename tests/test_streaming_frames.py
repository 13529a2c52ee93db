"""fit_stream over pandas DataFrame chunks (``pd.read_csv(..., chunksize=...)``)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sklearn_linsgd import LinearSVMSGD, SoftmaxSGD
from sklearn_linsgd.streaming import fit_stream

pd = pytest.importorskip("pandas")

CLASSES = np.array([0, 1, 2])
FEATURES = [f"f{i}" for i in range(6)]
CHUNK = 150


@pytest.fixture(scope="module")
def frame():
    X, y = make_classification(
        n_samples=600, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    df = pd.DataFrame(X, columns=FEATURES)
    df.insert(3, "label", y)  # the label column need not be the last one
    return df


@pytest.fixture
def csv_path(frame, tmp_path):
    path = tmp_path / "train.csv"
    # float_format keeps every digit, so the CSV reads back the same floats.
    frame.to_csv(path, index=False, float_format="%.17g")
    return path


def _tuples(frame):
    """The same chunks as ``read_csv(chunksize=CHUNK)``, as numpy tuples."""
    X = frame[FEATURES].to_numpy()
    y = frame["label"].to_numpy()
    return [(X[i : i + CHUNK], y[i : i + CHUNK]) for i in range(0, len(y), CHUNK)]


@pytest.mark.parametrize("Estimator", [LinearSVMSGD, SoftmaxSGD])
def test_csv_chunks_train_the_same_model_as_tuples(Estimator, csv_path, frame):
    params = dict(random_state=0, batch_size=64)
    reader = pd.read_csv(csv_path, chunksize=CHUNK)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning between chunks
        from_csv = fit_stream(
            Estimator(**params), reader, target="label", classes=CLASSES
        )
    from_tuples = fit_stream(Estimator(**params), _tuples(frame), classes=CLASSES)
    np.testing.assert_allclose(from_csv.coef_, from_tuples.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        from_csv.intercept_, from_tuples.intercept_, rtol=0, atol=1e-12
    )
    assert from_csv.t_ == from_tuples.t_ == 4 * 3  # 4 chunks of <= 3 batches
    # The feature columns (without the target) become feature_names_in_.
    assert from_csv.feature_names_in_.tolist() == FEATURES
    assert not hasattr(from_tuples, "feature_names_in_")
    assert from_csv.n_features_in_ == 6
    np.testing.assert_array_equal(
        from_csv.predict(frame[FEATURES]), from_tuples.predict(frame[FEATURES].values)
    )


def test_multi_pass_with_a_callable(csv_path, frame):
    n_opened = []

    def read():
        n_opened.append(1)
        return pd.read_csv(csv_path, chunksize=CHUNK)

    params = dict(random_state=0, batch_size=64)
    clf = fit_stream(
        SoftmaxSGD(**params), read, target="label", classes=CLASSES, n_passes=3
    )
    ref = fit_stream(SoftmaxSGD(**params), _tuples(frame), classes=CLASSES, n_passes=3)
    assert len(n_opened) == 3
    assert clf.t_ == ref.t_ == 3 * 4 * 3
    np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=0, atol=1e-12)


def test_one_shot_reader_with_several_passes_is_refused(csv_path):
    reader = pd.read_csv(csv_path, chunksize=CHUNK)
    with pytest.raises(ValueError, match="one-shot iterator.*lambda: pd.read_csv"):
        fit_stream(SoftmaxSGD(), reader, target="label", classes=CLASSES, n_passes=2)


def test_iterable_used_up_by_the_first_pass_is_explained(csv_path):
    class Reader:
        """Re-iterable in form, but reads one file handle (as old pandas did)."""

        def __init__(self):
            self.reader = pd.read_csv(csv_path, chunksize=CHUNK)

        def __iter__(self):
            yield from self.reader

    with pytest.raises(ValueError, match="Pass 2 of 2 got no chunks.*used up by"):
        fit_stream(SoftmaxSGD(), Reader(), target="label", classes=CLASSES, n_passes=2)


def test_dataframe_chunk_without_target(csv_path):
    reader = pd.read_csv(csv_path, chunksize=CHUNK)
    with pytest.raises(ValueError, match="Chunk 0 is a DataFrame; pass target="):
        fit_stream(SoftmaxSGD(), reader, classes=CLASSES)


def test_target_missing_from_the_columns(csv_path):
    reader = pd.read_csv(csv_path, chunksize=CHUNK)
    with pytest.raises(ValueError, match="Chunk 0 has no target column 'y'.*'f0'"):
        fit_stream(SoftmaxSGD(), reader, target="y", classes=CLASSES)


def test_target_with_tuple_chunks(frame):
    with pytest.raises(ValueError, match="target='label' was given but chunk 0 is"):
        fit_stream(SoftmaxSGD(), _tuples(frame), target="label", classes=CLASSES)


@pytest.mark.parametrize("target", [None, "label"])
def test_missing_classes_is_explained(frame, target):
    chunks = [frame] if target else _tuples(frame)
    match = "partial_fit needs every label of the whole stream up front"
    with pytest.raises(ValueError, match=match) as exc:
        fit_stream(SoftmaxSGD(), chunks, target=target)
    if target:
        assert "pd.read_csv(path, usecols=['label'])['label'].unique()" in str(
            exc.value
        )
    else:
        assert "np.unique(y_all)" in str(exc.value)


def test_chunks_with_different_columns_are_refused(frame):
    chunks = [frame.iloc[:300], frame.iloc[300:][["label", *FEATURES[::-1]]]]
    with pytest.raises(ValueError, match="Chunk 1 of pass 1 has the feature columns"):
        fit_stream(SoftmaxSGD(), chunks, target="label", classes=CLASSES)


def test_string_labels_and_list_of_frames(frame):
    names = np.array(["ant", "bee", "cat"])
    df = frame.assign(label=names[frame["label"]])
    chunks = [df.iloc[i : i + CHUNK] for i in range(0, len(df), CHUNK)]
    clf = fit_stream(
        SoftmaxSGD(random_state=0),
        chunks,
        target="label",
        classes=np.unique(df["label"]),
        n_passes=2,
    )
    assert clf.classes_.tolist() == names.tolist()
    assert set(clf.predict(df[FEATURES])) <= set(names)
