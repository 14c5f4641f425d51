# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The compiled backend: a thin wrapper over csrc/fastscore.c (and csrc/murmur3.c, the feature hashing of text).

It mirrors fastscore._pure exactly: the same Kernel class (the contract is
fastscore._backend.Kernel), the same checks (fastscore._checks and
fastscore._checks_columns, called before any pointer is taken), the same
errors. Kernel.score's fast path takes arrays already in the kernel's layout
through numpy's C API, without a memoryview or a Python-level check; its
checked path holds the buffers in typed memoryviews for the duration of the
call, and score_columns holds its arrays in a list while C reads them. Every path releases the GIL around a kernel
call on at least NOGIL_MIN values, and only there.
"""
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_AsDouble
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.ref cimport PyObject
from libc.math cimport exp, isfinite
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int32_t, int64_t, uint32_t
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
cimport numpy as cnp

import numpy as np

cnp.import_array()

from fastscore import _checks, _checks_columns, _checks_sparse
from fastscore._checks import BINARY_PROBA, FLAT, MATRIX

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
        FS_BAD_CODE
        FS_BAD_INDPTR
        FS_BAD_INDEX
    ctypedef struct fs_sparse:
        int csc
        int f32
        int idx64
        size_t n_rows
        size_t nnz
        const void *data
        const void *indices
        const void *indptr
    ctypedef struct fs_model:
        size_t n_features
        size_t n_outputs
        const double *coef
        const double *intercept
        const double *center
        const double *fill
        size_t n_tables
        const size_t *table_rows
        const double *const *tables
    fs_status fs_score_f64(const fs_model *m, const double *X, size_t n_rows,
                           fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_f32(const fs_model *m, const float *X, size_t n_rows,
                           fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_binary_f64(const fs_model *m, const double *X, size_t n_rows,
                                  fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_binary_f32(const fs_model *m, const float *X, size_t n_rows,
                                  fs_link link, double *out, size_t *bad_row, int n_threads)
    fs_status fs_score_columns_f64(const fs_model *m, const double *const *cols, const ptrdiff_t *strides,
                                   const int32_t *const *codes, const ptrdiff_t *code_strides,
                                   size_t n_rows, fs_link link, double *out, int pairs,
                                   size_t *bad_row, size_t *bad_col, int n_threads)
    fs_status fs_score_columns_f32(const fs_model *m, const float *const *cols, const ptrdiff_t *strides,
                                   const int32_t *const *codes, const ptrdiff_t *code_strides,
                                   size_t n_rows, fs_link link, double *out, int pairs,
                                   size_t *bad_row, size_t *bad_col, int n_threads)
    fs_status fs_score_sparse(const fs_model *m, const fs_sparse *X, fs_link link, double *out, int pairs,
                              size_t *bad_row, size_t *bad_col, int n_threads)
    const char *fs_isa()
    int fs_select_isa(const char *name)
    int fs_isa_available(const char *name)
    int fs_isa_count()
    const char *fs_isa_name(int i)
    int fs_max_threads()
    enum:
        FS_BLOCK_ROWS
        FS_PARALLEL_MIN

cdef extern from "murmur3.h" nogil:
    int32_t fs_murmur3_32(const void *key, size_t len, uint32_t seed)
    uint32_t fs_hash_column(int32_t h, uint32_t n_features)

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
# The GIL is released around a kernel call on at least NOGIL_MIN values
# (n x (d + k)), and kept below: there, releasing and retaking it would cost
# more than the arithmetic it lets other threads overlap with.
cdef enum:
    STACK_ROW = 64
    NOGIL_MIN = 4096

# Kernel.score's result layouts (fastscore._checks defines them), as C ints for cheap comparisons.
cdef int L_FLAT = FLAT, L_MATRIX = MATRIX, L_BINARY_PROBA = BINARY_PROBA


cdef inline fs_status _kernel(const fs_model *m, const void *X, bint f64, bint pairs, size_t n, fs_link link,
                              double *out, size_t *bad, int n_threads) noexcept nogil:
    if pairs:
        if f64:
            return fs_score_binary_f64(m, <const double *>X, n, link, out, bad, n_threads)
        return fs_score_binary_f32(m, <const float *>X, n, link, out, bad, n_threads)
    if f64:
        return fs_score_f64(m, <const double *>X, n, link, out, bad, n_threads)
    return fs_score_f32(m, <const float *>X, n, link, out, bad, n_threads)


# Not inline: a function holding a `with nogil` block pays for thread-state
# bookkeeping on every call, which score_one's scalar path must not.
cdef fs_status _call(const fs_model *m, const void *X, bint f64, bint pairs, size_t n, fs_link link,
                     double *out, size_t *bad, int n_threads) noexcept:
    """The kernel, on n rows, with the GIL released on at least NOGIL_MIN values (every path calls this)."""
    if n * (m.n_features + m.n_outputs) < NOGIL_MIN:
        return _kernel(m, X, f64, pairs, n, link, out, bad, n_threads)
    with nogil:
        return _kernel(m, X, f64, pairs, n, link, out, bad, n_threads)


cdef int _check_status(fs_status status, size_t bad) except -1:
    if status == FS_NONFINITE:
        raise _checks.nonfinite_row(bad)
    if status != FS_OK:
        raise ValueError(f"kernel rejected its arguments (status {status})")
    return 0


ctypedef fused floating:
    float
    double


# The shapes that the kernel relies on are checked once more here, on the
# buffers themselves: a subclass's shape or flags attributes may lie. The
# memoryview holds X's buffer until the kernel returns.
cdef int _score(const fs_model *m, const floating[:, ::1] X, fs_link link, bint pairs,
                double *out, size_t out_size, int n_threads) except -1:
    cdef size_t n = X.shape[0], bad = 0
    if <size_t>X.shape[1] != m.n_features or n * (2 if pairs else m.n_outputs) != out_size:
        return _check_status(FS_BAD_ARGUMENT, 0)
    if n == 0:
        return 0
    cdef fs_status status = _call(m, &X[0, 0], floating is double, pairs, n, link, out, &bad, n_threads)
    return _check_status(status, bad)


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


cdef extern from *:
    """
    /* A product rounded to float64 on its own: reading it back from a volatile
     * keeps a compiler from fusing it into a multiply-add with the sum. */
    static double fs_rounded_product(double a, double b)
    {
        volatile double t = a * b;
        return t;
    }
    """
    double fs_rounded_product(double a, double b) noexcept nogil


cdef double _sum_of_rounded_terms(const fs_model *m, const double *x) noexcept nogil:
    """An overflowing z summed again as the C kernel sums one (each product rounded on its own)."""
    cdef double s = 0.0
    cdef size_t i
    for i in range(m.n_features):
        s += fs_rounded_product(m.coef[i], x[i] if m.center == NULL else x[i] - m.center[i])
    return s + m.intercept[0]


cdef double _dot_without_gil(const fs_model *m, const double *x) noexcept:
    """_dot_left_to_right on a row of at least NOGIL_MIN values, with the GIL released."""
    cdef double z
    with nogil:
        z = _dot_left_to_right(m, x)
    return z


cdef double *_out_ptr(cnp.ndarray out) except NULL:
    """out's own memory, its layout checked from C (not through a subclass's reshape or flags)."""
    if (cnp.PyArray_TYPE(out) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(out)
            or not cnp.PyArray_ISCARRAY(out)):
        raise ValueError("out must be a C-contiguous, aligned, writeable float64 array")
    return <double *>cnp.PyArray_DATA(out)


cdef inline double *_data(cnp.ndarray a) noexcept:
    """The memory of one of the kernel's own frozen float64 C-contiguous arrays (empty ones included)."""
    return <double *>cnp.PyArray_DATA(a)


