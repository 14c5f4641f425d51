/*
 * fastscore.h - score fitted linear models over row-major arrays or columns.
 *
 * Plain C99, no Python headers, no allocation: a C program can include this
 * header alone and link fastscore.c.  Every entry point takes the model as a
 * small struct of borrowed pointers and writes into an output array that the
 * caller owns.
 *
 * For each row x of X and each output j the kernel computes
 *
 *     z[j] = sum_i coef[j][i] * (x[i] - center[i]) + intercept[j]
 *            + sum_t tables[t][code_t * n_outputs + j]
 *
 * (without the subtraction when center is NULL; x[i] is fill[i] where it is
 * NaN and fill[i] is not; the tables need the column entry points, which
 * take a code per table and row), then applies a link to the row's z and
 * stores n_outputs doubles per row in out.
 */
#ifndef FASTSCORE_H
#define FASTSCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: fs_model gained fill and the code tables (initialise every field), and
 * the column entry points fs_score_columns_f64/f32 arrived.  3: the sparse
 * entry point fs_score_sparse and its statuses. */
#define FASTSCORE_ABI_VERSION 3

/* Rows are scored in blocks of max(1, FS_BLOCK_ROWS / n_outputs) rows: the
 * block's z values (4 KiB) stay in L1 between the dot products and the link. */
#define FS_BLOCK_ROWS 512

typedef enum fs_link {
    FS_LINK_IDENTITY = 0, /* z: decision functions and linear regression */
    FS_LINK_LOGISTIC = 1, /* 1 / (1 + exp(-z)), each output on its own */
    FS_LINK_SOFTMAX = 2,  /* exp(z - max(z)) / sum, over the row's outputs */
    FS_LINK_OVR = 3,      /* logistic per output; rows of k > 1 normalised to sum 1 */
    FS_LINK_EXP = 4,      /* exp(z): the inverse of the log link */
    FS_LINK_MODIFIED_HUBER = 5, /* (clip(z, -1, 1) + 1) / 2 per output; rows of k > 1
                                   normalised to sum 1 (SGDClassifier's predict_proba) */
    FS_LINK_ONEVSREST = 6,  /* as OVR, but a row of all 0 stays 0 (OneVsRestClassifier) */
    FS_LINK_ONEVSREST_MODIFIED_HUBER = 7, /* as MODIFIED_HUBER, a row of all 0 stays 0 */
    FS_LINK_EXPM1 = 8,    /* exp(z) - 1, as libm's expm1: the inverse of log1p */
    FS_LINK_SQUARE = 9,   /* z * z: the inverse of sqrt */
    FS_LINK_COUNT /* not a link: the number of links (every code is below it) */
} fs_link;

typedef enum fs_status {
    FS_OK = 0,
    FS_NONFINITE = 1,    /* a row holds infinity or a NaN without a fill; see bad_row (bad_col) */
    FS_BAD_ARGUMENT = 2, /* NULL pointer, no outputs, unknown link, binary call with k != 1,
                            a row entry point given a model with tables */
    FS_BAD_CODE = 3,     /* a code outside [0, table_rows[t]); see bad_row and bad_col */
    FS_BAD_INDPTR = 4,   /* sparse X: a span indptr[i], indptr[i + 1] outside [0, nnz] or decreasing */
    FS_BAD_INDEX = 5     /* sparse X: an index outside [0, n_features) (CSR) or [0, n_rows) (CSC) */
} fs_status;

typedef struct fs_model {
    size_t n_features;       /* d (0 is allowed: z from the tables alone) */
    size_t n_outputs;        /* k, at least 1 */
    const double *coef;      /* k x d, row-major */
    const double *intercept; /* k */
    const double *center;    /* d values subtracted from x first, or NULL */
    const double *fill;      /* d values: a NaN x[i] counts as fill[i], unless that is NaN
                                too (then it is an error); or NULL: every NaN is an error */
    size_t n_tables;         /* t: 0 for the row entry points */
    const size_t *table_rows;     /* t: the codes of table j are 0 to table_rows[j] - 1 */
    const double *const *tables;  /* t tables, table j table_rows[j] x k, row-major */
} fs_model;

