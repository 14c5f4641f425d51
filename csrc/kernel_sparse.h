/*
 * kernel_sparse.h - scoring over a sparse X (CSR or CSC) for one data type
 * and one index type: a template header, included by fastscore.c once per
 * pair.  Not a public header.
 *
 * Before each inclusion fastscore.c defines
 *   FS_ST    the type of X's values (double, float)
 *   FS_SI    the type of its indices and indptr (int32_t, int64_t)
 *   FS_SSUF  a suffix for every name defined here (f64_i32, ...)
 *
 * Compiled once, for the build's baseline target only: the work is a gather
 * of coef at each entry's column, bound by memory, which wider vectors do not
 * speed up.  Each step adds one product, s = s + x w, starting from 0, the
 * intercept added last: scipy's csr_matvec(s) sums a row of X @ coef.T in the
 * same order, so on a target without FMA contraction (x86-64's baseline) z is
 * scikit-learn's to the bit.
 */
#define FS_SCAT2(a, b) a##_##b
#define FS_SCAT(a, b) FS_SCAT2(a, b)
#define FS_SFN(name) FS_SCAT(name, FS_SSUF)

/* 1 when the span [a, b) of one row (CSR) or column (CSC) lies inside the data. */
#define FS_SPAN_OK(a, b, nnz) ((a) >= 0 && (b) >= (a) && (uint64_t)(b) <= (uint64_t)(nnz))

/* 1 when index i is outside [0, n): negative indices wrap to huge unsigned ones. */
#define FS_OUTSIDE(i, n) ((uint64_t)(int64_t)(i) >= (uint64_t)(n))

/* Score rows [r0, r1) of a CSR X block by block: each row's z from its
 * entries in stored order (duplicates add up, as in scipy), then the link.
 * Returns the first row whose span or a column index is invalid, or whose z
 * is not finite because of a non-finite value (rows before it are scored),
 * or FS_NO_ROW.  Nothing outside a valid span, and no coef outside a valid
 * column, is ever read. */
static size_t FS_SFN(csr_range)(const fs_model *m, const fs_sparse *X, size_t r0, size_t r1,
                                fs_link link, double *out, int pairs)
{
    const FS_ST *data = (const FS_ST *)X->data;
    const FS_SI *ind = (const FS_SI *)X->indices, *ptr = (const FS_SI *)X->indptr;
    const size_t d = m->n_features, k = m->n_outputs, nnz = X->nnz;
    const size_t width = pairs ? 2 : k;
    const size_t step = k < FS_BLOCK_ROWS ? FS_BLOCK_ROWS / k : 1;
    const double *coef = m->coef, *b = m->intercept;
    void (*link_block)(fs_link, double *, size_t, size_t) = current()->link;
    size_t r, rows, i, o;
    FS_SI e = 0;

    for (r = r0; r < r1; r += rows) {
        double *z = out + r * width;
        size_t limit; /* rows [0, limit) of the block have valid structure */
        rows = r1 - r < step ? r1 - r : step;
        for (i = 0; i < rows; i++) {
            const FS_SI a = ptr[r + i], end = ptr[r + i + 1];
            double *zi = z + i * k;
            if (!FS_SPAN_OK(a, end, nnz))
                break;
            if (k == 1) {
                double s = 0.0;
                for (e = a; e < end; e++) {
                    const FS_SI j = ind[e];
                    if (FS_OUTSIDE(j, d))
                        break;
                    s += (double)data[e] * coef[j];
                }
                zi[0] = s + b[0];
            } else {
                for (o = 0; o < k; o++)
                    zi[o] = 0.0;
                for (e = a; e < end; e++) {
                    const FS_SI j = ind[e];
                    const double v = (double)data[e];
                    if (FS_OUTSIDE(j, d))
                        break;
                    for (o = 0; o < k; o++)
                        zi[o] += v * coef[o * d + (size_t)j];
                }
                for (o = 0; o < k; o++)
                    zi[o] += b[o];
            }
            if (e < end)
                break;
        }
        limit = i;
        /* A non-finite value always makes z non-finite (inf * 0 is NaN); a
         * finite row whose z overflows is not an error.  One test per block. */
        if (limit > 0 && any_nonfinite_baseline(z, limit * k))
            for (i = 0; i < limit; i++) {
                const FS_SI a = ptr[r + i], end = ptr[r + i + 1];
                int bad = 0;
                if (!any_nonfinite_baseline(z + i * k, k))
                    continue;
                for (e = a; e < end; e++)
                    bad |= !isfinite((double)data[e]);
                if (bad) {
                    limit = i;
                    break;
                }
            }
        if (limit < rows) {
            link_block(link, z, limit, k);
            if (pairs)
                spread_pairs(z, limit);
            return r + limit;
        }
        link_block(link, z, rows, k);
        if (pairs)
            spread_pairs(z, rows);
    }
    return FS_NO_ROW;
}

