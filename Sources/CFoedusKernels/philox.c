// Philox4x32-10 uniform floats, 16 blocks at a time with AVX-512. The Swift RandomStream
// (FoedusKernels/Random) is the scalar reference twin; results are bit-identical.
#include <stdint.h>
#include <string.h>
#include "CFoedusKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define FOEDUS_PHILOX_X86 1
#include <immintrin.h>
#endif

#include "philox_block.h"

static inline float uniform_of(uint32_t word, float low, float width, float top) {
    float v = low + (float)(word >> 8) * 0x1p-24f * width;
    return top < v ? top : v;
}

static void uniform_scalar(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t e, long count,
                           float low, float width, float top, float *out) {
    for (long i = 0; i < count; i++, e++) {
        uint64_t b = e >> 2;
        uint32_t c[4] = {(uint32_t)b, (uint32_t)(b >> 32), domain, 0};
        philox_block(c, k0, k1);
        out[i] = uniform_of(c[e & 3], low, width, top);
    }
}

static void rounding_scalar(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t e, long count, float *out) {
    for (long i = 0; i < count; i++, e++) {
        uint64_t w = e >> 1, b = w >> 2;
        uint32_t c[4] = {(uint32_t)b, (uint32_t)(b >> 32), domain, 0};
        philox_block(c, k0, k1);
        out[i] = rounding_uniform(c[w & 3], (int)(e & 1));
    }
}

#ifdef FOEDUS_PHILOX_X86
#define AVX512_TARGET __attribute__((target("avx512f")))
#define FLOAT_WRAP ((1ull << 62) - 1)
#define ROUNDING_WRAP ((1ull << 61) - 1)

// 16 consecutive blocks from block index b (64 floats, block j's word q at 4j + q).
// Words (w0, w1, w2, w3) of 16 blocks → 64 floats in element order (block j's word q at 4j + q):
// a 4 × 16 transpose in registers.
static inline AVX512_TARGET __attribute__((always_inline)) void
store_interleaved(__m512 w0, __m512 w1, __m512 w2, __m512 w3, float *dst) {
    __m512 t0 = _mm512_unpacklo_ps(w0, w1), t1 = _mm512_unpackhi_ps(w0, w1);
    __m512 t2 = _mm512_unpacklo_ps(w2, w3), t3 = _mm512_unpackhi_ps(w2, w3);
    __m512 u0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    __m512 u3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    // 128-bit lane k of u_m holds block 4k + m; gather lane k of u0..u3 into output vector k.
    __m512 v0 = _mm512_shuffle_f32x4(u0, u1, 0x44), v1 = _mm512_shuffle_f32x4(u0, u1, 0xEE);
    __m512 v2 = _mm512_shuffle_f32x4(u2, u3, 0x44), v3 = _mm512_shuffle_f32x4(u2, u3, 0xEE);
    _mm512_storeu_ps(dst, _mm512_shuffle_f32x4(v0, v2, 0x88));
    _mm512_storeu_ps(dst + 16, _mm512_shuffle_f32x4(v0, v2, 0xDD));
    _mm512_storeu_ps(dst + 32, _mm512_shuffle_f32x4(v1, v3, 0x88));
    _mm512_storeu_ps(dst + 48, _mm512_shuffle_f32x4(v1, v3, 0xDD));
}

static inline AVX512_TARGET __attribute__((always_inline)) void
counters(uint64_t b, uint32_t domain, uint64_t wrap, __m512i x[4]) {
    uint32_t lo[16], hi[16];
    for (int j = 0; j < 16; j++) {
        // Element indices wrap modulo 2^64, so block indices wrap modulo 2^64 / (elements per block).
        uint64_t block = (b + (uint64_t)j) & wrap;
        lo[j] = (uint32_t)block;
        hi[j] = (uint32_t)(block >> 32);
    }
    x[0] = _mm512_loadu_si512(lo);
    x[1] = _mm512_loadu_si512(hi);
    x[2] = _mm512_set1_epi32((int)domain);
    x[3] = _mm512_setzero_si512();
}

static inline AVX512_TARGET __attribute__((always_inline)) void
emit_uniforms(const __m512i x[4], __m512 vlow, __m512 vwidth, __m512 vtop, float *dst) {
    const __m512 scale = _mm512_set1_ps(0x1p-24f);
    __m512 w[4];
    for (int q = 0; q < 4; q++) {
        __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(x[q], 8)), scale);
        // Separate multiply and add (no FMA), as the Swift reference rounds.
        __m512 v = _mm512_add_ps(vlow, _mm512_mul_ps(u, vwidth));
        w[q] = _mm512_min_ps(v, vtop);
    }
    store_interleaved(w[0], w[1], w[2], w[3], dst);
}

