#include <math.h>
#include "CFoedusKernels.h"

// Hot loops are compiled for AVX-512, AVX2 and baseline x86-64; the loader picks the best
// version for the CPU (ifunc), so binaries stay portable.
#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

#define BINARY_LOOP(T, EXPR)                                                          \
    if (sa == 1 && sb == 1) { for (long i = 0; i < n; i++) { T x = a[i], y = b[i]; out[i] = (EXPR); } } \
    else if (sa == 1) { T y = b[0]; for (long i = 0; i < n; i++) { T x = a[i]; out[i] = (EXPR); } }    \
    else if (sb == 1) { T x = a[0]; for (long i = 0; i < n; i++) { T y = b[i]; out[i] = (EXPR); } }    \
    else { T x = a[0], y = b[0]; T v = (EXPR); for (long i = 0; i < n; i++) out[i] = v; }

#define DEFINE_BINARY(NAME, T)                                                                 \
MULTIVERSION void NAME(int op, const T *restrict a, long sa, const T *restrict b, long sb, T *restrict out, long n) { \
    switch (op) {                                                                              \
    case FOEDUS_ADD: BINARY_LOOP(T, x + y) break;                                                 \
    case FOEDUS_SUB: BINARY_LOOP(T, x - y) break;                                                 \
    case FOEDUS_MUL: BINARY_LOOP(T, x * y) break;                                                 \
    case FOEDUS_DIV: BINARY_LOOP(T, x / y) break;                                                 \
    case FOEDUS_MAX: BINARY_LOOP(T, (x >= y || x != x) ? x : y) break;                            \
    case FOEDUS_MIN: BINARY_LOOP(T, (x <= y || x != x) ? x : y) break;                            \
    case FOEDUS_GT: BINARY_LOOP(T, x > y ? (T)1 : (T)0) break;                                    \
    case FOEDUS_GE: BINARY_LOOP(T, x >= y ? (T)1 : (T)0) break;                                   \
    case FOEDUS_LT: BINARY_LOOP(T, x < y ? (T)1 : (T)0) break;                                    \
    case FOEDUS_LE: BINARY_LOOP(T, x <= y ? (T)1 : (T)0) break;                                   \
    case FOEDUS_EQ: BINARY_LOOP(T, x == y ? (T)1 : (T)0) break;                                   \
    case FOEDUS_NE: BINARY_LOOP(T, x != y ? (T)1 : (T)0) break;                                   \
    case FOEDUS_MASK_POSITIVE: BINARY_LOOP(T, y > 0 ? x : (T)0) break;                            \
    }                                                                                          \
}

DEFINE_BINARY(foedus_binary_f32, float)
DEFINE_BINARY(foedus_binary_f64, double)

#define UNARY_LOOP(T, EXPR) for (long i = 0; i < n; i++) { T v = x[i]; out[i] = (EXPR); }

#define DEFINE_UNARY(NAME, T, EXP, LOG, SQRT, TANH, ERF, FABS, POW)                         \
MULTIVERSION void NAME(int op, const T *restrict x, T *restrict out, long n, T p) {         \
    switch (op) {                                                                          \
    case FOEDUS_NEG: UNARY_LOOP(T, -v) break;                                                 \
    case FOEDUS_EXP: UNARY_LOOP(T, EXP(v)) break;                                             \
    case FOEDUS_LOG: UNARY_LOOP(T, LOG(v)) break;                                             \
    case FOEDUS_SQRT: UNARY_LOOP(T, SQRT(v)) break;                                           \
    case FOEDUS_TANH: UNARY_LOOP(T, TANH(v)) break;                                           \
    case FOEDUS_ERF: UNARY_LOOP(T, ERF(v)) break;                                             \
    case FOEDUS_ABS: UNARY_LOOP(T, FABS(v)) break;                                            \
    case FOEDUS_SIGN: UNARY_LOOP(T, v > 0 ? (T)1 : (v < 0 ? (T)-1 : (T)0)) break;             \
    case FOEDUS_SQUARE: UNARY_LOOP(T, v * v) break;                                           \
    case FOEDUS_POW: UNARY_LOOP(T, POW(v, p)) break;                                          \
    case FOEDUS_RELU: UNARY_LOOP(T, v > 0 ? v : (T)0) break;                                  \
    case FOEDUS_STEP: UNARY_LOOP(T, v > 0 ? (T)1 : (T)0) break;                               \
    }                                                                                      \
}

