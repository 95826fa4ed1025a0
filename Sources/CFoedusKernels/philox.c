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

#ifdef FOEDUS_PHILOX_X86
#define AVX512_TARGET __attribute__((target("avx512f")))

// 16 consecutive blocks from block index b (64 floats, block j's word q at 4j + q).
static AVX512_TARGET void uniform_avx512(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t b, long blocks,
                                         float low, float width, float top, float *out) {
    const __m512 vlow = _mm512_set1_ps(low), vwidth = _mm512_set1_ps(width), vtop = _mm512_set1_ps(top);
    const __m512 scale = _mm512_set1_ps(0x1p-24f);
    uint32_t lo[16], hi[16];
    float words[4][16];
    for (long g = 0; g + 16 <= blocks; g += 16, b += 16) {
        for (int j = 0; j < 16; j++) {
            // Element indices wrap modulo 2^64, so block indices wrap modulo 2^62.
            uint64_t block = (b + (uint64_t)j) & ((1ull << 62) - 1);
            lo[j] = (uint32_t)block;
            hi[j] = (uint32_t)(block >> 32);
        }
        __m512i x0 = _mm512_loadu_si512(lo), x1 = _mm512_loadu_si512(hi);
        __m512i x2 = _mm512_set1_epi32((int)domain), x3 = _mm512_setzero_si512();
        philox16(&x0, &x1, &x2, &x3, k0, k1);
        __m512i xs[4] = {x0, x1, x2, x3};
        for (int q = 0; q < 4; q++) {
            __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(xs[q], 8)), scale);
            // Separate multiply and add (no FMA), as the Swift reference rounds.
            __m512 v = _mm512_add_ps(vlow, _mm512_mul_ps(u, vwidth));
            _mm512_storeu_ps(words[q], _mm512_min_ps(v, vtop));
        }
        float *dst = out + 4 * g;
        for (int j = 0; j < 16; j++) {
            dst[4 * j] = words[0][j];
            dst[4 * j + 1] = words[1][j];
            dst[4 * j + 2] = words[2][j];
            dst[4 * j + 3] = words[3][j];
        }
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