// Consecutive blocks from block index b, 16 per batch (64 floats, block j's word q at 4j + q),
// two batches at a time.
static AVX512_TARGET void uniform_avx512(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t b, long blocks,
                                         float low, float width, float top, float *out) {
    const __m512 vlow = _mm512_set1_ps(low), vwidth = _mm512_set1_ps(width), vtop = _mm512_set1_ps(top);
    long g = 0;
    for (; g + 32 <= blocks; g += 32, b += 32) {
        __m512i x[4], y[4];
        counters(b, domain, FLOAT_WRAP, x);
        counters(b + 16, domain, FLOAT_WRAP, y);
        philox16x2(x, y, k0, k1);
        emit_uniforms(x, vlow, vwidth, vtop, out + 4 * g);
        emit_uniforms(y, vlow, vwidth, vtop, out + 4 * g + 64);
    }
    for (; g + 16 <= blocks; g += 16, b += 16) {
        __m512i x[4];
        counters(b, domain, FLOAT_WRAP, x);
        philox16(&x[0], &x[1], &x[2], &x[3], k0, k1);
        emit_uniforms(x, vlow, vwidth, vtop, out + 4 * g);
    }
}

// Words (w0, w1, w2, w3) of 16 blocks → 64 words in order (block j's word q at 4j + q), each
// split into its low and high uniforms: 128 floats.
static inline AVX512_TARGET __attribute__((always_inline)) void
emit_rounding(const __m512i x[4], float *dst) {
    __m512i t0 = _mm512_unpacklo_epi32(x[0], x[1]), t1 = _mm512_unpackhi_epi32(x[0], x[1]);
    __m512i t2 = _mm512_unpacklo_epi32(x[2], x[3]), t3 = _mm512_unpackhi_epi32(x[2], x[3]);
    __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    __m512i v0 = _mm512_shuffle_i32x4(u0, u1, 0x44), v1 = _mm512_shuffle_i32x4(u0, u1, 0xEE);
    __m512i v2 = _mm512_shuffle_i32x4(u2, u3, 0x44), v3 = _mm512_shuffle_i32x4(u2, u3, 0xEE);
    __m512i words[4] = {_mm512_shuffle_i32x4(v0, v2, 0x88), _mm512_shuffle_i32x4(v0, v2, 0xDD),
                        _mm512_shuffle_i32x4(v1, v3, 0x88), _mm512_shuffle_i32x4(v1, v3, 0xDD)};
    for (int m = 0; m < 4; m++) {
        // Little endian: the 16-bit halves of 8 words in memory order are elements low, high, low, ….
        __m512i lo = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(words[m]));
        __m512i hi = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(words[m], 1));
        _mm512_storeu_ps(dst + 32 * m, rounding_uniforms16(lo));
        _mm512_storeu_ps(dst + 32 * m + 16, rounding_uniforms16(hi));
    }
}

// Consecutive blocks from block index b, 16 per batch (128 uniforms), two batches at a time.
static AVX512_TARGET void rounding_avx512(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t b, long blocks, float *out) {
    long g = 0;
    for (; g + 32 <= blocks; g += 32, b += 32) {
        __m512i x[4], y[4];
        counters(b, domain, ROUNDING_WRAP, x);
        counters(b + 16, domain, ROUNDING_WRAP, y);
        philox16x2(x, y, k0, k1);
        emit_rounding(x, out + 8 * g);
        emit_rounding(y, out + 8 * g + 128);
    }
    for (; g + 16 <= blocks; g += 16, b += 16) {
        __m512i x[4];
        counters(b, domain, ROUNDING_WRAP, x);
        philox16(&x[0], &x[1], &x[2], &x[3], k0, k1);
        emit_rounding(x, out + 8 * g);
    }
}

static int has_avx512f(void) {
    static int state = -1;
    if (state < 0) {
        __builtin_cpu_init();
        state = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return state;
}
#endif

void foedus_philox_uniform_f32(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t first, long count,
                               float low, float width, float top, float *out, int vectorized) {
    long i = 0;
    uint64_t e = first;
#ifdef FOEDUS_PHILOX_X86
    if (vectorized && has_avx512f()) {
        long head = (long)((4 - (e & 3)) & 3);
        if (head > count) head = count;
        uniform_scalar(k0, k1, domain, e, head, low, width, top, out);
        i = head;
        e += (uint64_t)head;
        long blocks = (count - i) / 4 / 16 * 16;
        if (blocks > 0) {
            uniform_avx512(k0, k1, domain, e >> 2, blocks, low, width, top, out + i);
            i += 4 * blocks;
            e += (uint64_t)(4 * blocks);
        }
    }
#else
    (void)vectorized;
#endif
    uniform_scalar(k0, k1, domain, e, count - i, low, width, top, out + i);
}

void foedus_philox_rounding_uniforms(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t first, long count, float *out, int vectorized) {
    long i = 0;
    uint64_t e = first;
#ifdef FOEDUS_PHILOX_X86
    if (vectorized && has_avx512f()) {
        // Eight elements per block: align to a block, then 16 blocks per step.
        long head = (long)((8 - (e & 7)) & 7);
        if (head > count) head = count;
        rounding_scalar(k0, k1, domain, e, head, out);
        i = head;
        e += (uint64_t)head;
        long blocks = (count - i) / 8 / 16 * 16;
        if (blocks > 0) {
            rounding_avx512(k0, k1, domain, e >> 3, blocks, out + i);
            i += 8 * blocks;
            e += (uint64_t)(8 * blocks);
        }
    }
#else
    (void)vectorized;
#endif
    rounding_scalar(k0, k1, domain, e, count - i, out + i);
}
