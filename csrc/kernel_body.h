/*
 * kernel_body.h - the blocked kernel, included by fastscore.c once per
 * instruction set.  Not a public header.
 *
 * Before each inclusion fastscore.c defines
 *   FS_ISA     a suffix for every name defined here (baseline, avx2, avx512)
 *   FS_TARGET  the function attribute that selects the instruction set
 * so each copy is the same C code, vectorised by the compiler for its target.
 *
 * Everything here is written so that GCC and Clang vectorise it at -O2/-O3
 * without -ffast-math: loops without early exits, branch-free bodies,
 * independent accumulators instead of reassociated sums.
 */
#define FS_CAT2(a, b) a##_##b
#define FS_CAT(a, b) FS_CAT2(a, b)
#define FS_FN(name) FS_CAT(name, FS_ISA)

/*
 * exp(x) to about 1 ulp, branch-free.  x = n ln2 + r with |r| <= ln2/2
 * (Cody-Waite: ln2 split in a high part whose products with n are exact and
 * a low part), exp(r) by its Taylor polynomial of degree 13 (truncation error
 * below 1e-17 relative), then 2^n applied as two factors 2^n1 2^n2, each a
 * normal double, so that results down in the subnormal range round once, like
 * libm's.  x is clamped to [-746, 710] first: beyond it libm gives exactly 0
 * or inf, and so does this (the product underflows or overflows).  NaN passes
 * through the clamps and the arithmetic unchanged.
 */
static FS_INLINE FS_TARGET double FS_FN(exp)(double x)
{
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double log2e = 1.4426950408889634;
    const double ln2_hi = 0.693145751953125;    /* 11 significant bits: n * ln2_hi is exact */
    const double ln2_lo = 1.4286068203094173e-06;
    double t, n, r, r2, r4, q, p, h, n2;
    uint64_t b1, b2;
    double s1, s2;

    x = x < -746.0 ? -746.0 : x;
    x = x > 710.0 ? 710.0 : x;
    t = x * log2e + shift;
    n = t - shift;
    r = x - n * ln2_hi;
    r = r - n * ln2_lo;
    /* exp(r) = 1 + (r + r^2 q(r)), q by Estrin's scheme: six dependent
     * steps instead of Horner's thirteen, and the 1 added last, so that the
     * rounding of the small part hardly reaches the result. */
    r2 = r * r;
    r4 = r2 * r2;
    q = ((1.0 / 2 + r * (1.0 / 6)) + r2 * (1.0 / 24 + r * (1.0 / 120))) +
        r4 * (((1.0 / 720 + r * (1.0 / 5040)) + r2 * (1.0 / 40320 + r * (1.0 / 362880))) +
              r4 * ((1.0 / 3628800 + r * (1.0 / 39916800)) +
                    r2 * (1.0 / 479001600 + r * (1.0 / 6227020800.0))));
    p = 1.0 + (r + r2 * q);
    /* n1 = round(n / 2), n2 = n - n1: both in [-539, 513].  The low 12 bits
     * of (shift + m)'s representation are m's, so adding the exponent bias
     * and shifting left by 52 builds 2^m without a float-to-int conversion. */
    h = n * 0.5 + shift;
    n2 = (n - (h - shift)) + shift;
    memcpy(&b1, &h, sizeof b1);
    memcpy(&b2, &n2, sizeof b2);
    b1 = (b1 + 1023u) << 52;
    b2 = (b2 + 1023u) << 52;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}

/* Apply a link to rows x k values in place; the vector work runs over the
 * whole block at once. */
