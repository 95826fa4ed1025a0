#include <math.h>
#include "CFoedusKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define POOL_AVX512 __attribute__((target("avx512f")))

static int pool_has_avx512(void) {
    static int state = -1;
    if (state < 0) {
        __builtin_cpu_init();
        state = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return state;
}

// v replaces best where the scalar loop's `v > best || (v != v && best == best)` holds.
static inline POOL_AVX512 __attribute__((always_inline)) void
pool_take(__m512 v, __m512i iv, __m512 *best, __m512i *bi) {
    __mmask16 m = _mm512_cmp_ps_mask(v, *best, _CMP_GT_OQ) | (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(*best, *best, _CMP_ORD_Q));
    *best = _mm512_mask_mov_ps(*best, m, v);
    *bi = _mm512_mask_mov_epi32(*bi, m, iv);
}

// 16 outputs of a row at a time: the two input rows' 32 values split into even and odd columns.
static POOL_AVX512 void maxpool2x2_avx512(const float *x, float *y, int32_t *index, long c, long h, long w, long oh, long ow) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (long ch = 0; ch < c; ch++) {
        const float *xc = x + ch * h * w;
        for (long oy = 0; oy < oh; oy++) {
            const float *r0 = xc + (2 * oy) * w, *r1 = r0 + w;
            for (long ox0 = 0; ox0 < ow; ox0 += 16) {
                long count = ow - ox0 < 16 ? ow - ox0 : 16, values = 2 * count;
                __mmask16 out = count == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
                __mmask16 lo = values >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << values) - 1);
                __mmask16 hi = values >= 32 ? (__mmask16)0xFFFF : (values > 16 ? (__mmask16)((1u << (values - 16)) - 1) : (__mmask16)0);
                const float *p0 = r0 + 2 * ox0, *p1 = r1 + 2 * ox0;
                __m512 a0 = _mm512_maskz_loadu_ps(lo, p0), a1 = _mm512_maskz_loadu_ps(hi, p0 + 16);
                __m512 b0 = _mm512_maskz_loadu_ps(lo, p1), b1 = _mm512_maskz_loadu_ps(hi, p1 + 16);
                __m512i ia = _mm512_add_epi32(_mm512_set1_epi32((int)((2 * oy) * w + 2 * ox0)), even);
                __m512 best = _mm512_permutex2var_ps(a0, even, a1);
                __m512i bi = ia;
                pool_take(_mm512_permutex2var_ps(a0, odd, a1), _mm512_add_epi32(ia, _mm512_set1_epi32(1)), &best, &bi);
                pool_take(_mm512_permutex2var_ps(b0, even, b1), _mm512_add_epi32(ia, _mm512_set1_epi32((int)w)), &best, &bi);
                pool_take(_mm512_permutex2var_ps(b0, odd, b1), _mm512_add_epi32(ia, _mm512_set1_epi32((int)w + 1)), &best, &bi);
                _mm512_mask_storeu_ps(y + (ch * oh + oy) * ow + ox0, out, best);
                _mm512_mask_storeu_epi32(index + (ch * oh + oy) * ow + ox0, out, bi);
            }
        }
    }
}
#endif

void foedus_maxpool2x2_forward_f32(const float *restrict x, float *restrict y, int32_t *restrict index, long c, long h, long w,
                                   int vectorized) {
    long oh = (h - 2) / 2 + 1, ow = (w - 2) / 2 + 1;
#if defined(__x86_64__)
    if (vectorized && pool_has_avx512() && h * w < (1L << 31)) {
        maxpool2x2_avx512(x, y, index, c, h, w, oh, ow);
        return;
    }
#endif
    (void)vectorized;
    for (long ch = 0; ch < c; ch++) {
        const float *xc = x + ch * h * w;
        for (long oy = 0; oy < oh; oy++) {
            const float *r0 = xc + (2 * oy) * w, *r1 = r0 + w;
            for (long ox = 0; ox < ow; ox++) {
                long ix = 2 * ox;
                float best = r0[ix]; long bi = (2 * oy) * w + ix;
                if (r0[ix + 1] > best || (r0[ix + 1] != r0[ix + 1] && best == best)) { best = r0[ix + 1]; bi = (2 * oy) * w + ix + 1; }
                if (r1[ix] > best || (r1[ix] != r1[ix] && best == best)) { best = r1[ix]; bi = (2 * oy + 1) * w + ix; }
                if (r1[ix + 1] > best || (r1[ix + 1] != r1[ix + 1] && best == best)) { best = r1[ix + 1]; bi = (2 * oy + 1) * w + ix + 1; }
                y[(ch * oh + oy) * ow + ox] = best;
                index[(ch * oh + oy) * ow + ox] = (int32_t)bi;
            }
        }
    }
}

