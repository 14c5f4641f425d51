/*
 * fastscore.c - the public entry points: argument checks, the choice of
 * instruction set, and the split of rows across threads.
 *
 * The arithmetic lives in kernel_body.h (and kernel_dtype.h, which it
 * includes once per input type), compiled here once per instruction set.
 * Every copy computes the same formulas: dot products in float64 (any
 * summation order is as exact as numpy's BLAS, which fixes none), the
 * intercept added last for rows of X (first for columns, in the order
 * fastscore.h states), then the link over a block of rows, with an exp that
 * is accurate to about 1 ulp and gives libm's 0 and inf at the extremes.
 */
/* <link.h>'s dl_iterate_phdr, for the fork guard's load order, is a GNU
 * extension: it must be asked for before any system header. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1
#endif

#include "fastscore.h"

/* The kernel needs IEEE arithmetic: NaN and infinity in X are found through
 * isfinite(), and exp's limits through overflow and underflow.  Under
 * -ffast-math (say in CFLAGS) both silently vanish, so refuse to build:
 * setup.py then installs the pure backend instead. */
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "fastscore.c must not be compiled with -ffast-math or -ffinite-math-only"
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <unistd.h>
#define FS_HAVE_FORK 1
#if defined(__linux__)
#include <link.h>
#define FS_HAVE_PHDR 1
#endif
#endif
#endif

#define FS_NO_ROW ((size_t)-1)
#ifndef FS_LANES
#define FS_LANES 8 /* partial sums per dot product: a power of 2 (measured) */
#endif
#ifndef FS_PREFETCH_BYTES
#define FS_PREFETCH_BYTES 8192 /* of the next block, during the link (measured) */
#endif
#ifndef FS_SMALL_D
#define FS_SMALL_D 12 /* up to this many features, vectorise across rows (measured) */
#endif

/* The small dot products must be inlined where their size is a constant. */
#if defined(__GNUC__) || defined(__clang__)
#define FS_INLINE inline __attribute__((always_inline))
#define FS_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#define FS_RESTRICT __restrict
#elif defined(_MSC_VER) /* MSVC's C mode knows only its own spelling */
#define FS_INLINE __inline
#define FS_PREFETCH(p) ((void)(p))
#define FS_RESTRICT __restrict
#else
#define FS_INLINE inline
#define FS_PREFETCH(p) ((void)(p))
#define FS_RESTRICT
#endif

/* Rows of several per-output probabilities are scaled to sum 1.  When all are
 * 0, scikit-learn's linear classifiers (like liblinear) fall back to the
 * uniform distribution, while its OneVsRestClassifier leaves the zeros. */
static void normalise(double *p, size_t k, int uniform_if_zero)
{
    size_t j;
    double sum = 0.0;

    for (j = 0; j < k; j++)
        sum += p[j];
    if (sum == 0.0) {
        if (!uniform_if_zero)
            return;
        for (j = 0; j < k; j++)
            p[j] = 1.0;
        sum = (double)k;
    }
    for (j = 0; j < k; j++)
        p[j] /= sum;
}

/* The first `rows` values of p become rows of (1 - p, p), in place: from the
 * last row back, so that nothing is overwritten before it is read. */
static void spread_pairs(double *p, size_t rows)
{
    size_t i;

    for (i = rows; i-- > 0;) {
        double v = p[i];
        p[2 * i + 1] = v;
        p[2 * i] = 1.0 - v;
    }
}

/* The column entry points' arrays, passed on as one argument. */
typedef struct fs_columns {
    const void *const *cols;      /* n_features pointers to FS_T */
    const ptrdiff_t *strides;     /* n_features, in elements */
    const int32_t *const *codes;  /* n_tables */
    const ptrdiff_t *code_strides; /* n_tables, in elements */
} fs_columns;

/* Wider instruction sets exist only where GCC or Clang can target them
 * function by function and the CPU can be asked at run time. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(FS_NO_DISPATCH)
#define FS_X86_DISPATCH 1
#endif

#define FS_ISA baseline
#define FS_TARGET
#include "kernel_body.h"
#undef FS_ISA
#undef FS_TARGET

#ifdef FS_X86_DISPATCH
#define FS_ISA avx2
#define FS_TARGET __attribute__((target("avx2,fma")))
#include "kernel_body.h"
#undef FS_ISA
#undef FS_TARGET

#define FS_ISA avx512
#if defined(__clang__)
#define FS_TARGET __attribute__((target("avx512f,avx2,fma")))
#else /* GCC would otherwise keep to 256-bit vectors */
#define FS_TARGET __attribute__((target("avx512f,avx2,fma,prefer-vector-width=512")))
#endif
#include "kernel_body.h"
#undef FS_ISA
#undef FS_TARGET
#endif

