/*
 * kernel_dtype.h - the rows of the blocked kernel for one input type, from a
 * row-major X or from columns: a template header, included by kernel_body.h
 * once per type.  Not a public header.
 *
 * Before each inclusion kernel_body.h defines
 *   FS_T    the element type of X (double, float)
 *   FS_SUF  a suffix for every name defined here (f64, f32)
 * and, for the instruction set, FS_FN / FS_TARGET as described there.  Every
 * name defined here is FS_TFN(name): name_<isa>_<suffix>, e.g. range_avx2_f64.
 * X is read as FS_T and widened element by element; all arithmetic is double.
 */
#define FS_TFN(name) FS_CAT(FS_FN(name), FS_SUF)

/* z = x . w + b for `rows` rows of D features (D a compile-time constant):
 * the compiler unrolls the features and vectorises across rows. */
static FS_INLINE FS_TARGET void FS_TFN(dot_small)(const FS_T *X, size_t rows, size_t D,
                                                  const double *w, double b, double *z)
{
    size_t r, i;
    for (r = 0; r < rows; r++) {
        const FS_T *x = X + r * D;
        double s = (double)x[0] * w[0];
        for (i = 1; i < D; i++)
            s += (double)x[i] * w[i];
        z[r] = s + b;
    }
}

/* One dot product, vectorised across features with FS_LANES independent
 * partial sums (any order is as exact as numpy's BLAS: see tests/helpers.py)
 * summed pairwise at the end. */
static FS_INLINE FS_TARGET double FS_TFN(dot)(const FS_T *x, const double *w, const double *c,
                                              size_t d)
{
    double acc[FS_LANES], tail = 0.0; /* a scalar tail: no lane inserts */
    size_t i = 0, j, h;
    for (j = 0; j < FS_LANES; j++)
        acc[j] = 0.0;
    if (c == NULL) {
        for (; i + FS_LANES <= d; i += FS_LANES)
            for (j = 0; j < FS_LANES; j++)
                acc[j] += (double)x[i + j] * w[i + j];
        for (; i < d; i++)
            tail += (double)x[i] * w[i];
    } else {
        for (; i + FS_LANES <= d; i += FS_LANES)
            for (j = 0; j < FS_LANES; j++)
                acc[j] += ((double)x[i + j] - c[i + j]) * w[i + j];
        for (; i < d; i++)
            tail += ((double)x[i] - c[i]) * w[i];
    }
    for (h = FS_LANES / 2; h > 0; h /= 2)
        for (j = 0; j < h; j++)
            acc[j] += acc[j + h];
    return acc[0] + tail;
}

/* dot() with each NaN x[i] read as f[i]; a NaN f[i] keeps it NaN, so that
 * the row's z is not finite and the row is reported.  A separate copy, so
 * that dot() stays as it is for the models without fill. */
static FS_INLINE FS_TARGET double FS_TFN(dot_fill)(const FS_T *x, const double *w, const double *c,
                                                   const double *f, size_t d)
{
    double acc[FS_LANES], tail = 0.0, v;
    size_t i = 0, j, h;
    for (j = 0; j < FS_LANES; j++)
        acc[j] = 0.0;
    if (c == NULL) {
        for (; i + FS_LANES <= d; i += FS_LANES)
            for (j = 0; j < FS_LANES; j++) {
                v = (double)x[i + j];
                acc[j] += (v != v ? f[i + j] : v) * w[i + j];
            }
        for (; i < d; i++) {
            v = (double)x[i];
            tail += (v != v ? f[i] : v) * w[i];
        }
    } else {
        for (; i + FS_LANES <= d; i += FS_LANES)
            for (j = 0; j < FS_LANES; j++) {
                v = (double)x[i + j];
                acc[j] += ((v != v ? f[i + j] : v) - c[i + j]) * w[i + j];
            }
        for (; i < d; i++) {
            v = (double)x[i];
            tail += ((v != v ? f[i] : v) - c[i]) * w[i];
        }
    }
    for (h = FS_LANES / 2; h > 0; h /= 2)
        for (j = 0; j < h; j++)
            acc[j] += acc[j + h];
    return acc[0] + tail;
}

