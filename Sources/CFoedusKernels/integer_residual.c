// The end of a residual block whose branches are already int32 at the residual scale (folded
// batch norm): the shortcut added and the sum requantized to bytes in one pass.
#include <stdint.h>
#include "CFoedusInteger.h"
#include "CFoedusResidual.h"
#include "residual_simd.h"

static void residual_portable(const int32_t *main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long n,
                              int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, uint8_t *out) {
    for (long i = 0; i < n; i++) out[i] = residual_one(main[i], residual_skip(skip_u8, table, skip_i32, i), b, c, zero, lo, hi);
}

#if defined(__x86_64__)
static inline __attribute__((always_inline)) RQ_TARGET void
residual_avx512_body(const int32_t *main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long n,
                     const residual_requant *r, const int unit, uint8_t *out) {
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(out + i), residual16(_mm512_loadu_si512((const void *)(main + i)), skip_u8, table, skip_i32, i, r, unit));
}

static RQ_TARGET void residual_avx512(const int32_t *main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32,
                                      long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, uint8_t *out) {
    const residual_requant r = residual_requant_make(b, c, zero, lo, hi);
    if (residual_unit(b, zero)) residual_avx512_body(main, skip_u8, table, skip_i32, n, &r, 1, out);
    else residual_avx512_body(main, skip_u8, table, skip_i32, n, &r, 0, out);
    const long i = n / 16 * 16;
    residual_portable(main + i, skip_u8 ? skip_u8 + i : NULL, table, skip_i32 ? skip_i32 + i : NULL, n - i, b, c, zero, lo, hi, out + i);
}
#endif

void foedus_residual_requant_u8(const int32_t *main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long n,
                                int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, uint8_t *out, int backend) {
#if defined(__x86_64__)
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI && b >= 0 && b <= INT32_MAX) {
        residual_avx512(main, skip_u8, table, skip_i32, n, b, c, zero, lo, hi, out);
        return;
    }
#else
    (void)backend;
#endif
    residual_portable(main, skip_u8, table, skip_i32, n, b, c, zero, lo, hi, out);
}

// Global sum pooling: per image and channel, the sum of `spatial` channels-last bytes.
#define SUMPOOL_BODY                                                                             \
    for (long n = 0; n < images; n++) {                                                          \
        const uint8_t *image = x + n * spatial * channels;                                       \
        int32_t *s = sums + n * channels;                                                        \
        for (long k = 0; k < channels; k++) s[k] = 0;                                            \
        for (long p = 0; p < spatial; p++)                                                       \
            for (long k = 0; k < channels; k++) s[k] = (int32_t)((uint32_t)s[k] + image[p * channels + k]); \
    }

static void sumpool_portable(const uint8_t *x, long images, long spatial, long channels, int32_t *sums) { SUMPOOL_BODY }

#if defined(__x86_64__)
// 16 channels per zmm of int32 sums, held in registers across the pixels.
static RQ_TARGET void sumpool_avx512(const uint8_t *x, long images, long spatial, long channels, int32_t *sums) {
    for (long n = 0; n < images; n++) {
        const uint8_t *image = x + n * spatial * channels;
        for (long j = 0; j < channels; j += 16) {
            __m512i acc = _mm512_setzero_si512();
            for (long p = 0; p < spatial; p++)
                acc = _mm512_add_epi32(acc, _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(image + p * channels + j))));
            _mm512_storeu_si512((void *)(sums + n * channels + j), acc);
        }
    }
}
#endif

void foedus_sumpool_nhwc_u8(const uint8_t *x, long images, long spatial, long channels, int32_t *sums, int backend) {
#if defined(__x86_64__)
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI && channels % 16 == 0) {
        sumpool_avx512(x, images, spatial, channels, sums);
        return;
    }
#else
    (void)backend;
#endif
    sumpool_portable(x, images, spatial, channels, sums);
}
