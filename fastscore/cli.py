"""The `fastscore` command (also `python -m fastscore`): convert, info, score, bench, demo.

Every error a user can cause (a bad file, a bad option, a missing optional
package) is one line on stderr, `fastscore: error: ...`, and exit code 2; a
signal that stops a command exits with 128 plus its number, after removing
what it was writing. docs/CLI.md describes the commands.
"""
import argparse
import contextlib
import os
import re
import signal
import stat
import sys
import threading
import time

import numpy as np

EXIT_ERROR = 2

CONVERT_HELP = """\
Read a fitted scikit-learn estimator saved with joblib.dump or pickle (.joblib, .pkl, .pickle)
and write it as a fastscore JSON model file.

Only convert files you trust: unpickling a file runs whatever code its author put in it,
with your permissions. This is the one place fastscore unpickles anything; the JSON it
writes holds numbers and names only, and loading it never runs code.

Needs scikit-learn: pip install 'fastscore[sklearn]'."""

SCORE_HELP = """\
Score every row of INPUT and write the results to OUTPUT. Each is CSV (.csv, with a
header), TSV (.tsv), either gzipped (.csv.gz, .tsv.gz), Parquet (.parquet, .pq) or NumPy
(.npy, a 2-D array), chosen by its extension. INPUT - is stdin and OUTPUT - is stdout:
--format names INPUT's format there (csv, csv.gz, tsv, tsv.gz, parquet, npy), and
--output-format OUTPUT's (by default INPUT's); either also serves a name with another
extension.

Columns are matched by name when the model has feature names (extra input columns are
ignored), otherwise by position; --columns picks them explicitly. A model converted from a
pipeline with encoders and imputers reads text and missing cells (those pandas.read_csv reads as
missing: empty, NA, NaN, null, N/A, ...) from CSV, TSV and Parquet, as scikit-learn scores the
file read by pandas; see docs/CLI.md. OUTPUT has the --keep
columns first, copied from INPUT, then a column `prediction` (`prediction_<j>` for
multi-target regressors) and, for classifiers with probabilities, `proba_<class>` for
each class. A .npy OUTPUT is a float64 array with those scores in that order (--keep needs
another format); string class labels are written there as their index in the model's
classes (see `fastscore info`).

Rows are read, scored and written in chunks of bounded size, and only the columns scored
and kept are read, so memory stays bounded however long or wide INPUT is. OUTPUT appears
only when everything succeeded; an error, Ctrl-C, SIGTERM or SIGHUP removes what was
written. stdout cannot be taken back: after an error it holds what was written so far,
cut short, and the exit code is not 0."""


