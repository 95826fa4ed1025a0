// Forward quantizers of fully quantized training (FoedusKernels/FQT): the Swift loops in
// IntegerTraining+Codes.swift are the reference twins. Round half away from zero through the
// truncating conversion (SSE2 cvttps2dq) rather than roundf, which baseline x86-64 calls out to.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CFoedusKernels.h"

static inline float round_away(float v) {
    const float limit = 16777216.0f;
    float c = v > limit ? limit : (v < -limit ? -limit : v);
    float t = (float)(int32_t)c;
    float r = c - t;
    return r >= 0.5f ? t + 1.0f : (r <= -0.5f ? t - 1.0f : t);
}

// Output columns lo ..< hi whose tap j (of a row of kw taps) lands inside an image row of w
// pixels: ox·sw − pw + j·dw ∈ [0, w).
static inline void tap_columns(long j, long w, long ow, long sw, long pw, long dw, long *lo_out, long *hi_out) {
    long shift = pw - j * dw;
    long lo = shift <= 0 ? 0 : (shift + sw - 1) / sw;
    long top = w - 1 + shift;
    long hi = top < 0 ? 0 : (ow < top / sw + 1 ? ow : top / sw + 1);
    if (lo > ow) lo = ow;
    if (hi < lo) hi = lo;
    *lo_out = lo;
    *hi_out = hi;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define FQT_CODES_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

static int codes_have_avx512(void) {
    static int state = -1;
    if (state < 0) {
        __builtin_cpu_init();
        state = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) ? 1 : 0;
    }
    return state;
}

// round_away on 16 lanes: the same clamp, truncation, remainder and ±1 steps.
static inline FQT_CODES_AVX512 __attribute__((always_inline)) __m512 round_away16(__m512 v) {
    const __m512 limit = _mm512_set1_ps(16777216.0f), nlimit = _mm512_set1_ps(-16777216.0f);
    const __m512 half = _mm512_set1_ps(0.5f), nhalf = _mm512_set1_ps(-0.5f), one = _mm512_set1_ps(1.0f);
    __m512 c = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, limit, _CMP_GT_OQ), v, limit);
    c = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(c, nlimit, _CMP_LT_OQ), c, nlimit);
    __m512 t = _mm512_cvtepi32_ps(_mm512_cvttps_epi32(c));
    __m512 r = _mm512_sub_ps(c, t);
    __m512 up = _mm512_add_ps(t, one), down = _mm512_sub_ps(t, one);
    __m512 out = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, nhalf, _CMP_LE_OQ), t, down);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, half, _CMP_GE_OQ), out, up);
}

static FQT_CODES_AVX512 void quantize_u8_avx512(const float *x, long n, float inv_step, float zero, float top, uint8_t *q) {
    const __m512 vinv = _mm512_set1_ps(inv_step), vzero = _mm512_set1_ps(zero), vtop = _mm512_set1_ps(top), z0 = _mm512_setzero_ps();
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 code = _mm512_add_ps(round_away16(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vinv)), vzero);
        // `code > 0 ? code : 0` and `code < top ? code : top`: the second operand on ties and NaN.
        code = _mm512_max_ps(code, z0);
        code = _mm512_min_ps(code, vtop);
        _mm_mask_storeu_epi8(q + i, m, _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(code)));
    }
}

static FQT_CODES_AVX512 void quantize_s8_avx512(const float *w, long n, float step, float top, int8_t *q) {
    const __m512 vstep = _mm512_set1_ps(step), vtop = _mm512_set1_ps(top), vntop = _mm512_set1_ps(-top);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 code = round_away16(_mm512_div_ps(_mm512_maskz_loadu_ps(m, w + i), vstep));
        code = _mm512_max_ps(code, vntop);
        code = _mm512_min_ps(code, vtop);
        _mm_mask_storeu_epi8(q + i, m, _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(code)));
    }
}

