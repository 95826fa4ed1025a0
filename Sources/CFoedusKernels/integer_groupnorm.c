// i-GroupNorm (I-BERT integer statistics) over one run of a group, writing clamped uint8: the C
// twin of IBert.normalizeRun + IBert.Affine in FoedusKernels/Integer (bit-identical, tested).
// The loops are compiled twice: for AVX-512 (auto-vectorised Int64 arithmetic) and portable.
#include <stdint.h>
#include "CFoedusInteger.h"
#include "integer_common.h"


static inline __attribute__((always_inline)) void
groupnorm_run(const int32_t *x, long per_group, long spatial, const int64_t *b, const int32_t *c, const int64_t *sign,
              const int64_t *beta, const uint8_t *alive, int64_t lo, int64_t hi, int64_t *yn, uint8_t *out) {
    const long m = per_group * spatial;
    const int64_t count = m;
    int64_t sum = 0;
    for (long i = 0; i < m; i++) sum += x[i];
    int64_t max_abs = 0;
    for (long i = 0; i < m; i++) {
        int64_t d = count * (int64_t)x[i] - sum;
        int64_t a = d < 0 ? -d : d;
        max_abs = a > max_abs ? a : max_abs;
    }
    int64_t shift = 0;
    while ((max_abs >> shift) > 0 && (double)(max_abs >> shift) * (double)(max_abs >> shift) * (double)m >= 0x1p62) shift++;
    int64_t squares = 0;
    for (long i = 0; i < m; i++) {
        int64_t d = (count * (int64_t)x[i] - sum) >> shift;
        squares += d * d;
    }
    int64_t sigma = (int64_t)foedus_isqrt_u64((uint64_t)squares) << shift;
    if (sigma > 0) {
        const int64_t f = ((int64_t)1 << 61) / sigma;
        for (long i = 0; i < m; i++) yn[i] = ((count * (int64_t)x[i] - sum) * f) >> 31;
    } else {
        for (long i = 0; i < m; i++) yn[i] = 0;
    }
    for (long k = 0; k < per_group; k++) {
        const int64_t *src = yn + k * spatial;
        uint8_t *dst = out + k * spatial;
        if (!alive[k]) {
            int64_t v = beta[k] < lo ? lo : (beta[k] > hi ? hi : beta[k]);
            for (long i = 0; i < spatial; i++) dst[i] = (uint8_t)v;
            continue;
        }
        const int64_t bk = b[k], round = (int64_t)1 << (c[k] - 1), sk = sign[k], betak = beta[k];
        const int ck = c[k];
        for (long i = 0; i < spatial; i++) {
            int64_t v = src[i];
            v = v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : v);
            int64_t y = sk * ((v * bk + round) >> ck) + betak;
            y = y < lo ? lo : (y > hi ? hi : y);
            dst[i] = (uint8_t)y;
        }
    }
}

// One driver body, compiled for AVX-512 and portably.
#define GROUPNORM_DRIVER(name, attributes)                                                                       \
    attributes static void name(const int32_t *x, long runs, long groups, long per_group, long spatial,          \
                                const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,    \
                                const uint8_t *alive, int64_t lo, int64_t hi, int64_t *yn, uint8_t *out) {       \
        const long m = per_group * spatial;                                                                      \
        for (long r = 0; r < runs; r++) {                                                                        \
            const long first = (r % groups) * per_group;                                                         \
            groupnorm_run(x + r * m, per_group, spatial, b + first, c + first, sign + first, beta + first,       \
                          alive + first, lo, hi, yn, out + r * m);                                               \
        }                                                                                                        \
    }

#if defined(__x86_64__)
GROUPNORM_DRIVER(groupnorm_avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))))
#endif
GROUPNORM_DRIVER(groupnorm_portable, )

void foedus_igroupnorm_u8(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                          const int32_t *c, const int64_t *sign, const int64_t *beta, const uint8_t *alive,
                          int64_t lo, int64_t hi, int64_t *scratch, uint8_t *out, int backend) {
    const long per_group = channels / groups, runs = samples * groups;
#if defined(__x86_64__)
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) {
        groupnorm_avx512(x, runs, groups, per_group, spatial, b, c, sign, beta, alive, lo, hi, scratch, out);
        return;
    }
#endif
    groupnorm_portable(x, runs, groups, per_group, spatial, b, c, sign, beta, alive, lo, hi, scratch, out);
}