class UsageError(Exception):
    """An error the user can fix: printed as one line, exit code 2."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so that what it was writing is
    cleaned up on the way out as for Ctrl-C (a BaseException, as KeyboardInterrupt is)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


# What `timeout`, Kubernetes and Slurm send (SIGTERM) and what a closed terminal sends (SIGHUP).
TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _terminate(signum, frame):
    for other in TERMINATING:  # a second signal must not interrupt the clean-up of the first
        signal.signal(other, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def _terminating_signals_raise():
    """While the body runs, SIGTERM and SIGHUP raise Terminated (unless they are ignored, as
    under nohup: then they stay ignored)."""
    if threading.current_thread() is not threading.main_thread():  # only it may set handlers
        yield
        return
    previous = {}
    for signum in TERMINATING:
        if signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, _terminate)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _refuse_overwriting(output, stdio=False, **inputs):
    """A UsageError if OUTPUT is one of the inputs: by name, through a symbolic link (to it or
    to a directory on its path) or as a hard link. The files are compared, not their paths.

    With stdio, OUTPUT "-" is stdout and INPUT "-" stdin, never a file named "-": they are
    compared too when they are regular files (`-o - >> in.csv`, `- -o out.csv < out.csv`).
    """
    from fastscore.tabular import STDIO, shown

    def identity(path, fd):
        try:
            if fd is not None and path == STDIO:
                st = os.fstat(fd)
                return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None
            st = os.stat(path)
        except OSError:  # does not exist (yet), or no such stream: it cannot be another file
            return None
        return st.st_dev, st.st_ino

    out = identity(output, 1 if stdio else None)
    for name, path in inputs.items():
        fd = 0 if stdio and name == "INPUT" else None
        if out is not None and out == identity(path, fd):
            raise UsageError(f"OUTPUT must not be {name}: {shown(output, True) if stdio else output} is "
                             f"{shown(path) if fd is not None else path}")


def _at_least_one(option, value):
    """value, unless it is below 1 (a UsageError naming the option)."""
    if value < 1:
        raise UsageError(f"{option} must be at least 1, got {value}")
    return value


def _check_threads(value):
    """Refuse a --threads the kernels would refuse (below 1 here, or beyond a C int)."""
    from fastscore._checks import _MAX_THREADS

    if value is not None and _at_least_one("--threads", value) > _MAX_THREADS:
        raise UsageError(f"--threads must be at most {_MAX_THREADS}, got {value}")


# ---- convert ----------------------------------------------------------------------------------

def _convert(args):
    try:
        import joblib
        import sklearn  # noqa: F401  (the estimator's classes live there)
    except ImportError:
        raise UsageError("fastscore convert needs scikit-learn: pip install 'fastscore[sklearn]'") from None
    import fastscore

    if not os.path.isfile(args.model):
        raise UsageError(f"{args.model}: " + ("not a file" if os.path.exists(args.model) else "no such file"))
    _refuse_overwriting(args.output, MODEL=args.model)
    try:
        # The one place fastscore unpickles: that runs whatever code the file's author chose,
        # hence trusted files only (see CONVERT_HELP). A model file is never read this way.
        estimator = joblib.load(args.model)
    except Exception as exc:  # unpickling can fail in any way a pickle chooses
        raise UsageError(f"{args.model}: cannot unpickle: {type(exc).__name__}: {_one_line(exc)}") from None
    try:
        model = fastscore.from_sklearn(estimator)
    except fastscore.ConversionError as exc:
        raise UsageError(f"{args.model}: {_one_line(exc)}") from None
    try:
        model.save(args.output)
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    if not args.quiet:
        print(_printable(f"wrote {args.output}: {model.estimator}, {model.n_features_in_} features, "
                        f"link {model.link} ({os.path.getsize(args.output)} bytes)"))
    return 0


# ---- info -------------------------------------------------------------------------------------

def _load_with_fields(path):
    """The model in a file and its fields; an unreadable file is a UsageError."""
    from fastscore import modelfile
    from fastscore.model import from_fields

    try:
        file = modelfile.read(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    f = file.fields
    return from_fields(f), {"format": modelfile.FORMAT, "format_version": file.format_version,
                            "kind": f.kind, "sklearn_version": f.sklearn_version,
                            "fastscore_version": file.fastscore_version, "checksum": file.checksum,
                            "front": f.front}


def _load(path):
    return _load_with_fields(path)[0]


def _info(args):
    from fastscore import modelfile

    model, fields = _load_with_fields(args.model)
    names = getattr(model, "feature_names_in_", None)  # a model with an input stage: its inputs' names
    rows = [
        ("file", f"{args.model} ({os.path.getsize(args.model)} bytes)"),
        ("format", f"{fields['format']} version {fields['format_version']} "
                   f"(this fastscore reads 1 to {modelfile.VERSION})"),
        ("kind", fields["kind"]),
        ("estimator", model.estimator),
        ("link", model.link),
        ("n_features", str(model.n_features_in_)),
    ]
    if fields["kind"] == "classifier":
        classes = model.classes_.tolist()
        rows.append(("classes", f"{len(classes)}: " + ", ".join(map(repr, classes))))
        rows.append(("probabilities", "yes" if model.has_proba else "no (decision values only)"))
    else:
        rows.append(("targets", str(1 if model.coef_.ndim == 1 else model.coef_.shape[0])))
    if names is None:
        rows.append(("feature names", "none (input columns are matched by position)"))
    else:
        shown = names if args.all or len(names) <= 20 else names[:20]
        more = "" if len(shown) == len(names) else f", ... ({len(names) - 20} more; --all lists them)"
        rows.append(("feature names", ", ".join(shown) + more))
    for b in () if fields["front"] is None else fields["front"].texts:
        source = "the documents" if names is None else repr(names[b.input])
        columns = f"{b.n_features} terms" if b.terms is not None else f"{b.n_features} hashed columns"
        pattern = b.analyzer["token_pattern"]
        custom = f", token_pattern {pattern!r}" if b.analyzer["analyzer"] == "word" and pattern not in (
            r"(?u)\b\w\w+\b", r"(?u)\b\w+\b") else ""
        rows.append(("text", f"{source}: {b.analyzer['analyzer']} {tuple(b.analyzer['ngram_range'])}-grams, "
                             f"{columns}{custom}"))
    rows.append(("center", "yes" if model.center is not None else "no"))
    rows.append(("scikit-learn", fields.get("sklearn_version") or "unknown"))
    rows.append(("written by", f"fastscore {fields['fastscore_version']}"
                 if fields.get("fastscore_version") else "unknown"))
    rows.append(("checksum", fields["checksum"]))
    for key, value in rows:
        print(_printable(f"{key:14} {value}"))  # what a file holds is shown, never obeyed
    return 0


# ---- score ------------------------------------------------------------------------------------

def _output_columns(model, out_format):
    """The output's (name, dtype) columns, and whether labels are written as class indices."""
    from fastscore import Classifier

    if not isinstance(model, Classifier):
        if model.coef_.ndim == 1:
            return [("prediction", np.float64)], False
        return [(f"prediction_{j}", np.float64) for j in range(model.coef_.shape[0])], False
    labels = model.classes_
    as_index = out_format == "npy" and labels.dtype.kind not in "biuf"
    columns = [("prediction", np.float64 if out_format == "npy" else labels.dtype)]
    if model.has_proba:
        columns += [(f"proba_{c}", np.float64) for c in labels.tolist()]
    return columns, as_index


