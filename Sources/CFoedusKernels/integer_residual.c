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