cdef const void *_vector_ptr(cnp.ndarray a, int kind) except NULL:
    """A checked 1-D array's memory, its layout checked once more from C (not through a subclass's attributes)."""
    if (cnp.PyArray_NDIM(a) != 1 or cnp.PyArray_TYPE(a) != kind or not cnp.PyArray_ISNOTSWAPPED(a)
            or not cnp.PyArray_ISCARRAY_RO(a)):
        _check_status(FS_BAD_ARGUMENT, 0)
    return cnp.PyArray_DATA(a)


cdef const void *_column_ptr(cnp.ndarray a, size_t n, int kind, ptrdiff_t *stride) except NULL:
    """A checked column's first element and its stride in elements, its layout checked once more from C
    (not through a subclass's shape or strides attributes)."""
    cdef Py_ssize_t size = cnp.PyArray_ITEMSIZE(a)
    if (cnp.PyArray_NDIM(a) != 1 or <size_t>cnp.PyArray_DIM(a, 0) != n or cnp.PyArray_TYPE(a) != kind
            or not cnp.PyArray_ISNOTSWAPPED(a) or not cnp.PyArray_ISALIGNED(a)
            or cnp.PyArray_STRIDE(a, 0) % size != 0):
        _check_status(FS_BAD_ARGUMENT, 0)
    stride[0] = cnp.PyArray_STRIDE(a, 0) // size
    return cnp.PyArray_DATA(a)