def _outputs(model, X, threads, as_index):
    """The output columns (1-D arrays) for one chunk of rows."""
    from fastscore import Classifier

    if not isinstance(model, Classifier):
        predictions = model.score(X, n_threads=threads)
        return [predictions] if predictions.ndim == 1 else list(predictions.T)
    labels = model.predict(X)
    if as_index:  # a float array cannot hold strings: the class's position instead
        order = np.argsort(model.classes_, kind="stable")
        labels = order[np.searchsorted(model.classes_[order], labels)]
    if not model.has_proba:
        return [labels]
    p = model.score(X, n_threads=threads)
    # 1 - p for the negative class, exactly as predict_proba computes it.
    return [labels] + ([1.0 - p, p] if p.ndim == 1 else list(p.T))


_ROW_ZERO = re.compile(r" in row 0(?!\d)")


def _scored(model, X, threads, as_index, start, path):
    """_outputs for a chunk of a model with an input stage (X a RecordBatch, or a 2-D array by
    position), whose errors are about values: one that lies in a row is an InputError naming it
    (counted from 1 in the whole INPUT), found by halving the chunk."""
    from fastscore import tabular

    try:
        return _outputs(model, X, threads, as_index)
    except TypeError as exc:  # a column of the wrong type (Parquet): no one row is to blame
        raise tabular.InputError(f"{path}: {_one_line(exc)}") from None
    except ValueError as exc:
        error = exc

    def score(rows):
        _outputs(model, rows, threads, as_index)

    i = tabular.first_failure(X, score, ValueError)
    try:
        score(X[i:i + 1])
    except ValueError as exc:  # the model counts rows in what it is given: only this one, row 0
        problem = _ROW_ZERO.sub("", _one_line(exc))
        raise tabular.InputError(f"{path}: row {start + i + 1}: {problem}") from None
    raise tabular.InputError(f"{path}: {_one_line(error)}") from None


def _unread(front):
    """The names of a model's inputs that it does not read (columns a ColumnTransformer drops)."""
    from fastscore.front import read_inputs

    read = set(read_inputs(front))
    return [x.name for i, x in enumerate(front.inputs) if i not in read]


def _categories(front, i):
    """The categories that a model with an input stage knows for its input i: those of every
    table and value factor that reads it."""
    from fastscore.encoders import CATEGORIES
    from fastscore.front import Coded

    coded = [*front.tables, *(f for c in front.numeric for f in c.product if isinstance(f, Coded))]
    return [v for t in coded if t.input == i and t.encode.kind == CATEGORIES for v in t.encode.values]