// Bits a ..< b of a 64-bit lane mask (0 ≤ a, b ≤ 64).
static inline uint64_t lane_range(long a, long b) {
    if (b <= a) return 0;
    uint64_t upto_b = b >= 64 ? ~0ull : ((1ull << b) - 1);
    uint64_t upto_a = a >= 64 ? ~0ull : ((1ull << a) - 1);
    return upto_b & ~upto_a;
}

// One window plane of im2col's stride-1 fast path: dst[q] = src[q] ^ 0x80 where first ≤ q < last
// and keep[q] is set, pad elsewhere. Masked loads never touch the lanes outside the image.
static FQT_CODES_AVX512 void im2col_plane_avx512(const uint8_t *src, const uint8_t *keep, long first, long last, long l,
                                                  int8_t pad, int8_t *dst) {
    const __m512i vpad = _mm512_set1_epi8(pad), flip = _mm512_set1_epi8((char)0x80);
    for (long q = 0; q < l; q += 64) {
        __mmask64 in = (__mmask64)lane_range(0, l - q);
        __mmask64 span = (__mmask64)lane_range(first - q < 0 ? 0 : first - q, last - q > 64 ? 64 : last - q);
        __mmask64 valid = span & _mm512_test_epi8_mask(_mm512_maskz_loadu_epi8(in, keep + q), _mm512_set1_epi8((char)0xFF));
        __m512i v = _mm512_maskz_loadu_epi8(valid, (const void *)((uintptr_t)src + (uintptr_t)q));
        v = _mm512_mask_blend_epi8(valid, vpad, _mm512_xor_si512(v, flip));
        _mm512_mask_storeu_epi8(dst + q, in, v);
    }
}

// One window plane of the fold's stride-1 fast path: dplane[q] += acc[q]·step + centre where
// first ≤ q < last and keep[q] ≠ 0 (product and sum rounded separately, as the scalar loop).
static FQT_CODES_AVX512 void fold_plane_avx512(const int32_t *src, const float *keep, long first, long last,
                                               float step, float centre, float *dplane) {
    const __m512 vstep = _mm512_set1_ps(step), vcentre = _mm512_set1_ps(centre), zero = _mm512_setzero_ps();
    for (long q = first; q < last; q += 16) {
        __mmask16 in = (__mmask16)lane_range(0, last - q > 16 ? 16 : last - q);
        __mmask16 valid = _mm512_mask_cmp_ps_mask(in, _mm512_maskz_loadu_ps(in, keep + q), zero, _CMP_NEQ_UQ);
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(valid, src + q)), vstep);
        v = _mm512_add_ps(v, vcentre);
        float *d = (float *)((uintptr_t)dplane + (uintptr_t)q * sizeof(float));
        __m512 x = _mm512_maskz_loadu_ps(valid, d);
        _mm512_mask_storeu_ps(d, valid, _mm512_add_ps(x, v));
    }
}
#endif

void foedus_fqt_quantize_u8(const float *x, long n, float inv_step, float zero, float top, uint8_t *q) {
#if defined(__x86_64__)
    if (codes_have_avx512()) { quantize_u8_avx512(x, n, inv_step, zero, top, q); return; }
#endif
    for (long i = 0; i < n; i++) {
        float code = round_away(x[i] * inv_step) + zero;
        code = code > 0.0f ? code : 0.0f;
        code = code < top ? code : top;
        q[i] = (uint8_t)(int32_t)code;
    }
}

void foedus_fqt_quantize_s8(const float *w, long n, float step, float top, int8_t *q) {
#if defined(__x86_64__)
    if (codes_have_avx512()) { quantize_s8_avx512(w, n, step, top, q); return; }
#endif
    for (long i = 0; i < n; i++) {
        float code = round_away(w[i] / step);
        code = code > -top ? code : -top;
        code = code < top ? code : top;
        q[i] = (int8_t)(int32_t)code;
    }
}