/* z for one block of rows (n_outputs values per row). */
static FS_TARGET void FS_TFN(block)(const fs_model *m, const FS_T *X, size_t rows, double *z)
{
    const size_t d = m->n_features, k = m->n_outputs;
    size_t r, j;
    if (m->fill != NULL) {
        for (r = 0; r < rows; r++)
            for (j = 0; j < k; j++)
                z[r * k + j] = FS_TFN(dot_fill)(X + r * d, m->coef + j * d, m->center, m->fill, d) +
                               m->intercept[j];
        return;
    }
    if (k == 1 && m->center == NULL && d <= FS_SMALL_D) {
        const double *w = m->coef, b = m->intercept[0];
        switch (d) {
        case 1: FS_TFN(dot_small)(X, rows, 1, w, b, z); return;
        case 2: FS_TFN(dot_small)(X, rows, 2, w, b, z); return;
        case 3: FS_TFN(dot_small)(X, rows, 3, w, b, z); return;
        case 4: FS_TFN(dot_small)(X, rows, 4, w, b, z); return;
        case 5: FS_TFN(dot_small)(X, rows, 5, w, b, z); return;
        case 6: FS_TFN(dot_small)(X, rows, 6, w, b, z); return;
        case 7: FS_TFN(dot_small)(X, rows, 7, w, b, z); return;
        case 8: FS_TFN(dot_small)(X, rows, 8, w, b, z); return;
        case 9: FS_TFN(dot_small)(X, rows, 9, w, b, z); return;
        case 10: FS_TFN(dot_small)(X, rows, 10, w, b, z); return;
        case 11: FS_TFN(dot_small)(X, rows, 11, w, b, z); return;
        case 12: FS_TFN(dot_small)(X, rows, 12, w, b, z); return;
        default: break;
        }
    }
    for (r = 0; r < rows; r++)
        for (j = 0; j < k; j++)
            z[r * k + j] = FS_TFN(dot)(X + r * d, m->coef + j * d, m->center, d) + m->intercept[j];
}

/* x as the dot products read it: a NaN is fill[i] where m has a fill. */
#define FS_FILLED(x, i) (m->fill != NULL && (x) != (x) ? m->fill[i] : (double)(x))

/* Score rows [r0, r1) block by block.  Returns the first row holding NaN or
 * infinity (rows before it are scored), or FS_NO_ROW.  With pairs (one
 * output only), each row's p is spread to (1 - p, p) while still in L1. */
static FS_TARGET size_t FS_TFN(range)(const fs_model *m, const void *Xv, size_t r0, size_t r1,
                                      fs_link link, double *out, int pairs)
{
    const FS_T *X = (const FS_T *)Xv;
    const size_t d = m->n_features, k = m->n_outputs;
    const size_t width = pairs ? 2 : k;
    const size_t step = k < FS_BLOCK_ROWS ? FS_BLOCK_ROWS / k : 1;
    size_t r, rows, i, j, o;
    for (r = r0; r < r1; r += rows) {
        double *z = out + r * width;
        rows = r1 - r < step ? r1 - r : step;
        FS_TFN(block)(m, X + r * d, rows, z);
        if (FS_FN(any_nonfinite)(z, rows * k)) {
            /* Non-finite x always makes some z non-finite (inf * 0 is NaN);
             * a finite row can still overflow z, which is not an error. */
            for (i = 0; i < rows; i++) {
                const FS_T *x = X + (r + i) * d;
                if (!FS_FN(any_nonfinite)(z + i * k, k))
                    continue;
                for (j = 0; j < d; j++)
                    if (!isfinite(FS_FILLED(x[j], j))) {
                        FS_FN(link_block)(link, z, i, k);
                        if (pairs)
                            spread_pairs(z, i);
                        return r + i;
                    }
                /* An overflowing z is summed again, left to right with each
                 * product rounded on its own (a volatile term cannot be fused
                 * into a multiply-add), as score_one and the pure mirror do:
                 * an exact product added to +inf stays +inf where its rounded
                 * -inf gives NaN, so only this sum is the same on every
                 * instruction set (NaN for terms beyond +-DBL_MAX both ways). */
                for (o = 0; o < k; o++) {
                    const double *w = m->coef + o * d;
                    double s = 0.0;
                    if (isfinite(z[i * k + o]))
                        continue;
                    for (j = 0; j < d; j++) {
                        volatile double t = m->center == NULL ? FS_FILLED(x[j], j) * w[j]
                                                              : (FS_FILLED(x[j], j) - m->center[j]) * w[j];
                        s += t;
                    }
                    z[i * k + o] = s + m->intercept[o];
                }
            }
        }
        /* With few features, ask for the whole next block now: it streams
         * in while the link computes (measured: larger blocks lose). */
        if (link != FS_LINK_IDENTITY && r + rows < r1 &&
            step * d * sizeof(FS_T) <= FS_PREFETCH_BYTES) {
            const char *next = (const char *)(X + (r + rows) * d);
            size_t off;
            for (off = 0; off < step * d * sizeof(FS_T); off += 64)
                FS_PREFETCH(next + off);
        }
        FS_FN(link_block)(link, z, rows, k);
        if (pairs)
            spread_pairs(z, rows);
    }
    return FS_NO_ROW;
}