static FS_TARGET void FS_FN(link_block)(fs_link link, double *z, size_t rows, size_t k)
{
    size_t v, r, j, nv = rows * k;

    switch (link) {
    case FS_LINK_IDENTITY:
        break;
    case FS_LINK_LOGISTIC:
    case FS_LINK_OVR:
    case FS_LINK_ONEVSREST:
        /* exp(-z) = inf for z < -709.78 gives exactly 0, as the reference does. */
        for (v = 0; v < nv; v++)
            z[v] = 1.0 / (1.0 + FS_FN(exp)(-z[v]));
        if (link != FS_LINK_LOGISTIC && k > 1)
            for (r = 0; r < rows; r++)
                normalise(z + r * k, k, link == FS_LINK_OVR);
        break;
    case FS_LINK_SOFTMAX:
        /* Subtracting the row max keeps every exp() in (0, 1]. */
        for (r = 0; r < rows; r++) {
            double *row = z + r * k, top = row[0];
            for (j = 1; j < k; j++)
                top = row[j] > top ? row[j] : top;
            for (j = 0; j < k; j++)
                row[j] -= top;
        }
        for (v = 0; v < nv; v++)
            z[v] = FS_FN(exp)(z[v]);
        for (r = 0; r < rows; r++) {
            double *row = z + r * k, sum = 0.0;
            for (j = 0; j < k; j++)
                sum += row[j];
            for (j = 0; j < k; j++)
                row[j] /= sum;
        }
        break;
    case FS_LINK_EXP:
        for (v = 0; v < nv; v++)
            z[v] = FS_FN(exp)(z[v]);
        break;
    case FS_LINK_MODIFIED_HUBER:
    case FS_LINK_ONEVSREST_MODIFIED_HUBER:
        for (v = 0; v < nv; v++)
            z[v] = ((z[v] < -1.0 ? -1.0 : z[v] > 1.0 ? 1.0 : z[v]) + 1.0) / 2.0;
        if (k > 1)
            for (r = 0; r < rows; r++)
                normalise(z + r * k, k, link == FS_LINK_MODIFIED_HUBER);
        break;
    }
}

/* 1 if any of the n values is NaN or infinite.  Integer arithmetic, so the
 * loop vectorises: an all-ones exponent plus one carries into the sign bit. */
static FS_TARGET int FS_FN(any_nonfinite)(const double *z, size_t n)
{
    const uint64_t exponent = 0x7ff0000000000000u, one = 0x0010000000000000u;
    uint64_t acc = 0, bits;
    size_t v;

    for (v = 0; v < n; v++) {
        memcpy(&bits, z + v, sizeof bits);
        acc |= (bits & exponent) + one;
    }
    return (int)(acc >> 63);
}

#define FS_DEFINE_BODY(T, SUF)                                                 \
                                                                               \
/* z = x . w + b for `rows` rows of D features (D a compile-time constant):    \
 * the compiler unrolls the features and vectorises across rows. */           \
static FS_INLINE FS_TARGET void FS_CAT(FS_FN(dot_small), SUF)(                    \
    const T *X, size_t rows, size_t D, const double *w, double b, double *z)  \
{                                                                              \
    size_t r, i;                                                               \
    for (r = 0; r < rows; r++) {                                               \
        const T *x = X + r * D;                                                \
        double s = (double)x[0] * w[0];                                        \
        for (i = 1; i < D; i++)                                                \
            s += (double)x[i] * w[i];                                          \
        z[r] = s + b;                                                          \
    }                                                                          \
}                                                                              \
                                                                               \
/* One dot product, vectorised across features with FS_LANES independent    \
 * partial sums (any order is as exact as numpy's BLAS: see tests/helpers.py)\
 * summed pairwise at the end. */                                             \
static FS_INLINE FS_TARGET double FS_CAT(FS_FN(dot), SUF)(                     \
    const T *x, const double *w, const double *c, size_t d)                    \
{                                                                              \
    double acc[FS_LANES], tail = 0.0; /* a scalar tail: no lane inserts */     \
    size_t i = 0, j, h;                                                        \
    for (j = 0; j < FS_LANES; j++)                                             \
        acc[j] = 0.0;                                                          \
    if (c == NULL) {                                                           \
        for (; i + FS_LANES <= d; i += FS_LANES)                               \
            for (j = 0; j < FS_LANES; j++)                                     \
                acc[j] += (double)x[i + j] * w[i + j];                         \
        for (; i < d; i++)                                                     \
            tail += (double)x[i] * w[i];                                       \
    } else {                                                                   \
        for (; i + FS_LANES <= d; i += FS_LANES)                               \
            for (j = 0; j < FS_LANES; j++)                                     \
                acc[j] += ((double)x[i + j] - c[i + j]) * w[i + j];            \
        for (; i < d; i++)                                                     \
            tail += ((double)x[i] - c[i]) * w[i];                              \
    }                                                                          \
    for (h = FS_LANES / 2; h > 0; h /= 2)                                      \
        for (j = 0; j < h; j++)                                                \
            acc[j] += acc[j + h];                                              \
    return acc[0] + tail;                                                      \
}                                                                              \
                                                                               \