// im2col of activation codes for FQT (IntegerTraining.columnsReference is the Swift twin):
// cols[(c·kh + i)·kw + j][s·L + oy·ow + ox] = x[s][c][iy][ix] ^ 0x80, pad_value outside.
void foedus_fqt_im2col(const uint8_t *x, long n, long channels, long h, long w, long kh, long kw,
                       long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow,
                       int8_t pad_value, int8_t *cols) {
    long l = oh * ow, nl = n * l, image = channels * h * w;
    // keep[j·L + q]: output column q mod ow of kernel column j reads inside the image (vector path).
    uint8_t *keep = NULL;
#if defined(__x86_64__)
    if (sh == 1 && sw == 1 && ow == w && codes_have_avx512()) keep = (uint8_t *)malloc((size_t)(kw * l > 0 ? kw * l : 1));
    if (keep) {
        for (long j = 0; j < kw; j++) {
            long shift = pw - j * dw;
            long lo = shift <= 0 ? 0 : shift;
            long hi = w - 1 + shift < 0 ? 0 : (ow < w + shift ? ow : w + shift);
            for (long q = 0; q < l; q++) keep[j * l + q] = (q % ow >= lo && q % ow < hi) ? 0xFF : 0;
        }
    }
#endif
    for (long j = 0; j < kw; j++) {
        // Output columns whose tap j lands inside the image: lo ..< hi.
        long lo, hi;
        tap_columns(j, w, ow, sw, pw, dw, &lo, &hi);
        long offset = j * dw - pw;
        for (long s = 0; s < n; s++) {
            for (long c = 0; c < channels; c++) {
                const uint8_t *xc = x + s * image + c * h * w;
                for (long i = 0; i < kh; i++) {
                    int8_t *dst = cols + ((c * kh + i) * kw + j) * nl + s * l;
                    if (sh == 1 && sw == 1 && ow == w && lo < hi) {
                        // Rows of the window plane are image rows shifted by one offset: copy the
                        // span from the first to the last valid tap in one run, then pad the
                        // columns the run wrapped into and the rows outside the image.
                        long shift_y = i * dh - ph;
                        long oy0 = shift_y < 0 ? -shift_y : 0;
                        long oy1 = h - shift_y < oh ? h - shift_y : oh;
                        if (oy1 <= oy0) { memset(dst, (uint8_t)pad_value, (size_t)l); continue; }
                        long first = oy0 * ow + lo, last = (oy1 - 1) * ow + hi;
                        const uint8_t *src = xc + shift_y * w + offset;
#if defined(__x86_64__)
                        if (keep) {
                            im2col_plane_avx512(src, keep + j * l, first, last, l, pad_value, dst);
                            continue;
                        }
#endif
                        memset(dst, (uint8_t)pad_value, (size_t)first);
                        for (long q = first; q < last; q++) dst[q] = (int8_t)(src[q] ^ 0x80);
                        memset(dst + last, (uint8_t)pad_value, (size_t)(l - last));
                        if (lo > 0 || hi < ow) {
                            for (long oy = oy0; oy < oy1; oy++) {
                                int8_t *drow = dst + oy * ow;
                                for (long ox = 0; ox < lo; ox++) drow[ox] = pad_value;
                                for (long ox = hi; ox < ow; ox++) drow[ox] = pad_value;
                            }
                        }
                        continue;
                    }
                    for (long oy = 0; oy < oh; oy++) {
                        long iy = oy * sh - ph + i * dh;
                        int8_t *drow = dst + oy * ow;
                        if (iy < 0 || iy >= h) {
                            memset(drow, (uint8_t)pad_value, (size_t)ow);
                            continue;
                        }
                        const uint8_t *src = xc + iy * w + offset;
                        for (long ox = 0; ox < lo; ox++) drow[ox] = pad_value;
                        if (sw == 1) {
                            for (long ox = lo; ox < hi; ox++) drow[ox] = (int8_t)(src[ox] ^ 0x80);
                        } else {
                            for (long ox = lo; ox < hi; ox++) drow[ox] = (int8_t)(src[ox * sw] ^ 0x80);
                        }
                        for (long ox = hi; ox < ow; ox++) drow[ox] = pad_value;
                    }
                }
            }
        }
    }
    free(keep);
}