/* --- columns ------------------------------------------------------------- */

/*
 * The columns' z is summed in one order on every path: the intercept first,
 * then each column's term from column 0 up, s = s + w (x - c).  Each step
 * then holds a single product, so a target with FMA contracts every step
 * into one fma(w, x - c, s) whatever the loop's shape (a vector body, its
 * narrower or scalar tail): the result does not depend on a row's place in
 * its block, nor on the split of rows across threads.  (With two products
 * in one sum, w0 t0 + w1 t1, the compiler may fuse either, and did so
 * differently in a loop's body and its tail.)
 */

/* z[r] += w (x[r s] - c) for `rows` rows, a NaN x read as f when `fill`:
 * the flag is a constant where this is inlined, so each use is its own
 * loop, vectorised across rows (with the contiguous case apart, where the
 * compiler needs no gather). */
static FS_INLINE FS_TARGET void FS_TFN(col_term)(const FS_T *x, ptrdiff_t s, size_t rows, double w,
                                                 double c, double f, int fill, double *z)
{
    size_t r;
    double v;
    if (s == 1) {
        for (r = 0; r < rows; r++) {
            v = (double)x[r];
            if (fill)
                v = v != v ? f : v;
            z[r] += w * (v - c);
        }
    } else {
        for (r = 0; r < rows; r++) {
            v = (double)x[(ptrdiff_t)r * s];
            if (fill)
                v = v != v ? f : v;
            z[r] += w * (v - c);
        }
    }
}

/* z[r] = b + sum_i w[i] (x_i[r] - c[i]) for `rows` rows of D contiguous
 * columns (D a compile-time constant where this is inlined): one pass over
 * the block, vectorised across rows, summed as col_term's passes sum.  z
 * overlaps no column (restrict): without that promise the compiler would
 * check every column against z at run time. */
static FS_INLINE FS_TARGET void FS_TFN(cols_small)(const FS_T *const *x, size_t rows, size_t D,
                                                   const double *w, const double *c, const double *f,
                                                   int fill, double b, double *FS_RESTRICT z)
{
    size_t r, i;
    double v, s;
    for (r = 0; r < rows; r++) {
        s = b;
        for (i = 0; i < D; i++) {
            v = (double)x[i][r];
            if (fill)
                v = v != v ? f[i] : v;
            s += w[i] * (v - c[i]);
        }
        z[r] = s;
    }
}

#define FS_COLS_SMALL(D)                                                                          \
    case D:                                                                                       \
        if (fill)                                                                                 \
            FS_TFN(cols_small)(x, rows, D, w, c, f, 1, b, z);                                     \
        else                                                                                      \
            FS_TFN(cols_small)(x, rows, D, w, c, f, 0, b, z);                                     \
        return 1;

/* cols_small for one output and up to FS_SMALL_D contiguous columns, from
 * rows [row, row + rows); 0 (nothing done) for any other model or columns. */
static FS_TARGET int FS_TFN(col_block_small)(const fs_model *m, const FS_T *const *cols,
                                             const ptrdiff_t *strides, size_t row, size_t rows,
                                             double *z)
{
    const size_t d = m->n_features;
    const FS_T *x[FS_SMALL_D];
    double c[FS_SMALL_D], f[FS_SMALL_D];
    const double *w = m->coef, b = m->intercept[0];
    const int fill = m->fill != NULL;
    size_t i;
    if (m->n_outputs != 1 || d == 0 || d > FS_SMALL_D)
        return 0;
    for (i = 0; i < d; i++) {
        if (strides[i] != 1)
            return 0;
        x[i] = cols[i] + row;
        c[i] = m->center != NULL ? m->center[i] : 0.0; /* x - 0 is x, exactly */
        f[i] = fill ? m->fill[i] : 0.0;                /* a NaN fill keeps a NaN x */
    }
    switch (d) {
    FS_COLS_SMALL(1)
    FS_COLS_SMALL(2)
    FS_COLS_SMALL(3)
    FS_COLS_SMALL(4)
    FS_COLS_SMALL(5)
    FS_COLS_SMALL(6)
    FS_COLS_SMALL(7)
    FS_COLS_SMALL(8)
    FS_COLS_SMALL(9)
    FS_COLS_SMALL(10)
    FS_COLS_SMALL(11)
    FS_COLS_SMALL(12)
    default:
        return 0;
    }
}

