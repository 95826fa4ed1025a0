#include <math.h>
#include "CFoedusKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

// Float lanes, then double: 16 independent float partial sums vectorise, and one row (a channel,
// at most a few thousand values) cannot lose more than a few float ulps before the double total.
static inline __attribute__((always_inline)) double row_sum(const float *restrict x, long n) {
    float acc[16] = {0};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++) acc[l] += x[j + l];
    double total = 0;
    for (; j < n; j++) total += x[j];
    for (int l = 0; l < 16; l++) total += acc[l];
    return total;
}

static inline __attribute__((always_inline)) double row_centered_squares(const float *restrict x, long n, float mu) {
    float acc[16] = {0};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++) { float d = x[j + l] - mu; acc[l] += d * d; }
    double total = 0;
    for (; j < n; j++) { double d = x[j] - mu; total += d * d; }
    for (int l = 0; l < 16; l++) total += acc[l];
    return total;
}

static inline __attribute__((always_inline)) void row_dot_sums(const float *restrict dy, const float *restrict x, long n, double *sdy, double *sdyx) {
    float a[16] = {0}, b[16] = {0};
    long j = 0;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++) { a[l] += dy[j + l]; b[l] += dy[j + l] * x[j + l]; }
    double ta = 0, tb = 0;
    for (; j < n; j++) { ta += dy[j]; tb += (double)dy[j] * x[j]; }
    for (int l = 0; l < 16; l++) { ta += a[l]; tb += b[l]; }
    *sdy = ta;
    *sdyx = tb;
}

// Statistics accumulate in double: a group of the reference CNN holds 4·784 values, and the
// float32 single-pass formula loses digits to cancellation.
MULTIVERSION void foedus_groupnorm_forward_f32(const float *restrict x, const float *restrict gamma, const float *restrict beta,
                                               float *restrict y, double *restrict mean, double *restrict rstd,
                                               long n, long c, long s, long groups, double eps) {
    long cg = c / groups, k = cg * s;
    for (long i = 0; i < n; i++) {
        for (long g = 0; g < groups; g++) {
            const float *xg = x + (i * c + g * cg) * s;
            float *yg = y + (i * c + g * cg) * s;
            double sum = 0;
            for (long ch = 0; ch < cg; ch++) sum += row_sum(xg + ch * s, s);
            double mu = sum / (double)k;
            double sq = 0;
            for (long ch = 0; ch < cg; ch++) sq += row_centered_squares(xg + ch * s, s, (float)mu);
            // Correct for centring on the float-rounded mean: Σ(x − m)² = Σ(x − μ)² + k(μ − m)².
            double dm = mu - (double)(float)mu;
            sq -= (double)k * dm * dm;
            if (sq < 0) sq = 0;
            double r = 1.0 / sqrt(sq / (double)k + eps);
            mean[i * groups + g] = mu;
            rstd[i * groups + g] = r;
            for (long ch = 0; ch < cg; ch++) {
                long cc = g * cg + ch;
                float scale = (float)r * (gamma ? gamma[cc] : 1.0f);
                float shift = (beta ? beta[cc] : 0.0f) - (float)mu * scale;
                const float *xc = xg + ch * s;
                float *yc = yg + ch * s;
                for (long j = 0; j < s; j++) yc[j] = xc[j] * scale + shift;
            }
        }
    }
}

MULTIVERSION void foedus_groupnorm_backward_f32(const float *restrict x, const float *restrict dy, const float *restrict gamma,
                                                const double *restrict mean, const double *restrict rstd,
                                                float *restrict dx, float *restrict dgamma, float *restrict dbeta,
                                                long n, long c, long s, long groups) {
    long cg = c / groups, k = cg * s;
    if (dgamma) for (long cc = 0; cc < c; cc++) dgamma[cc] = 0;
    if (dbeta) for (long cc = 0; cc < c; cc++) dbeta[cc] = 0;
    for (long i = 0; i < n; i++) {
        for (long g = 0; g < groups; g++) {
            double mu = mean[i * groups + g], r = rstd[i * groups + g];
            // Per channel: Σ dy and Σ dy·x̂ give dβ, dγ and the two group means the input
            // gradient needs: dx = r·(γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)).
            double sumDxhat = 0, sumDxhatXhat = 0;
            for (long ch = 0; ch < cg; ch++) {
                long cc = g * cg + ch;
                const float *xc = x + (i * c + cc) * s, *dyc = dy + (i * c + cc) * s;
                double sdy, sdyx;
                row_dot_sums(dyc, xc, s, &sdy, &sdyx);
                double sdyxhat = (sdyx - mu * sdy) * r;
                double gm = gamma ? gamma[cc] : 1.0;
                if (dgamma) dgamma[cc] += (float)sdyxhat;
                if (dbeta) dbeta[cc] += (float)sdy;
                sumDxhat += gm * sdy;
                sumDxhatXhat += gm * sdyxhat;
            }
            double meanDxhat = sumDxhat / (double)k, meanDxhatXhat = sumDxhatXhat / (double)k;
            for (long ch = 0; ch < cg; ch++) {
                long cc = g * cg + ch;
                const float *xc = x + (i * c + cc) * s, *dyc = dy + (i * c + cc) * s;
                float *dxc = dx + (i * c + cc) * s;
                float a = (float)(r * (gamma ? gamma[cc] : 1.0));
                // dx = a·dy − r·meanDxhat − r·x̂·meanDxhatXhat, with x̂ = (x − μ)·r.
                float b = (float)(r * r * meanDxhatXhat);
                float d = (float)(r * meanDxhat - r * r * meanDxhatXhat * mu);
                for (long j = 0; j < s; j++) dxc[j] = a * dyc[j] - b * xc[j] - d;
            }
        }
    }
}
