/*
 * A C program that uses the kernel with nothing but its header: the proof
 * that csrc/ stands alone.  Built and run by tests/test_c_kernel.py; exits
 * non-zero and says which check failed on any mismatch.
 */
#include "fastscore.h"

#include <limits.h>
#include <math.h>
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
    const fs_model m = {3, 1, coef, intercept, NULL};
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
        const fs_model two = {3, 2, coef2, b2, NULL};
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

int main(void)
{
    /* The worked example's data-generating model: 0.75 + 1.5 x1 - 0.5 x2. */
    const double coef[2] = {1.5, -0.5};
    const double intercept[1] = {0.75};
    const fs_model m = {2, 1, coef, intercept, NULL};
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