cdef inline fs_status _columns_kernel(const fs_model *m, const void **cols, const ptrdiff_t *strides,
                                      const int32_t **codes, bint f32, bint pairs, size_t n, fs_link link,
                                      double *out, size_t *bad_row, size_t *bad_col, int n_threads) noexcept nogil:
    if f32:
        return fs_score_columns_f32(m, <const float *const *>cols, strides, codes, strides + m.n_features,
                                    n, link, out, pairs, bad_row, bad_col, n_threads)
    return fs_score_columns_f64(m, <const double *const *>cols, strides, codes, strides + m.n_features,
                                n, link, out, pairs, bad_row, bad_col, n_threads)


cdef class Kernel:
    """Scores z = (X - center) @ coef.T + intercept (+ table rows), then a link (fastscore._backend.Kernel)."""

    #: the backend's name
    name = "compiled"

    cdef fs_model m
    cdef readonly object coef, intercept, center, fill, tables
    cdef readonly Py_ssize_t n_outputs, n_features
    cdef size_t *_table_rows
    cdef const double **_table_data

    def __cinit__(self, coef, intercept, center=None, *, fill=None, tables=()):
        self.coef, self.intercept, self.center, self.fill, self.tables = _checks_columns.kernel_params(
            coef, intercept, center, fill, tables)
        cdef Py_ssize_t j, t = len(self.tables)
        self.n_outputs, self.n_features = self.coef.shape
        self.m.n_outputs = self.n_outputs
        self.m.n_features = self.n_features
        # The arrays are owned by self and read-only, so the pointers stay valid.
        self.m.coef = _data(self.coef)
        self.m.intercept = _data(self.intercept)
        self.m.center = NULL if self.center is None else _data(self.center)
        active = _checks_columns.active_fill(self.fill)
        self.m.fill = NULL if active is None else _data(active)  # NULL: the row kernel's own fast path
        self.m.n_tables = t
        self.m.table_rows = NULL
        self.m.tables = NULL
        if t > 0:
            self._table_rows = <size_t *>PyMem_Malloc(t * sizeof(size_t))
            self._table_data = <const double **>PyMem_Malloc(t * sizeof(double *))
            if self._table_rows == NULL or self._table_data == NULL:
                raise MemoryError()
            for j in range(t):
                self._table_rows[j] = self.tables[j].shape[0]
                self._table_data[j] = _data(self.tables[j])
            self.m.table_rows = self._table_rows
            self.m.tables = self._table_data

    def __dealloc__(self):
        PyMem_Free(self._table_rows)
        PyMem_Free(self._table_data)

    def score(self, X, int link, out=None, *, int layout=MATRIX, int n_threads=0, convert=None):
        """link(z) for every row of X, in `layout`, into out (or a new array); returns it.

        See fastscore._backend.Kernel.score. An X that is exactly a
        numpy.ndarray, 2-D, native float64 or float32, C-contiguous and
        aligned, with n_features columns and at least one row, scored into a
        new array, takes the fast path: read through numpy's C API, without
        a memoryview or a Python-level check (convert is not called: it
        would return X as it is). Everything else takes the checked path.
        """
        cdef cnp.ndarray A, result
        cdef cnp.npy_intp dims[2]
        cdef int kind, flags = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
        cdef size_t bad = 0
        cdef fs_status status
        if (out is None and type(X) is cnp.ndarray and link >= 0 and link < FS_LINK_COUNT and self.m.n_tables == 0
                and (layout == L_MATRIX or (self.n_outputs == 1 and (layout == L_FLAT or layout == L_BINARY_PROBA)))):
            A = <cnp.ndarray>X
            kind = cnp.PyArray_TYPE(A)
            dims[0] = cnp.PyArray_DIM(A, 0) if cnp.PyArray_NDIM(A) == 2 else 0
            if (dims[0] > 0 and (cnp.PyArray_FLAGS(A) & flags) == flags
                    and (kind == cnp.NPY_DOUBLE or kind == cnp.NPY_FLOAT) and cnp.PyArray_ISNOTSWAPPED(A)
                    and cnp.PyArray_DIM(A, 1) == self.n_features):
                dims[1] = 2 if layout == L_BINARY_PROBA else self.n_outputs
                result = cnp.PyArray_EMPTY(1 if layout == L_FLAT else 2, dims, cnp.NPY_DOUBLE, 0)
                status = _call(&self.m, cnp.PyArray_DATA(A), kind == cnp.NPY_DOUBLE, layout == L_BINARY_PROBA,
                               dims[0], <fs_link>link, <double *>cnp.PyArray_DATA(result), &bad, n_threads)
                _check_status(status, bad)  # reads bad after the call has set it
                return result
        return self._score_checked(X, link, out, layout, n_threads, convert)

    def _score_checked(self, X, int link, out, int layout, int n_threads, convert):
        if convert is not None:
            X = convert(X)
        if self.m.n_tables:
            raise _checks_columns.has_tables(self.m.n_tables)
        shape = _checks.kernel_args(X, link, out, layout, self.n_features, self.n_outputs)
        if out is None:
            out = np.empty(shape)
        if X.shape[0] == 0:
            return out
        cdef double *dst = _out_ptr(out)
        cdef size_t size = cnp.PyArray_SIZE(<cnp.ndarray>out)
        if X.dtype == np.float64:
            _score[double](&self.m, X, <fs_link>link, layout == L_BINARY_PROBA, dst, size, n_threads)
        else:
            _score[float](&self.m, X, <fs_link>link, layout == L_BINARY_PROBA, dst, size, n_threads)
        return out

    def score_columns(self, columns, link, out=None, *, layout=MATRIX, n_threads=0, codes=()):
        """link(z) for every row of the columns (and codes), in `layout`, into out (or a new array); returns it.

        See fastscore._backend.Kernel.score_columns. One C call over the
        columns' own memory (fs_score_columns_f64 or _f32: fastscore._checks_columns
        says which columns are copied first), the GIL released on at least
        NOGIL_MIN values.
        """
        args = _checks_columns.columns_args(columns, codes, link, out, layout, self.n_features,
                                            self.n_outputs, self.m.n_tables)
        cdef int threads = _checks.thread_count(n_threads)
        if out is None:
            out = np.empty(args.shape)
        cdef size_t n = args.n
        if n == 0:
            return out
        cdef size_t d = self.m.n_features, t = self.m.n_tables
        cdef bint pairs = layout == L_BINARY_PROBA, f32 = args.f32
        cdef fs_link c_link = <fs_link><int>link
        cdef double *dst = _out_ptr(out)
        if <size_t>cnp.PyArray_SIZE(<cnp.ndarray>out) != n * (2 if pairs else self.m.n_outputs):
            return _check_status(FS_BAD_ARGUMENT, 0)
        cdef const void **cols = <const void **>PyMem_Malloc((d + 1) * sizeof(void *))
        cdef const int32_t **code_ptrs = <const int32_t **>PyMem_Malloc((t + 1) * sizeof(int32_t *))
        cdef ptrdiff_t *strides = <ptrdiff_t *>PyMem_Malloc((d + t + 1) * sizeof(ptrdiff_t))
        cdef size_t bad_row = 0, bad_col = 0, i
        cdef fs_status status
        try:
            if cols == NULL or code_ptrs == NULL or strides == NULL:
                raise MemoryError()
            for i in range(d):
                cols[i] = _column_ptr(args.columns[i], n, cnp.NPY_FLOAT if f32 else cnp.NPY_DOUBLE, &strides[i])
            for i in range(t):
                code_ptrs[i] = <const int32_t *>_column_ptr(args.codes[i], n, cnp.NPY_INT32, &strides[d + i])
            if n * (d + t + self.m.n_outputs) < NOGIL_MIN:
                status = _columns_kernel(&self.m, cols, strides, code_ptrs, f32, pairs, n, c_link,
                                         dst, &bad_row, &bad_col, threads)
            else:
                with nogil:
                    status = _columns_kernel(&self.m, cols, strides, code_ptrs, f32, pairs, n, c_link,
                                             dst, &bad_row, &bad_col, threads)
        finally:
            PyMem_Free(cols)
            PyMem_Free(code_ptrs)
            PyMem_Free(strides)
        if status == FS_NONFINITE:
            raise _checks_columns.nonfinite_cell(bad_row, bad_col)
        if status == FS_BAD_CODE:
            raise _checks_columns.bad_code(int(args.given_codes[bad_col][bad_row]), bad_col, bad_row,
                                           self.m.table_rows[bad_col])
        _check_status(status, 0)
        return out

    def score_sparse(self, data, indices, indptr, n_rows, int link, out=None, *, int layout=MATRIX,
                     int n_threads=0, bint csc=False):
        """link(z) for every row of a sparse X (CSR, or CSC with csc=True), in `layout`, into out (or a new array).

        See fastscore._backend.Kernel.score_sparse. One C call over X's own
        arrays (fs_score_sparse), the GIL released on at least NOGIL_MIN values.
        """
        shape = _checks_sparse.sparse_args(data, indices, indptr, n_rows, link, out, layout, self.n_features,
                                           self.n_outputs, csc)
        _checks_sparse.check_kernel(self.center, _checks_columns.active_fill(self.fill), self.m.n_tables)
        cdef int threads = _checks.thread_count(n_threads)
        if out is None:
            out = np.empty(shape)
        cdef fs_sparse X
        cdef bint pairs = layout == L_BINARY_PROBA
        cdef size_t bad_row = 0, bad_col = 0
        cdef fs_status status
        cdef double *dst = _out_ptr(out)
        X.csc = csc
        X.n_rows = shape[0]
        X.nnz = cnp.PyArray_DIM(<cnp.ndarray>data, 0)
        X.f32 = cnp.PyArray_TYPE(<cnp.ndarray>data) == cnp.NPY_FLOAT
        X.idx64 = cnp.PyArray_TYPE(<cnp.ndarray>indices) == cnp.NPY_INT64
        X.data = _vector_ptr(data, cnp.NPY_FLOAT if X.f32 else cnp.NPY_DOUBLE)
        X.indices = _vector_ptr(indices, cnp.NPY_INT64 if X.idx64 else cnp.NPY_INT32)
        X.indptr = _vector_ptr(indptr, cnp.NPY_INT64 if X.idx64 else cnp.NPY_INT32)
        if (<size_t>cnp.PyArray_DIM(<cnp.ndarray>indices, 0) != X.nnz
                or <size_t>cnp.PyArray_DIM(<cnp.ndarray>indptr, 0) != (self.m.n_features if csc else X.n_rows) + 1
                or <size_t>cnp.PyArray_SIZE(<cnp.ndarray>out) != X.n_rows * (2 if pairs else self.m.n_outputs)):
            return _check_status(FS_BAD_ARGUMENT, 0)
        if X.nnz + X.n_rows * self.m.n_outputs < NOGIL_MIN:
            status = fs_score_sparse(&self.m, &X, <fs_link>link, dst, pairs, &bad_row, &bad_col, threads)
        else:
            with nogil:
                status = fs_score_sparse(&self.m, &X, <fs_link>link, dst, pairs, &bad_row, &bad_col, threads)
        if status == FS_NONFINITE:
            raise _checks_columns.nonfinite_cell(bad_row, bad_col)
        if status == FS_BAD_INDPTR:
            raise _checks_sparse.bad_indptr(bad_col if csc else bad_row, csc)
        if status == FS_BAD_INDEX:
            raise _checks_sparse.bad_index(int(indices[bad_row if csc else bad_col]), bad_col if csc else bad_row,
                                           csc, X.n_rows if csc else self.m.n_features)
        _check_status(status, 0)
        return out

    def score_one(self, row, int link):
        """Score one row: a float for a single output, else a tuple of k floats.

        A list or tuple row of a single-output model whose link has a scalar
        form (fastscore.links: identity, logistic, exp) is summed left to
        right and linked with libm's exp, exactly as the mirror does with
        floats and math.exp: the two backends agree to the bit on it.
        """
        cdef double stack_row[STACK_ROW]
        cdef double stack_out[STACK_ROW]
        cdef double z
        cdef double *x = stack_row
        cdef double *out = stack_out
        cdef Py_ssize_t i, d = self.n_features, k = self.n_outputs
        cdef size_t bad
        cdef bint is_list = type(row) is list
        if not (is_list or type(row) is tuple) or self.m.n_tables:
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
                if not isfinite(x[i]):  # a finite longdouble beyond float64 is named as such
                    _checks.to_float(item, f"row[{i}]")
            if is_list and PyList_GET_SIZE(row) != d:  # the same answer as the mirror's
                _checks.check_row_length(PyList_GET_SIZE(row), d)
            if self.m.fill != NULL:
                for i in range(d):
                    if x[i] != x[i]:
                        x[i] = self.m.fill[i]
            if k != 1 or (link != FS_LINK_IDENTITY and link != FS_LINK_LOGISTIC and link != FS_LINK_EXP):
                if _call(&self.m, x, True, False, 1, <fs_link>link, out, &bad, 1) == FS_NONFINITE:
                    _checks.check_finite_row(np.asarray(<double[:d]>x))
                if k == 1:
                    return out[0]
                return tuple([out[i] for i in range(k)])
            z = _dot_left_to_right(&self.m, x) if d < NOGIL_MIN else _dot_without_gil(&self.m, x)
            if not isfinite(z):
                for i in range(d):
                    if not isfinite(x[i]):
                        raise _checks.nonfinite_feature(i)
                # Where a compiler fused the sum above (not on x86-64's baseline),
                # +inf plus an exact product stays +inf instead of NaN.
                z = _sum_of_rounded_terms(&self.m, x)
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
        if self.m.n_tables:
            _checks.check_link(link)  # first, as the mirror does
            raise _checks_columns.has_tables(self.m.n_tables)
        if isinstance(row, (list, tuple)):
            x = np.array(_checks.row_floats(row, self.n_features))
        else:
            x = _checks.as_row(row, self.n_features)
        if self.m.fill != NULL:
            x = np.where(np.isnan(x), self.fill, x)
        _checks.check_finite_row(x)
        out = self.score(x.reshape(1, -1), link)
        return float(out[0, 0]) if self.n_outputs == 1 else tuple(out[0].tolist())