typedef size_t (*fs_sparse_fn)(const fs_model *, const fs_sparse *, size_t, size_t, fs_link, double *, int);
typedef fs_status (*fs_diagnose_fn)(const fs_model *, const fs_sparse *, size_t, size_t *);
typedef fs_status (*fs_csc_fn)(const fs_model *, const fs_sparse *, fs_link, double *, int, size_t *,
                               size_t *);

typedef size_t (*fs_range_fn)(const fs_model *, const void *, size_t, size_t, fs_link, double *, int);
typedef size_t (*fs_columns_fn)(const fs_model *, const fs_columns *, size_t, size_t, fs_link, double *,
                                int);

typedef struct fs_isa_impl {
    const char *name;
    int (*cpu_has)(void); /* 1 when this CPU can run it */
    fs_range_fn f64, f32;
    void (*link)(fs_link, double *, size_t, size_t);
    fs_columns_fn columns_f64, columns_f32;
} fs_isa_impl;

static int cpu_any(void) { return 1; }

#ifdef FS_X86_DISPATCH
static int cpu_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int cpu_avx512(void) { return cpu_avx2() && __builtin_cpu_supports("avx512f"); }
#endif

/* An entry of isas[]: the instruction set's name is the suffix of its functions. */
#define FS_ISA_ENTRY(isa, cpu)                                                                     \
    {#isa, cpu, range_##isa##_f64, range_##isa##_f32, link_block_##isa, columns_range_##isa##_f64,  \
     columns_range_##isa##_f32}

/* Every instruction set of this build, widest first: the first available one
 * is the default.  The one list of their names (fs_isa_name). */
static const fs_isa_impl isas[] = {
#ifdef FS_X86_DISPATCH
    FS_ISA_ENTRY(avx512, cpu_avx512),
    FS_ISA_ENTRY(avx2, cpu_avx2),
#endif
    FS_ISA_ENTRY(baseline, cpu_any),
};
#define FS_N_ISAS (sizeof isas / sizeof isas[0])

static const fs_isa_impl *find_isa(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < FS_N_ISAS; i++)
        if (strcmp(isas[i].name, name) == 0 && isas[i].cpu_has())
            return &isas[i];
    return NULL;
}

/* Chosen once; every candidate is a valid pointer, so a benign race between
 * two first calls stores the same value. */
static const fs_isa_impl *volatile active_isa = NULL;

static const fs_isa_impl *current(void)
{
    const fs_isa_impl *isa = active_isa;
    size_t i;

    if (isa != NULL)
        return isa;
    isa = find_isa(getenv("FASTSCORE_ISA"));
    for (i = 0; isa == NULL; i++)
        if (isas[i].cpu_has())
            isa = &isas[i];
    active_isa = isa;
    return isa;
}

const char *fs_isa(void) { return current()->name; }

int fs_isa_available(const char *name) { return find_isa(name) != NULL; }

int fs_isa_count(void) { return (int)FS_N_ISAS; }

const char *fs_isa_name(int i) { return i >= 0 && (size_t)i < FS_N_ISAS ? isas[i].name : NULL; }

int fs_select_isa(const char *name)
{
    const fs_isa_impl *isa = find_isa(name);

    if (isa == NULL)
        return 0;
    active_isa = isa;
    return 1;
}

/* The most threads any call uses: more cannot speed up a pass bound by
 * memory, and GNU OpenMP ends the whole process when it cannot create a
 * thread (a container's pids limit, an address-space limit). */
static int thread_cap(void)
{
#ifdef _OPENMP
    int procs = omp_get_num_procs();

    return procs < 1 ? 4 : procs > FS_MAX_THREADS / 4 ? FS_MAX_THREADS : 4 * procs;
#else
    return 1;
#endif
}

int fs_max_threads(void)
{
#ifdef _OPENMP
    const char *env = getenv("FASTSCORE_NUM_THREADS");
    char *end;
    long n = 0;
    int cap = thread_cap();

    if (env != NULL) {
        n = strtol(env, &end, 10);
        if (end == env || *end != '\0')
            n = 0;
    }
    if (n <= 0)
        n = omp_get_max_threads();
    return n > cap ? cap : n < 1 ? 1 : (int)n;
#else
    return 1;
#endif
}