def _reading(front, names, n_selected, in_format, path):
    """How each selected column of INPUT is read (tabular.NUMBER, TEXT, BOOLEAN or DOCUMENT) for a model
    with an input stage, `front`; `names` are the selected columns' names where they are the
    model's input names, else None (by position). A .npy INPUT holds numbers only: a UsageError
    if the model reads text."""
    from fastscore import tabular
    from fastscore.front import NUMBER, read_inputs

    def kind(i):
        if front.inputs[i].type == NUMBER:
            return tabular.NUMBER
        if front.inputs[i].type == "text":
            return tabular.DOCUMENT
        values = _categories(front, i)
        if not values or any(isinstance(v, str) for v in values):
            return tabular.TEXT
        return tabular.BOOLEAN if all(isinstance(v, bool) for v in values) else tabular.NUMBER

    read = read_inputs(front)
    if names is not None:
        index = {x.name: i for i, x in enumerate(front.inputs)}
        kinds = [kind(index[n]) for n in names]
    else:  # by position: an input that the model does not read is read as text, which any cell is
        kinds = [kind(i) if i in read else tabular.TEXT for i in range(n_selected)]
    text = [front.inputs[i].name or str(i) for i in read if kind(i) in (tabular.TEXT, tabular.DOCUMENT)]
    if in_format == "npy" and text:
        raise UsageError(f"{path}: a .npy file holds numbers only, but the model reads text in column(s) "
                         f"{', '.join(map(repr, text[:10]))}: score a CSV or Parquet file")
    return kinds


