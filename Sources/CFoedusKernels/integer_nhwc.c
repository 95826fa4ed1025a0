// Channels-last (NHWC) integer kernels of the integer-only CNNs: im2col whose rows are runs of
// whole pixels, per-channel int32 requantization, i-GroupNorm with the statistics gathered across
// channels, and 2×2 max-pooling. Each is the NHWC layout of an NCHW kernel in this folder and is
// tested to give the same integers (the Swift twins live in FoedusKernels/Integer).
#include <string.h>
#include "CFoedusInteger.h"
#include "integer_common.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define NHWC_X86 1
#define NHWC_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
#endif

// Rows of whole-pixel runs; the copy is specialised for the channel counts of the models (a fixed
// size compiles to one or two vector moves instead of a memcpy call) and for one channel.
static inline __attribute__((always_inline)) void
im2col_nhwc_body(const uint8_t *x, long h, long w, long channels, long c0, long cg, long kh, long kw,
                 long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value, uint8_t *col) {
    const long ckk = kh * kw * cg;
    for (long oy = 0; oy < oh; oy++) {
        for (long ox = 0; ox < ow; ox++) {
            uint8_t *dst = col + (oy * ow + ox) * ckk;
            for (long ky = 0; ky < kh; ky++) {
                const long iy = oy * sh - ph + ky * dh;
                for (long kx = 0; kx < kw; kx++, dst += cg) {
                    const long ix = ox * sw - pw + kx * dw;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) memset(dst, pad_value, (size_t)cg);
                    else memcpy(dst, x + (iy * w + ix) * channels + c0, (size_t)cg);
                }
            }
        }
    }
}

// One channel (a grayscale first layer): copy the image once into a frame of pad values, then
// every row is kh runs of kw bytes with no bounds checks. Returns 0 when the frame does not fit
// the stack buffer (the caller falls back to the general loop).
static inline __attribute__((always_inline)) void
im2col_framed_body(const uint8_t *frame, long fw, long kh, long kw, long sh, long sw, long dh, long oh, long ow, uint8_t *col) {
    const long ckk = kh * kw;
    for (long oy = 0; oy < oh; oy++)
        for (long ox = 0; ox < ow; ox++) {
            uint8_t *dst = col + (oy * ow + ox) * ckk;
            const uint8_t *src = frame + oy * sh * fw + ox * sw;
            for (long ky = 0; ky < kh; ky++) memcpy(dst + ky * kw, src + ky * dh * fw, (size_t)kw);
        }
}

static int im2col_one_channel(const uint8_t *x, long h, long w, long channels, long c0, long kh, long kw,
                              long sh, long sw, long ph, long pw, long dh, long oh, long ow, uint8_t pad_value, uint8_t *col) {
    uint8_t frame[8192];
    const long fh = h + 2 * ph, fw = w + 2 * pw;
    if (fh * fw > (long)sizeof frame) return 0;
    memset(frame, pad_value, (size_t)(fh * fw));
    for (long y = 0; y < h; y++)
        for (long xx = 0; xx < w; xx++) frame[(y + ph) * fw + xx + pw] = x[(y * w + xx) * channels + c0];
    if (kw == 3) im2col_framed_body(frame, fw, kh, 3, sh, sw, dh, oh, ow, col);
    else im2col_framed_body(frame, fw, kh, kw, sh, sw, dh, oh, ow, col);
    return 1;
}

void foedus_u8_im2col_nhwc(const uint8_t *x, long h, long w, long channels, long c0, long cg, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow,
                           uint8_t pad_value, uint8_t *col) {
    if (cg == 1 && dw == 1 && im2col_one_channel(x, h, w, channels, c0, kh, kw, sh, sw, ph, pw, dh, oh, ow, pad_value, col)) return;
    switch (cg) {
    case 1: im2col_nhwc_body(x, h, w, channels, c0, 1, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, col); break;
    case 16: im2col_nhwc_body(x, h, w, channels, c0, 16, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, col); break;
    case 32: im2col_nhwc_body(x, h, w, channels, c0, 32, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, col); break;
    case 64: im2col_nhwc_body(x, h, w, channels, c0, 64, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, col); break;
    default: im2col_nhwc_body(x, h, w, channels, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, col);
    }
}

// foedus_requant_cols_i32 lives in integer_requant.c beside the other requantization kernels.