#ifdef FS_HAVE_FORK
/*
 * GNU OpenMP keeps a pool of threads per thread that started a parallel
 * region, shared by every library linked to the same libgomp, and the pool's
 * threads do not survive fork(): a child that starts a region on the thread
 * that forked waits forever for them.  Whoever started that pool (this kernel
 * or any other OpenMP library), the kernel never starts a region on a thread
 * that may hold one it cannot vouch for.  It vouches for the threads of the
 * process that loaded it, when libgomp was loaded with the kernel: any pool
 * they hold was started in this process, after the last fork.  In a forked
 * child (another pid, however it was forked), or where libgomp was loaded
 * before the kernel (by a library that may have started a pool, maybe in a
 * parent before a fork), each parallel call runs its region on a new thread
 * of its own, whose pool is new: one thread start per call, and a child
 * keeps every core.  Without a thread to spare, the call runs on the
 * calling thread alone.
 */
static pid_t load_pid = 0;
static int runtime_loaded_first = 1; /* assumed where the load order cannot be read (off Linux) */

#ifdef FS_HAVE_PHDR
typedef struct fs_load_order {
    const char *self, *runtime; /* an address inside each object */
    int index, self_at, runtime_at;
} fs_load_order;

static int holds(const struct dl_phdr_info *info, const char *address)
{
    int i;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const char *start = (const char *)info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        if (info->dlpi_phdr[i].p_type == PT_LOAD && address >= start &&
            address < start + info->dlpi_phdr[i].p_memsz)
            return 1;
    }
    return 0;
}

/* Objects are listed in the order they were loaded. */
static int note_object(struct dl_phdr_info *info, size_t size, void *data)
{
    fs_load_order *order = data;

    (void)size;
    if (order->self_at < 0 && holds(info, order->self))
        order->self_at = order->index;
    if (order->runtime_at < 0 && holds(info, order->runtime))
        order->runtime_at = order->index;
    order->index++;
    return 0;
}
#endif

static void note_loading(void)
{
#ifdef FS_HAVE_PHDR
    fs_load_order order = {NULL, NULL, 0, -1, -1};

    order.self = (const char *)&load_pid;
    order.runtime = (const char *)(uintptr_t)&omp_get_num_procs;
    dl_iterate_phdr(note_object, &order);
    runtime_loaded_first = order.self_at < 0 || order.runtime_at < 0 || order.runtime_at < order.self_at;
#endif
    load_pid = getpid();
}

/* When the kernel is loaded: a fork before its first call is then seen. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((constructor)) static void fs_loaded(void) { note_loading(); }
#endif

static int needs_own_thread(void)
{
    if (load_pid == 0) /* a compiler without constructors: noted at the first call */
        note_loading();
    return runtime_loaded_first || getpid() != load_pid;
}
#endif

/* The threads for n_rows rows holding `values` values of work in all. */
static int threads_for_values(size_t values, size_t n_rows, int n_threads)
{
    size_t most;
    int t;

    if (n_threads > 0) {
        t = thread_cap();
        t = n_threads < t ? n_threads : t;
        return (size_t)t < n_rows ? t : (int)n_rows;
    }
    if (values < FS_PARALLEL_MIN)
        return 1;
    /* Each thread gets at least FS_PARALLEL_MIN / 2 values of work. */
    most = values / (FS_PARALLEL_MIN / 2);
    t = fs_max_threads();
    return (size_t)t < most ? t : (int)most;
}

static int threads_for(const fs_model *m, size_t n_rows, int n_threads)
{
    return threads_for_values(n_rows * (m->n_features + m->n_outputs + m->n_tables), n_rows, n_threads);
}

/* One call's work: rows of X (range), columns (columns) or a CSR X
 * (sparse), split by run(). */
typedef struct fs_job {
    const fs_model *m;
    fs_range_fn range; /* NULL for columns and sparse */
    const void *X;
    fs_columns_fn columns; /* NULL for sparse */
    const fs_columns *cols;
    fs_sparse_fn sparse;
    const fs_sparse *sp;
    fs_link link;
    double *out;
    int pairs;
} fs_job;

