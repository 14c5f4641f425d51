/*
 * A C program that uses the kernel with nothing but its header: the proof
 * that csrc/ stands alone.  Built and run by tests/test_c_kernel.py; exits
 * non-zero and says which check failed on any mismatch.
 */
#include "fastscore.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        failures++;
    }
}

static int near(double a, double b) { return fabs(a - b) <= 1e-15; }

/* Every instruction set, across block boundaries and thread counts: the same
 * numbers as plain libm formulas, and the first bad row wherever it falls. */
static void check_every_path(void)
{
    const size_t n = 2 * FS_BLOCK_ROWS + 3;
    static double X[(2 * FS_BLOCK_ROWS + 3) * 3], out[2 * FS_BLOCK_ROWS + 3];
    const double coef[3] = {0.5, -1.25, 2.0}, intercept[1] = {-0.1};
    const fs_model m = {3, 1, coef, intercept, NULL, NULL, 0, NULL, NULL};
    const char *initial = fs_isa();
    size_t i, r, bad, sizes[5];
    int isa, t, threads[4] = {0, 1, 2, INT_MAX}; /* INT_MAX: capped, as any absurd count */

    sizes[0] = 1; sizes[1] = FS_BLOCK_ROWS - 1; sizes[2] = FS_BLOCK_ROWS;
    sizes[3] = FS_BLOCK_ROWS + 1; sizes[4] = n;
    check(fs_isa_count() >= 1 && fs_isa_name(fs_isa_count()) == NULL && fs_isa_name(-1) == NULL, "isa names");
    check(fs_isa_available(fs_isa_name(fs_isa_count() - 1)) && !fs_isa_available("nonsense"),
          "the last (narrowest) isa runs anywhere");
    check(fs_select_isa("nonsense") == 0 && strcmp(fs_isa(), initial) == 0, "unknown isa refused");
    check(fs_max_threads() >= 1 && fs_max_threads() <= FS_MAX_THREADS, "max threads");
    {
        const double coef2[6] = {1, 2, 3, 4, 5, 6}, b2[2] = {0, 0};
        const fs_model two = {3, 2, coef2, b2, NULL, NULL, 0, NULL, NULL};
        check(fs_score_binary_f64(&two, X, 1, FS_LINK_LOGISTIC, out, &bad, 1) == FS_BAD_ARGUMENT,
              "binary needs one output");
    }
    for (i = 0; i < n * 3; i++)
        X[i] = 40.0 * sin((double)i);  /* z up to about +-150: exp's tails too */
    for (isa = 0; isa < fs_isa_count(); isa++) {
        const char *name = fs_isa_name(isa);
        if (!fs_isa_available(name))
            continue;
        check(fs_select_isa(name) == 1 && strcmp(fs_isa(), name) == 0, "select isa");
        for (t = 0; t < 4; t++) {
            size_t s;
            for (s = 0; s < 5; s++) {
                check(fs_score_f64(&m, X, sizes[s], FS_LINK_LOGISTIC, out, &bad, threads[t]) == FS_OK,
                      "path status");
                for (r = 0; r < sizes[s]; r++) {
                    double z = coef[0] * X[3 * r] + coef[1] * X[3 * r + 1] + coef[2] * X[3 * r + 2] + intercept[0];
                    check(fabs(out[r] - 1.0 / (1.0 + exp(-z))) <= 1e-15, "path value");
                }
            }
            X[3 * (FS_BLOCK_ROWS + 1) + 2] = NAN;
            X[3 * (n - 1)] = INFINITY;
            check(fs_score_f64(&m, X, n, FS_LINK_LOGISTIC, out, &bad, threads[t]) == FS_NONFINITE &&
                  bad == FS_BLOCK_ROWS + 1, "first bad row across blocks and threads");
            X[3 * (FS_BLOCK_ROWS + 1) + 2] = 0.0;
            X[3 * (n - 1)] = 0.0;
        }
    }
    fs_select_isa(initial);
}

/* The column entry points' reference: z summed in their documented order
 * (the intercept, the columns left to right, the tables in order), in plain C. */