// The statistics of IBert.normalizeRun for every group of one sample, gathered channel by channel:
// the sum and the squares are exact integer sums, so their order does not change them, and
// max |count·x − sum| = max(count·max − sum, sum − count·min). Per channel it leaves the group's
// sum (gsum), the shift of the squares (unused after) and f = 2⁶¹/σ (0 when σ = 0, which makes
// every y_n 0 as the run kernel's σ = 0 branch does).
// Per group, from per-channel sums and extremes: the group's sum and the shift that keeps its
// squares below 2⁶² (IBert.normalizeRun's rule), copied to every channel of the group. Returns
// the largest max |count·x − sum| over the groups.
static inline __attribute__((always_inline)) int64_t
group_sums(const int64_t *csum, const int64_t *cmin, const int64_t *cmax, long channels, long groups, int64_t count,
           int64_t *gsum, int64_t *gshift) {
    const long pg = channels / groups;
    int64_t largest = 0;
    for (long g = 0; g < groups; g++) {
        int64_t sum = 0, lo = INT32_MAX, hi = INT32_MIN;
        for (long k = 0; k < pg; k++) {
            sum += csum[g * pg + k];
            lo = cmin[g * pg + k] < lo ? cmin[g * pg + k] : lo;
            hi = cmax[g * pg + k] > hi ? cmax[g * pg + k] : hi;
        }
        const int64_t up = count * hi - sum, down = sum - count * lo;
        const int64_t max_abs = up > down ? up : down;
        largest = max_abs > largest ? max_abs : largest;
        int64_t shift = 0;
        while ((max_abs >> shift) > 0 && (double)(max_abs >> shift) * (double)(max_abs >> shift) * (double)count >= 0x1p62) shift++;
        for (long k = 0; k < pg; k++) { gsum[g * pg + k] = sum; gshift[g * pg + k] = shift; }
    }
    return largest;
}

// Per group, from per-channel sums of squares: f = 2⁶¹/σ with σ = isqrt(Σ) << shift (0 when σ = 0,
// which makes every y_n 0 as the run kernel's σ = 0 branch does), copied to every channel.
static inline __attribute__((always_inline)) void
group_scales(const int64_t *csq, const int64_t *gshift, long channels, long groups, int64_t *gf) {
    const long pg = channels / groups;
    for (long g = 0; g < groups; g++) {
        int64_t squares = 0;
        for (long k = 0; k < pg; k++) squares += csq[g * pg + k];
        const int64_t sigma = (int64_t)foedus_isqrt_u64((uint64_t)squares) << gshift[g * pg];
        const int64_t f = sigma > 0 ? ((int64_t)1 << 61) / sigma : 0;
        for (long k = 0; k < pg; k++) gf[g * pg + k] = f;
    }
}

// The statistics of IBert.normalizeRun for every group of one sample, gathered channel by channel:
// the sum and the squares are exact integer sums, so their order does not change them, and
// max |count·x − sum| = max(count·max − sum, sum − count·min).
static inline __attribute__((always_inline)) void
nhwc_statistics(const int32_t *x, long spatial, long channels, long groups, int64_t *csum, int64_t *cmin, int64_t *cmax,
                int64_t *csq, int64_t *gsum, int64_t *gshift, int64_t *gf) {
    const int64_t count = channels / groups * spatial;
    for (long ch = 0; ch < channels; ch++) { csum[ch] = 0; cmin[ch] = INT32_MAX; cmax[ch] = INT32_MIN; csq[ch] = 0; }
    for (long p = 0; p < spatial; p++) {
        const int32_t *row = x + p * channels;
        for (long ch = 0; ch < channels; ch++) {
            const int64_t v = row[ch];
            csum[ch] += v;
            cmin[ch] = v < cmin[ch] ? v : cmin[ch];
            cmax[ch] = v > cmax[ch] ? v : cmax[ch];
        }
    }
    group_sums(csum, cmin, cmax, channels, groups, count, gsum, gshift);
    for (long p = 0; p < spatial; p++) {
        const int32_t *row = x + p * channels;
        for (long ch = 0; ch < channels; ch++) {
            const int64_t d = (count * (int64_t)row[ch] - gsum[ch]) >> gshift[ch];
            csq[ch] += d * d;
        }
    }
    group_scales(csq, gshift, channels, groups, gf);
}

