/*
 * kernel_dtype.h - the rows of the blocked kernel for one input type: a
 * template header, included by kernel_body.h once per type.  Not a public
 * header.
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

/* z for one block of rows (n_outputs values per row). */
static FS_TARGET void FS_TFN(block)(const fs_model *m, const FS_T *X, size_t rows, double *z)
{
    const size_t d = m->n_features, k = m->n_outputs;
    size_t r, j;
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
                    if (!isfinite((double)x[j])) {
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
                        volatile double t = m->center == NULL ? (double)x[j] * w[j]
                                                              : ((double)x[j] - m->center[j]) * w[j];
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

#undef FS_TFN