static double column_z(const fs_model *m, const double *x, const int32_t *codes, size_t o)
{
    size_t i;
    double s = m->intercept[o];

    for (i = 0; i < m->n_features; i++) {
        double v = x[i];
        if (m->fill != NULL && v != v)
            v = m->fill[i];
        s += m->coef[o * m->n_features + i] * (v - (m->center != NULL ? m->center[i] : 0.0));
    }
    for (i = 0; i < m->n_tables; i++)
        s += m->tables[i][(size_t)codes[i] * m->n_outputs + o];
    return s;
}

/* Columns of any stride (a row-major matrix's, a column-major one's, read
 * backwards), float64 and float32, fill and tables, one and two outputs, on
 * every instruction set and thread count; the first bad row with its column
 * or table, wherever it falls. */
static void check_columns(void)
{
    enum { N = 2 * FS_BLOCK_ROWS + 3, D = 3 };
    static double R[N * D], F[N * D], out[2 * N];
    static float Rf[N * D];
    static int32_t C[N * 2];
    const double coef[2 * D] = {0.5, -1.25, 2.0, 1.0, 0.25, -0.75}, intercept[2] = {-0.1, 0.3};
    const double center[D] = {0.25, -0.5, 1.0}, fill[D] = {1.5, NAN, -2.0};
    const double t0[4 * 2] = {0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0, 0.125}, t1[3 * 2] = {2.0, -2.0, 0.0, 0.0, 1.0, 1.0};
    const double *tables[2] = {t0, t1};
    const size_t rows[2] = {4, 3};
    const char *initial = fs_isa();
    const double *by_row[D], *by_col[D], *backwards[D];
    const float *by_row_f[D];
    const int32_t *codes[2];
    const ptrdiff_t row_strides[D] = {D, D, D}, col_strides[D] = {1, 1, 1}, back_strides[D] = {-1, -1, -1};
    const ptrdiff_t code_strides[2] = {2, 2};
    int threads[4] = {0, 1, 2, INT_MAX}, isa, t;
    size_t r, i, o, k, bad, bad_col;

    for (r = 0; r < N; r++) {
        for (i = 0; i < D; i++) {
            R[r * D + i] = 40.0 * sin((double)(r * D + i));
            Rf[r * D + i] = (float)R[r * D + i];
            F[i * N + r] = R[r * D + i];
        }
        C[2 * r] = (int32_t)(r % 4);
        C[2 * r + 1] = (int32_t)((r * 7) % 3);
    }
    /* The cells the error checks below set to NaN or infinity hold 0 otherwise. */
    R[(FS_BLOCK_ROWS + 1) * D + 1] = R[(FS_BLOCK_ROWS + 4) * D + 2] = R[7 * D + 1] = 0.0;
    F[1 * N + FS_BLOCK_ROWS + 1] = F[2 * N + FS_BLOCK_ROWS + 4] = F[1 * N + 7] = 0.0;
    for (i = 0; i < D; i++) {
        by_row[i] = R + i;
        by_row_f[i] = Rf + i;
        by_col[i] = F + i * N;
        backwards[i] = F + i * N + (N - 1);
    }
    codes[0] = C;
    codes[1] = C + 1;
    R[5 * D + 0] = NAN; /* filled with 1.5 */
    F[0 * N + 5] = NAN;
    Rf[5 * D + 0] = NAN;
    for (k = 1; k <= 2; k++) {
        const fs_model m = {D, k, coef, intercept, center, fill, 2, rows, tables};
        const fs_model plain = {D, k, coef, intercept, NULL, NULL, 0, NULL, NULL};
        for (isa = 0; isa < fs_isa_count(); isa++) {
            if (!fs_isa_available(fs_isa_name(isa)))
                continue;
            fs_select_isa(fs_isa_name(isa));
            for (t = 0; t < 4; t++) {
                int ok = 1;
                double x[D];
                check(fs_score_columns_f64(&m, by_row, row_strides, codes, code_strides, N, FS_LINK_IDENTITY,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_OK, "columns status");
                for (r = 0; r < N; r++)
                    for (o = 0; o < k; o++)
                        ok &= fabs(out[r * k + o] - column_z(&m, R + r * D, C + 2 * r, o)) <= 1e-12;
                check(ok, "columns of a row-major matrix");
                check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_IDENTITY,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_OK, "F status");
                for (r = 0; r < N; r++)
                    for (o = 0; o < k; o++)
                        ok &= fabs(out[r * k + o] - column_z(&m, R + r * D, C + 2 * r, o)) <= 1e-12;
                check(ok, "columns of a column-major matrix");
                check(fs_score_columns_f64(&m, backwards, back_strides, codes, code_strides, N,
                                           FS_LINK_IDENTITY, out, 0, &bad, &bad_col, threads[t]) == FS_OK,
                      "negative stride status");
                for (r = 0; r < N; r++) {
                    for (i = 0; i < D; i++)
                        x[i] = F[i * N + (N - 1 - r)];
                    for (o = 0; o < k; o++)
                        ok &= fabs(out[r * k + o] - column_z(&m, x, C + 2 * r, o)) <= 1e-12;
                }
                check(ok, "columns read backwards");
                check(fs_score_columns_f32(&m, by_row_f, row_strides, codes, code_strides, N, FS_LINK_IDENTITY,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_OK, "f32 status");
                for (r = 0; r < N; r++) {
                    for (i = 0; i < D; i++)
                        x[i] = (double)Rf[r * D + i];
                    for (o = 0; o < k; o++)
                        ok &= fabs(out[r * k + o] - column_z(&m, x, C + 2 * r, o)) <= 1e-12;
                }
                check(ok, "float32 columns");
                if (k == 1) {
                    check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_LOGISTIC,
                                               out, 1, &bad, &bad_col, threads[t]) == FS_OK, "pairs status");
                    for (r = 0; r < N; r++) {
                        double p = 1.0 / (1.0 + exp(-column_z(&m, R + r * D, C + 2 * r, 0)));
                        ok &= fabs(out[2 * r + 1] - p) <= 1e-12 && fabs(out[2 * r] - (1.0 - p)) <= 1e-12;
                    }
                    check(ok, "columns in predict_proba's pairs");
                }
                /* A NaN where fill is NaN, a code too large and a negative one: the first row wins,
                 * and within a row the column comes before the table. */
                F[1 * N + FS_BLOCK_ROWS + 1] = NAN;
                C[2 * (FS_BLOCK_ROWS + 4) + 1] = 3;
                C[2 * (N - 1)] = -1;
                check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_LOGISTIC,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_NONFINITE &&
                      bad == FS_BLOCK_ROWS + 1 && bad_col == 1, "first non-finite row and column");
                F[1 * N + FS_BLOCK_ROWS + 1] = 0.0;
                check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_LOGISTIC,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_BAD_CODE &&
                      bad == FS_BLOCK_ROWS + 4 && bad_col == 1, "first bad code's row and table");
                F[2 * N + FS_BLOCK_ROWS + 4] = INFINITY;
                check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_LOGISTIC,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_NONFINITE &&
                      bad == FS_BLOCK_ROWS + 4 && bad_col == 2, "a column before a table in one row");
                F[2 * N + FS_BLOCK_ROWS + 4] = 0.0;
                C[2 * (FS_BLOCK_ROWS + 4) + 1] = (int32_t)(((FS_BLOCK_ROWS + 4) * 7) % 3);
                check(fs_score_columns_f64(&m, by_col, col_strides, codes, code_strides, N, FS_LINK_LOGISTIC,
                                           out, 0, &bad, &bad_col, threads[t]) == FS_BAD_CODE &&
                      bad == N - 1 && bad_col == 0, "a negative code");
                C[2 * (N - 1)] = (int32_t)((N - 1) % 4);
                /* The row entry points take fill too, but not tables. */
                {
                    const fs_model filled = {D, k, coef, intercept, center, fill, 0, NULL, NULL};
                    check(fs_score_f64(&filled, R, N, FS_LINK_IDENTITY, out, &bad, threads[t]) == FS_OK,
                          "row fill status");
                    for (r = 0; r < N; r++)
                        for (o = 0; o < k; o++)
                            ok &= fabs(out[r * k + o] - column_z(&filled, R + r * D, C, o)) <= 1e-12;
                    check(ok, "row fill values");
                    R[7 * D + 1] = NAN; /* its fill is NaN: an error */
                    check(fs_score_f64(&filled, R, N, FS_LINK_IDENTITY, out, &bad, threads[t]) == FS_NONFINITE &&
                          bad == 7, "row fill NaN");
                    R[7 * D + 1] = 0.0;
                    check(fs_score_f64(&plain, R, N, FS_LINK_IDENTITY, out, &bad, threads[t]) == FS_NONFINITE &&
                          bad == 5, "no fill: NaN is an error");
                    check(fs_score_f64(&m, R, N, FS_LINK_IDENTITY, out, &bad, threads[t]) == FS_BAD_ARGUMENT,
                          "the row entry points refuse tables");
                }
            }
        }
    }
    {   /* Tables alone, and the arguments refused. */
        const double b[1] = {0.5};
        const fs_model alone = {0, 1, coef, b, NULL, NULL, 2, rows, tables};
        const fs_model one = {D, 1, coef, intercept, NULL, NULL, 0, NULL, NULL};
        check(fs_score_columns_f64(&alone, NULL, NULL, codes, code_strides, 3, FS_LINK_IDENTITY, out, 0,
                                   &bad, &bad_col, 1) == FS_OK &&
              out[1] == 0.5 + t0[C[2]] + t1[C[3]], "tables alone");
        check(fs_score_columns_f64(&alone, NULL, NULL, NULL, code_strides, 3, FS_LINK_IDENTITY, out, 0,
                                   &bad, &bad_col, 1) == FS_BAD_ARGUMENT, "codes needed");
        check(fs_score_columns_f64(&one, by_col, col_strides, NULL, NULL, 0, FS_LINK_IDENTITY, NULL, 0,
                                   &bad, &bad_col, 1) == FS_OK, "zero rows");
        check(fs_score_columns_f64(&one, by_col, col_strides, NULL, NULL, 3, (fs_link)-1, out, 0,
                                   &bad, &bad_col, 1) == FS_BAD_ARGUMENT, "columns: unknown link");
        check(fs_score_columns_f64(&one, by_col, NULL, NULL, NULL, 3, FS_LINK_IDENTITY, out, 0,
                                   &bad, &bad_col, 1) == FS_BAD_ARGUMENT, "columns: strides needed");
    }
    fs_select_isa(initial);
}