#undef FS_COLS_SMALL

/* acc[r] = intercept[o] + the sum over the columns of coef[o][i] (x_i -
 * center[i]) for rows [row, row + rows), a pass per column. */
static FS_TARGET void FS_TFN(col_output)(const fs_model *m, const FS_T *const *cols,
                                         const ptrdiff_t *strides, size_t row, size_t rows, size_t o,
                                         double *acc)
{
    const size_t d = m->n_features;
    const double *w = m->coef + o * d, b = m->intercept[o];
    size_t i, r;
    for (r = 0; r < rows; r++)
        acc[r] = b;
    for (i = 0; i < d; i++) {
        const FS_T *x = cols[i] + (ptrdiff_t)row * strides[i];
        const double c = m->center != NULL ? m->center[i] : 0.0; /* x - 0 is x, exactly */
        if (m->fill != NULL && m->fill[i] == m->fill[i])
            FS_TFN(col_term)(x, strides[i], rows, w[i], c, m->fill[i], 1, acc);
        else
            FS_TFN(col_term)(x, strides[i], rows, w[i], c, 0.0, 0, acc);
    }
}

/* The first column of `row` whose value (filled) is NaN or infinite, or d. */
static FS_TARGET size_t FS_TFN(row_nonfinite)(const fs_model *m, const FS_T *const *cols,
                                              const ptrdiff_t *strides, size_t row)
{
    size_t i;
    for (i = 0; i < m->n_features; i++)
        if (!isfinite(FS_FILLED(cols[i][(ptrdiff_t)row * strides[i]], i)))
            return i;
    return m->n_features;
}

/* Score rows [r0, r1) of the columns block by block: z from the columns
 * (vectorised across the block's rows), the check for NaN and infinity, the
 * table rows, then the link.  Returns the first row holding a non-finite
 * value or a code out of range (rows before it are scored), or FS_NO_ROW. */
static FS_TARGET size_t FS_TFN(columns_range)(const fs_model *m, const fs_columns *a, size_t r0,
                                              size_t r1, fs_link link, double *out, int pairs)
{
    const FS_T *const *cols = (const FS_T *const *)a->cols;
    const size_t k = m->n_outputs;
    const size_t width = pairs ? 2 : k;
    const size_t step = k < FS_BLOCK_ROWS ? FS_BLOCK_ROWS / k : 1;
    double acc[FS_BLOCK_ROWS]; /* several outputs: one output's block at a time */
    size_t r, rows, i, o, bad;
    for (r = r0; r < r1; r += rows) {
        double *z = out + r * width;
        rows = r1 - r < step ? r1 - r : step;
        if (k == 1) {
            if (!FS_TFN(col_block_small)(m, cols, a->strides, r, rows, z))
                FS_TFN(col_output)(m, cols, a->strides, r, rows, 0, z);
        } else {
            for (o = 0; o < k; o++) {
                FS_TFN(col_output)(m, cols, a->strides, r, rows, o, acc);
                for (i = 0; i < rows; i++)
                    z[i * k + o] = acc[i];
            }
        }
        bad = rows;
        if (FS_FN(any_nonfinite)(z, rows * k))
            for (i = 0; i < rows; i++)
                if (FS_FN(any_nonfinite)(z + i * k, k) &&
                    FS_TFN(row_nonfinite)(m, cols, a->strides, r + i) < m->n_features) {
                    bad = i;
                    break;
                }
        if (m->n_tables > 0)
            bad = FS_FN(add_tables)(m, a->codes, a->code_strides, r, bad, z);
        if (bad < rows) {
            FS_FN(link_block)(link, z, bad, k);
            if (pairs)
                spread_pairs(z, bad);
            return r + bad;
        }
        FS_FN(link_block)(link, z, rows, k);
        if (pairs)
            spread_pairs(z, rows);
    }
    return FS_NO_ROW;
}

#undef FS_FILLED
#undef FS_TFN
