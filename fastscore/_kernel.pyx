# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The compiled backend: a thin wrapper over csrc/fastscore.c.

It mirrors fastscore._pure exactly: the same Kernel class, the same checks
(fastscore._checks, called before any pointer is taken), the same errors. The
typed memoryviews below hold the buffers for the duration of each call and
the GIL is released around the kernel. Kernel.fast_score is the latency
path for arrays already in the kernel's layout: it reads them through
numpy's C API, without a memoryview or a Python-level check.
"""
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_AsDouble
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.ref cimport PyObject
from libc.math cimport exp, isfinite
cimport numpy as cnp

import numpy as np

cnp.import_array()

from fastscore import _checks

cdef extern from "fastscore.h" nogil:
    ctypedef enum fs_link:
        FS_LINK_IDENTITY
        FS_LINK_LOGISTIC
        FS_LINK_EXP
        FS_LINK_COUNT
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
    fs_status fs_score_binary_f64(const fs_model *m, const double *X, size_t n_rows,
                                  fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_binary_f32(const fs_model *m, const float *X, size_t n_rows,
                                  fs_link link, double *out, size_t *bad_row, int n_threads)
    const char *fs_isa()
    int fs_select_isa(const char *name)
    int fs_isa_available(const char *name)
    int fs_isa_count()
    const char *fs_isa_name(int i)
    int fs_max_threads()
    enum:
        FS_BLOCK_ROWS
        FS_PARALLEL_MIN

#: Rows per block for a single output (max(1, BLOCK_ROWS // k) for k outputs).
BLOCK_ROWS = FS_BLOCK_ROWS
#: Below this many values of X, n_threads=0 scores on the calling thread.
PARALLEL_MIN = FS_PARALLEL_MIN
#: The kernel's link codes are 0 to LINK_COUNT - 1 (csrc/fastscore.h's fs_link; fastscore.links.LINKS).
LINK_COUNT = FS_LINK_COUNT
#: Every instruction set of this build, widest first, named by csrc/fastscore.c
#: (available_isas() says which this CPU runs).
ISAS = tuple(fs_isa_name(i).decode() for i in range(fs_isa_count()))


def isa():
    """The instruction set the kernel runs on: one of ISAS.

    The widest the CPU supports, unless FASTSCORE_ISA (read at import) names
    another available one.
    """
    return fs_isa().decode()


def available_isas():
    """The instruction sets this CPU and build can run, widest first."""
    return [name for name in ISAS if fs_isa_available(name.encode())]


def select_isa(name):
    """Switch every kernel in the process to instruction set `name` (for tests and benchmarks)."""
    if not fs_select_isa(str(name).encode()):
        raise ValueError(f"instruction set {name!r} is not available here; available: {available_isas()}")


def max_threads():
    """The threads n_threads=0 uses on a large input (FASTSCORE_NUM_THREADS, else OpenMP's default; 1 without OpenMP)."""
    return fs_max_threads()


fs_isa()  # choose the instruction set now, before any thread can race for it

# Rows up to this many features are scored from a stack buffer in score_one.
# Below NOGIL_MIN values of X, releasing and retaking the GIL would cost more
# than the arithmetic it lets other threads overlap with.
cdef enum:
    STACK_ROW = 64
    NOGIL_MIN = 4096

# fast_score's result shapes (fastscore.model picks one).
cdef enum:
    SHAPE_FLAT = 0
    SHAPE_MATRIX = 1
    SHAPE_BINARY_PROBA = 2
FLAT, MATRIX, BINARY_PROBA = SHAPE_FLAT, SHAPE_MATRIX, SHAPE_BINARY_PROBA


cdef inline fs_status _call(const fs_model *m, const void *X, bint f64, bint pairs, size_t n, fs_link link,
                            double *out, size_t *bad, int n_threads) noexcept nogil:
    if pairs:
        if f64:
            return fs_score_binary_f64(m, <const double *>X, n, link, out, bad, n_threads)
        return fs_score_binary_f32(m, <const float *>X, n, link, out, bad, n_threads)
    if f64:
        return fs_score_f64(m, <const double *>X, n, link, out, bad, n_threads)
    return fs_score_f32(m, <const float *>X, n, link, out, bad, n_threads)


ctypedef fused floating:
    float
    double


# The shapes that the kernel relies on are checked once more here, on the
# buffers themselves: a subclass's shape or flags attributes may lie.
cdef fs_status _score(const fs_model *m, const floating[:, ::1] X, fs_link link,
                      double *out, size_t out_size, size_t *bad, int n_threads) noexcept:
    cdef size_t n = X.shape[0]
    if <size_t>X.shape[1] != m.n_features or n * m.n_outputs != out_size:
        return FS_BAD_ARGUMENT
    if n == 0:
        return FS_OK
    with nogil:
        return _call(m, &X[0, 0], floating is double, False, n, link, out, bad, n_threads)


cdef inline double _dot_left_to_right(const fs_model *m, const double *x) noexcept nogil:
    """One row's z, summed in the order of the mirror's sum(map(mul, w, x)) + b."""
    cdef double s = 0.0
    cdef size_t i
    if m.center == NULL:
        for i in range(m.n_features):
            s += m.coef[i] * x[i]
    else:
        for i in range(m.n_features):
            s += m.coef[i] * (x[i] - m.center[i])
    return s + m.intercept[0]


cdef double *_out_ptr(cnp.ndarray out) except NULL:
    """out's own memory, its layout checked from C (not through a subclass's reshape or flags)."""
    if (cnp.PyArray_TYPE(out) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(out)
            or not cnp.PyArray_ISCARRAY(out)):
        raise ValueError("out must be a C-contiguous, aligned, writeable float64 array")
    return <double *>cnp.PyArray_DATA(out)


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
        cdef size_t size = cnp.PyArray_SIZE(<cnp.ndarray>out)
        if X.dtype == np.float64:
            status = _score[double](&self.m, X, <fs_link>link, dst, size, &bad, n_threads)
        else:
            status = _score[float](&self.m, X, <fs_link>link, dst, size, &bad, n_threads)
        if status == FS_NONFINITE:
            raise _checks.nonfinite_row(bad)
        if status != FS_OK:
            raise ValueError(f"kernel rejected its arguments (status {status})")
        return out

    def fast_score(self, X, int link, int shape, int n_threads=0):
        """Score an array already in the kernel's layout, or return None.

        X qualifies when it is exactly a numpy.ndarray, 2-D, native float64 or
        float32, C-contiguous and aligned, with n_features columns and at
        least one row; anything else returns None, and the caller takes the
        general path (which accepts, converts or refuses it). shape: FLAT
        gives (n,), MATRIX (n, k), BINARY_PROBA (n, 2) with columns 1 - p, p.
        """
        cdef cnp.ndarray A, out
        cdef cnp.npy_intp dims[2]
        cdef int kind, flags = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
        cdef size_t n, bad = 0
        cdef fs_status status
        cdef double *dst
        cdef void *src
        cdef bint pairs
        if type(X) is not cnp.ndarray or link < 0 or link >= FS_LINK_COUNT:
            return None
        A = <cnp.ndarray>X
        if cnp.PyArray_NDIM(A) != 2 or (cnp.PyArray_FLAGS(A) & flags) != flags:
            return None
        kind = cnp.PyArray_TYPE(A)
        if (kind != cnp.NPY_DOUBLE and kind != cnp.NPY_FLOAT) or not cnp.PyArray_ISNOTSWAPPED(A):
            return None
        dims[0] = cnp.PyArray_DIM(A, 0)
        if dims[0] == 0 or cnp.PyArray_DIM(A, 1) != self.n_features:
            return None
        if shape < SHAPE_FLAT or shape > SHAPE_BINARY_PROBA or (shape != SHAPE_MATRIX and self.n_outputs != 1):
            return None  # FLAT and BINARY_PROBA hold one output per row: k of them would overrun out
        dims[1] = 2 if shape == SHAPE_BINARY_PROBA else self.n_outputs
        out = cnp.PyArray_EMPTY(1 if shape == SHAPE_FLAT else 2, dims, cnp.NPY_DOUBLE, 0)
        n = dims[0]
        dst = <double *>cnp.PyArray_DATA(out)
        src = cnp.PyArray_DATA(A)
        pairs = shape == SHAPE_BINARY_PROBA
        if n * (self.n_features + self.n_outputs) < NOGIL_MIN:
            status = _call(&self.m, src, kind == cnp.NPY_DOUBLE, pairs, n, <fs_link>link, dst, &bad, n_threads)
        else:
            with nogil:
                status = _call(&self.m, src, kind == cnp.NPY_DOUBLE, pairs, n, <fs_link>link, dst, &bad,
                               n_threads)
        if status == FS_NONFINITE:
            raise _checks.nonfinite_row(bad)
        if status != FS_OK:
            raise ValueError(f"kernel rejected its arguments (status {status})")
        return out

    def score_one(self, row, int link):
        """Score one row: a float for a single output, else a tuple of k floats.

        A list or tuple row of a single-output model with the identity,
        logistic or exp link is summed left to right and linked with libm's
        exp, exactly as the mirror does with floats and math.exp: the two
        backends agree to the bit on it.
        """
        cdef double stack_row[STACK_ROW]
        cdef double stack_out[STACK_ROW]
        cdef double z
        cdef double *x = stack_row
        cdef double *out = stack_out
        cdef Py_ssize_t i, d = self.n_features, k = self.n_outputs
        cdef size_t bad
        cdef bint is_list = type(row) is list
        if not (is_list or type(row) is tuple):
            return self._score_one_array(row, link)
        if link < 0 or link >= FS_LINK_COUNT:
            _checks.check_link(link)
        if len(row) != d:
            _checks.check_row_length(len(row), d)
        if d > STACK_ROW:
            x = <double *>PyMem_Malloc(d * sizeof(double))
            if x == NULL:
                raise MemoryError()
        if k > STACK_ROW:
            out = <double *>PyMem_Malloc(k * sizeof(double))
            if out == NULL:
                if x != stack_row:
                    PyMem_Free(x)
                raise MemoryError()
        try:
            for i in range(d):
                # Python code may have shrunk the list since the last read: an
                # item's __float__, or a finaliser run when `item` lets go of
                # the previous one (after that item's own check).
                if is_list and PyList_GET_SIZE(row) != d:
                    _checks.check_row_length(PyList_GET_SIZE(row), d)
                item = <object>(PyList_GET_ITEM(row, i) if is_list else PyTuple_GET_ITEM(row, i))
                if type(item) is float:
                    x[i] = PyFloat_AS_DOUBLE(item)
                    continue
                if isinstance(item, (str, bytes, bytearray)):
                    _checks.row_floats(row, d)  # raises the shared error
                try:
                    x[i] = PyFloat_AsDouble(item)
                except Exception:
                    _checks.row_floats(row, d)
                    raise
            if is_list and PyList_GET_SIZE(row) != d:  # the same answer as the mirror's
                _checks.check_row_length(PyList_GET_SIZE(row), d)
            if k != 1 or (link != FS_LINK_IDENTITY and link != FS_LINK_LOGISTIC and link != FS_LINK_EXP):
                if fs_score_f64(&self.m, x, 1, <fs_link>link, out, &bad, 1) == FS_NONFINITE:
                    _checks.check_finite_row(np.asarray(<double[:d]>x))
                if k == 1:
                    return out[0]
                return tuple([out[i] for i in range(k)])
            z = _dot_left_to_right(&self.m, x)
            if not isfinite(z):
                for i in range(d):
                    if not isfinite(x[i]):
                        raise _checks.nonfinite_feature(i)
            if link == FS_LINK_LOGISTIC:
                return 1.0 / (1.0 + exp(-z))
            if link == FS_LINK_EXP:
                return exp(z)
            return z
        finally:
            if x != stack_row:
                PyMem_Free(x)
            if out != stack_out:
                PyMem_Free(out)

    def _score_one_array(self, row, int link):
        if isinstance(row, (list, tuple)):
            x = np.array(_checks.row_floats(row, self.n_features))
        else:
            x = _checks.as_row(row, self.n_features)
        _checks.check_finite_row(x)
        out = np.empty(self.n_outputs)
        self.score(x.reshape(1, -1), link, out)
        return float(out[0]) if self.n_outputs == 1 else tuple(out.tolist())