/*
 * Score n_rows rows of X (n_rows x n_features, row-major) into out
 * (n_rows x n_outputs, row-major).  float32 input is widened element by
 * element, so the arithmetic is float64 for both.  The model must have no
 * tables (else FS_BAD_ARGUMENT).
 *
 * Returns FS_OK, or FS_NONFINITE with *bad_row set to the first row of X that
 * holds infinity or a NaN without a fill (rows before it are scored, the rest
 * of out is left unspecified), or FS_BAD_ARGUMENT.  Finite input that overflows float64
 * (|z| > 1.8e308) is not an error: it gives +-inf or NaN, as numpy would.
 * X and out must not overlap.  n_threads: see "Threads" below; the results
 * do not depend on it, to the bit.
 */
fs_status fs_score_f64(const fs_model *m, const double *X, size_t n_rows,
                       fs_link link, double *out, size_t *bad_row,
                       int n_threads);
fs_status fs_score_f32(const fs_model *m, const float *X, size_t n_rows,
                       fs_link link, double *out, size_t *bad_row,
                       int n_threads);

/*
 * predict_proba's layout for binary classifiers: like fs_score_*, for a model
 * of one output (else FS_BAD_ARGUMENT), but out is n_rows x 2 and each row
 * holds 1 - p, p with p = link(z).  The pairs are written block by block,
 * while p is still in L1, instead of in a second pass over out.
 */
fs_status fs_score_binary_f64(const fs_model *m, const double *X, size_t n_rows,
                              fs_link link, double *out, size_t *bad_row,
                              int n_threads);
fs_status fs_score_binary_f32(const fs_model *m, const float *X, size_t n_rows,
                              fs_link link, double *out, size_t *bad_row,
                              int n_threads);

/*
 * Score n_rows rows given as columns: column i's value in row r is
 * cols[i][r * strides[i]] (strides in elements, of either sign: a column of a
 * row-major or column-major matrix, or any array of equally spaced values),
 * and table j's code in row r is codes[j][r * code_strides[j]].  The columns
 * of one call share one type (a caller with mixed columns widens the float32
 * ones); float32 is widened element by element, as in fs_score_f32.
 *
 * z is summed in a fixed order: the intercept, then the columns' terms
 * coef[j][i] * (x[i] - center[i]) from i = 0 up, then each table's row from
 * table 0 up.  Each step adds at most one product, so a build that contracts
 * multiply-adds into FMA fuses every step the same way on every path: the
 * result does not depend on a row's place in its block or on the threads.
 * Rows are scored in blocks, the columns' terms added across the block's
 * rows (vectorised).  out is
 * n_rows x n_outputs, or n_rows x 2 pairs (1 - p, p) when pairs is non-zero
 * (one output only, as fs_score_binary_*).
 *
 * Returns FS_OK; FS_NONFINITE with *bad_row the first row holding infinity or
 * a NaN without a fill and *bad_col its first such column; FS_BAD_CODE with
 * *bad_row the first row holding a code out of its table's range and
 * *bad_col that table (a row with both reports FS_NONFINITE); or
 * FS_BAD_ARGUMENT.  A code out of range is never used to read.  Rows before
 * the bad row are scored, the rest of out is left unspecified.  cols and
 * strides may be NULL when n_features is 0, codes and code_strides when
 * n_tables is 0.  Threads as for fs_score_f64, counting the tables as
 * columns.
 */
fs_status fs_score_columns_f64(const fs_model *m, const double *const *cols, const ptrdiff_t *strides,
                               const int32_t *const *codes, const ptrdiff_t *code_strides,
                               size_t n_rows, fs_link link, double *out, int pairs,
                               size_t *bad_row, size_t *bad_col, int n_threads);
fs_status fs_score_columns_f32(const fs_model *m, const float *const *cols, const ptrdiff_t *strides,
                               const int32_t *const *codes, const ptrdiff_t *code_strides,
                               size_t n_rows, fs_link link, double *out, int pairs,
                               size_t *bad_row, size_t *bad_col, int n_threads);

/*
 * A sparse X of n_rows rows and the model's n_features columns, in scipy's
 * layouts: CSR (csc = 0), where row r's entries are positions indptr[r] to
 * indptr[r + 1] - 1 of data (the values) and indices (their columns), indptr
 * holding n_rows + 1 offsets; or CSC (csc = 1), the same by column: indptr
 * holds n_features + 1 offsets and indices the rows.  data is double, or
 * float (f32 = 1, widened as in fs_score_f32); indices and indptr are
 * int32_t, or int64_t (idx64 = 1).  data and indices hold nnz values each.
 * Indices may be unsorted and repeated: every entry adds its product.
 */