/* z for one block of rows (n_outputs values per row). */                      \
static FS_TARGET void FS_CAT(FS_FN(block), SUF)(                               \
    const fs_model *m, const T *X, size_t rows, double *z)                     \
{                                                                              \
    const size_t d = m->n_features, k = m->n_outputs;                          \
    size_t r, j;                                                               \
    if (k == 1 && m->center == NULL && d <= FS_SMALL_D) {                       \
        const double *w = m->coef, b = m->intercept[0];                        \
        switch (d) {                                                           \
        case 1: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 1, w, b, z); return;    \
        case 2: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 2, w, b, z); return;    \
        case 3: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 3, w, b, z); return;    \
        case 4: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 4, w, b, z); return;    \
        case 5: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 5, w, b, z); return;    \
        case 6: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 6, w, b, z); return;    \
        case 7: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 7, w, b, z); return;    \
        case 8: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 8, w, b, z); return;    \
        case 9: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 9, w, b, z); return;    \
        case 10: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 10, w, b, z); return;   \
        case 11: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 11, w, b, z); return;   \
        case 12: FS_CAT(FS_FN(dot_small), SUF)(X, rows, 12, w, b, z); return;   \
        default: break;                                                        \
        }                                                                      \
    }                                                                          \
    for (r = 0; r < rows; r++)                                                 \
        for (j = 0; j < k; j++)                                                \
            z[r * k + j] = FS_CAT(FS_FN(dot), SUF)(X + r * d, m->coef + j * d,  \
                                                   m->center, d) +             \
                           m->intercept[j];                                    \
}                                                                              \
                                                                               \
/* Score rows [r0, r1) block by block.  Returns the first row holding NaN or   \
 * infinity (rows before it are scored), or FS_NO_ROW.  With pairs (one       \
 * output only), each row's p is spread to (1 - p, p) while still in L1. */    \
static FS_TARGET size_t FS_CAT(FS_FN(range), SUF)(                             \
    const fs_model *m, const void *Xv, size_t r0, size_t r1, fs_link link,     \
    double *out, int pairs)                                                    \
{                                                                              \
    const T *X = (const T *)Xv;                                                \
    const size_t d = m->n_features, k = m->n_outputs;                          \
    const size_t width = pairs ? 2 : k;                                        \
    const size_t step = k < FS_BLOCK_ROWS ? FS_BLOCK_ROWS / k : 1;             \
    size_t r, rows, i, j;                                                      \
    for (r = r0; r < r1; r += rows) {                                          \
        double *z = out + r * width;                                           \
        rows = r1 - r < step ? r1 - r : step;                                  \
        FS_CAT(FS_FN(block), SUF)(m, X + r * d, rows, z);                      \
        if (FS_FN(any_nonfinite)(z, rows * k)) {                               \
            /* Non-finite x always makes some z non-finite (inf * 0 is NaN);  \
             * a finite row can still overflow z, which is not an error. */    \
            for (i = 0; i < rows; i++) {                                       \
                if (!FS_FN(any_nonfinite)(z + i * k, k))                       \
                    continue;                                                  \
                for (j = 0; j < d; j++)                                        \
                    if (!isfinite((double)X[(r + i) * d + j])) {               \
                        FS_FN(link_block)(link, z, i, k);                      \
                        if (pairs)                                             \
                            spread_pairs(z, i);                                \
                        return r + i;                                          \
                    }                                                          \
            }                                                                  \
        }                                                                      \
        /* With few features, ask for the whole next block now: it streams   \
         * in while the link computes (measured: larger blocks lose). */       \
        if (link != FS_LINK_IDENTITY && r + rows < r1 &&                       \
            step * d * sizeof(T) <= FS_PREFETCH_BYTES) {                       \
            const char *next = (const char *)(X + (r + rows) * d);             \
            size_t off;                                                        \
            for (off = 0; off < step * d * sizeof(T); off += 64)               \
                FS_PREFETCH(next + off);                                       \
        }                                                                      \
        FS_FN(link_block)(link, z, rows, k);                                   \
        if (pairs)                                                             \
            spread_pairs(z, rows);                                             \
    }                                                                          \
    return FS_NO_ROW;                                                          \
}

FS_DEFINE_BODY(double, f64)
FS_DEFINE_BODY(float, f32)

#undef FS_DEFINE_BODY
#undef FS_FN
#undef FS_CAT
#undef FS_CAT2