DEFINE_UNARY(foedus_unary_f32, float, expf, logf, sqrtf, tanhf, erff, fabsf, powf)
DEFINE_UNARY(foedus_unary_f64, double, exp, log, sqrt, tanh, erf, fabs, pow)

#define DEFINE_SELECT(NAME, T)                                                                 \
MULTIVERSION void NAME(const T *restrict c, long sc, const T *restrict a, long sa, const T *restrict b, long sb, T *restrict out, long n) { \
    if (sc == 1 && sa == 1 && sb == 1) { for (long i = 0; i < n; i++) out[i] = c[i] != 0 ? a[i] : b[i]; }        \
    else if (sc == 1 && sa == 1 && sb == 0) { T vb = b[0]; for (long i = 0; i < n; i++) out[i] = c[i] != 0 ? a[i] : vb; } \
    else if (sc == 1 && sa == 0 && sb == 1) { T va = a[0]; for (long i = 0; i < n; i++) out[i] = c[i] != 0 ? va : b[i]; } \
    else { for (long i = 0; i < n; i++) out[i] = c[i * sc] != 0 ? a[i * sa] : b[i * sb]; }      \
}

DEFINE_SELECT(foedus_select_f32, float)
DEFINE_SELECT(foedus_select_f64, double)

#define LANES 16
#define DEFINE_SUM(NAME, T)                                                   \
MULTIVERSION T NAME(const T *restrict x, long n) {                           \
    T acc[LANES] = {0};                                                       \
    long i = 0;                                                               \
    for (; i + LANES <= n; i += LANES)                                        \
        for (int l = 0; l < LANES; l++) acc[l] += x[i + l];                   \
    T total = 0;                                                              \
    for (; i < n; i++) total += x[i];                                         \
    /* pairwise, fixed order */                                               \
    for (int w = LANES / 2; w > 0; w /= 2)                                    \
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];                     \
    return acc[0] + total;                                                    \
}

DEFINE_SUM(foedus_sum_f32, float)
DEFINE_SUM(foedus_sum_f64, double)

#define DEFINE_MAX(NAME, T)                                                   \
MULTIVERSION T NAME(const T *restrict x, long n) {                           \
    T m = -INFINITY;                                                          \
    int nan = 0;                                                              \
    for (long i = 0; i < n; i++) { T v = x[i]; nan |= (v != v); m = v > m ? v : m; } \
    return nan ? (T)NAN : m;                                                  \
}

DEFINE_MAX(foedus_max_f32, float)
DEFINE_MAX(foedus_max_f64, double)

#define DEFINE_ACCUMULATE(NAME, T)                                            \
MULTIVERSION void NAME(int op, T *restrict out, const T *restrict x, long n) { \
    if (op == 0) { for (long i = 0; i < n; i++) out[i] += x[i]; }             \
    else { for (long i = 0; i < n; i++) { T v = x[i], o = out[i]; out[i] = (v > o || v != v) ? v : o; } } \
}

DEFINE_ACCUMULATE(foedus_accumulate_f32, float)
DEFINE_ACCUMULATE(foedus_accumulate_f64, double)

MULTIVERSION void foedus_sgd_step_f32(const float *restrict p, const float *restrict g, const float *restrict b,
                                      float *restrict p_out, float *restrict b_out, long n,
                                      float lr, float momentum, float weight_decay, int nesterov, int first) {
    if (momentum == 0) {
        for (long i = 0; i < n; i++) { float gi = g[i] + p[i] * weight_decay; p_out[i] = p[i] - gi * lr; }
        return;
    }
    for (long i = 0; i < n; i++) {
        float gi = g[i] + p[i] * weight_decay;
        float bi = first ? gi : b[i] * momentum + gi;
        float d = nesterov ? gi + bi * momentum : bi;
        b_out[i] = bi;
        p_out[i] = p[i] - d * lr;
    }
}
