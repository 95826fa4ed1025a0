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

// The requantization of 16 sums in int32 lanes. With b = 1 (the models' block output: the
// residual scale is the output scale / 2⁸) ⌊(s + 2^(c−1)) / 2^c⌋ = (s >> c) + ((s >> (c−1)) & 1)
// exactly, without the 64-bit products; the result (|·| ≤ 2³⁰ + 1) and a zero point within ±2²⁹
// are added and clamped in int32 lanes. `unit` selects that form (a constant at each call site;
// residual_unit says when it applies).
typedef struct {
    __m512i bv, cv, zv, lo64, hi64;  // the general form (requant16)
    __m512i c32, c1, z32, lo32, hi32;  // b = 1
} residual_requant;

static inline int residual_unit(int64_t b, int32_t zero) { return b == 1 && zero >= -(1 << 29) && zero <= (1 << 29); }

static inline __attribute__((always_inline)) RQ_TARGET residual_requant
residual_requant_make(int64_t b, int c, int32_t zero, int32_t lo, int32_t hi) {
    residual_requant r;
    r.bv = _mm512_set1_epi32((int32_t)b);
    r.cv = _mm512_set1_epi32(c);
    r.zv = _mm512_set1_epi32(zero);
    r.lo64 = _mm512_set1_epi64((int64_t)lo - zero);
    r.hi64 = _mm512_set1_epi64((int64_t)hi - zero);
    r.c32 = _mm512_set1_epi32(c);
    r.c1 = _mm512_set1_epi32(c - 1);
    r.z32 = _mm512_set1_epi32(zero);
    r.lo32 = _mm512_set1_epi32(lo);
    r.hi32 = _mm512_set1_epi32(hi);
    return r;
}

// The unit form's ⌊(s + 2^(c−1)) / 2^c⌋ of 16 sums, before the zero point and clamp.
static inline __attribute__((always_inline)) RQ_TARGET __m512i residual16_raw_unit(__m512i s, const residual_requant *r) {
    return _mm512_add_epi32(_mm512_srav_epi32(s, r->c32), _mm512_and_si512(_mm512_srav_epi32(s, r->c1), _mm512_set1_epi32(1)));
}

// The shortcut's 16 values at offset i (all lanes valid).
static inline __attribute__((always_inline)) RQ_TARGET __m512i
residual16_skip(const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long i) {
    if (table) return _mm512_i32gather_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(skip_u8 + i))), table, 4);
    return _mm512_loadu_si512((const void *)(skip_i32 + i));
}

// 16 elements at offset i (all lanes valid): the byte outputs.
static inline __attribute__((always_inline)) RQ_TARGET __m128i
residual16(__m512i main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long i,
           const residual_requant *r, const int unit) {
    const __m512i s = _mm512_add_epi32(main, residual16_skip(skip_u8, table, skip_i32, i));
    if (!unit) return requant16(s, r->bv, r->cv, r->zv, r->lo64, r->hi64);
    const __m512i q = residual16_raw_unit(s, r);
    return _mm512_cvtepi32_epi8(_mm512_max_epi32(_mm512_min_epi32(_mm512_add_epi32(q, r->z32), r->hi32), r->lo32));
}
#endif
#endif