typedef struct fs_sparse {
    int csc;
    int f32;
    int idx64;
    size_t n_rows;
    size_t nnz;
    const void *data;
    const void *indices;
    const void *indptr;
} fs_sparse;

/*
 * Score a sparse X: z[j] = sum over the row's entries, in stored order
 * (for CSC: by column, each column's entries in stored order), of
 * coef[j][col] * value, starting from 0, then + intercept[j]; then the link.
 * Nothing is densified and nothing allocated.  The model must have no
 * center, no fill and no tables (a centred x is dense), else FS_BAD_ARGUMENT.
 * out is n_rows x n_outputs, or n_rows x 2 pairs (1 - p, p) when pairs is
 * non-zero (one output only).
 *
 * The structure is checked as it is read, and nothing outside it is read:
 * FS_BAD_INDPTR with *bad_row (CSR) or *bad_col (CSC) the row or column whose
 * span is invalid; FS_BAD_INDEX with *bad_row the row (CSR) or *bad_col the
 * column (CSC), and the other one the position in indices of the index out
 * of range; FS_NONFINITE with *bad_row and *bad_col the first row holding
 * NaN or infinity and its smallest such column.  CSR is scored in blocks of
 * rows on up to n_threads threads (as fs_score_f64), and reports the first
 * row with any problem (within it: its span, then an index, then a value);
 * rows before it are scored.  CSC is scored on the calling thread, and
 * reports the first structural problem by column, else the first row with
 * a non-finite value; out is then unspecified.
 */
fs_status fs_score_sparse(const fs_model *m, const fs_sparse *X, fs_link link, double *out, int pairs,
                          size_t *bad_row, size_t *bad_col, int n_threads);

/*
 * Instruction sets.  The kernel is compiled once per instruction set
 * ("baseline": the build's portable target; "avx2": AVX2+FMA; "avx512":
 * AVX-512F) and the widest one the CPU supports is chosen on first use,
 * unless the environment variable FASTSCORE_ISA names another available one.
 * fs_isa() returns the active one's name (and makes the choice if not yet
 * made: call it once before starting threads); fs_select_isa() switches to
 * the named one and returns 1, or returns 0 if this CPU or build lacks it.
 * fs_isa_available() tells without switching.
 */
const char *fs_isa(void);
int fs_select_isa(const char *name);
int fs_isa_available(const char *name);

/* The instruction sets of this build, widest first, whether or not this CPU
 * has them: fs_isa_name(i) for i from 0 to fs_isa_count() - 1 (NULL outside). */
int fs_isa_count(void);
const char *fs_isa_name(int i);

/*
 * Threads.  n_threads > 0 asks for that many (1 is the calling thread only),
 * but never more than n_rows, nor than 4 per processor, nor FS_MAX_THREADS:
 * GNU OpenMP ends the process when it cannot create a thread.  0 (or less)
 * picks: 1 for small inputs (n_rows x (n_features + n_outputs + n_tables) under
 * FS_PARALLEL_MIN), otherwise FASTSCORE_NUM_THREADS if set to a positive
 * integer, else OpenMP's default, within the same caps.
 * fs_max_threads() is what 0 would use on a large input; it is 1 when the
 * kernel was built without OpenMP.
 * fork(): GNU OpenMP's thread pools (one per thread that started a parallel
 * region, shared by every library on the same libgomp) do not survive it, so
 * the kernel never starts a parallel region on a thread that may hold a pool
 * it cannot vouch for.  In a process forked after the kernel was loaded, or
 * one where libgomp was loaded before the kernel (another library may have
 * started a pool, maybe before a fork), each call that uses several threads
 * runs them from a new thread of its own (one thread start per call, same
 * results); if no thread can be created, the calling thread scores alone.
 */
#define FS_PARALLEL_MIN 131072
#define FS_MAX_THREADS 1024
int fs_max_threads(void);

/* When every output of a row is 0, OVR and MODIFIED_HUBER fall back to the
 * uniform 1/k, as scikit-learn's linear classifiers do; the ONEVSREST links
 * leave the row 0, as scikit-learn's OneVsRestClassifier does. */

/* Apply a link in place to one row of k values (exposed for tests and for
 * callers that compute z themselves); unknown links and k = 0 do nothing. */
void fs_apply_link(fs_link link, double *z, size_t k);

#ifdef __cplusplus
}
#endif

#endif /* FASTSCORE_H */