// The affine stage of every element of one sample: y_n = ((count·x − sum)·f) >> 31, clamped to
// int32, then clamp(sign·((y_n·b + 2^(c−1)) >> c) + beta), as a byte into `os` or, when `os` is
// NULL, as int32 into `os32` (a signed residual branch).
static inline __attribute__((always_inline)) void
nhwc_normalize(const int32_t *xs, long spatial, long channels, int64_t count, const int64_t *gsum, const int64_t *gf,
               const int64_t *b, const int32_t *c, const int64_t *round, const int64_t *sign, const int64_t *beta,
               int64_t lo, int64_t hi, uint8_t *os, int32_t *os32) {
    for (long p = 0; p < spatial; p++) {
        const int32_t *row = xs + p * channels;
        for (long ch = 0; ch < channels; ch++) {
            int64_t v = ((count * (int64_t)row[ch] - gsum[ch]) * gf[ch]) >> 31;
            v = v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : v);
            int64_t y = sign[ch] * ((v * b[ch] + round[ch]) >> c[ch]) + beta[ch];
            y = y < lo ? lo : (y > hi ? hi : y);
            if (os) os[p * channels + ch] = (uint8_t)y;
            else os32[p * channels + ch] = (int32_t)y;
        }
    }
}

#define GN_NHWC_BODY(OUT8, OUT32)                                                                              \
    const long pg = channels / groups;                                                                         \
    const int64_t count = pg * spatial;                                                                        \
    int64_t *csum = scratch, *cmin = scratch + channels, *cmax = scratch + 2 * channels;                       \
    int64_t *csq = scratch + 3 * channels, *gsum = scratch + 4 * channels, *gshift = scratch + 5 * channels;   \
    int64_t *gf = scratch + 6 * channels, *round = scratch + 7 * channels;                                     \
    for (long ch = 0; ch < channels; ch++) round[ch] = (int64_t)1 << (c[ch] - 1);                              \
    for (long n = 0; n < samples; n++) {                                                                       \
        const int32_t *xs = x + n * spatial * channels;                                                        \
        uint8_t *os = (OUT8) ? (OUT8) + n * spatial * channels : NULL;                                         \
        int32_t *os32 = (OUT32) ? (OUT32) + n * spatial * channels : NULL;                                     \
        nhwc_statistics(xs, spatial, channels, groups, csum, cmin, cmax, csq, gsum, gshift, gf);               \
        nhwc_normalize(xs, spatial, channels, count, gsum, gf, b, c, round, sign, beta, lo, hi, os, os32);     \
    }