static size_t job_range(const fs_job *job, size_t r0, size_t r1)
{
    if (job->range != NULL)
        return job->range(job->m, job->X, r0, r1, job->link, job->out, job->pairs);
    if (job->sparse != NULL)
        return job->sparse(job->m, job->sp, r0, r1, job->link, job->out, job->pairs);
    return job->columns(job->m, job->cols, r0, r1, job->link, job->out, job->pairs);
}

#ifdef _OPENMP
/* One call's parallel pass: its job, and the first bad row it found. */
typedef struct fs_region {
    const fs_job *job;
    size_t n_rows;
    int threads;
    size_t first;
} fs_region;

/* Chunks of up to 16 blocks, handed out as threads come free: a thread that
 * starts late (another process held its core) finds the work already shared
 * out instead of holding up a fixed half.  Each chunk stops at its first bad
 * row; chunks before the first bad one are scored whole, so the smallest
 * report is X's first bad row. */
static void run_region(fs_region *r)
{
    const fs_model *m = r->job->m;
    size_t step = m->n_outputs < FS_BLOCK_ROWS ? FS_BLOCK_ROWS / m->n_outputs : 1;
    size_t chunk = (r->n_rows + 4 * (size_t)r->threads - 1) / (4 * (size_t)r->threads);
    size_t first = FS_NO_ROW;
    long c, n_chunks;

    chunk = chunk < 16 * step ? chunk : 16 * step;
    n_chunks = (long)((r->n_rows + chunk - 1) / chunk);
#pragma omp parallel for num_threads(r->threads) schedule(dynamic, 1) reduction(min : first)
    for (c = 0; c < n_chunks; c++) {
        size_t r0 = (size_t)c * chunk, r1 = r0 + chunk < r->n_rows ? r0 + chunk : r->n_rows;
        size_t bad = job_range(r->job, r0, r1);
        first = bad < first ? bad : first;
    }
    r->first = first;
}

#ifdef FS_HAVE_FORK
static void *region_thread(void *region)
{
    run_region(region);
    return NULL;
}
#endif

/* The region on the calling thread, or on a new one where the calling
 * thread's pool cannot be vouched for (see needs_own_thread). */
static size_t run_parallel(fs_region *r)
{
#ifdef FS_HAVE_FORK
    pthread_t own;

    if (needs_own_thread()) {
        if (pthread_create(&own, NULL, region_thread, r) != 0) /* none to spare: this one alone */
            return job_range(r->job, 0, r->n_rows);
        pthread_join(own, NULL);
        return r->first;
    }
#endif
    run_region(r);
    return r->first;
}
#endif

/* Score every row of the job on `threads` threads; returns its first bad row, or FS_NO_ROW. */
static size_t run_on(const fs_job *job, size_t n_rows, int threads)
{
    size_t first;

    if (threads <= 1) {
        first = job_range(job, 0, n_rows);
    } else {
#ifdef _OPENMP
        fs_region region;
        region.job = job;
        region.n_rows = n_rows;
        region.threads = threads;
        region.first = FS_NO_ROW;
        first = run_parallel(&region);
#else
        first = job_range(job, 0, n_rows);
#endif
    }
    return first;
}

static size_t run(const fs_job *job, size_t n_rows, int n_threads)
{
    return run_on(job, n_rows, threads_for(job->m, n_rows, n_threads));
}

static int link_is_known(fs_link link)
{
    return (int)link >= 0 && link < FS_LINK_COUNT;
}

static fs_status check_args(const fs_model *m, const void *X, size_t n_rows, fs_link link,
                            const double *out, const size_t *bad_row)
{
    if (m == NULL || m->n_outputs == 0 || m->coef == NULL || m->intercept == NULL ||
        !link_is_known(link) || bad_row == NULL)
        return FS_BAD_ARGUMENT;
    if (n_rows > 0 && (X == NULL || out == NULL))
        return FS_BAD_ARGUMENT;
    return FS_OK;
}

/* Every row entry point: check the arguments, then score with the current
 * instruction set's float64 or float32 row range. */
static fs_status score(const fs_model *m, int is_f32, const void *X, size_t n_rows, fs_link link,
                       double *out, int binary, size_t *bad_row, int n_threads)
{
    fs_status status = check_args(m, X, n_rows, link, out, bad_row);
    fs_job job;
    size_t first;

    if (status == FS_OK && ((binary && m->n_outputs != 1) || m->n_tables != 0))
        status = FS_BAD_ARGUMENT;
    if (status != FS_OK || n_rows == 0)
        return status;
    job.m = m;
    job.range = is_f32 ? current()->f32 : current()->f64;
    job.X = X;
    job.columns = NULL;
    job.cols = NULL;
    job.sparse = NULL;
    job.sp = NULL;
    job.link = link;
    job.out = out;
    job.pairs = binary;
    first = run(&job, n_rows, n_threads);
    if (first == FS_NO_ROW)
        return FS_OK;
    *bad_row = first;
    return FS_NONFINITE;
}