def murmurhash3_32_many(keys):
    """murmurhash3_32 of each key (str, hashed as its UTF-8 bytes, or bytes), seed 0: an int32 array.

    csrc/murmur3.c; fastscore.text.murmurhash3_32_many is the same in Python.
    A str that UTF-8 cannot encode (a lone surrogate) raises UnicodeEncodeError.
    """
    cdef Py_ssize_t n = len(keys), i = 0, size = 0
    cdef const char *data
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] hashes = out
    for key in keys:
        if i == n:
            raise ValueError("keys changed length while being hashed")
        if isinstance(key, str):
            data = PyUnicode_AsUTF8AndSize(key, &size)
        elif isinstance(key, bytes):
            data = PyBytes_AS_STRING(key)
            size = PyBytes_GET_SIZE(key)
        else:
            raise TypeError(f"murmurhash3_32 hashes str or bytes, not {type(key).__name__}")
        hashes[i] = fs_murmur3_32(data, <size_t>size, 0)
        i += 1
    if i != n:
        raise ValueError("keys changed length while being hashed")
    return out


def hash_columns(hashes, n_features):
    """abs(h) % n_features of each int32 hash (abs(-2**31) = 2**31), as int64: HashingVectorizer's columns.

    csrc/murmur3.c's fs_hash_column; fastscore.text.hash_columns is the same in numpy.
    """
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
            or not 1 <= n_features <= 2**31 - 1:
        raise ValueError(f"n_features must be an int from 1 to 2**31 - 1, not {n_features!r}")
    cdef const int32_t[::1] h = np.ascontiguousarray(hashes, dtype=np.int32).reshape(-1)
    out = np.empty(h.shape[0], dtype=np.int64)
    cdef int64_t[::1] columns = out
    cdef uint32_t n = <uint32_t>n_features
    cdef Py_ssize_t i
    for i in range(h.shape[0]):
        columns[i] = fs_hash_column(h[i], n)
    return out