#ifdef NHWC_X86
// One sample with explicit AVX-512 (channels a multiple of 16). When every |count·x − sum| of the
// sample fits in int32 (always, for the 16-bit pre-normalisation scale of the models), the
// deviations are computed in wrapping int32 lanes — exact, since the true value fits — and the
// squares with 32×32→64-bit products; otherwise the sample takes the generic int64 loops.
// Every step is the same integer operation as nhwc_statistics and the generic affine stage.
NHWC_TARGET static void gn_nhwc_sample_avx512(const int32_t *xs, long channels, long groups, long spatial, const int64_t *b,
                                              const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                                              int64_t *scratch, uint8_t *os, int32_t *os32) {
    const long pg = channels / groups;
    const int64_t count = pg * spatial;
    int64_t *csum = scratch, *cmin = scratch + channels, *cmax = scratch + 2 * channels;
    int64_t *csq = scratch + 3 * channels, *gsum = scratch + 4 * channels, *gshift = scratch + 5 * channels;
    int64_t *gf = scratch + 6 * channels, *round = scratch + 7 * channels;
    int32_t *gsum32 = (int32_t *)(scratch + 8 * channels), *shift32 = gsum32 + channels;
    for (long j = 0; j < channels; j += 16) {
        __m512i lo8 = _mm512_setzero_si512(), hi8 = _mm512_setzero_si512();
        __m512i mn = _mm512_set1_epi32(INT32_MAX), mx = _mm512_set1_epi32(INT32_MIN);
        for (long p = 0; p < spatial; p++) {
            const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j));
            mn = _mm512_min_epi32(mn, v);
            mx = _mm512_max_epi32(mx, v);
            lo8 = _mm512_add_epi64(lo8, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)));
            hi8 = _mm512_add_epi64(hi8, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1)));
        }
        _mm512_storeu_si512((void *)(csum + j), lo8);
        _mm512_storeu_si512((void *)(csum + j + 8), hi8);
        _mm512_storeu_si512((void *)(cmin + j), _mm512_cvtepi32_epi64(_mm512_castsi512_si256(mn)));
        _mm512_storeu_si512((void *)(cmin + j + 8), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(mn, 1)));
        _mm512_storeu_si512((void *)(cmax + j), _mm512_cvtepi32_epi64(_mm512_castsi512_si256(mx)));
        _mm512_storeu_si512((void *)(cmax + j + 8), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(mx, 1)));
    }
    // Deviations fit in int32 lanes when the largest one does.
    const int fits = group_sums(csum, cmin, cmax, channels, groups, count, gsum, gshift) <= INT32_MAX;
    if (!fits) {
        // Rare (deviations beyond int32): the generic int64 loops for this sample.
        nhwc_statistics(xs, spatial, channels, groups, csum, cmin, cmax, csq, gsum, gshift, gf);
        nhwc_normalize(xs, spatial, channels, count, gsum, gf, b, c, round, sign, beta, lo, hi, os, os32);
        return;
    }
    for (long ch = 0; ch < channels; ch++) { gsum32[ch] = (int32_t)(uint32_t)(uint64_t)gsum[ch]; shift32[ch] = (int32_t)gshift[ch]; }
    const __m512i countv = _mm512_set1_epi32((int32_t)count);
    for (long j = 0; j < channels; j += 16) {
        const __m512i gs = _mm512_loadu_si512((const void *)(gsum32 + j)), sh = _mm512_loadu_si512((const void *)(shift32 + j));
        __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
        for (long p = 0; p < spatial; p++) {
            const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j));
            const __m512i d = _mm512_srav_epi32(_mm512_sub_epi32(_mm512_mullo_epi32(v, countv), gs), sh);
            even = _mm512_add_epi64(even, _mm512_mul_epi32(d, d));
            const __m512i dh = _mm512_srli_epi64(d, 32);
            odd = _mm512_add_epi64(odd, _mm512_mul_epi32(dh, dh));
        }
        int64_t e[8], o[8];
        _mm512_storeu_si512((void *)e, even);
        _mm512_storeu_si512((void *)o, odd);
        for (int k = 0; k < 8; k++) { csq[j + 2 * k] = e[k]; csq[j + 2 * k + 1] = o[k]; }
    }
    group_scales(csq, gshift, channels, groups, gf);
    const __m512i lov = _mm512_set1_epi64(lo), hiv = _mm512_set1_epi64(hi);
    const __m512i i32min = _mm512_set1_epi64(INT32_MIN), i32max = _mm512_set1_epi64(INT32_MAX);
    for (long j = 0; j < channels; j += 16) {
        // Deviations in int32 lanes; the even and odd lanes are multiplied separately with
        // 32×32→64-bit products (as requant16_i32 does), so no lane is widened. f < 2⁶² is split as
        // f = fh·2³¹ + fl, so ⌊d·f / 2³¹⌋ = d·fh + ⌊d·fl / 2³¹⌋ exactly.
        int64_t lanes[7][2][8];  // fh, fl, b, round, c, beta, sign for even (0) and odd (1) channels
        for (int k = 0; k < 8; k++)
            for (int h = 0; h < 2; h++) {
                const long ch = j + 2 * k + h;
                lanes[0][h][k] = gf[ch] >> 31;
                lanes[1][h][k] = gf[ch] & 0x7FFFFFFF;
                lanes[2][h][k] = b[ch];
                lanes[3][h][k] = round[ch];
                lanes[4][h][k] = c[ch];
                lanes[5][h][k] = beta[ch];
                lanes[6][h][k] = sign[ch];
            }
        __m512i fh[2], fl[2], bv[2], rv[2], cv[2], betav[2];
        __mmask8 negative[2];
        for (int h = 0; h < 2; h++) {
            fh[h] = _mm512_loadu_si512((const void *)lanes[0][h]);
            fl[h] = _mm512_loadu_si512((const void *)lanes[1][h]);
            bv[h] = _mm512_loadu_si512((const void *)lanes[2][h]);
            rv[h] = _mm512_loadu_si512((const void *)lanes[3][h]);
            cv[h] = _mm512_loadu_si512((const void *)lanes[4][h]);
            betav[h] = _mm512_loadu_si512((const void *)lanes[5][h]);
            negative[h] = _mm512_cmplt_epi64_mask(_mm512_loadu_si512((const void *)lanes[6][h]), _mm512_setzero_si512());
        }
        const __m512i gs = _mm512_loadu_si512((const void *)(gsum32 + j));
        for (long p = 0; p < spatial; p++) {
            const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j));
            const __m512i d = _mm512_sub_epi32(_mm512_mullo_epi32(v, countv), gs);
            __m512i out[2];
            for (int h = 0; h < 2; h++) {
                const __m512i dd = h == 0 ? d : _mm512_srli_epi64(d, 32);
                __m512i yn = _mm512_add_epi64(_mm512_mul_epi32(dd, fh[h]), _mm512_srai_epi64(_mm512_mul_epi32(dd, fl[h]), 31));
                yn = _mm512_max_epi64(_mm512_min_epi64(yn, i32max), i32min);
                __m512i t = _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(yn, bv[h]), rv[h]), cv[h]);
                t = _mm512_mask_sub_epi64(t, negative[h], _mm512_setzero_si512(), t);
                t = _mm512_add_epi64(t, betav[h]);
                out[h] = _mm512_max_epi64(_mm512_min_epi64(t, hiv), lov);
            }
            // Values lie in lo…hi ⊆ int32: the even lanes' low halves and the odd lanes shifted up
            // form the 16 channels in order (bytes when lo…hi ⊆ 0…255).
            const __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, out[0], _mm512_slli_epi64(out[1], 32));
            if (os) _mm_storeu_si128((__m128i *)(os + p * channels + j), _mm512_cvtepi32_epi8(r));
            else _mm512_storeu_si512((void *)(os32 + p * channels + j), r);
        }
    }
}