// The input-gradient epilogue of one sample: column gradient row r (r = (c·kh + i)·kw + j) is
// acc[r][p]·step + centre_r, centre_r = (128·tsums[r])·step + offset·tsums[r], folded (col2im)
// into dx (c × h × w, zeroed first). The Swift twin is the rescale loop of
// IntegerTraining.inputGradientImages followed by WindowKernels.fold: the same products, sums
// and order of additions into each dx element.
void foedus_fqt_fold_rescaled(const int32_t *acc, const int32_t *tsums, float step, float offset,
                              long channels, long h, long w, long kh, long kw, long sh, long sw,
                              long ph, long pw, long dh, long dw, long oh, long ow, float *dx) {
    long l = oh * ow;
    memset(dx, 0, (size_t)(channels * h * w) * sizeof(float));
    // keep[j·L + q] = 1 where output column q mod ow of kernel column j has its tap inside the image.
    float *masks = (sh == 1 && sw == 1 && ow == w) ? (float *)malloc((size_t)(kw * l > 0 ? kw * l : 1) * sizeof(float)) : NULL;
    if (masks) {
        for (long j = 0; j < kw; j++) {
            long shift = pw - j * dw;
            long lo = shift <= 0 ? 0 : shift;
            long hi = w - 1 + shift < 0 ? 0 : (ow < w + shift ? ow : w + shift);
            for (long q = 0; q < l; q++) masks[j * l + q] = (q % ow >= lo && q % ow < hi) ? 1.0f : 0.0f;
        }
    }
    long row = 0;
    for (long c = 0; c < channels; c++) {
        float *xc = dx + c * h * w;
        for (long i = 0; i < kh; i++) {
            for (long j = 0; j < kw; j++, row++) {
                int32_t ws = tsums[row];
                float a = (float)(int32_t)((uint32_t)ws * 128u) * step;
                float b = offset * (float)ws;
                float centre = a + b;
                const int32_t *src = acc + row * l;
                long lo, hi;
                tap_columns(j, w, ow, sw, pw, dw, &lo, &hi);
                long off = j * dw - pw;
                if (masks && lo < hi) {
                    // As im2col's fast path: one run over the plane from the first to the last
                    // valid tap, adding +0 where the run wraps past a row end (dx is never −0, so
                    // that leaves it unchanged) — the same additions in the same order.
                    long shift_y = i * dh - ph;
                    long oy0 = shift_y < 0 ? -shift_y : 0;
                    long oy1 = h - shift_y < oh ? h - shift_y : oh;
                    if (oy1 <= oy0) continue;
                    long first = oy0 * ow + lo, last = (oy1 - 1) * ow + hi;
                    float *dplane = xc + shift_y * w + off;
                    const float *keep = masks + j * l;
#if defined(__x86_64__)
                    if (codes_have_avx512()) {
                        fold_plane_avx512(src, keep, first, last, step, centre, dplane);
                        continue;
                    }
#endif
                    for (long q = first; q < last; q++) {
                        float v = (float)src[q] * step;
                        v = v + centre;
                        dplane[q] += keep[q] != 0.0f ? v : 0.0f;
                    }
                    continue;
                }
                for (long oy = 0; oy < oh; oy++) {
                    long iy = oy * sh - ph + i * dh;
                    if (iy < 0 || iy >= h) continue;
                    float *drow = xc + iy * w + off;
                    const int32_t *srow = src + oy * ow;
                    if (sw == 1) {
                        for (long ox = lo; ox < hi; ox++) {
                            float v = (float)srow[ox] * step;
                            drow[ox] += v + centre;
                        }
                    } else {
                        for (long ox = lo; ox < hi; ox++) {
                            float v = (float)srow[ox] * step;
                            drow[ox * sw] += v + centre;
                        }
                    }
                }
            }
        }
    }
    free(masks);
}
