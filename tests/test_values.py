"""Models are values: pickle, copy, deepcopy and cloudpickle by their fields on both backends,
== by fields, model.dumps() / fastscore.loads(), and load() of paths and file objects."""
import copy
import io
import json
import os
import pathlib
import pickle
import subprocess
import sys
import tempfile
import textwrap

import cloudpickle
import numpy as np
import pytest

import fastscore
from fastscore import Classifier, Regressor, model as model_module
from estimator_cases import CLASSIFIERS, REGRESSORS, fitted

CASES = sorted(CLASSIFIERS) + sorted(REGRESSORS)

COPIES = {
    **{f"pickle-{p}": (lambda m, p=p: pickle.loads(pickle.dumps(m, protocol=p)))
       for p in range(pickle.HIGHEST_PROTOCOL + 1)},
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "cloudpickle": lambda m: cloudpickle.loads(cloudpickle.dumps(m)),
}


def _outputs(model, X):
    """Everything a model computes for X, as bytes."""
    outs = [model.score(X), model.predict(X), np.array([model.score_one(list(X[0]))], dtype=float)]
    if isinstance(model, Classifier):
        outs.append(model.decision_function(X))
        if model.has_proba:
            outs += [model.predict_proba(X), model.predict_log_proba(X)]
    return [o.tobytes() for o in outs]


@pytest.mark.parametrize("case", CASES)
def test_every_model_copies_and_pickles_by_its_fields(backend, case):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.backend == backend
    want = _outputs(model, X)
    for how, make_copy in COPIES.items():
        twin = make_copy(model)
        assert twin is not model and type(twin) is type(model), how
        assert twin == model and twin.backend == backend, how
        assert _outputs(twin, X) == want, how
        assert twin.dumps() == model.dumps(), how
    data = pickle.dumps(model)
    # Fields as plain data: neither the kernel nor numpy's own pickling is in it.
    assert b"_kernel" not in data and b"_pure" not in data and b"numpy" not in data
    # 8 bytes per number beside the labels and names: never much larger than the JSON file.
    numbers = model.coef_.size + model.intercept_.size + (0 if model.center is None else model.center.size)
    assert len(data) <= 8 * numbers + 600 + len(json.dumps(json.loads(model.dumps()).get("classes")))
    assert len(data) <= 1.25 * len(model.dumps())


def test_a_pickle_keeps_its_backend_where_it_can(backend):
    model = Classifier(estimator="t", link="logistic", coef=[[1.0, 2.0]], intercept=[0.5], n_features=2,
                       classes=[0, 1], backend=backend)
    other = "pure" if backend == "compiled" else "compiled"
    assert pickle.loads(pickle.dumps(model)).backend == backend
    if other in fastscore.model._backend.MODULES and fastscore.backend == "compiled":
        twin = model_module.rebuild(*model.__reduce__()[1], backend=other)
        assert twin.backend == other and twin == model
        assert twin.score([[1.0, 2.0]]).tobytes() == model.score([[1.0, 2.0]]).tobytes()


def _run(code, env=None):
    # Outside the checkout, so that the installed fastscore is imported, not the source tree.
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), env={**os.environ, **(env or {})}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


UNPICKLE = """
    import sys
    {prelude}
    import pickle, numpy as np, fastscore
    model = pickle.load(open(sys.argv[1] if len(sys.argv) > 1 else {path!r}, "rb"))
    X = np.load({x!r})
    print(fastscore.backend, model.backend, model.score(X).tobytes().hex(), model.predict(X).tolist())
"""


@pytest.mark.parametrize("prelude, env", [
    ("", {"FASTSCORE_PURE": "1"}),
    ("sys.modules['fastscore._kernel'] = None  # as if the extension had not been built", {}),
])
def test_a_model_unpickled_where_only_the_other_backend_exists_still_scores(tmp_path, both_backends,
                                                                            prelude, env):
    est, X = fitted("logreg-multinomial")
    model = model_module.rebuild(*fastscore.from_sklearn(est).__reduce__()[1], backend="compiled")
    assert model.backend == "compiled"
    path, xpath = tmp_path / "model.pkl", tmp_path / "X.npy"
    path.write_bytes(pickle.dumps(model))
    np.save(xpath, X)
    out = _run(UNPICKLE.format(prelude=prelude, path=str(path), x=str(xpath)), env).split(" ", 3)
    assert out[:2] == ["pure", "pure"]
    # Exactly what the pure mirror gives here (the backends agree to 1e-12, not bit for bit).
    assert out[2] == model_module.rebuild(*model.__reduce__()[1], backend="pure").score(X).tobytes().hex()
    assert out[3].strip() == str(model.predict(X).tolist())


def test_a_pure_pickle_stays_pure_where_the_compiled_kernel_exists(tmp_path, both_backends):
    est, X = fitted("ridge-multi")
    model = model_module.rebuild(*fastscore.from_sklearn(est).__reduce__()[1], backend="pure")
    path, xpath = tmp_path / "model.pkl", tmp_path / "X.npy"
    path.write_bytes(pickle.dumps(model))
    np.save(xpath, X)
    out = _run(UNPICKLE.format(prelude="", path=str(path), x=str(xpath))).split(" ", 3)
    assert out[:3] == ["compiled", "pure", model.score(X).tobytes().hex()]


