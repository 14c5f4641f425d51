/*
 * fastscore.h - score fitted linear models over contiguous row-major arrays.
 *
 * Plain C99, no Python headers, no allocation: a C program can include this
 * header alone and link fastscore.c.  Every entry point takes the model as a
 * small struct of borrowed pointers and writes into an output array that the
 * caller owns.
 *
 * For each row x of X and each output j the kernel computes
 *
 *     z[j] = sum_i coef[j][i] * (x[i] - center[i]) + intercept[j]
 *
 * (without the subtraction when center is NULL), then applies a link to the
 * row's z and stores n_outputs doubles per row in out.
 */
#ifndef FASTSCORE_H
#define FASTSCORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FASTSCORE_ABI_VERSION 1

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
    FS_LINK_COUNT /* not a link: the number of links (every code is below it) */
} fs_link;

typedef enum fs_status {
    FS_OK = 0,
    FS_NONFINITE = 1,    /* a row of X holds NaN or infinity; see bad_row */
    FS_BAD_ARGUMENT = 2  /* NULL pointer, no outputs, unknown link, binary call with k != 1 */
} fs_status;

typedef struct fs_model {
    size_t n_features;       /* d */
    size_t n_outputs;        /* k, at least 1 */
    const double *coef;      /* k x d, row-major */
    const double *intercept; /* k */
    const double *center;    /* d values subtracted from x first, or NULL */
} fs_model;

/*
 * Score n_rows rows of X (n_rows x n_features, row-major) into out
 * (n_rows x n_outputs, row-major).  float32 input is widened element by
 * element, so the arithmetic is float64 for both.
 *
 * Returns FS_OK, or FS_NONFINITE with *bad_row set to the first row of X that
 * holds NaN or infinity (rows before it are scored, the rest of out is left
 * unspecified), or FS_BAD_ARGUMENT.  Finite input that overflows float64
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
 * picks: 1 for small inputs (n_rows x (n_features + n_outputs) under
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