/* What is wrong with a row that csr_range reported: FS_BAD_INDPTR (its span),
 * FS_BAD_INDEX with *bad_col the position in indices of its first column out
 * of range, or FS_NONFINITE with *bad_col its smallest column holding NaN or
 * infinity. */
static fs_status FS_SFN(csr_diagnose)(const fs_model *m, const fs_sparse *X, size_t row, size_t *bad_col)
{
    const FS_ST *data = (const FS_ST *)X->data;
    const FS_SI *ind = (const FS_SI *)X->indices, *ptr = (const FS_SI *)X->indptr;
    const FS_SI a = ptr[row], end = ptr[row + 1];
    size_t col = m->n_features;
    FS_SI e;

    if (!FS_SPAN_OK(a, end, X->nnz))
        return FS_BAD_INDPTR;
    for (e = a; e < end; e++)
        if (FS_OUTSIDE(ind[e], m->n_features)) {
            *bad_col = (size_t)e;
            return FS_BAD_INDEX;
        }
    for (e = a; e < end; e++)
        if (!isfinite((double)data[e]) && (size_t)ind[e] < col)
            col = (size_t)ind[e];
    *bad_col = col;
    return col < m->n_features ? FS_NONFINITE : FS_BAD_ARGUMENT;
}

/* Score every row of a CSC X on the calling thread: z zeroed, each column's
 * entries scattered into their rows' z (column 0 first, each column in stored
 * order: per row, the order of the CSR that scipy's tocsr makes of X), the
 * intercept added, then the link over all rows.  z lives in out (n_rows x k
 * values from its start; spread into pairs last).  Structure is checked as it
 * is read, and a problem ends the pass: FS_BAD_INDPTR with *bad_col the
 * column, FS_BAD_INDEX with *bad_col the column and *bad_row the position in
 * indices of the row index out of range.  Otherwise a non-finite value gives
 * FS_NONFINITE with the smallest row holding one and its smallest such
 * column.  out is unspecified after an error. */
static fs_status FS_SFN(csc_all)(const fs_model *m, const fs_sparse *X, fs_link link, double *out,
                                 int pairs, size_t *bad_row, size_t *bad_col)
{
    const FS_ST *data = (const FS_ST *)X->data;
    const FS_SI *ind = (const FS_SI *)X->indices, *ptr = (const FS_SI *)X->indptr;
    const size_t d = m->n_features, k = m->n_outputs, n = X->n_rows, nnz = X->nnz;
    size_t c, o, r, first_row = n, first_col = d;
    FS_SI e;

    for (r = 0; r < n * k; r++)
        out[r] = 0.0;
    for (c = 0; c < d; c++) {
        const FS_SI a = ptr[c], end = ptr[c + 1];
        if (!FS_SPAN_OK(a, end, nnz)) {
            *bad_col = c;
            return FS_BAD_INDPTR;
        }
        for (e = a; e < end; e++) {
            const FS_SI i = ind[e];
            const double v = (double)data[e];
            if (FS_OUTSIDE(i, n)) {
                *bad_col = c;
                *bad_row = (size_t)e;
                return FS_BAD_INDEX;
            }
            if (!isfinite(v)) {
                /* columns come in order: the first column seen for a row is its smallest */
                if ((size_t)i < first_row) {
                    first_row = (size_t)i;
                    first_col = c;
                }
                continue;
            }
            if (k == 1) {
                out[i] += v * m->coef[c];
            } else {
                for (o = 0; o < k; o++)
                    out[(size_t)i * k + o] += v * m->coef[o * d + c];
            }
        }
    }
    if (first_row < n) {
        *bad_row = first_row;
        *bad_col = first_col;
        return FS_NONFINITE;
    }
    for (r = 0; r < n; r++)
        for (o = 0; o < k; o++)
            out[r * k + o] += m->intercept[o];
    current()->link(link, out, n, k);
    if (pairs)
        spread_pairs(out, n);
    return FS_OK;
}

#undef FS_SPAN_OK
#undef FS_OUTSIDE
#undef FS_SFN
#undef FS_SCAT
#undef FS_SCAT2