# ---- == compares fields ---------------------------------------------------------------------------

BASE = dict(estimator="LogisticRegression", link="softmax", n_features=2, coef=[[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]],
            intercept=[0.1, 0.2, 0.3], classes=[0, 1, 2], feature_names=["a", "b"], center=[1.0, 2.0],
            sklearn_version="1.9.1")


def test_equal_fields_make_equal_models_whatever_the_backend(both_backends):
    a = Classifier(**BASE, backend="compiled")
    b = Classifier(**{**BASE, "coef": np.array(BASE["coef"]), "classes": np.array([0, 1, 2], dtype=np.int32)},
                   backend="pure")
    assert a == b and not a != b and a.backend != b.backend


@pytest.mark.parametrize("change", [
    dict(estimator="SGDClassifier"), dict(link="ovr"), dict(coef=[[1.0, 2.0], [-0.0, -1.0], [3.0, 0.5]]),
    dict(coef=[[1.0, 2.0], [0.0, -1.0], [3.0, np.nextafter(0.5, 1)]]), dict(intercept=[0.1, 0.2, 0.4]),
    dict(classes=[0.0, 1.0, 2.0]), dict(classes=[0, 1, 3]), dict(classes=["0", "1", "2"]),
    dict(feature_names=None), dict(feature_names=["a", "c"]), dict(center=None), dict(center=[1.0, 2.5]),
    dict(sklearn_version=None), dict(sklearn_version="1.5.2"),
])
def test_models_differing_in_any_field_differ(backend, change):
    assert Classifier(**BASE) != Classifier(**{**BASE, **change})


def test_equality_across_kinds_and_other_objects():
    r = Regressor(estimator="Ridge", link="identity", n_features=2, coef=[[1.0, 2.0]], intercept=[0.0])
    c = Classifier(estimator="Ridge", link="identity", n_features=2, coef=[[1.0, 2.0]], intercept=[0.0],
                   classes=[0, 1])
    assert r != c and c != r
    assert r != "model" and r != None  # noqa: E711
    assert r == Regressor(estimator="Ridge", link="identity", n_features=2, coef=[[1.0, 2.0]], intercept=[0.0])


def test_models_are_not_hashable():
    with pytest.raises(TypeError, match="unhashable"):
        hash(Classifier(**BASE))


# ---- text and files -------------------------------------------------------------------------------

def test_dumps_and_loads_are_the_file(backend, tmp_path):
    model = Classifier(**BASE)
    model.save(tmp_path / "m.json")
    text = model.dumps()
    assert text == (tmp_path / "m.json").read_text(encoding="utf-8")
    for data in (text, text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        loaded = fastscore.loads(data, backend=backend)
        assert loaded == model and loaded.backend == backend
    with pytest.raises(TypeError, match="str or bytes, got dict"):
        fastscore.loads(json.loads(text))


def test_load_reads_paths_and_file_objects(tmp_path):
    model = Classifier(**BASE)
    path = tmp_path / "m.json"
    model.save(path)
    with open(path, "rb") as binary, open(path, encoding="utf-8") as text:
        sources = [str(path), path, pathlib.PurePath(path), binary, text, io.BytesIO(path.read_bytes()),
                   io.StringIO(path.read_text())]
        for source in sources:
            assert fastscore.load(source) == model, source


def test_bad_files_read_through_file_objects_are_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "onnx"}')
    with open(path, "rb") as f, pytest.raises(fastscore.ModelFormatError) as info:
        fastscore.load(f)
    assert str(info.value).startswith(f"{path}: field 'format' must be")
    with pytest.raises(fastscore.ModelFormatError, match="^field 'format' must be"):
        fastscore.load(io.BytesIO(path.read_bytes()))


def test_load_of_a_file_descriptor_or_other_types_is_a_clear_type_error(tmp_path):
    # A file descriptor used to be opened, and the error for a bad file then failed in os.fspath.
    path = tmp_path / "bad.json"
    path.write_text("not a model")
    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(TypeError, match=rf"got the int {fd}: to read a file descriptor, pass open\({fd}, 'rb'\)"):
            fastscore.load(fd)
        with open(fd, "rb", closefd=False) as f, pytest.raises(fastscore.ModelFormatError, match="not valid JSON"):
            fastscore.load(f)
    finally:
        os.close(fd)
    for source, words in [(None, "got NoneType"), (True, "got the int True"), (1.5, "got float"),
                          (b'{"format": 1}', "got bytes: use fastscore.loads()"),
                          ('{"format": "fastscore-linear-model"}', "holds JSON: use fastscore.loads()"),
                          (["m.json"], "got list")]:
        with pytest.raises(TypeError, match="a model file is read from a path") as info:
            fastscore.load(source)
        assert words in str(info.value)


def test_load_and_loads_take_a_backend(both_backends, tmp_path):
    model = Classifier(**BASE)
    model.save(tmp_path / "m.json")
    for name in both_backends:
        assert fastscore.load(tmp_path / "m.json", backend=name).backend == name
        assert fastscore.loads(model.dumps(), backend=name).backend == name
        assert Classifier(**BASE, backend=name).backend == name