NHWC_TARGET static void gn_nhwc_avx512(const int32_t *x, long samples, long channels, long groups, long spatial,
                                       const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                                       int64_t lo, int64_t hi, int64_t *scratch, uint8_t *out, int32_t *out32) {
    if (channels % 16 != 0) {
        GN_NHWC_BODY(out, out32)
        return;
    }
    int64_t *round = scratch + 7 * channels;
    for (long ch = 0; ch < channels; ch++) round[ch] = (int64_t)1 << (c[ch] - 1);
    for (long n = 0; n < samples; n++)
        gn_nhwc_sample_avx512(x + n * spatial * channels, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch,
                              out ? out + n * spatial * channels : NULL, out32 ? out32 + n * spatial * channels : NULL);
}
#endif
// Bytes into `out` or int32 into `out32` (the other NULL), AVX-512 or portable by `backend`.
static void gn_nhwc(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                    const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                    int64_t *scratch, uint8_t *out, int32_t *out32, int backend) {
#ifdef NHWC_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) {
        gn_nhwc_avx512(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, out, out32);
        return;
    }
#else
    (void)backend;
#endif
    GN_NHWC_BODY(out, out32)
}

void foedus_igroupnorm_nhwc_u8(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                               const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                               int64_t *scratch, uint8_t *out, int backend) {
    gn_nhwc(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, out, NULL, backend);
}

void foedus_igroupnorm_nhwc_i32(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                                const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                                int64_t *scratch, int32_t *out, int backend) {
    gn_nhwc(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, NULL, out, backend);
}

#define POOL_NHWC_BODY                                                                                       \
    const long oh = h / 2, ow = w / 2;                                                                       \
    for (long n = 0; n < images; n++) {                                                                      \
        const uint8_t *src = x + n * h * w * channels;                                                       \
        uint8_t *dst = out + n * oh * ow * channels;                                                         \
        for (long oy = 0; oy < oh; oy++)                                                                     \
            for (long ox = 0; ox < ow; ox++) {                                                               \
                const uint8_t *a = src + ((2 * oy) * w + 2 * ox) * channels, *bb = a + channels;             \
                const uint8_t *cc = a + w * channels, *d = cc + channels;                                    \
                uint8_t *o = dst + (oy * ow + ox) * channels;                                                \
                for (long ch = 0; ch < channels; ch++) {                                                     \
                    uint8_t m1 = a[ch] > bb[ch] ? a[ch] : bb[ch], m2 = cc[ch] > d[ch] ? cc[ch] : d[ch];      \
                    o[ch] = m1 > m2 ? m1 : m2;                                                               \
                }                                                                                            \
            }                                                                                                \
    }

#ifdef NHWC_X86
NHWC_TARGET static void pool_nhwc_avx512(const uint8_t *x, long images, long h, long w, long channels, uint8_t *out) { POOL_NHWC_BODY }
#endif
static void pool_nhwc_portable(const uint8_t *x, long images, long h, long w, long channels, uint8_t *out) { POOL_NHWC_BODY }

void foedus_maxpool2_nhwc_u8(const uint8_t *x, long images, long h, long w, long channels, uint8_t *out, int backend) {
#ifdef NHWC_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) { pool_nhwc_avx512(x, images, h, w, channels, out); return; }
#endif
    pool_nhwc_portable(x, images, h, w, channels, out);
}
