# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The compiled backend: a thin wrapper over csrc/fastscore.c.

It mirrors fastscore._pure exactly: the same Kernel class, the same checks
(fastscore._checks, called before any pointer is taken), the same errors. The
typed memoryviews below hold the buffers for the duration of each call and
the GIL is released around the kernel.
"""
from cpython.float cimport PyFloat_AsDouble
from cpython.list cimport PyList_GET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.ref cimport PyObject
from libc.math cimport isfinite

import numpy as np

from fastscore import _checks

cdef extern from "fastscore.h" nogil:
    ctypedef enum fs_link:
        pass
    ctypedef enum fs_status:
        FS_OK
        FS_NONFINITE
        FS_BAD_ARGUMENT
    ctypedef struct fs_model:
        size_t n_features
        size_t n_outputs
        const double *coef
        const double *intercept
        const double *center
    fs_status fs_score_f64(const fs_model *m, const double *X, size_t n_rows,
                           fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_f32(const fs_model *m, const float *X, size_t n_rows,
                           fs_link link, double *out, size_t *bad_row, int n_threads)

# Rows up to this many features are scored from a stack buffer in score_one.
cdef enum:
    STACK_ROW = 64


cdef fs_status _score_f64(const fs_model *m, const double[:, ::1] X, fs_link link,
                          double *out, size_t *bad, int n_threads) noexcept:
    cdef size_t n = X.shape[0]
    with nogil:
        return fs_score_f64(m, &X[0, 0], n, link, out, bad, n_threads)


cdef fs_status _score_f32(const fs_model *m, const float[:, ::1] X, fs_link link,
                          double *out, size_t *bad, int n_threads) noexcept:
    cdef size_t n = X.shape[0]
    with nogil:
        return fs_score_f32(m, &X[0, 0], n, link, out, bad, n_threads)


cdef double *_out_ptr(out) except NULL:
    cdef double[::1] flat = out.reshape(-1)
    return &flat[0]


cdef class Kernel:
    """Scores z = (X - center) @ coef.T + intercept, then a link."""

    cdef fs_model m
    cdef readonly object coef, intercept, center
    cdef readonly Py_ssize_t n_outputs, n_features

    def __cinit__(self, coef, intercept, center=None):
        self.coef, self.intercept, self.center = _checks.kernel_params(coef, intercept, center)
        cdef const double[:, ::1] c = self.coef
        cdef const double[::1] b = self.intercept
        cdef const double[::1] mu
        self.n_outputs = c.shape[0]
        self.n_features = c.shape[1]
        self.m.n_outputs = c.shape[0]
        self.m.n_features = c.shape[1]
        # The arrays are owned by self and read-only, so the pointers stay valid.
        self.m.coef = &c[0, 0]
        self.m.intercept = &b[0]
        self.m.center = NULL
        if self.center is not None:
            mu = self.center
            self.m.center = &mu[0]

    def score(self, X, int link, out, int n_threads=0):
        """Write link(z) for every row of X into out and return out.

        n_threads: the most threads the kernel may use (0: its default).
        """
        _checks.kernel_args(X, link, out, self.n_features, self.n_outputs)
        if X.shape[0] == 0:
            return out
        cdef size_t bad = 0
        cdef double *dst = _out_ptr(out)
        cdef fs_status status
        if X.dtype == np.float64:
            status = _score_f64(&self.m, X, <fs_link>link, dst, &bad, n_threads)
        else:
            status = _score_f32(&self.m, X, <fs_link>link, dst, &bad, n_threads)
        if status == FS_NONFINITE:
            raise _checks.nonfinite_row(bad)
        if status != FS_OK:
            raise ValueError(f"kernel rejected its arguments (status {status})")
        return out

    def score_one(self, row, int link):
        """Score one row: a float for a single output, else a tuple of k floats."""
        cdef double stack_row[STACK_ROW]
        cdef double z
        cdef double *x = stack_row
        cdef Py_ssize_t i, d = self.n_features
        cdef size_t bad
        cdef bint is_list = type(row) is list
        if self.n_outputs != 1 or not (is_list or type(row) is tuple):
            return self._score_one_array(row, link)
        _checks.check_link(link)
        _checks.check_row_length(len(row), d)
        if d > STACK_ROW:
            x = <double *>PyMem_Malloc(d * sizeof(double))
            if x == NULL:
                raise MemoryError()
        try:
            for i in range(d):
                item = <object>(PyList_GET_ITEM(row, i) if is_list else PyTuple_GET_ITEM(row, i))
                if isinstance(item, (str, bytes, bytearray)):
                    _checks.row_floats(row, d)  # raises the shared error
                try:
                    x[i] = PyFloat_AsDouble(item)
                except Exception:
                    _checks.row_floats(row, d)
                    raise
            if fs_score_f64(&self.m, x, 1, <fs_link>link, &z, &bad, 1) == FS_NONFINITE:
                _checks.check_finite_row(np.asarray(<double[:d]>x))
            return z
        finally:
            if x != stack_row:
                PyMem_Free(x)

    def _score_one_array(self, row, int link):
        if isinstance(row, (list, tuple)):
            x = np.array(_checks.row_floats(row, self.n_features))
        else:
            x = _checks.as_row(row, self.n_features)
        _checks.check_finite_row(x)
        out = np.empty(self.n_outputs)
        self.score(x.reshape(1, -1), link, out)
        return float(out[0]) if self.n_outputs == 1 else tuple(out.tolist())