void foedus_maxpool_forward_f32(const float *restrict x, float *restrict y, int32_t *restrict index, long c, long h, long w,
                                long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw) {
    long oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1) {
        // The common 2×2/2 case without bounds checks (AVX-512 when the CPU has it).
        foedus_maxpool2x2_forward_f32(x, y, index, c, h, w, 1);
        return;
    }
    for (long ch = 0; ch < c; ch++) {
        const float *xc = x + ch * h * w;
        for (long oy = 0; oy < oh; oy++) {
            for (long ox = 0; ox < ow; ox++) {
                float best = -INFINITY; long bi = -1;
                for (long i = 0; i < kh; i++) {
                    long iy = oy * sh - ph + i * dh;
                    if (iy < 0 || iy >= h) continue;
                    for (long j = 0; j < kw; j++) {
                        long ix = ox * sw - pw + j * dw;
                        if (ix < 0 || ix >= w) continue;
                        float v = xc[iy * w + ix];
                        if (bi < 0 || v > best || (v != v && best == best)) { best = v; bi = iy * w + ix; }
                    }
                }
                y[(ch * oh + oy) * ow + ox] = best;
                index[(ch * oh + oy) * ow + ox] = (int32_t)bi;
            }
        }
    }
}

#if defined(__x86_64__)
// 16 outputs at a time: the window slot each index names gets 0 + dy, the other three 0; even and
// odd columns interleaved back by permute.
static POOL_AVX512 void maxpool2x2_backward_avx512(const float *dy, const int32_t *index, float *dx, long c, long h, long w, long oh, long ow) {
    const __m512i two = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i lo_order = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi_order = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512i one = _mm512_set1_epi32(1), vw = _mm512_set1_epi32((int)w), vw1 = _mm512_set1_epi32((int)w + 1);
    for (long ch = 0; ch < c; ch++) {
        float *dxc = dx + ch * h * w;
        for (long oy = 0; oy < oh; oy++) {
            float *row0 = dxc + (2 * oy) * w, *row1 = row0 + w;
            for (long ox0 = 0; ox0 < ow; ox0 += 16) {
                long count = ow - ox0 < 16 ? ow - ox0 : 16, values = 2 * count;
                __mmask16 in = count == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
                __mmask16 lo = values >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << values) - 1);
                __mmask16 hi = values >= 32 ? (__mmask16)0xFFFF : (values > 16 ? (__mmask16)((1u << (values - 16)) - 1) : (__mmask16)0);
                long at = (ch * oh + oy) * ow + ox0;
                __m512 v = _mm512_add_ps(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(in, dy + at));
                __m512i q = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(in, index + at),
                                             _mm512_add_epi32(_mm512_set1_epi32((int)((2 * oy) * w + 2 * ox0)), two));
                __m512 v00 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(q, _mm512_setzero_si512()), v);
                __m512 v01 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(q, one), v);
                __m512 v10 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(q, vw), v);
                __m512 v11 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(q, vw1), v);
                _mm512_mask_storeu_ps(row0 + 2 * ox0, lo, _mm512_permutex2var_ps(v00, lo_order, v01));
                _mm512_mask_storeu_ps(row0 + 2 * ox0 + 16, hi, _mm512_permutex2var_ps(v00, hi_order, v01));
                _mm512_mask_storeu_ps(row1 + 2 * ox0, lo, _mm512_permutex2var_ps(v10, lo_order, v11));
                _mm512_mask_storeu_ps(row1 + 2 * ox0 + 16, hi, _mm512_permutex2var_ps(v10, hi_order, v11));
            }
        }
    }
}
#endif

void foedus_maxpool2x2_backward_f32(const float *restrict dy, const int32_t *restrict index, float *restrict dx, long c, long h, long w,
                                    int vectorized) {
    long oh = (h - 2) / 2 + 1, ow = (w - 2) / 2 + 1;
    int done = 0;
#if defined(__x86_64__)
    if (vectorized && pool_has_avx512() && h * w < (1L << 31)) {
        maxpool2x2_backward_avx512(dy, index, dx, c, h, w, oh, ow);
        done = 1;
    }
#endif
    (void)vectorized;
    for (long ch = 0; ch < c; ch++) {
        float *dxc = dx + ch * h * w;
        if (!done) {
            for (long oy = 0; oy < oh; oy++) {
                for (long ox = 0; ox < ow; ox++) {
                    long p = (ch * oh + oy) * ow + ox, base = (2 * oy) * w + 2 * ox, q = index[p] - base;
                    float v = 0.0f + dy[p];
                    dxc[base] = q == 0 ? v : 0.0f;
                    dxc[base + 1] = q == 1 ? v : 0.0f;
                    dxc[base + w] = q == w ? v : 0.0f;
                    dxc[base + w + 1] = q == w + 1 ? v : 0.0f;
                }
            }
        }
        // A last odd column or row lies in no window.
        if (w > 2 * ow)
            for (long y = 0; y < 2 * oh; y++) dxc[y * w + w - 1] = 0.0f;
        for (long i = 2 * oh * w; i < h * w; i++) dxc[i] = 0.0f;
    }
}

void foedus_maxpool_backward_f32(const float *restrict dy, const int32_t *restrict index, float *restrict dx,
                                 long c, long h, long w, long oh, long ow) {
    for (long i = 0; i < c * h * w; i++) dx[i] = 0;
    for (long ch = 0; ch < c; ch++) {
        float *dxc = dx + ch * h * w;
        for (long p = 0; p < oh * ow; p++) dxc[index[ch * oh * ow + p]] += dy[ch * oh * ow + p];
    }
}