/* The sparse entry point: CSR (its rows across blocks and threads) and CSC,
 * float64 and float32 values, int32 and int64 indices, against z summed in
 * stored order; duplicates add up; bad structure and values are reported. */
static void check_sparse(void)
{
    /* 3 features, 2 outputs; rows: {0: 2 at col 2, 1 at col 0, 3 at col 2 again}, {}, {1: -1 at col 1} */
    const double coef[6] = {0.5, -1.25, 2.0, 1.0, 3.0, -0.5}, intercept[2] = {0.25, -0.75};
    const fs_model m = {3, 2, coef, intercept, NULL, NULL, 0, NULL, NULL};
    const fs_model one = {3, 1, coef, intercept, NULL, NULL, 0, NULL, NULL};
    double data[4] = {2.0, 1.0, 3.0, -1.0};
    float dataf[4] = {2.0f, 1.0f, 3.0f, -1.0f};
    int32_t ind[4] = {2, 0, 2, 1}, ptr[4] = {0, 3, 3, 4};
    int64_t ind64[4] = {2, 0, 2, 1}, ptr64[4] = {0, 3, 3, 4};
    /* The same matrix as CSC: column 0 {row 0: 1}, column 1 {row 2: -1}, column 2 {row 0: 2, row 0: 3} */
    double cdata[4] = {1.0, -1.0, 2.0, 3.0};
    int32_t cind[4] = {0, 2, 0, 0}, cptr[4] = {0, 1, 2, 4};
    double expect[6], out[6], pairs[6];
    fs_sparse X = {0, 0, 0, 3, 4, NULL, NULL, NULL};
    size_t bad_row = 99, bad_col = 99, o, r, i;
    int kind;

    for (o = 0; o < 2; o++) {
        expect[o] = ((0.0 + 2.0 * coef[o * 3 + 2]) + 1.0 * coef[o * 3]) + 3.0 * coef[o * 3 + 2] + intercept[o];
        expect[2 + o] = 0.0 + intercept[o];
        expect[4 + o] = (0.0 + -1.0 * coef[o * 3 + 1]) + intercept[o];
    }
    for (kind = 0; kind < 4; kind++) {
        X.f32 = kind >= 2;
        X.idx64 = kind % 2;
        X.data = X.f32 ? (const void *)dataf : (const void *)data;
        X.indices = X.idx64 ? (const void *)ind64 : (const void *)ind;
        X.indptr = X.idx64 ? (const void *)ptr64 : (const void *)ptr;
        check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_OK, "csr status");
        for (i = 0; i < 6; i++)
            check(out[i] == expect[i], "csr value: stored order, duplicates added");
    }
    X.f32 = X.idx64 = 0;
    X.data = data, X.indices = ind, X.indptr = ptr;
    check(fs_score_sparse(&one, &X, FS_LINK_LOGISTIC, pairs, 1, &bad_row, &bad_col, 2) == FS_OK, "csr pairs");
    for (r = 0; r < 3; r++) {
        double p = 1.0 / (1.0 + exp(-expect[2 * r]));
        check(near(pairs[2 * r + 1], p) && near(pairs[2 * r], 1.0 - p), "csr pairs value");
    }
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 1, &bad_row, &bad_col, 1) == FS_BAD_ARGUMENT,
          "pairs need one output");
    {
        const double center[3] = {0, 0, 0};
        const fs_model centred = {3, 1, coef, intercept, center, NULL, 0, NULL, NULL};
        check(fs_score_sparse(&centred, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) ==
              FS_BAD_ARGUMENT, "a centred model is refused");
    }
    /* CSC: the same numbers (each row's entries by column, as scipy's tocsr orders them) */
    {
        fs_sparse C = {1, 0, 0, 3, 4, cdata, cind, cptr};
        check(fs_score_sparse(&m, &C, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_OK, "csc status");
        for (o = 0; o < 2; o++)
            check(near(out[o], expect[o]) && out[2 + o] == expect[2 + o] && out[4 + o] == expect[4 + o],
                  "csc value");
        check(fs_score_sparse(&one, &C, FS_LINK_LOGISTIC, pairs, 1, &bad_row, &bad_col, 1) == FS_OK &&
              near(pairs[5], 1.0 / (1.0 + exp(-expect[4]))) && near(pairs[4], 1.0 - pairs[5]), "csc pairs");
        cind[1] = 3; /* row 3 of 3 */
        check(fs_score_sparse(&m, &C, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDEX &&
              bad_col == 1 && bad_row == 1, "csc row index out of range");
        cind[1] = 2;
        cptr[2] = 5;
        check(fs_score_sparse(&m, &C, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDPTR &&
              bad_col == 1, "csc indptr past the data");
        cptr[2] = 2;
        cdata[3] = NAN;
        cdata[1] = INFINITY;
        check(fs_score_sparse(&m, &C, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_NONFINITE &&
              bad_row == 0 && bad_col == 2, "csc first bad row, its smallest column");
        cdata[3] = 3.0;
        cdata[1] = -1.0;
    }
    /* CSR structure and values */
    ind[3] = 3;
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDEX &&
          bad_row == 2 && bad_col == 3, "csr column index out of range");
    ind[3] = -1;
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDEX &&
          bad_row == 2 && bad_col == 3, "csr negative column index");
    ind[3] = 1;
    ptr[2] = 2;
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDPTR &&
          bad_row == 1, "csr decreasing indptr");
    ptr[2] = 3;
    ptr[3] = 5;
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_BAD_INDPTR &&
          bad_row == 2, "csr indptr past the data");
    ptr[3] = 4;
    data[2] = NAN;
    data[0] = INFINITY;
    data[3] = NAN;
    check(fs_score_sparse(&m, &X, FS_LINK_IDENTITY, out, 0, &bad_row, &bad_col, 1) == FS_NONFINITE &&
          bad_row == 0 && bad_col == 2, "csr first bad row, its smallest column");
    data[0] = 2.0, data[2] = 3.0, data[3] = -1.0;
    /* many rows, across blocks and threads: row r holds r % 3 at column r % 3, twice */
    {
        static double big_data[2 * (3 * FS_BLOCK_ROWS + 5)], big_out[3 * FS_BLOCK_ROWS + 5];
        static int64_t big_ind[2 * (3 * FS_BLOCK_ROWS + 5)], big_ptr[3 * FS_BLOCK_ROWS + 6];
        const size_t n = 3 * FS_BLOCK_ROWS + 5;
        fs_sparse B = {0, 0, 1, n, 2 * n, big_data, big_ind, big_ptr};
        int t, threads[3] = {0, 1, 3};
        for (r = 0; r < n; r++) {
            big_ptr[r] = (int64_t)(2 * r);
            big_ind[2 * r] = big_ind[2 * r + 1] = (int64_t)(r % 3);
            big_data[2 * r] = big_data[2 * r + 1] = (double)(r % 3);
        }
        big_ptr[n] = (int64_t)(2 * n);
        for (t = 0; t < 3; t++) {
            check(fs_score_sparse(&one, &B, FS_LINK_IDENTITY, big_out, 0, &bad_row, &bad_col, threads[t]) == FS_OK,
                  "csr threads status");
            for (r = 0; r < n; r++) {
                double v = (double)(r % 3), w = coef[r % 3];
                check(big_out[r] == (0.0 + v * w) + v * w + intercept[0], "csr threads value");
            }
            big_data[2 * (FS_BLOCK_ROWS + 7) + 1] = NAN;
            big_ind[2 * (2 * FS_BLOCK_ROWS + 1)] = 7;
            check(fs_score_sparse(&one, &B, FS_LINK_IDENTITY, big_out, 0, &bad_row, &bad_col, threads[t]) ==
                  FS_NONFINITE && bad_row == FS_BLOCK_ROWS + 7 && bad_col == (FS_BLOCK_ROWS + 7) % 3,
                  "csr first bad row across blocks and threads");
            big_data[2 * (FS_BLOCK_ROWS + 7) + 1] = (double)((FS_BLOCK_ROWS + 7) % 3);
            big_ind[2 * (2 * FS_BLOCK_ROWS + 1)] = (int64_t)((2 * FS_BLOCK_ROWS + 1) % 3);
        }
    }
}

