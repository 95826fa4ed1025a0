// The last step of a residual block, shared by the fused i-GroupNorm (integer_groupnorm_nhwc.c)
// and the folded-norm add (integer_residual.c): the shortcut's value for 16 elements (a byte
// through a 256-entry table, or int32), added with wrapping to the main branch and requantized
// to bytes. Private to CFoedusKernels.
#ifndef FOEDUS_RESIDUAL_SIMD_H
#define FOEDUS_RESIDUAL_SIMD_H
#include <stdint.h>

// The scalar twin of one element: clamp(zero + ((main +wrap skip)·b + 2^(c−1)) >> c, lo, hi).
static inline uint8_t residual_one(int32_t main, int32_t skip, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi) {
    const int32_t s = (int32_t)((uint32_t)main + (uint32_t)skip);
    const int64_t v = (((int64_t)s * b + ((int64_t)1 << (c - 1))) >> c) + zero;
    return (uint8_t)(v < lo ? lo : (v > hi ? hi : v));
}

// The shortcut value of element i: table[skip_u8[i]] when `table` is non-NULL, else skip_i32[i].
static inline int32_t residual_skip(const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long i) {
    return table ? table[skip_u8[i]] : skip_i32[i];
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "requant_simd.h"

// 16 elements at offset i (all lanes valid): the byte outputs.
static inline __attribute__((always_inline)) RQ_TARGET __m128i
residual16(__m512i main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long i,
           __m512i bv, __m512i cv, __m512i zv, __m512i lo64, __m512i hi64) {
    __m512i s;
    if (table) s = _mm512_i32gather_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(skip_u8 + i))), table, 4);
    else s = _mm512_loadu_si512((const void *)(skip_i32 + i));
    return requant16(_mm512_add_epi32(main, s), bv, cv, zv, lo64, hi64);
}
#endif
#endif
