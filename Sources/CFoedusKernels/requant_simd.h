// AVX-512 lanes of the dyadic requantization, shared by integer_requant.c and the GEMM's fused
// epilogue (integer_gemm.c). Private to CFoedusKernels.
#ifndef FOEDUS_REQUANT_SIMD_H
#define FOEDUS_REQUANT_SIMD_H
#if defined(__x86_64__)
#include <immintrin.h>
#define RQ_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// 16 lanes; b as int32 lanes, c as int32 lanes. Even and odd lanes are multiplied separately
// (vpmuldq reads the low half of each 64-bit lane).
// 16 requantized int32 lanes (zero point added, clamped).
static inline __attribute__((always_inline)) RQ_TARGET __m512i
requant16_i32(__m512i acc, __m512i bv, __m512i cv, __m512i zero, __m512i lo64, __m512i hi64) {
    const __m512i one = _mm512_set1_epi64(1), low32 = _mm512_set1_epi64(0xFFFFFFFFLL);
    __m512i ce = _mm512_and_si512(cv, low32), co = _mm512_srli_epi64(cv, 32);
    __m512i pe = _mm512_mul_epi32(acc, bv);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(bv, 32));
    pe = _mm512_srav_epi64(_mm512_add_epi64(pe, _mm512_sllv_epi64(one, _mm512_sub_epi64(ce, one))), ce);
    po = _mm512_srav_epi64(_mm512_add_epi64(po, _mm512_sllv_epi64(one, _mm512_sub_epi64(co, one))), co);
    pe = _mm512_max_epi64(_mm512_min_epi64(pe, hi64), lo64);
    po = _mm512_max_epi64(_mm512_min_epi64(po, hi64), lo64);
    __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, _mm512_slli_epi64(po, 32));
    return _mm512_add_epi32(r, zero);
}

static inline __attribute__((always_inline)) RQ_TARGET __m128i
requant16(__m512i acc, __m512i bv, __m512i cv, __m512i zero, __m512i lo64, __m512i hi64) {
    return _mm512_cvtepi32_epi8(requant16_i32(acc, bv, cv, zero, lo64, hi64));
}
#endif
#endif
