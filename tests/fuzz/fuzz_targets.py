"""Fuzz targets: every parser of untrusted bytes, and the only errors each may raise.

A target takes the bytes of one input and either returns or raises one of
its documented errors; anything else (another exception, a crash, a hang) is
a finding. Each target's seeds live in tests/fuzz/corpus/<name>/ (small valid
inputs, and every input that once found a bug). A new parser adds its target
here with @target, and its seeds there; docs/FUZZING.md says how to run them.

Run one target under atheris (coverage-guided, libFuzzer's options after it):

    python tests/fuzz/fuzz_targets.py loads tests/fuzz/corpus/loads -runs=20000

tests/fuzz/fuzz_all.py runs them all with CI's budget, and
tests/test_fuzz_corpus.py replays every seed through its target in the test suite.
"""
import contextlib
import itertools
import hashlib
import inspect
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

#: name -> (function of bytes, function giving the exception types it may raise)
TARGETS = {}


def target(name, allowed):
    """Register the decorated function as fuzz target `name`, which may raise only allowed().

    allowed is called late, so that fastscore is first imported under atheris's instrumentation.
    """
    def register(function):
        TARGETS[name] = (function, allowed)
        return function
    return register


def run(name, data):
    """Feed data to target `name`; its documented errors are the expected outcome, not findings."""
    function, allowed = TARGETS[name]
    try:
        function(data)
    except allowed():
        pass


@contextlib.contextmanager
def _as_file(data, suffix):
    """The path of a new file holding data, removed afterwards (a reader's memory map stays valid)."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="fastscore-fuzz-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        os.unlink(path)


# ---- model files --------------------------------------------------------------------------------

def _loads():
    import fastscore

    return fastscore.loads


def _check_loaded(model):
    """A model that loads scores rows of its width, and saves to a file that loads again.

    A model with an input stage (format version 2) may refuse these rows as its inputs' rules say
    (a number where a category is expected that is an error, no fill for a missing value, a
    value scaled to infinity): ValueError or TypeError naming the column, as scikit-learn raises.
    It must still save to a text that loads again to the same model.
    """
    import fastscore

    X = np.linspace(-2.0, 2.0, 3 * model.n_features_in_).reshape(3, model.n_features_in_)
    try:
        out = model.score(X)
    except (ValueError, TypeError):
        if json.loads(model.dumps()).get("inputs") is None:
            raise
        out = None
    assert out is None or out.shape[0] == 3, out.shape
    with _as_file(b"", ".json") as path:
        model.save(path)
        again = fastscore.load(path)
    assert again == model
    if out is not None:
        assert again.score(X).tobytes() == out.tobytes()


def _model_file_error():
    from fastscore import ModelFormatError

    return (ModelFormatError,)


@target("load", _model_file_error)
def load(data):
    """fastscore.load(path) on a file holding data."""
    import fastscore

    with _as_file(data, ".json") as path:
        model = fastscore.load(path)
    _check_loaded(model)


@target("loads", _model_file_error)
def loads(data):
    """fastscore.loads on data as bytes, and as text when it is UTF-8."""
    _check_loaded(_loads()(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    _check_loaded(_loads()(text))


def _checksum(fields):
    """docs/FORMAT.md's checksum, computed from the specification."""
    body = {k: v for k, v in fields.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


@target("fields", _model_file_error)
def fields(data):
    """loads on data with its checksum made right: mutations get past the checksum to the field checks."""
    try:
        doc = json.loads(data)
        if isinstance(doc, dict):
            doc["checksum"] = _checksum(doc)
            data = json.dumps(doc).encode()
    except (ValueError, TypeError, RecursionError):  # not JSON, or no canonical form: as it is
        pass
    _check_loaded(_loads()(data))


# ---- the command line's readers -----------------------------------------------------------------

def _input_error():
    from fastscore import tabular

    return (tabular.InputError,)


def _read_all(data, suffix):
    """Every chunk of every column, as `fastscore score` reads them (small chunks: many of them)."""
    from fastscore import tabular

    with _as_file(data, suffix) as path:
        reader = tabular.open_input(path)
        # As `fastscore score` does: the columns a model uses (it never lists a header whole).
        names = list(itertools.islice(reader.columns, 64))
        selected = list(range(len(names)))
        kept = selected[:1]  # as --keep copies a column beside the scores
        for _, X, kept_values in reader.chunks(selected, names, 3, kept, names[:1]):
            assert len(kept_values) == len(kept)
            X = np.asarray(X)
            assert X.ndim == 2 and X.shape[1] == len(selected), X.shape
            np.asarray(X, np.float64)
    if suffix == ".npy":
        return
    # As a model with an input stage reads them: text, numbers and booleans, missing cells as nulls.
    with _as_file(data, suffix) as path:
        reader = tabular.open_input(path)
        names = list(itertools.islice(reader.columns, 64))
        kinds = [(tabular.TEXT, tabular.NUMBER, tabular.BOOLEAN)[i % 3] for i in range(len(names))]
        for _, batch, _kept in reader.chunks(list(range(len(names))), names, 3, (), (), kinds):
            assert batch.num_columns == len(names), batch.schema


@target("csv", _input_error)
def csv(data):
    """The CSV reader on a file holding data."""
    _read_all(data, ".csv")


@target("parquet", _input_error)
def parquet(data):
    """The Parquet reader on a file holding data."""
    _read_all(data, ".parquet")


@target("npy", _input_error)
def npy(data):
    """The .npy reader on a file holding data."""
    _read_all(data, ".npy")


# ---- under atheris --------------------------------------------------------------------------------

def main(argv):
    """python fuzz_targets.py TARGET [libFuzzer options and corpus directories]."""
    import atheris

    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} TARGET [libFuzzer arguments]; targets: {', '.join(TARGETS)}")
    name = argv[1]
    # Coverage of fastscore's Python code and of numpy's .npy header parsing (pyarrow's
    # C++ and json's C scanner are not instrumented: mutations alone explore them).
    with atheris.instrument_imports(include=["fastscore"]):
        import fastscore.cli  # noqa: F401  (all of fastscore a target can reach)
        import fastscore.modelfile  # noqa: F401
        import fastscore.tabular  # noqa: F401
    atheris.instrument_func(run)
    for function in vars(np.lib.format).values():
        if inspect.isfunction(function):
            atheris.instrument_func(function)
    atheris.Setup([argv[0]] + argv[2:], lambda data: run(name, data))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
