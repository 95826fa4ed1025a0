#include "CFoedusInteger.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define FOEDUS_X86 1
#endif

// Dyadic requantization: acc·b ≤ 2^31·(2^31 − 1) and the rounding term ≤ 2^61, so the 64-bit
// sum never overflows; >> is arithmetic, so ties round toward +∞ (half up).

static inline int32_t requant_value(int32_t acc, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi) {
    int64_t v = (((int64_t)acc * b + ((int64_t)1 << (c - 1))) >> c) + zero;
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

// The byte form (int8 or uint8 by the clamp).
static inline uint8_t requant_one(int32_t acc, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi) {
    return (uint8_t)requant_value(acc, b, c, zero, lo, hi);
}

#ifdef FOEDUS_X86
#include "requant_simd.h"

static RQ_TARGET void run_avx512(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, uint8_t *out) {
    __m512i bv = _mm512_set1_epi32((int32_t)b), cv = _mm512_set1_epi32(c), zv = _mm512_set1_epi32(zero);
    __m512i lo64 = _mm512_set1_epi64((int64_t)lo - zero), hi64 = _mm512_set1_epi64((int64_t)hi - zero);
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(out + i), requant16(_mm512_loadu_si512((const void *)(acc + i)), bv, cv, zv, lo64, hi64));
    if (i < n) {
        __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
        __m128i r = requant16(_mm512_maskz_loadu_epi32(mask, acc + i), bv, cv, zv, lo64, hi64);
        _mm_mask_storeu_epi8(out + i, mask, r);
    }
}

// Column blocks of 16 outer, rows inner: one multiplier/shift load per block. `wide` selects
// int32 outputs (a compile-time constant at both call sites, so each gets its own loop).
static inline __attribute__((always_inline)) RQ_TARGET void
cols_avx512_body(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                 int32_t zero, int32_t lo, int32_t hi, void *out, long ldo, int wide) {
    const __m512i zv = _mm512_set1_epi32(zero);
    const __m512i lo64 = _mm512_set1_epi64((int64_t)lo - zero), hi64 = _mm512_set1_epi64((int64_t)hi - zero);
    const __m512i one32 = _mm512_set1_epi32(1);
    for (long j = 0; j < cols; j += 16) {
        __mmask16 mask = cols - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - j)) - 1);
        __m512i bv = _mm512_maskz_loadu_epi32(mask, b + j);
        // Masked-off lanes get c = 1 so the shift amounts stay valid.
        __m512i cv = _mm512_mask_loadu_epi32(one32, mask, c + j);
        for (long i = 0; i < rows; i++) {
            __m512i r = requant16_i32(_mm512_maskz_loadu_epi32(mask, acc + i * lda + j), bv, cv, zv, lo64, hi64);
            if (wide) _mm512_mask_storeu_epi32((int32_t *)out + i * ldo + j, mask, r);
            else _mm_mask_storeu_epi8((uint8_t *)out + i * ldo + j, mask, _mm512_cvtepi32_epi8(r));
        }
    }
}

static RQ_TARGET void cols_avx512(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                                  int32_t zero, int32_t lo, int32_t hi, uint8_t *out, long ldo) {
    cols_avx512_body(acc, rows, cols, lda, b, c, zero, lo, hi, out, ldo, 0);
}
#endif

void foedus_requant_run(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi,
                        uint8_t *out, int backend) {
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) { run_avx512(acc, n, b, c, zero, lo, hi, out); return; }
#endif
    for (long i = 0; i < n; i++) out[i] = requant_one(acc[i], b, c, zero, lo, hi);
}

void foedus_requant_cols(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                         int32_t zero, int32_t lo, int32_t hi, uint8_t *out, long ldo, int backend) {
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) { cols_avx512(acc, rows, cols, lda, b, c, zero, lo, hi, out, ldo); return; }
#endif
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) out[i * ldo + j] = requant_one(acc[i * lda + j], b[j], c[j], zero, lo, hi);
}

// The same requantization with int32 outputs (the 16-bit pre-normalisation scale of the integer
// GroupNorm models); `out` may equal `acc`.
#ifdef FOEDUS_X86
static RQ_TARGET void run_i32_avx512(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, int32_t *out) {
    const __m512i bv = _mm512_set1_epi32((int32_t)b), cv = _mm512_set1_epi32(c), zv = _mm512_set1_epi32(zero);
    const __m512i lo64 = _mm512_set1_epi64((int64_t)lo - zero), hi64 = _mm512_set1_epi64((int64_t)hi - zero);
    for (long i = 0; i < n; i += 16) {
        __mmask16 mask = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_epi32(out + i, mask, requant16_i32(_mm512_maskz_loadu_epi32(mask, acc + i), bv, cv, zv, lo64, hi64));
    }
}
#endif

void foedus_requant_run_i32(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi,
                            int32_t *out, int backend) {
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) { run_i32_avx512(acc, n, b, c, zero, lo, hi, out); return; }
#endif
    for (long i = 0; i < n; i++) out[i] = requant_value(acc[i], b, c, zero, lo, hi);
}

// Per-column requantization with int32 outputs (the pre-normalisation pass of the channels-last
// integer GroupNorm models); `out` may equal `acc`.
#ifdef FOEDUS_X86
static RQ_TARGET void cols_i32_avx512(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                                      int32_t zero, int32_t lo, int32_t hi, int32_t *out, long ldo) {
    cols_avx512_body(acc, rows, cols, lda, b, c, zero, lo, hi, out, ldo, 1);
}
#endif

void foedus_requant_cols_i32(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                             int32_t zero, int32_t lo, int32_t hi, int32_t *out, long ldo, int backend) {
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) { cols_i32_avx512(acc, rows, cols, lda, b, c, zero, lo, hi, out, ldo); return; }
#endif
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) out[i * ldo + j] = requant_value(acc[i * lda + j], b[j], c[j], zero, lo, hi);
}