fs_status fs_score_f64(const fs_model *m, const double *X, size_t n_rows, fs_link link,
                       double *out, size_t *bad_row, int n_threads)
{
    return score(m, 0, X, n_rows, link, out, 0, bad_row, n_threads);
}

fs_status fs_score_f32(const fs_model *m, const float *X, size_t n_rows, fs_link link,
                       double *out, size_t *bad_row, int n_threads)
{
    return score(m, 1, X, n_rows, link, out, 0, bad_row, n_threads);
}

fs_status fs_score_binary_f64(const fs_model *m, const double *X, size_t n_rows, fs_link link,
                              double *out, size_t *bad_row, int n_threads)
{
    return score(m, 0, X, n_rows, link, out, 1, bad_row, n_threads);
}

fs_status fs_score_binary_f32(const fs_model *m, const float *X, size_t n_rows, fs_link link,
                              double *out, size_t *bad_row, int n_threads)
{
    return score(m, 1, X, n_rows, link, out, 1, bad_row, n_threads);
}

/* What is wrong with a row that run() reported: its first non-finite column
 * (FS_NONFINITE), else its first table whose code is out of range
 * (FS_BAD_CODE).  Read serially after the threads, as one row. */
static fs_status diagnose(const fs_model *m, int is_f32, const fs_columns *a, size_t row,
                          size_t *bad_col)
{
    size_t i = is_f32 ? row_nonfinite_baseline_f32(m, (const float *const *)a->cols, a->strides, row)
                      : row_nonfinite_baseline_f64(m, (const double *const *)a->cols, a->strides, row);

    if (i < m->n_features) {
        *bad_col = i;
        return FS_NONFINITE;
    }
    for (i = 0; i < m->n_tables; i++) {
        int32_t code = a->codes[i][(ptrdiff_t)row * a->code_strides[i]];
        if (code < 0 || (size_t)code >= m->table_rows[i]) {
            *bad_col = i;
            return FS_BAD_CODE;
        }
    }
    return FS_BAD_ARGUMENT; /* not reached: run() reports only rows with a problem */
}

static fs_status score_columns(const fs_model *m, int is_f32, const void *const *cols,
                               const ptrdiff_t *strides, const int32_t *const *codes,
                               const ptrdiff_t *code_strides, size_t n_rows, fs_link link,
                               double *out, int pairs, size_t *bad_row, size_t *bad_col,
                               int n_threads)
{
    fs_columns a;
    fs_job job;
    size_t i, first;

    if (m == NULL || m->n_outputs == 0 || m->coef == NULL || m->intercept == NULL ||
        !link_is_known(link) || bad_row == NULL || bad_col == NULL ||
        (pairs && m->n_outputs != 1))
        return FS_BAD_ARGUMENT;
    if (m->n_tables > 0 && (m->table_rows == NULL || m->tables == NULL))
        return FS_BAD_ARGUMENT;
    for (i = 0; i < m->n_tables; i++)
        if (m->tables[i] == NULL && m->table_rows[i] > 0)
            return FS_BAD_ARGUMENT;
    if (n_rows == 0)
        return FS_OK;
    if (out == NULL || (m->n_features > 0 && (cols == NULL || strides == NULL)) ||
        (m->n_tables > 0 && (codes == NULL || code_strides == NULL)))
        return FS_BAD_ARGUMENT;
    for (i = 0; i < m->n_features; i++)
        if (cols[i] == NULL)
            return FS_BAD_ARGUMENT;
    for (i = 0; i < m->n_tables; i++)
        if (codes[i] == NULL)
            return FS_BAD_ARGUMENT;
    a.cols = cols;
    a.strides = strides;
    a.codes = codes;
    a.code_strides = code_strides;
    job.m = m;
    job.range = NULL;
    job.X = NULL;
    job.columns = is_f32 ? current()->columns_f32 : current()->columns_f64;
    job.cols = &a;
    job.sparse = NULL;
    job.sp = NULL;
    job.link = link;
    job.out = out;
    job.pairs = pairs;
    first = run(&job, n_rows, n_threads);
    if (first == FS_NO_ROW)
        return FS_OK;
    *bad_row = first;
    return diagnose(m, is_f32, &a, first, bad_col);
}

