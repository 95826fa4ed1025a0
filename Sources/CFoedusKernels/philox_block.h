// Philox4x32-10 shared by philox.c and fqt_gradient_codes.c (internal header).
#ifndef FOEDUS_PHILOX_BLOCK_H
#define FOEDUS_PHILOX_BLOCK_H
#include <stdint.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void philox_block(uint32_t c[4], uint32_t k0, uint32_t k1) {
    uint32_t x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3];
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        uint64_t p0 = (uint64_t)PHILOX_M0 * x0, p1 = (uint64_t)PHILOX_M1 * x2;
        uint32_t h0 = (uint32_t)(p0 >> 32), l0 = (uint32_t)p0, h1 = (uint32_t)(p1 >> 32), l1 = (uint32_t)p1;
        x0 = h1 ^ x1 ^ k0;
        x1 = l1;
        x2 = h0 ^ x3 ^ k1;
        x3 = l0;
    }
    c[0] = x0; c[1] = x1; c[2] = x2; c[3] = x3;
}

// The uniforms of stochastic rounding (RandomStream.fillRoundingUniforms is the Swift twin):
// element e is half (e & 1) of 32-bit word e >> 1 (the low 16 bits first), k in 0 … 65535, and
// u = (k + ½)·2⁻¹⁶ = (2k + 1)·2⁻¹⁷, exact in Float. Half a word per draw halves the Philox work
// of the 24-bit uniforms; rounding needs no more resolution (bias ≤ 2⁻¹⁷ of a code step).
static inline float rounding_uniform(uint32_t word, int half) {
    uint32_t k = half ? word >> 16 : word & 0xFFFFu;
    return (float)(2u * k + 1u) * 0x1p-17f;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

static inline __attribute__((target("avx512f"), always_inline)) __m512i philox_mulhi32(__m512i a, __m512i m) {
    __m512i even = _mm512_mul_epu32(a, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    return _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// rounding_uniform of 16 lanes of 16-bit values k (zero-extended to 32 bits).
static inline __attribute__((target("avx512f"), always_inline)) __m512 rounding_uniforms16(__m512i k) {
    __m512i odd = _mm512_or_si512(_mm512_slli_epi32(k, 1), _mm512_set1_epi32(1));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(odd), _mm512_set1_ps(0x1p-17f));
}
// The low (half 0) and high (half 1) uniforms of 16 words.
static inline __attribute__((target("avx512f"), always_inline)) __m512 rounding_uniforms_low(__m512i w) {
    return rounding_uniforms16(_mm512_and_si512(w, _mm512_set1_epi32(0xFFFF)));
}
static inline __attribute__((target("avx512f"), always_inline)) __m512 rounding_uniforms_high(__m512i w) {
    return rounding_uniforms16(_mm512_srli_epi32(w, 16));
}

// 16 Philox blocks, one per lane: counters (x0, x1, x2, x3) in, words out in place.
static inline __attribute__((target("avx512f"), always_inline)) void
philox16(__m512i *x0, __m512i *x1, __m512i *x2, __m512i *x3, uint32_t k0, uint32_t k1) {
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    __m512i a = *x0, b = *x1, c = *x2, d = *x3;
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        __m512i h0 = philox_mulhi32(a, m0), l0 = _mm512_mullo_epi32(a, m0);
        __m512i h1 = philox_mulhi32(c, m1), l1 = _mm512_mullo_epi32(c, m1);
        __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(h1, b), _mm512_set1_epi32((int)k0));
        __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(h0, d), _mm512_set1_epi32((int)k1));
        a = n0; b = l1; c = n2; d = l0;
    }
    *x0 = a; *x1 = b; *x2 = c; *x3 = d;
}
// Two independent 16-block batches in one loop: the rounds' multiply latency of one batch
// overlaps the other's.
static inline __attribute__((target("avx512f"), always_inline)) void
philox16x2(__m512i x[4], __m512i y[4], uint32_t k0, uint32_t k1) {
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M0), m1 = _mm512_set1_epi32((int)PHILOX_M1);
    __m512i a = x[0], b = x[1], c = x[2], d = x[3];
    __m512i e = y[0], f = y[1], g = y[2], h = y[3];
    for (int round = 0; round < 10; round++) {
        if (round > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        const __m512i vk0 = _mm512_set1_epi32((int)k0), vk1 = _mm512_set1_epi32((int)k1);
        __m512i h0 = philox_mulhi32(a, m0), l0 = _mm512_mullo_epi32(a, m0);
        __m512i h1 = philox_mulhi32(c, m1), l1 = _mm512_mullo_epi32(c, m1);
        __m512i g0 = philox_mulhi32(e, m0), j0 = _mm512_mullo_epi32(e, m0);
        __m512i g1 = philox_mulhi32(g, m1), j1 = _mm512_mullo_epi32(g, m1);
        a = _mm512_xor_si512(_mm512_xor_si512(h1, b), vk0);
        c = _mm512_xor_si512(_mm512_xor_si512(h0, d), vk1);
        b = l1; d = l0;
        e = _mm512_xor_si512(_mm512_xor_si512(g1, f), vk0);
        g = _mm512_xor_si512(_mm512_xor_si512(g0, h), vk1);
        f = j1; h = j0;
    }
    x[0] = a; x[1] = b; x[2] = c; x[3] = d;
    y[0] = e; y[1] = f; y[2] = g; y[3] = h;
}
#endif
#endif