int main(void)
{
    /* The worked example's data-generating model: 0.75 + 1.5 x1 - 0.5 x2. */
    const double coef[2] = {1.5, -0.5};
    const double intercept[1] = {0.75};
    const fs_model m = {2, 1, coef, intercept, NULL, NULL, 0, NULL, NULL};
    const double X[6] = {0.0, 0.0, 1.0, 2.0, -2.0, 1.0};
    const float Xf[6] = {0.0f, 0.0f, 1.0f, 2.0f, -2.0f, 1.0f};
    const double expect_z[3] = {0.75, 1.25, -2.75};
    double out[3];
    size_t bad = 99, r;

    check(fs_score_f64(&m, X, 3, FS_LINK_IDENTITY, out, &bad, 1) == FS_OK, "f64 identity status");
    for (r = 0; r < 3; r++)
        check(near(out[r], expect_z[r]), "f64 identity value");

    check(fs_score_f64(&m, X, 3, FS_LINK_LOGISTIC, out, &bad, 1) == FS_OK, "f64 logistic status");
    for (r = 0; r < 3; r++)
        check(near(out[r], 1.0 / (1.0 + exp(-expect_z[r]))), "f64 logistic value");

    check(fs_score_f32(&m, Xf, 3, FS_LINK_LOGISTIC, out, &bad, 1) == FS_OK, "f32 logistic status");
    for (r = 0; r < 3; r++)
        check(near(out[r], 1.0 / (1.0 + exp(-expect_z[r]))), "f32 logistic value");

    /* A NaN in row 1 is reported as row 1, even if row 2 is bad too. */
    {
        double Xbad[6] = {0.0, 0.0, NAN, 1.0, INFINITY, 0.0};
        check(fs_score_f64(&m, Xbad, 3, FS_LINK_LOGISTIC, out, &bad, 1) == FS_NONFINITE, "nan status");
        check(bad == 1, "nan row index");
    }

    /* Softmax over three outputs sums to one, even for huge z. */
    {
        double z[3] = {1000.0, -1000.0, 999.0}, s;
        fs_apply_link(FS_LINK_SOFTMAX, z, 3);
        s = z[0] + z[1] + z[2];
        check(fabs(s - 1.0) <= 1e-15 && isfinite(z[0]) && z[1] == 0.0, "softmax extreme");
    }

    /* modified Huber: clip to [-1, 1], shift and halve; several outputs sum to 1. */
    {
        double z[3] = {-3.0, 0.5, 1.0};
        fs_apply_link(FS_LINK_MODIFIED_HUBER, z, 1);
        check(z[0] == 0.0, "modified huber k=1");
        z[0] = -3.0;
        fs_apply_link(FS_LINK_MODIFIED_HUBER, z, 3);
        check(near(z[0], 0.0) && near(z[1], 0.75 / 1.75) && near(z[2], 1.0 / 1.75), "modified huber k=3");
        z[0] = z[1] = z[2] = -5.0;
        fs_apply_link(FS_LINK_OVR, z, 3);
        check(near(z[0], 1.0 / 3.0), "ovr normalised");
        z[0] = z[1] = z[2] = -5.0;
        fs_apply_link(FS_LINK_ONEVSREST_MODIFIED_HUBER, z, 3);
        check(z[0] == 0.0 && z[1] == 0.0 && z[2] == 0.0, "one-vs-rest keeps a row of zeros");
        z[0] = -5.0, z[1] = 0.0, z[2] = 1.0;
        fs_apply_link(FS_LINK_ONEVSREST_MODIFIED_HUBER, z, 3);
        check(z[0] == 0.0 && near(z[1], 1.0 / 3.0) && near(z[2], 2.0 / 3.0), "one-vs-rest normalised");
    }

    check_every_path();
    check_columns();
    check_sparse();

    /* predict_proba's layout: (1 - p, p) per row, the same p as above. */
    {
        double pairs[6];
        check(fs_score_binary_f64(&m, X, 3, FS_LINK_LOGISTIC, pairs, &bad, 2) == FS_OK, "binary status");
        for (r = 0; r < 3; r++) {
            double p = 1.0 / (1.0 + exp(-expect_z[r]));
            check(near(pairs[2 * r + 1], p) && near(pairs[2 * r], 1.0 - p), "binary pairs");
        }
        check(fs_score_binary_f32(&m, Xf, 3, FS_LINK_LOGISTIC, pairs, &bad, 1) == FS_OK &&
              near(pairs[5], 1.0 / (1.0 + exp(2.75))), "binary f32");
    }

    /* A row of no values is left alone (softmax used to read its first value). */
    fs_apply_link(FS_LINK_SOFTMAX, NULL, 0);
    fs_apply_link(FS_LINK_OVR, NULL, 0);

    check(fs_score_f64(&m, X, 3, (fs_link)42, out, &bad, 1) == FS_BAD_ARGUMENT, "unknown link");
    check(fs_score_f64(&m, X, 3, FS_LINK_COUNT, out, &bad, 1) == FS_BAD_ARGUMENT, "FS_LINK_COUNT is no link");
    check(fs_score_f64(&m, X, 3, (fs_link)-1, out, &bad, 1) == FS_BAD_ARGUMENT, "negative link");
    check(fs_score_f64(NULL, X, 3, FS_LINK_IDENTITY, out, &bad, 1) == FS_BAD_ARGUMENT, "null model");
    check(fs_score_f64(&m, NULL, 0, FS_LINK_IDENTITY, NULL, &bad, 1) == FS_OK, "zero rows");

    if (failures == 0)
        printf("test_kernel: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
