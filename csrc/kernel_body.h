/*
 * kernel_body.h - the blocked kernel for one instruction set: a template
 * header, included by fastscore.c once per instruction set.  Not a public
 * header.
 *
 * Before each inclusion fastscore.c defines
 *   FS_ISA     a suffix for every name defined here (its entry in fastscore.c's isas[])
 *   FS_TARGET  the function attribute that selects the instruction set
 * so each copy is the same C code, vectorised by the compiler for its target.
 * Here live what does not depend on X's type (exp, the links, the check for
 * NaN and infinity, the code tables); kernel_dtype.h, included below once
 * per type, holds the dot products and the loops over rows and columns.
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
    case FS_LINK_COUNT: /* not a link: refused before any scoring */
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

/* Tables are added FS_TABLE_GROUP at a time, row by row. */
#ifndef FS_TABLE_GROUP
#define FS_TABLE_GROUP 8
#endif

/* Add each table's row to z for rows [0, limit) of the block that starts at
 * row r.  Returns the first row (below limit) whose code is out of its
 * table's range, or limit: the rows before it have every table's row added,
 * the rows from it on are left unspecified.
 *
 * Row by row, each row's z held in a register while up to FS_TABLE_GROUP
 * tables' rows are added to it in table order (the sum a pass per table
 * would give): measured 1.5 to 2 times faster than a pass per table, whose
 * vectorised form emulates gathers with scalar loads anyway.  A code out of
 * range is never used to read: row 0 is read in its place, branch-free, and
 * the code noted; only then is the first such row sought. */
static FS_TARGET size_t FS_FN(add_tables)(const fs_model *m, const int32_t *const *codes,
                                          const ptrdiff_t *code_strides, size_t r, size_t limit,
                                          double *z)
{
    const size_t k = m->n_outputs;
    const int32_t *c[FS_TABLE_GROUP];
    const double *T[FS_TABLE_GROUP];
    ptrdiff_t s[FS_TABLE_GROUP];
    uint32_t top[FS_TABLE_GROUP], bad, u;
    size_t t0, t, g, i, o;

    for (t0 = 0; t0 < m->n_tables && limit > 0; t0 += FS_TABLE_GROUP) {
        g = m->n_tables - t0 < FS_TABLE_GROUP ? m->n_tables - t0 : FS_TABLE_GROUP;
        for (t = 0; t < g; t++) {
            size_t n = m->table_rows[t0 + t];
            s[t] = code_strides[t0 + t];
            c[t] = codes[t0 + t] + (ptrdiff_t)r * s[t];
            T[t] = m->tables[t0 + t];
            /* (uint32_t)code < top exactly when 0 <= code < table_rows. */
            top[t] = n > (size_t)INT32_MAX ? (uint32_t)INT32_MAX + 1u : (uint32_t)n;
            if (top[t] == 0)
                return 0; /* no code is in range of an empty table (and it has no row 0) */
        }
        bad = 0;
        if (k == 1) {
            for (i = 0; i < limit; i++) {
                double v = z[i];
                for (t = 0; t < g; t++) {
                    u = (uint32_t)c[t][(ptrdiff_t)i * s[t]];
                    bad |= u >= top[t];
                    v += T[t][u < top[t] ? u : 0];
                }
                z[i] = v;
            }
        } else {
            for (i = 0; i < limit; i++)
                for (t = 0; t < g; t++) {
                    const double *row;
                    u = (uint32_t)c[t][(ptrdiff_t)i * s[t]];
                    bad |= u >= top[t];
                    row = T[t] + (size_t)(u < top[t] ? u : 0) * k;
                    for (o = 0; o < k; o++)
                        z[i * k + o] += row[o];
                }
        }
        if (bad) {
            for (i = 0; i < limit; i++) {
                for (t = 0; t < g && (uint32_t)c[t][(ptrdiff_t)i * s[t]] < top[t]; t++)
                    continue;
                if (t < g)
                    break;
            }
            limit = i;
        }
    }
    return limit;
}

/* The rows of the kernel, once per input type (kernel_dtype.h is a template). */
#define FS_T double
#define FS_SUF f64
#include "kernel_dtype.h"
#undef FS_T
#undef FS_SUF

#define FS_T float
#define FS_SUF f32
#include "kernel_dtype.h"
#undef FS_T
#undef FS_SUF

#undef FS_FN
#undef FS_CAT
#undef FS_CAT2
