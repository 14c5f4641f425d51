/*
 * fastscore.c - the reference kernel: one row at a time, plain loops.
 *
 * Summation runs left to right in float64 and the intercept is added last,
 * as numpy's X @ coef.T + intercept does, so results agree with
 * scikit-learn to the rounding of the dot product itself.
 */
#include "fastscore.h"

#include <math.h>

/* Rows of several per-output probabilities are scaled to sum 1; when all are
 * 0, scikit-learn (like liblinear) falls back to the uniform distribution. */
static void normalise(double *p, size_t k)
{
    size_t j;
    double sum = 0.0;

    if (k < 2)
        return;
    for (j = 0; j < k; j++)
        sum += p[j];
    if (sum == 0.0) {
        for (j = 0; j < k; j++)
            p[j] = 1.0;
        sum = (double)k;
    }
    for (j = 0; j < k; j++)
        p[j] /= sum;
}

void fs_apply_link(fs_link link, double *z, size_t k)
{
    size_t j;
    double top, sum;

    switch (link) {
    case FS_LINK_IDENTITY:
        break;
    case FS_LINK_LOGISTIC:
        /* exp(-z) overflows to inf for z < -709, giving exactly 0: the true
         * value is below the smallest normal double anyway. */
        for (j = 0; j < k; j++)
            z[j] = 1.0 / (1.0 + exp(-z[j]));
        break;
    case FS_LINK_SOFTMAX:
        /* Subtracting the row max keeps every exp() in (0, 1]. */
        top = z[0];
        for (j = 1; j < k; j++)
            if (z[j] > top)
                top = z[j];
        sum = 0.0;
        for (j = 0; j < k; j++) {
            z[j] = exp(z[j] - top);
            sum += z[j];
        }
        for (j = 0; j < k; j++)
            z[j] /= sum;
        break;
    case FS_LINK_OVR:
        for (j = 0; j < k; j++)
            z[j] = 1.0 / (1.0 + exp(-z[j]));
        normalise(z, k);
        break;
    case FS_LINK_EXP:
        for (j = 0; j < k; j++)
            z[j] = exp(z[j]);
        break;
    case FS_LINK_MODIFIED_HUBER:
        for (j = 0; j < k; j++)
            z[j] = ((z[j] < -1.0 ? -1.0 : z[j] > 1.0 ? 1.0 : z[j]) + 1.0) / 2.0;
        normalise(z, k);
        break;
    }
}

static int link_is_known(fs_link link)
{
    return link == FS_LINK_IDENTITY || link == FS_LINK_LOGISTIC ||
           link == FS_LINK_SOFTMAX || link == FS_LINK_OVR ||
           link == FS_LINK_EXP || link == FS_LINK_MODIFIED_HUBER;
}

static int model_is_valid(const fs_model *m)
{
    return m != NULL && m->n_outputs > 0 && m->coef != NULL &&
           m->intercept != NULL;
}

/*
 * One definition for both input types: the element type is the only
 * difference, and it is widened to double on load.
 */
#define FS_DEFINE_SCORE(NAME, T)                                               \
    fs_status NAME(const fs_model *m, const T *X, size_t n_rows, fs_link link, \
                   double *out, size_t *bad_row, int n_threads)                \
    {                                                                          \
        size_t r, i, j, d, k;                                                  \
        (void)n_threads; /* the reference kernel is serial */                 \
        if (!model_is_valid(m) || !link_is_known(link) || bad_row == NULL)     \
            return FS_BAD_ARGUMENT;                                            \
        if (n_rows == 0)                                                       \
            return FS_OK;                                                      \
        if (X == NULL || out == NULL)                                          \
            return FS_BAD_ARGUMENT;                                            \
        d = m->n_features;                                                     \
        k = m->n_outputs;                                                      \
        for (r = 0; r < n_rows; r++) {                                         \
            const T *x = X + r * d;                                            \
            double *z = out + r * k;                                           \
            int finite = 1;                                                    \
            for (j = 0; j < k; j++) {                                          \
                const double *w = m->coef + j * d;                             \
                double s = 0.0;                                                \
                if (m->center != NULL)                                         \
                    for (i = 0; i < d; i++)                                    \
                        s += w[i] * ((double)x[i] - m->center[i]);             \
                else                                                           \
                    for (i = 0; i < d; i++)                                    \
                        s += w[i] * (double)x[i];                              \
                z[j] = s + m->intercept[j];                                    \
                finite &= isfinite(z[j]) != 0;                                 \
            }                                                                  \
            /* Any NaN or infinity in x makes some z non-finite (inf * 0 is    \
             * NaN), so the row is only scanned when z says so. */             \
            if (!finite)                                                       \
                for (i = 0; i < d; i++)                                        \
                    if (!isfinite((double)x[i])) {                             \
                        *bad_row = r;                                          \
                        return FS_NONFINITE;                                   \
                    }                                                          \
            fs_apply_link(link, z, k);                                         \
        }                                                                      \
        return FS_OK;                                                          \
    }

FS_DEFINE_SCORE(fs_score_f64, double)
FS_DEFINE_SCORE(fs_score_f32, float)
