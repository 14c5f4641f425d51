"""The pure-Python backend: a numpy mirror of the compiled kernel (_kernel.pyx).

Same class, same signatures, same checks (shared in _checks), same results
to rounding. Used when the extension is not built, or with FASTSCORE_PURE=1.
"""
import math
import operator

import numpy as np

from fastscore import _checks, _checks_columns, _checks_sparse
from fastscore._checks import BINARY_PROBA, MATRIX
from fastscore.links import BY_NAME, LINKS


class Kernel:
    """Scores z = (X - center) @ coef.T + intercept (+ table rows), then a link (fastscore._backend.Kernel)."""

    #: the backend's name
    name = "pure"

    def __init__(self, coef, intercept, center=None, *, fill=None, tables=()):
        self.coef, self.intercept, self.center, self.fill, self.tables = _checks_columns.kernel_params(
            coef, intercept, center, fill, tables)
        self.n_outputs, self.n_features = self.coef.shape
        self._coef_t = self.coef.T
        self._fill = _checks_columns.active_fill(self.fill)
        # score_one works on plain floats: no array machinery per request.
        # Its scalar path is for one output and no tables: one test of _scalar_ok decides both.
        self._scalar_ok = self.n_outputs == 1 and not self.tables
        self._w = self.coef[0].tolist()
        self._b = float(self.intercept[0])
        self._c = None if center is None else self.center.tolist()
        self._f = None if self._fill is None else self._fill.tolist()

    def score(self, X, link, out=None, *, layout=MATRIX, n_threads=0, convert=None):
        """link(z) for every row of X, in `layout`, into out (or a new array); returns it.

        See fastscore._backend.Kernel.score. The mirror has one path (convert,
        when given, is always called) and leaves threading to numpy's BLAS:
        n_threads is accepted for the contract's sake.
        """
        if convert is not None:
            X = convert(X)
        if self.tables:
            raise _checks_columns.has_tables(len(self.tables))
        shape = _checks.kernel_args(X, link, out, layout, self.n_features, self.n_outputs)
        if out is None:
            out = np.empty(shape)
        n = X.shape[0]
        if n == 0:
            return out
        # A subclass (a masked array, np.matrix) is read and written through its
        # own memory, as the compiled kernel does, never through its own rules.
        X = np.ndarray.view(X, np.ndarray)
        dst = np.ndarray.view(out, np.ndarray)
        if self._fill is not None:
            missing = np.isnan(X)
            if missing.any():
                X = np.where(missing, self._fill, X)  # float64, as the C kernel widens float32
        if layout == BINARY_PROBA:
            p = np.empty((n, 1))
            self._score_into(X, link, p)
            dst[:, 1] = p[:, 0]
            np.subtract(1.0, p[:, 0], out=dst[:, 0])
        else:
            self._score_into(X, link, dst.reshape(n, self.n_outputs))  # a view: never a copy
        return out

    def score_columns(self, columns, link, out=None, *, layout=MATRIX, n_threads=0, codes=()):
        """link(z) for every row of the columns (and codes), in `layout`, into out (or a new array); returns it.

        See fastscore._backend.Kernel.score_columns. z is summed as the C
        kernel sums it: the intercept, the columns' terms left to right, then
        each table's row in table order. n_threads is accepted for the
        contract's sake.
        """
        args = _checks_columns.columns_args(columns, codes, link, out, layout, self.n_features,
                                            self.n_outputs, len(self.tables))
        n_threads = _checks.thread_count(n_threads)
        if out is None:
            out = np.empty(args.shape)
        if args.n == 0:
            return out
        dst = np.ndarray.view(out, np.ndarray)  # a subclass's own memory, as in score()
        if layout == BINARY_PROBA:
            Z = np.empty((args.n, 1))
        else:
            Z = dst.reshape(args.n, self.n_outputs)  # a view: never a copy
        self._columns_z(args, Z)
        LINKS[link].apply(Z)
        if layout == BINARY_PROBA:
            dst[:, 1] = Z[:, 0]
            np.subtract(1.0, Z[:, 0], out=dst[:, 0])
        return out

    def _columns_z(self, args, Z):
        """Z (n, k) = z of the checked columns and codes; the first bad row raises, naming its column or table."""
        fill = self.fill
        Z[...] = self.intercept
        with np.errstate(over="ignore", invalid="ignore"):
            for i, x in enumerate(args.columns):
                v = x.astype(np.float64)
                if fill is not None and fill[i] == fill[i]:
                    np.copyto(v, fill[i], where=np.isnan(v))
                if self.center is not None:
                    v -= self.center[i]
                Z += v[:, None] * self.coef[:, i]
            finite = np.isfinite(Z.sum())
        bad = (args.n, 0)  # (row, 0 for a column or 1 for a table): the first problem sorts first
        if not finite:
            rows = np.flatnonzero(~np.isfinite(Z).all(axis=1))
            first = self._first_nonfinite(args.columns, rows)
            if first is not None:
                bad = first
        for j, (c, table) in enumerate(zip(args.codes, self.tables)):
            out_of_range = (c < 0) | (c >= table.shape[0])
            if out_of_range.any():
                r = int(np.argmax(out_of_range))
                if (r, 1) < bad[:2]:
                    bad = (r, 1, j)
        if bad[0] < args.n:
            r = bad[0]
            if bad[1] == 0:
                raise _checks_columns.nonfinite_cell(r, bad[2])
            j = bad[2]
            raise _checks_columns.bad_code(int(args.given_codes[j][r]), j, r, self.tables[j].shape[0])
        for c, table in zip(args.codes, self.tables):
            with np.errstate(over="ignore", invalid="ignore"):
                Z += table[c]

    def _first_nonfinite(self, columns, rows):
        """(row, 0, column) of the first of `rows` holding NaN (unfilled) or infinity, or None."""
        fill = self.fill
        bad = np.zeros(rows.shape[0], dtype=bool)
        for i, x in enumerate(columns):
            v = x[rows].astype(np.float64)
            if fill is not None and fill[i] == fill[i]:
                np.copyto(v, fill[i], where=np.isnan(v))
            bad |= ~np.isfinite(v)
        if not bad.any():
            return None  # finite values whose z overflowed: not an error
        r = int(rows[np.argmax(bad)])
        for i, x in enumerate(columns):
            v = float(x[r])
            if v != v and fill is not None and fill[i] == fill[i]:
                v = float(fill[i])
            if not np.isfinite(v):
                return (r, 0, i)
        raise AssertionError("unreachable: a bad row has a bad column")

    def _score_into(self, X, link, Z):
        """Z (n, k) = link(z) for the n rows of X."""
        # Like the C kernel, NaN and infinity are reported as errors below,
        # not as numpy warnings on the way there.
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(X if self.center is None else X - self.center, self._coef_t, out=Z)
            Z += self.intercept
            # One reduction answers "all finite?" without a boolean temporary;
            # only when it fails (or overflows) are the rows examined.
            finite = np.isfinite(Z.sum())
        if not finite:
            for r in np.flatnonzero(~np.isfinite(Z).all(axis=1)):
                if not np.isfinite(X[r]).all():
                    raise _checks.nonfinite_row(int(r))
                self._resum(X[r], Z[r])
        LINKS[link].apply(Z)

    def _resum(self, x, z):
        """z's NaN or infinite values for a finite row x, summed again as the C kernel does.

        Left to right with each product rounded on its own, as score_one sums
        a list: BLAS may fuse a multiply-add, and an exact product added to
        +inf stays +inf where its rounded -inf gives NaN. Python floats neither
        fuse nor warn.
        """
        terms = x.tolist() if self._c is None else list(map(operator.sub, x.tolist(), self._c))
        for j in np.flatnonzero(~np.isfinite(z)):
            z[j] = sum(map(operator.mul, self.coef[j].tolist(), terms)) + float(self.intercept[j])

    def score_sparse(self, data, indices, indptr, n_rows, link, out=None, *, layout=MATRIX, n_threads=0,
                     csc=False):
        """link(z) for every row of a sparse X (CSR, or CSC with csc=True), in `layout`, into out (or a new array).

        See fastscore._backend.Kernel.score_sparse. Each output's z is one
        np.bincount over the entries in stored order, which sums its weights
        one by one from 0 as the C kernel does; the intercept is added last.
        The mirror makes temporaries of X's size (its entries' rows and
        products). n_threads is accepted for the contract's sake.
        """
        shape = _checks_sparse.sparse_args(data, indices, indptr, n_rows, link, out, layout, self.n_features,
                                           self.n_outputs, csc)
        _checks_sparse.check_kernel(self.center, self._fill, len(self.tables))
        _checks.thread_count(n_threads)
        if out is None:
            out = np.empty(shape)
        n = shape[0]
        if n == 0 and not csc:
            return out
        rows, cols, values = self._sparse_entries(data, indices, indptr, n, csc)
        dst = np.ndarray.view(out, np.ndarray)  # a subclass's own memory, as in score()
        Z = np.empty((n, 1)) if layout == BINARY_PROBA else dst.reshape(n, self.n_outputs)
        with np.errstate(over="ignore", invalid="ignore"):
            for o in range(self.n_outputs):
                Z[:, o] = np.bincount(rows, weights=values * self.coef[o, cols], minlength=n)
                Z[:, o] += self.intercept[o]
        LINKS[link].apply(Z)
        if layout == BINARY_PROBA:
            dst[:, 1] = Z[:, 0]
            np.subtract(1.0, Z[:, 0], out=dst[:, 0])
        return out

    def _sparse_entries(self, data, indices, indptr, n_rows, csc):
        """(rows, columns, values as float64) of every entry in stored order, after the C kernel's checks:
        the first problem it would report raises the same error."""
        p = indptr.astype(np.int64)
        n_major, nnz = p.shape[0] - 1, data.shape[0]
        n_minor = n_rows if csc else self.n_features
        span_bad = (p[:-1] < 0) | (p[1:] < p[:-1]) | (p[1:] > nnz)
        first_span = int(np.argmax(span_bad)) if span_bad.any() else n_major
        lo, hi = (int(p[0]), int(p[first_span])) if first_span > 0 else (0, 0)
        index = indices[lo:hi].astype(np.int64)
        values = data[lo:hi].astype(np.float64)
        major = np.repeat(np.arange(first_span), np.diff(p[:first_span + 1]))
        index_bad = (index < 0) | (index >= n_minor)
        nonfinite = ~np.isfinite(values)
        e_index = int(np.argmax(index_bad)) if index_bad.any() else None
        e_value = int(np.argmax(nonfinite)) if nonfinite.any() else None
        if csc:  # structure by column first, then the first row holding a bad value
            if e_index is not None:
                raise _checks_sparse.bad_index(int(index[e_index]), int(major[e_index]), True, n_minor)
            if first_span < n_major:
                raise _checks_sparse.bad_indptr(first_span, True)
            if e_value is not None:
                row = int(index[nonfinite].min())
                raise _checks_columns.nonfinite_cell(row, int(major[nonfinite & (index == row)].min()))
            return index, major, values
        # CSR: the first row with any problem; within it, an index before a value
        if e_index is not None and (e_value is None or major[e_index] <= major[e_value]):
            raise _checks_sparse.bad_index(int(index[e_index]), int(major[e_index]), False, n_minor)
        if e_value is not None:
            row = int(major[e_value])
            raise _checks_columns.nonfinite_cell(row, int(index[nonfinite & (major == row)].min()))
        if first_span < n_major:
            raise _checks_sparse.bad_indptr(first_span, False)
        return major, index, values

    def score_one(self, row, link):
        """Score one row: a float for a single output, else a tuple of k floats."""
        if self._scalar_ok and link in _SCALAR and isinstance(row, (list, tuple)):
            if len(row) != self.n_features:
                _checks.check_row_length(len(row), self.n_features)
            try:
                terms = row if self._c is None else map(operator.sub, row, self._c)
                z = sum(map(operator.mul, self._w, terms)) + self._b
            except Exception:
                z = None
            if type(z) is not float:  # a str, a Decimal, numpy scalars: take the slow, exact road
                x = _checks.row_floats(row, self.n_features)
                terms = x if self._c is None else map(operator.sub, x, self._c)
                z = sum(map(operator.mul, self._w, terms)) + self._b
            if z - z != 0.0:  # NaN or infinity, without a call to math.isfinite
                x = self._filled_floats(_checks.row_floats(row, self.n_features))
                terms = x if self._c is None else map(operator.sub, x, self._c)
                z = sum(map(operator.mul, self._w, terms)) + self._b
                if z - z != 0.0:
                    _checks.check_finite_row(np.array(x))
            if link == _LOGISTIC:  # the logistic's scalar form, inlined (a call costs 4%): the latency path
                try:
                    return 1.0 / (1.0 + math.exp(-z))
                except OverflowError:
                    return 0.0
            return _SCALAR[link](z)
        _checks.check_link(link)
        return self._score_one_array(row, link)

    def _filled_floats(self, x):
        """A row of floats with each NaN replaced by its column's fill (a NaN fill leaves it NaN)."""
        if self._f is None:
            return x
        return [f if v != v else v for v, f in zip(x, self._f)]

    def _score_one_array(self, row, link):
        if self.tables:
            raise _checks_columns.has_tables(len(self.tables))
        if isinstance(row, (list, tuple)):
            x = np.array(_checks.row_floats(row, self.n_features))
        else:
            x = _checks.as_row(row, self.n_features)
        if self._fill is not None:
            x = np.where(np.isnan(x), self._fill, x)
        _checks.check_finite_row(x)
        out = self.score(x.reshape(1, -1), link)
        return float(out[0, 0]) if self.n_outputs == 1 else tuple(out[0].tolist())


# Links of a single output that plain floats compute as the C kernel does: code -> function.
_SCALAR = {link.code: link.scalar for link in LINKS if link.scalar is not None}
_LOGISTIC = BY_NAME["logistic"].code