def _progress(reader, quiet, output):
    """A tqdm bar on a terminal (unless --quiet, or OUTPUT is that terminal), else None: of
    rows, or of bytes for CSV, whose rows are not known until read, with a total where INPUT
    has one."""
    from fastscore.tabular import STDIO

    if quiet or not sys.stderr.isatty() or (output == STDIO and sys.stdout.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    if reader.progress_unit == "bytes":
        return tqdm(total=reader.progress_total, unit="B", unit_scale=True, unit_divisor=1024,
                    file=sys.stderr, leave=False)
    return tqdm(total=reader.progress_total, unit=" rows", unit_scale=True, file=sys.stderr, leave=False)


def _summary(rows, seconds, output):
    """The line printed on a terminal when scoring is done."""
    from fastscore.tabular import shown

    rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "instant"
    return f"fastscore: scored {rows:,} rows in {seconds:.2f} s ({rate}) into {shown(output, True)}"


# A chunk holds at most this many values of input (as read) and output: 8 MiB per float64
# array, whatever the shape. By rows alone, a 2,000-class model's chunk was 1 GB of output.
CHUNK_VALUES = 1 << 20


def _chunk_rows(requested, values_per_row):
    """Rows per chunk: --chunk-size if given (refused if one chunk could not fit in this
    machine's memory), else as many as CHUNK_VALUES values of input and output hold."""
    if requested is None:
        return max(1, CHUNK_VALUES // values_per_row)
    memory = _physical_memory()
    need = requested * values_per_row * 8
    if memory is not None and need > memory:
        raise UsageError(f"--chunk-size {requested}: a chunk of {values_per_row} values a row would need "
                         f"{need / 2**30:.3g} GiB, more than this machine's {memory / 2**30:.3g} GiB of memory")
    return requested


def _physical_memory():
    """This machine's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _formats(args):
    """INPUT's and OUTPUT's formats, from their names, --format and --output-format; and
    refuse a binary format on a terminal, either way."""
    from fastscore import tabular

    in_format = tabular.file_format(args.input, args.format, "--format")
    out_format = tabular.file_format(args.output, args.output_format, "--output-format", default=in_format)
    if args.input == tabular.STDIO and in_format in tabular.BINARY and sys.stdin.isatty():
        raise UsageError(f"{tabular.STDIN} is a terminal: pipe the {in_format} data in, or name its file")
    if args.output == tabular.STDIO and out_format in tabular.BINARY and sys.stdout.isatty():
        raise UsageError(f"{tabular.STDOUT} is a terminal: fastscore writes no {out_format} there; redirect "
                         "it to a file or a pipe, or choose --output-format csv")
    return in_format, out_format


def _kept(keep, out_format, out_columns):
    """The --keep names, checked against what OUTPUT can hold."""
    if not keep:
        return []
    if out_format == "npy":
        raise UsageError("--keep needs a CSV, TSV or Parquet OUTPUT: a .npy OUTPUT is one float64 array "
                         "of scores")
    seen, scores = set(), {name for name, _ in out_columns}
    for name in keep:
        if name in seen:
            raise UsageError(f"--keep {name!r} is given twice")
        if name in scores:
            raise UsageError(f"--keep {name!r}: OUTPUT has a score column of that name")
        seen.add(name)
    return list(keep)


@contextlib.contextmanager
def _destination(path):
    """Where the writer writes: a temporary file, renamed to path when everything succeeded;
    "-" is stdout, written as it goes."""
    from fastscore import _files, tabular

    if path == tabular.STDIO:
        yield path
        return
    with _files.atomic_path(path) as tmp:
        yield tmp


def _score(args):
    from fastscore import tabular

    started = time.perf_counter()
    if args.chunk_size is not None:
        _at_least_one("--chunk-size", args.chunk_size)
    _check_threads(args.threads)
    in_format, out_format = _formats(args)
    if out_format != "npy":
        tabular.pyarrow_for(tabular.shown(args.output, True))  # before the temporary file, so the message names OUTPUT
    _refuse_overwriting(args.output, stdio=True, INPUT=args.input, MODEL=args.model)
    model, fields = _load_with_fields(args.model)
    front = fields["front"]
    out_columns, as_index = _output_columns(model, out_format)
    keep = _kept(args.keep, out_format, out_columns)
    reader = tabular.open_input(args.input, in_format)
    columns = None if args.columns is None else [c.strip() for c in args.columns.split(",")]
    names = getattr(model, "feature_names_in_", None)
    selected, used = tabular.select_columns(
        reader.columns, model.n_features_in_, names, columns, reader.named, reader.path,
        () if front is None or names is None else _unread(front))
    kinds = None
    documents = front is not None and [(x.name, x.type) for x in front.inputs] == [(None, "text")]
    if front is not None:
        kinds = _reading(front, used if names is not None and reader.named else None, len(selected),
                         in_format, reader.path)
    kept = tabular.kept_columns(reader.columns, keep, reader.named, reader.path)
    rows = _chunk_rows(args.chunk_size, reader.values_per_row(selected, kept) + len(out_columns))
    columns_out = list(zip(keep, reader.kept_types(kept))) + out_columns
    bar = _progress(reader, args.quiet, args.output)
    done = 0
    try:
        with _destination(args.output) as target, \
                tabular.open_output(target, out_format, columns_out, reader.n_rows) as writer:
            for start, X, values in reader.chunks(selected, used, rows, kept, keep, kinds):
                if documents:  # the model takes the documents themselves, not a table of one column
                    X = X[:, 0] if isinstance(X, np.ndarray) else X.column(0)
                if kinds is not None:
                    outputs = _scored(model, X, args.threads, as_index, start, reader.path)
                else:
                    try:
                        outputs = _outputs(model, X, args.threads, as_index)
                    except ValueError:  # NaN or infinity: name the cell, not just the chunk's row
                        error = tabular.nonfinite_cell(reader.path, np.asarray(X, dtype=np.float64), start, used)
                        if error is None:
                            raise
                        raise error from None
                writer.write(values + outputs)
                done += len(X)
                if bar is not None:
                    bar.update(reader.progress(done) - bar.n)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise UsageError(f"{tabular.shown(args.output, True)}: cannot write: {exc.strerror or exc}") from None
    except MemoryError:
        raise UsageError(f"out of memory scoring chunks of {rows} rows: use a smaller --chunk-size") from None
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet and sys.stderr.isatty():
        print(_printable(_summary(done, time.perf_counter() - started, args.output)), file=sys.stderr)
    return 0


# ---- bench ------------------------------------------------------------------------------------

MAX_BENCH_VALUES = 1 << 27  # 1 GiB of float64 synthetic data


def _bench(args):
    from fastscore import Classifier
    from fastscore.timing import best_time

    model, fields = _load_with_fields(args.model)
    d = model.n_features_in_
    rows = _at_least_one("--rows", args.rows if args.rows is not None
                         else max(1, min(100_000, MAX_BENCH_VALUES // 8 // d)))
    if rows * d > MAX_BENCH_VALUES:
        raise UsageError(f"--rows {rows} x {d} features is more than {MAX_BENCH_VALUES} values "
                         "of synthetic data; use fewer rows")
    _check_threads(args.threads)
    _at_least_one("--rounds", args.rounds)
    rng = np.random.default_rng(0)
    if fields["front"] is None:
        X = rng.standard_normal((rows, d))
        row, one, shown = X[0].tolist(), X[:1], (f"list of {d} floats", f"1 x {d} array")
    else:
        X, row, one, shown = _synthetic(fields["front"], rows, rng)
    out = np.empty((rows,) + model.score(one).shape[1:])
    batch = best_time(lambda: model.score(X, out=out, n_threads=args.threads), rounds=args.rounds)
    single = best_time(lambda: model.score_one(row), rounds=args.rounds)
    per_call = model.predict_proba if isinstance(model, Classifier) and model.has_proba else model.predict
    array_one = best_time(lambda: per_call(one), rounds=args.rounds)
    from fastscore import backend

    print(_printable(f"fastscore bench {args.model}: {model.estimator}, {d} features, link {model.link}, "
                    f"backend {backend}, threads {args.threads or 'default'}"))
    print(f"  score(X, out=...), {rows} rows:  {rows / batch:14,.0f} rows/s  "
          f"({batch / rows * 1e9:10.1f} ns per row, {batch * 1e3:.3f} ms per call)")
    print(f"  score_one({shown[0]}):  {1 / single:14,.0f} rows/s  "
          f"({single * 1e6:10.3f} us per row)")
    print(f"  {per_call.__name__}({shown[1]}):  {1 / array_one:14,.0f} rows/s  "
          f"({array_one * 1e6:10.3f} us per row)")
    return 0


def _synthetic(front, rows, rng):
    """Rows for a model with an input stage: each input's values drawn from its categories where
    the model has any (an unknown one may be an error), else standard-normal. (X, one row for
    score_one, X's first row, how the two are shown): by name (a dict of columns, a dict) for a
    model with input names, else by position (a 2-D array, a list)."""
    columns = []
    for i in range(len(front.inputs)):
        if front.inputs[i].type == "text":
            columns.append(_synthetic_documents(front, i, rows, rng))
            continue
        values = _categories(front, i)
        columns.append(np.array(values, dtype=object)[rng.integers(0, len(values), rows)] if values
                       else rng.standard_normal(rows))
    if [(x.name, x.type) for x in front.inputs] == [(None, "text")]:  # the documents themselves
        docs = columns[0].tolist()
        return docs, docs[0], docs[:1], ("a document", "1 document")
    if front.inputs[0].name is None:
        X = np.empty((rows, len(columns)), dtype=object)
        for i, c in enumerate(columns):
            X[:, i] = c
        return X, X[0].tolist(), X[:1], (f"list of {len(columns)} values", f"1 x {len(columns)} array")
    named = {x.name: c for x, c in zip(front.inputs, columns)}
    return (named, {k: v[0] for k, v in named.items()}, {k: v[:1] for k, v in named.items()},
            (f"dict of {len(columns)} values", f"dict of {len(columns)} columns, 1 row"))


def _synthetic_documents(front, i, rows, rng):
    """rows documents of 20 words each, drawn from the vocabulary of the text blocks reading input i
    (from a few English words for hashing)."""
    words = [t for b in front.texts if b.input == i and b.terms is not None for t in b.terms if " " not in t]
    words = np.array(words or "the model scores every document in this benchmark quickly".split(), dtype=object)
    picked = words[rng.integers(0, len(words), (rows, 20))]
    return np.array([" ".join(r) for r in picked], dtype=object)


# ---- demo -------------------------------------------------------------------------------------

def _demo(args):
    from fastscore import demo

    try:
        demo.main()
    except ImportError as exc:
        raise UsageError(f"fastscore demo needs scikit-learn ({exc}): "
                         "pip install 'fastscore[sklearn]'") from None
    return 0


# ---- the parser and main ----------------------------------------------------------------------

def build_parser():
    """The argument parser: one sub-command per task."""
    from fastscore import __version__

    parser = argparse.ArgumentParser(
        prog="fastscore",
        description="Convert fitted scikit-learn linear models and score them fast.")
    parser.add_argument("--version", action="version", version=f"fastscore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    p = commands.add_parser("convert", help="scikit-learn joblib/pickle file -> JSON model file "
                            "(trusted files only)", description=CONVERT_HELP, formatter_class=raw)
    p.add_argument("model", metavar="MODEL", help="a fitted estimator: .joblib, .pkl or .pickle")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="the JSON model file to write")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(run=_convert)

    p = commands.add_parser("info", help="what a model file holds",
                            description="Show a model file's kind, estimator, link, features, "
                            "classes, versions and size (the file is fully validated first).")
    p.add_argument("model", metavar="MODEL", help="a fastscore JSON model file")
    p.add_argument("--all", action="store_true", help="list every feature name, however many")
    p.set_defaults(run=_info)

    p = commands.add_parser("score", help="score a CSV, Parquet or .npy file into another",
                            description=SCORE_HELP, formatter_class=raw)
    p.add_argument("model", metavar="MODEL", help="a fastscore JSON model file")
    p.add_argument("input", metavar="INPUT",
                   help="rows to score: .csv, .tsv, .csv.gz, .tsv.gz, .parquet/.pq or .npy; - is stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="where to write the scores: .csv, .tsv, .csv.gz, .tsv.gz, .parquet/.pq or .npy; "
                   "- is stdout")
    p.add_argument("--format", metavar="FORMAT",
                   help="INPUT's format where its name does not say it (-, or another extension): "
                   "csv, csv.gz, tsv, tsv.gz, parquet or npy")
    p.add_argument("--output-format", metavar="FORMAT",
                   help="OUTPUT's format where its name does not say it (default for -: INPUT's)")
    p.add_argument("--keep", action="append", metavar="COLUMN",
                   help="copy this input column to OUTPUT, before the scores (repeatable; a 0-based "
                   "position for .npy)")
    p.add_argument("--columns", metavar="A,B,...",
                   help="comma-separated input columns to use: for a model with feature names and a "
                   "CSV or Parquet INPUT, exactly those names in any order (columns are matched by "
                   "name); otherwise in the model's feature order (names for CSV and Parquet, 0-based "
                   "positions for .npy)")
    p.add_argument("--chunk-size", type=int, default=None, metavar="ROWS",
                   help="rows read and scored at a time (default: as many as hold 2**20 values "
                   "of input and output, 8 MiB as float64); bounds memory")
    p.add_argument("--threads", type=int, default=None, metavar="T",
                   help="threads for the scoring kernel (default: its own choice)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_score)

    p = commands.add_parser("bench", help="time scoring on synthetic data of the model's shape",
                            description="Time the model on random rows of its shape: rows per "
                            "second for batches, and per-row latency of score_one and of a "
                            "one-row array, for sizing a deployment.")
    p.add_argument("model", metavar="MODEL", help="a fastscore JSON model file")
    p.add_argument("--rows", type=int, default=None, metavar="N",
                   help="rows in the batch (default 100000, fewer for very wide models)")
    p.add_argument("--threads", type=int, default=None, metavar="T",
                   help="threads for the scoring kernel (default: its own choice)")
    p.add_argument("--rounds", type=int, default=5, help=argparse.SUPPRESS)
    p.set_defaults(run=_bench)

    p = commands.add_parser(
        "demo", help="fit the worked example, convert, save, load and compare with scikit-learn")
    p.set_defaults(run=_demo)
    return parser


def _printable(text):
    """text with every character a terminal could act on instead of show written as a
    Python escape (\\x1b, \\x9b, \\u202e, \\u2028...): the C0 and C1 controls, DEL,
    format characters such as the bidirectional overrides, line and paragraph separators,
    and all else str.isprintable() refuses. A model file or an input may hold any of them
    (JSON strings are any Unicode), and must not clear the screen, set the terminal's
    title, reorder a line or forge one."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c):
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _one_line(exc):
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv=None):
    """Entry point of the console script; returns the exit code."""
    from fastscore import ModelFormatError, tabular

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _terminating_signals_raise():
            code = args.run(args)
            sys.stdout.flush()  # now, so that a reader gone early (`fastscore info m.json | head -1`) is caught here
        return code
    except BrokenPipeError:
        # Nobody reads what is left: nothing to report, and Python's own flush at exit must not retry.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UsageError, ModelFormatError, tabular.InputError) as exc:
        print(f"fastscore: error: {_printable(_one_line(exc))}", file=sys.stderr)
    except KeyboardInterrupt:
        print("fastscore: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated as exc:
        with contextlib.suppress(OSError):  # after SIGHUP, the terminal may be gone
            print(f"fastscore: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return 128 + exc.signum
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