fs_status fs_score_columns_f64(const fs_model *m, const double *const *cols, const ptrdiff_t *strides,
                               const int32_t *const *codes, const ptrdiff_t *code_strides,
                               size_t n_rows, fs_link link, double *out, int pairs,
                               size_t *bad_row, size_t *bad_col, int n_threads)
{
    return score_columns(m, 0, (const void *const *)cols, strides, codes, code_strides, n_rows, link,
                         out, pairs, bad_row, bad_col, n_threads);
}

fs_status fs_score_columns_f32(const fs_model *m, const float *const *cols, const ptrdiff_t *strides,
                               const int32_t *const *codes, const ptrdiff_t *code_strides,
                               size_t n_rows, fs_link link, double *out, int pairs,
                               size_t *bad_row, size_t *bad_col, int n_threads)
{
    return score_columns(m, 1, (const void *const *)cols, strides, codes, code_strides, n_rows, link,
                         out, pairs, bad_row, bad_col, n_threads);
}

/* The sparse kernels, once per data and index type, for the baseline target
 * only (kernel_sparse.h says why).  They call the active instruction set's
 * link through current(). */
#define FS_ST double
#define FS_SI int32_t
#define FS_SSUF f64_i32
#include "kernel_sparse.h"
#undef FS_ST
#undef FS_SI
#undef FS_SSUF

#define FS_ST double
#define FS_SI int64_t
#define FS_SSUF f64_i64
#include "kernel_sparse.h"
#undef FS_ST
#undef FS_SI
#undef FS_SSUF

#define FS_ST float
#define FS_SI int32_t
#define FS_SSUF f32_i32
#include "kernel_sparse.h"
#undef FS_ST
#undef FS_SI
#undef FS_SSUF

#define FS_ST float
#define FS_SI int64_t
#define FS_SSUF f32_i64
#include "kernel_sparse.h"
#undef FS_ST
#undef FS_SI
#undef FS_SSUF

fs_status fs_score_sparse(const fs_model *m, const fs_sparse *X, fs_link link, double *out, int pairs,
                          size_t *bad_row, size_t *bad_col, int n_threads)
{
    static const fs_sparse_fn csr[4] = {csr_range_f64_i32, csr_range_f64_i64, csr_range_f32_i32,
                                        csr_range_f32_i64};
    static const fs_diagnose_fn diagnose_csr[4] = {csr_diagnose_f64_i32, csr_diagnose_f64_i64,
                                                   csr_diagnose_f32_i32, csr_diagnose_f32_i64};
    static const fs_csc_fn csc[4] = {csc_all_f64_i32, csc_all_f64_i64, csc_all_f32_i32, csc_all_f32_i64};
    fs_job job;
    size_t first;
    int kind;

    if (m == NULL || X == NULL || m->n_outputs == 0 || m->coef == NULL || m->intercept == NULL ||
        m->center != NULL || m->fill != NULL || m->n_tables != 0 || !link_is_known(link) ||
        bad_row == NULL || bad_col == NULL || (pairs && m->n_outputs != 1))
        return FS_BAD_ARGUMENT;
    if (X->indptr == NULL || (X->nnz > 0 && (X->data == NULL || X->indices == NULL)) ||
        (X->n_rows > 0 && out == NULL))
        return FS_BAD_ARGUMENT;
    kind = (X->f32 ? 2 : 0) + (X->idx64 ? 1 : 0);
    if (X->csc)
        return csc[kind](m, X, link, out, pairs, bad_row, bad_col);
    if (X->n_rows == 0)
        return FS_OK;
    job.m = m;
    job.range = NULL;
    job.X = NULL;
    job.columns = NULL;
    job.cols = NULL;
    job.sparse = csr[kind];
    job.sp = X;
    job.link = link;
    job.out = out;
    job.pairs = pairs;
    first = run_on(&job, X->n_rows,
                   threads_for_values(X->nnz + X->n_rows * m->n_outputs, X->n_rows, n_threads));
    if (first == FS_NO_ROW)
        return FS_OK;
    *bad_row = first;
    return diagnose_csr[kind](m, X, first, bad_col);
}

void fs_apply_link(fs_link link, double *z, size_t k)
{
    if (link_is_known(link) && k > 0)
        current()->link(link, z, 1, k);
}
