// i-GroupNorm over channels-last (NHWC) int32 input, the NHWC layout of foedus_igroupnorm_u8
// (integer_groupnorm.c) and of IBert.GroupNorm in FoedusKernels/Integer, tested to give the same
// integers. Three outputs: clamped bytes, clamped int32 (a signed residual branch), and a residual
// block's output (the int32 branch plus the shortcut, requantized to bytes: one pass instead of
// normalise, add and requantize).
//
// The group statistics are exact integer sums, so they are gathered channel by channel in any
// order. One pass reads Σx, min, max and Σx² (wrapping mod 2⁶⁴) per channel. When the group's
// shift is 0 (its squares stay below 2⁶²; always for the 16-bit pre-normalisation scale of the
// models) Σ(m·x − S)² = m·(m·Σx² − S²): the true value lies in [0, 2⁶³), so the wrapping uint64
// arithmetic gives it exactly. Otherwise the portable path (and the vector one when 2^shift does
// not divide count) sums the shifted squares in a second pass as IBert.normalizeRun does; when it
// divides count, the vector path gets them from Σx² and Σx (group_scales). Byte outputs with
// multipliers of shift 33…62 take 32-bit lanes and saturating packs (gn_lanes_avx512), and so do
// the int32 and unit-residual outputs (gn_i32_fit).
#include <stdint.h>
#include "CFoedusInteger.h"
#include "CFoedusResidual.h"
#include "integer_common.h"
#include "residual_simd.h"
#include "requant_simd.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define GN_X86 1
#define GN_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
#endif

// Where the normalised values go: bytes (`u8`), int32 (`i32`), or, with `residual` set, the
// residual block's bytes: clamp(rzero + ((gn +wrap skip)·rb + 2^(rc−1)) >> rc) into `u8`.
typedef struct {
    uint8_t *u8;
    int32_t *i32;
    int residual;
    const uint8_t *skip_u8;
    const int32_t *table, *skip_i32;
    int64_t rb;
    int rc;
    int32_t rzero, rlo, rhi;
} gn_target;

// The scratch layout (int64 per channel): csum, cmin, cmax, gsum, gshift, gf, round, Σx² (wrapping),
// then gsum as int32 (9·channels int64 in all).
enum { S_SUM, S_MIN, S_MAX, S_GSUM, S_GSHIFT, S_GF, S_ROUND, S_X2, S_I32 };

// Per group, from per-channel sums and extremes: the group's sum and the shift that keeps its
// squares below 2⁶² (IBert.normalizeRun's rule), copied to every channel of the group. Returns
// the largest max |count·x − sum| over the groups (max(count·max − sum, sum − count·min)).
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

// Per group: Σd² (from Σx² when the shift is 0, else by a second pass over the group's channels),
// then f = 2⁶¹/σ with σ = isqrt(Σd²) << shift (0 when σ = 0, which makes every y_n 0 as the run
// kernel's σ = 0 branch does), copied to every channel.
static inline __attribute__((always_inline)) void
group_scales(const int32_t *x, long spatial, long channels, long groups, int64_t count, const uint64_t *csq_x,
             const int64_t *gsum, const int64_t *gshift, int64_t *gf, int shifted_in_csq, int moments) {
    const long pg = channels / groups;
    for (long g = 0; g < groups; g++) {
        const long first = g * pg;
        const int64_t shift = gshift[first], sum = gsum[first];
        uint64_t squares = 0;
        if (shift != 0 && moments) {
            // count = k·2^shift, so (count·x − sum) >> shift = k·x + e with e = (−sum) >> shift, and
            // Σ(k·x + e)² = k²·Σx² + 2·k·e·Σx + count·e² (mod 2⁶⁴, as the scalar loop wraps).
            uint64_t x2 = 0;
            for (long k = 0; k < pg; k++) x2 += csq_x[first + k];
            const uint64_t k = (uint64_t)(count >> shift), e = (uint64_t)((-sum) >> shift);
            squares = k * k * x2 + 2 * k * e * (uint64_t)sum + (uint64_t)count * e * e;
        } else if (shift != 0 && shifted_in_csq) {
            // csq_x holds each channel's Σ((count·x − sum) >> shift)² (shifted_squares_avx512).
            for (long k = 0; k < pg; k++) squares += csq_x[first + k];
        } else if (shift == 0) {
            uint64_t x2 = 0;
            for (long k = 0; k < pg; k++) x2 += csq_x[first + k];
            squares = (uint64_t)count * ((uint64_t)count * x2 - (uint64_t)sum * (uint64_t)sum);
        } else {
            for (long p = 0; p < spatial; p++)
                for (long k = 0; k < pg; k++) {
                    const int64_t d = (count * (int64_t)x[p * channels + first + k] - sum) >> shift;
                    squares += (uint64_t)(d * d);
                }
        }
        const int64_t sigma = (int64_t)foedus_isqrt_u64(squares) << shift;
        const int64_t f = sigma > 0 ? ((int64_t)1 << 61) / sigma : 0;
        for (long k = 0; k < pg; k++) gf[first + k] = f;
    }
}

// The portable statistics of one sample: per channel Σx, min, max, Σx² in one pass.
static inline __attribute__((always_inline)) void
statistics_portable(const int32_t *x, long spatial, long channels, long groups, int64_t *scratch) {
    const int64_t count = channels / groups * spatial;
    int64_t *csum = scratch + S_SUM * channels, *cmin = scratch + S_MIN * channels, *cmax = scratch + S_MAX * channels;
    uint64_t *csq_x = (uint64_t *)(scratch + S_X2 * channels);
    for (long ch = 0; ch < channels; ch++) { csum[ch] = 0; cmin[ch] = INT32_MAX; cmax[ch] = INT32_MIN; csq_x[ch] = 0; }
    for (long p = 0; p < spatial; p++) {
        const int32_t *row = x + p * channels;
        for (long ch = 0; ch < channels; ch++) {
            const int64_t v = row[ch];
            csum[ch] += v;
            cmin[ch] = v < cmin[ch] ? v : cmin[ch];
            cmax[ch] = v > cmax[ch] ? v : cmax[ch];
            csq_x[ch] += (uint64_t)(v * v);
        }
    }
    group_sums(csum, cmin, cmax, channels, groups, count, scratch + S_GSUM * channels, scratch + S_GSHIFT * channels);
    group_scales(x, spatial, channels, groups, count, csq_x, scratch + S_GSUM * channels, scratch + S_GSHIFT * channels,
                 scratch + S_GF * channels, 0, 0);
}

// The affine stage of every element of one sample (offset `base` into the batch's outputs):
// y_n = ((count·x − sum)·f) >> 31, clamped to int32, then clamp(sign·((y_n·b + 2^(c−1)) >> c) + beta).
static inline __attribute__((always_inline)) void
normalize_portable(const int32_t *xs, long spatial, long channels, int64_t count, const int64_t *scratch, const int64_t *b,
                   const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi, const gn_target *t, long base) {
    const int64_t *gsum = scratch + S_GSUM * channels, *gf = scratch + S_GF * channels, *round = scratch + S_ROUND * channels;
    for (long p = 0; p < spatial; p++) {
        const int32_t *row = xs + p * channels;
        for (long ch = 0; ch < channels; ch++) {
            int64_t v = ((count * (int64_t)row[ch] - gsum[ch]) * gf[ch]) >> 31;
            v = v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : v);
            int64_t y = sign[ch] * ((v * b[ch] + round[ch]) >> c[ch]) + beta[ch];
            y = y < lo ? lo : (y > hi ? hi : y);
            const long i = base + p * channels + ch;
            if (t->residual)
                t->u8[i] = residual_one((int32_t)y, residual_skip(t->skip_u8, t->table, t->skip_i32, i), t->rb, t->rc, t->rzero, t->rlo, t->rhi);
            else if (t->u8) t->u8[i] = (uint8_t)y;
            else t->i32[i] = (int32_t)y;
        }
    }
}

static void gn_portable(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                        const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                        int64_t *scratch, const gn_target *t) {
    const int64_t count = channels / groups * spatial;
    for (long n = 0; n < samples; n++) {
        const int32_t *xs = x + n * spatial * channels;
        statistics_portable(xs, spatial, channels, groups, scratch);
        normalize_portable(xs, spatial, channels, count, scratch, b, c, sign, beta, lo, hi, t, n * spatial * channels);
    }
}

#ifdef GN_X86
// What the vector affine loop writes; a compile-time constant in each instantiation, so the loop
// carries no per-element branch on the target.
enum { OUT_U8, OUT_I32, OUT_TABLE, OUT_VALUES, OUT_TABLE_UNIT, OUT_VALUES_UNIT };

// The affine stage of one sample's 16-channel block `j` (deviations in int32 lanes). The even and
// odd lanes are multiplied separately with 32×32→64-bit products (as requant16_i32 does), so no
// lane is widened. f < 2⁶² is split as f = fh·2³¹ + fl, so ⌊d·f / 2³¹⌋ = d·fh + ⌊d·fl / 2³¹⌋
// exactly. `clamp32` is 0 when every group's shift is 0: then |d| ≤ √Σd² < σ + 1, so
// |d·f| < 2⁶² and y_n already lies in int32.
static inline __attribute__((always_inline)) GN_TARGET void
normalize_block_avx512(const int32_t *xs, long channels, long spatial, long j, int64_t count, const int64_t *scratch,
                       const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                       const gn_target *t, long base, const int mode, const int clamp32) {
    const int64_t *gf = scratch + S_GF * channels, *round = scratch + S_ROUND * channels;
    const int32_t *gsum32 = (const int32_t *)(scratch + S_I32 * channels);
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
    const __m512i gs = _mm512_loadu_si512((const void *)(gsum32 + j)), countv = _mm512_set1_epi32((int32_t)count);
    const __m512i lov = _mm512_set1_epi64(lo), hiv = _mm512_set1_epi64(hi);
    const __m512i i32min = _mm512_set1_epi64(INT32_MIN), i32max = _mm512_set1_epi64(INT32_MAX);
    const residual_requant rq = residual_requant_make(t->rb, t->rc, t->rzero, t->rlo, t->rhi);
    uint8_t *const u8 = t->u8;
    int32_t *const i32 = t->i32;
    const uint8_t *const skip_u8 = t->skip_u8;
    const int32_t *const table = t->table, *const skip_i32 = t->skip_i32;
    for (long p = 0; p < spatial; p++) {
        const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j));
        const __m512i d = _mm512_sub_epi32(_mm512_mullo_epi32(v, countv), gs);
        __m512i out[2];
        for (int h = 0; h < 2; h++) {
            const __m512i dd = h == 0 ? d : _mm512_srli_epi64(d, 32);
            __m512i yn = _mm512_add_epi64(_mm512_mul_epi32(dd, fh[h]), _mm512_srai_epi64(_mm512_mul_epi32(dd, fl[h]), 31));
            if (clamp32) yn = _mm512_max_epi64(_mm512_min_epi64(yn, i32max), i32min);
            // Unclamped, only yn's low half reaches the next product, and clang then computes it
            // with 64-bit vpmullq (3 µops) instead of vpmuldq: keep every bit of yn live.
            else __asm__("" : "+v"(yn));
            __m512i y = _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(yn, bv[h]), rv[h]), cv[h]);
            y = _mm512_mask_sub_epi64(y, negative[h], _mm512_setzero_si512(), y);
            y = _mm512_add_epi64(y, betav[h]);
            out[h] = _mm512_max_epi64(_mm512_min_epi64(y, hiv), lov);
        }
        // Values lie in lo…hi ⊆ int32: the even lanes' low halves and the odd lanes shifted up
        // form the 16 channels in order (bytes when lo…hi ⊆ 0…255).
        const __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, out[0], _mm512_slli_epi64(out[1], 32));
        const long i = base + p * channels + j;
        if (mode == OUT_U8) _mm_storeu_si128((__m128i *)(u8 + i), _mm512_cvtepi32_epi8(r));
        else if (mode == OUT_I32) _mm512_storeu_si512((void *)(i32 + i), r);
        else if (mode == OUT_TABLE || mode == OUT_TABLE_UNIT)
            _mm_storeu_si128((__m128i *)(u8 + i), residual16(r, skip_u8, table, NULL, i, &rq, mode == OUT_TABLE_UNIT));
        else _mm_storeu_si128((__m128i *)(u8 + i), residual16(r, NULL, NULL, skip_i32, i, &rq, mode == OUT_VALUES_UNIT));
    }
}

// The byte output in 32-bit lanes, four vectors to 64 bytes through requant_pack4, when every
// channel's shift c lies in [33, 62] (or b = 0, a dead channel: then 0 for any c), 0 ≤ b < 2³¹,
// sign = ±1, |beta| ≤ 2³⁰ and 0 ≤ lo ≤ hi ≤ 255 (gn_bytes_fit). With |y_n| ≤ 2³¹ and b < 2³¹,
// |y_n·b| < 2⁶², so ⌊(y_n·b + 2^(c−1)) / 2^c⌋ = (high dword + 2^(c−33)) >> (c − 32) lies in
// [−2²⁹, 2²⁹ + 2²⁸) (as in requant16_raw_high33), ±q + beta stays inside int32, and the saturating
// packs give clamp(·, 0, 255) exactly. At most GN_BYTES_BLOCKS blocks of 16 channels.
enum { GN_BYTES_BLOCKS = 32 };

// One 16-channel block's constants: f = fh·2³¹ + fl and b for the even (e) and odd (o) channels
// as 64-bit lanes, the group sums, 2^(c−33), c − 32 and beta as int32 lanes, the negated channels.
typedef struct {
    __m512i fh_e, fh_o, fl_e, fl_o, b_e, b_o, gs, rnd, sh, beta;
    __mmask16 negative;
} gn_bytes_block;

// The per-channel conditions of the 32-bit-lane affine (any output).
static int gn_lanes_fit(long channels, const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta) {
    if (channels > 16 * GN_BYTES_BLOCKS) return 0;
    for (long ch = 0; ch < channels; ch++) {
        if (b[ch] < 0 || b[ch] > INT32_MAX || (b[ch] != 0 && (c[ch] < 33 || c[ch] > 62))) return 0;
        if ((sign[ch] != 1 && sign[ch] != -1) || beta[ch] < -((int64_t)1 << 30) || beta[ch] > ((int64_t)1 << 30)) return 0;
    }
    return 1;
}

static int gn_bytes_fit(long channels, const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                        int64_t lo, int64_t hi) {
    return lo >= 0 && hi <= 255 && lo <= hi && gn_lanes_fit(channels, b, c, sign, beta);
}

// The int32 and residual outputs in the same lanes: y = ±q + beta lies in (−2³¹, 2³¹) (|q| < 2³⁰,
// |beta| ≤ 2³⁰), so its clamp to INT32_MIN ≤ lo ≤ hi ≤ INT32_MAX is a 32-bit min/max and gives the
// 64-bit loop's int32. The residual output also needs the unit requantization (residual_unit,
// 1 ≤ rc ≤ 31, where residual16's 32-bit shifts are exact) and a zero point and clamp that
// requant_pack4 saturates exactly (requant_bytes_sign, unsigned bytes).
static int gn_i32_fit(long channels, const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                      int64_t lo, int64_t hi, const gn_target *t) {
    if (lo < INT32_MIN || hi > INT32_MAX || lo > hi || !gn_lanes_fit(channels, b, c, sign, beta)) return 0;
    if (!t->residual) return 1;
    return residual_unit(t->rb, t->rzero) && t->rc >= 1 && t->rc <= 31 && requant_bytes_sign(t->rzero, t->rlo, t->rhi) == 0;
}

// y = sign·((y_n·b + 2^(c−1)) >> c) + beta of 16 channels (before the clamp), y_n = ⌊d·f / 2³¹⌋
// (in int32, see gn_lanes_avx512), d = count·x − sum.
static inline __attribute__((always_inline)) GN_TARGET __m512i
gn_bytes16(__m512i v, const gn_bytes_block *k, __m512i countv) {
    const __m512i odd = _mm512_set_epi32(31, 15, 29, 13, 27, 11, 25, 9, 23, 7, 21, 5, 19, 3, 17, 1);
    const __m512i d = _mm512_sub_epi32(_mm512_mullo_epi32(v, countv), k->gs), dodd = _mm512_srli_epi64(d, 32);
    __m512i ye = _mm512_add_epi64(_mm512_mul_epi32(d, k->fh_e), _mm512_srai_epi64(_mm512_mul_epi32(d, k->fl_e), 31));
    __m512i yo = _mm512_add_epi64(_mm512_mul_epi32(dodd, k->fh_o), _mm512_srai_epi64(_mm512_mul_epi32(dodd, k->fl_o), 31));
    // Keep every bit of y_n live (see normalize_block_avx512).
    __asm__("" : "+v"(ye), "+v"(yo));
    const __m512i pe = _mm512_mul_epi32(ye, k->b_e), po = _mm512_mul_epi32(yo, k->b_o);
    __m512i q = _mm512_srav_epi32(_mm512_add_epi32(_mm512_permutex2var_epi32(pe, odd, po), k->rnd), k->sh);
    q = _mm512_mask_sub_epi32(q, k->negative, _mm512_setzero_si512(), q);
    return _mm512_add_epi32(q, k->beta);
}

// One sample in element order: tiles of four vectors (64 values), the block of each vector
// cycling through the channels' blocks; a last partial tile (whole vectors, as channels are a
// multiple of 16) under a byte mask. OUT_U8: bytes through requant_pack4 (pb: lo…hi, no zero
// point). OUT_I32: y clamped to lo…hi in int32. OUT_TABLE_UNIT / OUT_VALUES_UNIT: y clamped, plus
// the shortcut (wrapping), the unit requantization, then requant_pack4 (pb: the residual's zero
// point and clamp). `base` is the sample's offset into the outputs and shortcut.
static inline __attribute__((always_inline)) GN_TARGET __m512i
gn_lanes_value(const int32_t *xs, long i, const gn_bytes_block *k, __m512i countv, __m512i lo32, __m512i hi32,
               const gn_target *t, long base, const residual_requant *rq, const int mode) {
    const __m512i y = gn_bytes16(_mm512_loadu_si512((const void *)(xs + i)), k, countv);
    if (mode == OUT_U8) return y;
    const __m512i yc = _mm512_max_epi32(_mm512_min_epi32(y, hi32), lo32);
    if (mode == OUT_I32) return yc;
    const __m512i skip = mode == OUT_TABLE_UNIT ? residual16_skip(t->skip_u8, t->table, NULL, base + i)
                                                : residual16_skip(NULL, NULL, t->skip_i32, base + i);
    return residual16_raw_unit(_mm512_add_epi32(yc, skip), rq);
}

static inline __attribute__((always_inline)) GN_TARGET void
gn_lanes_sample(const int32_t *xs, long n, long blocks, const gn_bytes_block *table, int64_t count, const requant_bytes *pb,
                int64_t lo, int64_t hi, const gn_target *t, long base, const int mode) {
    const __m512i countv = _mm512_set1_epi32((int32_t)count);
    const __m512i lo32 = _mm512_set1_epi32((int32_t)lo), hi32 = _mm512_set1_epi32((int32_t)hi);
    const residual_requant rq = residual_requant_make(t->rb, t->rc, t->rzero, t->rlo, t->rhi);
    long blk = 0, i = 0;
    if (mode == OUT_I32) {
        for (; i < n; i += 16) {
            _mm512_storeu_si512((void *)(t->i32 + base + i), gn_lanes_value(xs, i, table + blk, countv, lo32, hi32, t, base, &rq, mode));
            blk = blk + 1 == blocks ? 0 : blk + 1;
        }
        return;
    }
    uint8_t *const out = t->u8 + base;
    for (; i + 64 <= n; i += 64) {
        __m512i y[4];
        for (int u = 0; u < 4; u++) {
            y[u] = gn_lanes_value(xs, i + 16 * u, table + blk, countv, lo32, hi32, t, base, &rq, mode);
            blk = blk + 1 == blocks ? 0 : blk + 1;
        }
        _mm512_storeu_si512((void *)(out + i), requant_pack4(y[0], y[1], y[2], y[3], pb));
    }
    if (i < n) {
        __m512i y[4];
        for (int u = 0; u < 4; u++) {
            y[u] = _mm512_setzero_si512();
            if (i + 16 * u < n) {
                y[u] = gn_lanes_value(xs, i + 16 * u, table + blk, countv, lo32, hi32, t, base, &rq, mode);
                blk = blk + 1 == blocks ? 0 : blk + 1;
            }
        }
        _mm512_mask_storeu_epi8(out + i, ((__mmask64)1 << (n - i)) - 1, requant_pack4(y[0], y[1], y[2], y[3], pb));
    }
}

// One sample in 32-bit lanes (`mode`: OUT_U8 when gn_bytes_fit holds, OUT_I32 or a unit residual
// mode when gn_i32_fit does); 0 (nothing written) unless every group's max |count·x − sum| times f stays
// below 2⁶²: then |d·f| < 2⁶² and y_n lies in int32 without its clamp. (σ ≥ max |d| − 2^shift
// makes this hold except for runs of ~2⁶⁰ values.)
GN_TARGET static int gn_lanes_avx512(const int32_t *xs, long channels, long groups, long spatial, const int64_t *scratch,
                                      const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                                      int64_t lo, int64_t hi, const gn_target *t, long base, int mode) {
    const int64_t count = channels / groups * spatial;
    const int64_t *cmin = scratch + S_MIN * channels, *cmax = scratch + S_MAX * channels;
    const int64_t *gsum = scratch + S_GSUM * channels, *gf = scratch + S_GF * channels;
    const long pg = channels / groups, blocks = channels / 16;
    for (long g = 0; g < groups; g++) {
        int64_t mn = INT32_MAX, mx = INT32_MIN;
        for (long k = 0; k < pg; k++) {
            mn = cmin[g * pg + k] < mn ? cmin[g * pg + k] : mn;
            mx = cmax[g * pg + k] > mx ? cmax[g * pg + k] : mx;
        }
        const int64_t sum = gsum[g * pg], up = count * mx - sum, down = sum - count * mn;
        const unsigned __int128 reach = (unsigned __int128)(uint64_t)(up > down ? up : down) * (uint64_t)gf[g * pg];
        if (reach >= ((unsigned __int128)1 << 62)) return 0;
    }
    gn_bytes_block table[GN_BYTES_BLOCKS];
    for (long j = 0; j < blocks; j++) {
        int64_t lanes[6][2][8];  // fh, fl, b for even (0) and odd (1) channels
        int32_t gs[16], rnd[16], sh[16], bt[16];
        __mmask16 negative = 0;
        for (int k = 0; k < 16; k++) {
            const long ch = 16 * j + k;
            const int cc = b[ch] == 0 ? 33 : c[ch];
            lanes[0][k % 2][k / 2] = gf[ch] >> 31;
            lanes[1][k % 2][k / 2] = gf[ch] & 0x7FFFFFFF;
            lanes[2][k % 2][k / 2] = b[ch];
            gs[k] = (int32_t)(uint32_t)(uint64_t)gsum[ch];
            rnd[k] = (int32_t)1 << (cc - 33);
            sh[k] = cc - 32;
            bt[k] = (int32_t)beta[ch];
            negative |= (__mmask16)((sign[ch] < 0) << k);
        }
        gn_bytes_block *k = table + j;
        k->fh_e = _mm512_loadu_si512((const void *)lanes[0][0]);
        k->fh_o = _mm512_loadu_si512((const void *)lanes[0][1]);
        k->fl_e = _mm512_loadu_si512((const void *)lanes[1][0]);
        k->fl_o = _mm512_loadu_si512((const void *)lanes[1][1]);
        k->b_e = _mm512_loadu_si512((const void *)lanes[2][0]);
        k->b_o = _mm512_loadu_si512((const void *)lanes[2][1]);
        k->gs = _mm512_loadu_si512((const void *)gs);
        k->rnd = _mm512_loadu_si512((const void *)rnd);
        k->sh = _mm512_loadu_si512((const void *)sh);
        k->beta = _mm512_loadu_si512((const void *)bt);
        k->negative = negative;
    }
    const long n = spatial * channels;
    if (mode == OUT_U8) {
        const requant_bytes pb = requant_bytes_set(0, (int32_t)lo, (int32_t)hi, 0, 64);
        gn_lanes_sample(xs, n, blocks, table, count, &pb, lo, hi, t, base, OUT_U8);
    } else {
        const requant_bytes pb = requant_bytes_set(t->rzero, t->rlo, t->rhi, 0, 64);
        if (mode == OUT_I32) gn_lanes_sample(xs, n, blocks, table, count, &pb, lo, hi, t, base, OUT_I32);
        else if (mode == OUT_TABLE_UNIT) gn_lanes_sample(xs, n, blocks, table, count, &pb, lo, hi, t, base, OUT_TABLE_UNIT);
        else gn_lanes_sample(xs, n, blocks, table, count, &pb, lo, hi, t, base, OUT_VALUES_UNIT);
    }
    return 1;
}

// One sample with explicit AVX-512 (channels a multiple of 16). When every |count·x − sum| of the
// sample fits in int32 (always, for the 16-bit pre-normalisation scale of the models), the
// deviations are computed in wrapping int32 lanes — exact, since the true value fits — with
// 32×32→64-bit products; otherwise the sample takes the portable affine loop.
// For every channel of a group with a shift: Σ_p ((count·x − sum) >> shift)² (wrapping, as the
// scalar loop of group_scales sums it), 16 channels at a time, into csq_x; channels of groups
// without a shift keep their Σx². The group's sum and shift are repeated per channel.
GN_TARGET static void shifted_squares_avx512(const int32_t *xs, long spatial, long channels, int64_t count, const int64_t *gsum,
                                             const int64_t *gshift, uint64_t *csq_x) {
    const __m512i countv = _mm512_set1_epi64(count);
    for (long j = 0; j < channels; j += 16) {
        // Even lanes: channels j, j+2, …; odd lanes: j+1, j+3, … (64-bit halves of the int32 loads).
        const __m512i even_idx = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), odd_idx = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
        __m512i sum_e = _mm512_i64gather_epi64(_mm512_add_epi64(even_idx, _mm512_set1_epi64(j)), (const void *)gsum, 8);
        __m512i sum_o = _mm512_i64gather_epi64(_mm512_add_epi64(odd_idx, _mm512_set1_epi64(j)), (const void *)gsum, 8);
        __m512i sh_e = _mm512_i64gather_epi64(_mm512_add_epi64(even_idx, _mm512_set1_epi64(j)), (const void *)gshift, 8);
        __m512i sh_o = _mm512_i64gather_epi64(_mm512_add_epi64(odd_idx, _mm512_set1_epi64(j)), (const void *)gshift, 8);
        __m512i acc_e = _mm512_setzero_si512(), acc_o = _mm512_setzero_si512();
        for (long p = 0; p < spatial; p++) {
            const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j));
            const __m512i ve = _mm512_srai_epi64(_mm512_slli_epi64(v, 32), 32), vo = _mm512_srai_epi64(v, 32);
            const __m512i de = _mm512_srav_epi64(_mm512_sub_epi64(_mm512_mullo_epi64(ve, countv), sum_e), sh_e);
            const __m512i dd = _mm512_srav_epi64(_mm512_sub_epi64(_mm512_mullo_epi64(vo, countv), sum_o), sh_o);
            acc_e = _mm512_add_epi64(acc_e, _mm512_mullo_epi64(de, de));
            acc_o = _mm512_add_epi64(acc_o, _mm512_mullo_epi64(dd, dd));
        }
        uint64_t e[8], o[8];
        _mm512_storeu_si512((void *)e, acc_e);
        _mm512_storeu_si512((void *)o, acc_o);
        for (int k = 0; k < 16; k++)
            if (gshift[j + k] != 0) csq_x[j + k] = k % 2 == 0 ? e[k / 2] : o[k / 2];
    }
}

// Σx, min, max and Σx² of `nb` blocks of 16 channels from channel j on. Σx is gathered in wrapping
// int32 lanes: it lies in [spatial·min, spatial·max], so when that interval is narrower than 2³²
// (always, for 16-bit inputs), spatial·min + (Σx − spatial·min mod 2³²) is the exact sum; a wider
// channel is summed again in int64.
static inline __attribute__((always_inline)) GN_TARGET void
statistics_blocks_avx512(const int32_t *xs, long spatial, long channels, long j, const int nb, int64_t *csum, int64_t *cmin,
                         int64_t *cmax, uint64_t *csq_x) {
    __m512i sum[4], even[4], odd[4], mn[4], mx[4];
    for (int u = 0; u < nb; u++) {
        sum[u] = even[u] = odd[u] = _mm512_setzero_si512();
        mn[u] = _mm512_set1_epi32(INT32_MAX);
        mx[u] = _mm512_set1_epi32(INT32_MIN);
    }
    for (long p = 0; p < spatial; p++)
        for (int u = 0; u < nb; u++) {
            const __m512i v = _mm512_loadu_si512((const void *)(xs + p * channels + j + 16 * u));
            mn[u] = _mm512_min_epi32(mn[u], v);
            mx[u] = _mm512_max_epi32(mx[u], v);
            sum[u] = _mm512_add_epi32(sum[u], v);
            even[u] = _mm512_add_epi64(even[u], _mm512_mul_epi32(v, v));
            const __m512i vh = _mm512_srli_epi64(v, 32);
            odd[u] = _mm512_add_epi64(odd[u], _mm512_mul_epi32(vh, vh));
        }
    for (int u = 0; u < nb; u++) {
        int32_t s32[16], mn32[16], mx32[16];
        uint64_t e[8], o[8];
        _mm512_storeu_si512((void *)s32, sum[u]);
        _mm512_storeu_si512((void *)mn32, mn[u]);
        _mm512_storeu_si512((void *)mx32, mx[u]);
        _mm512_storeu_si512((void *)e, even[u]);
        _mm512_storeu_si512((void *)o, odd[u]);
        for (int k = 0; k < 16; k++) {
            const long ch = j + 16 * u + k;
            const int64_t low = (int64_t)spatial * mn32[k];
            cmin[ch] = mn32[k];
            cmax[ch] = mx32[k];
            if ((int64_t)spatial * ((int64_t)mx32[k] - mn32[k]) < ((int64_t)1 << 32)) {
                csum[ch] = low + (int64_t)(uint32_t)((uint32_t)s32[k] - (uint32_t)(uint64_t)low);
            } else {
                int64_t exact = 0;
                for (long p = 0; p < spatial; p++) exact += xs[p * channels + ch];
                csum[ch] = exact;
            }
            csq_x[ch] = k % 2 == 0 ? e[k / 2] : o[k / 2];
        }
    }
}

GN_TARGET static void gn_sample_avx512(const int32_t *xs, long channels, long groups, long spatial, const int64_t *b,
                                       const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                                       int64_t *scratch, const gn_target *t, long base, int lanes) {
    const int64_t count = channels / groups * spatial;
    int64_t *csum = scratch + S_SUM * channels, *cmin = scratch + S_MIN * channels, *cmax = scratch + S_MAX * channels;
    int64_t *gsum = scratch + S_GSUM * channels, *gshift = scratch + S_GSHIFT * channels, *gf = scratch + S_GF * channels;
    uint64_t *csq_x = (uint64_t *)(scratch + S_X2 * channels);
    int32_t *gsum32 = (int32_t *)(scratch + S_I32 * channels);
    // Up to four blocks of 16 channels per sweep over the rows (whole cache lines of each row).
    for (long j = 0; j < channels; j += 64) {
        switch ((channels - j) / 16) {
        case 1: statistics_blocks_avx512(xs, spatial, channels, j, 1, csum, cmin, cmax, csq_x); break;
        case 2: statistics_blocks_avx512(xs, spatial, channels, j, 2, csum, cmin, cmax, csq_x); break;
        case 3: statistics_blocks_avx512(xs, spatial, channels, j, 3, csum, cmin, cmax, csq_x); break;
        default: statistics_blocks_avx512(xs, spatial, channels, j, 4, csum, cmin, cmax, csq_x);
        }
    }
    const int fits = group_sums(csum, cmin, cmax, channels, groups, count, gsum, gshift) <= INT32_MAX;
    // A shifted group's squares follow from Σx² and Σx when 2^shift divides count (and count·x − sum
    // cannot wrap in int64); otherwise every shifted group takes the second pass.
    int any_shift = 0, moments = count <= INT32_MAX;
    for (long ch = 0; ch < channels; ch++) {
        any_shift |= gshift[ch] != 0;
        moments &= (count & (((int64_t)1 << gshift[ch]) - 1)) == 0;
    }
    if (any_shift && !moments) shifted_squares_avx512(xs, spatial, channels, count, gsum, gshift, csq_x);
    group_scales(xs, spatial, channels, groups, count, csq_x, gsum, gshift, gf, any_shift, moments);
    if (!fits) {
        // Rare (deviations beyond int32): the portable affine loop for this sample.
        normalize_portable(xs, spatial, channels, count, scratch, b, c, sign, beta, lo, hi, t, base);
        return;
    }
    if (lanes >= 0 && gn_lanes_avx512(xs, channels, groups, spatial, scratch, b, c, sign, beta, lo, hi, t, base, lanes)) return;
    int shifted = 0;
    for (long ch = 0; ch < channels; ch++) {
        gsum32[ch] = (int32_t)(uint32_t)(uint64_t)gsum[ch];
        shifted |= gshift[ch] != 0;
    }
    const int unit = t->residual && residual_unit(t->rb, t->rzero);
    const int mode = t->residual ? (t->table ? (unit ? OUT_TABLE_UNIT : OUT_TABLE) : (unit ? OUT_VALUES_UNIT : OUT_VALUES))
                                 : (t->u8 ? OUT_U8 : OUT_I32);
    for (long j = 0; j < channels; j += 16) {
#define GN_BLOCK(MODE, CLAMP) normalize_block_avx512(xs, channels, spatial, j, count, scratch, b, c, sign, beta, lo, hi, t, base, MODE, CLAMP)
        if (shifted) {
            switch (mode) {
            case OUT_U8: GN_BLOCK(OUT_U8, 1); break;
            case OUT_I32: GN_BLOCK(OUT_I32, 1); break;
            case OUT_TABLE: GN_BLOCK(OUT_TABLE, 1); break;
            case OUT_VALUES: GN_BLOCK(OUT_VALUES, 1); break;
            case OUT_TABLE_UNIT: GN_BLOCK(OUT_TABLE_UNIT, 1); break;
            default: GN_BLOCK(OUT_VALUES_UNIT, 1);
            }
        } else {
            switch (mode) {
            case OUT_U8: GN_BLOCK(OUT_U8, 0); break;
            case OUT_I32: GN_BLOCK(OUT_I32, 0); break;
            case OUT_TABLE: GN_BLOCK(OUT_TABLE, 0); break;
            case OUT_VALUES: GN_BLOCK(OUT_VALUES, 0); break;
            case OUT_TABLE_UNIT: GN_BLOCK(OUT_TABLE_UNIT, 0); break;
            default: GN_BLOCK(OUT_VALUES_UNIT, 0);
            }
        }
#undef GN_BLOCK
    }
}
#endif

// AVX-512 (channels a multiple of 16, a residual multiplier that fits int32 lanes) or portable.
static void gn_nhwc(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                    const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                    int64_t *scratch, const gn_target *t, int backend) {
    int64_t *round = scratch + S_ROUND * channels;
    for (long ch = 0; ch < channels; ch++) round[ch] = (int64_t)1 << (c[ch] - 1);
#ifdef GN_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI && channels % 16 == 0 && (!t->residual || (t->rb >= 0 && t->rb <= INT32_MAX))) {
        // The 32-bit-lane mode (gn_lanes_avx512) when its bounds hold, else −1.
        int lanes = -1;
        if (!t->residual && t->u8) lanes = gn_bytes_fit(channels, b, c, sign, beta, lo, hi) ? OUT_U8 : -1;
        else if (gn_i32_fit(channels, b, c, sign, beta, lo, hi, t))
            lanes = !t->residual ? OUT_I32 : (t->table ? OUT_TABLE_UNIT : OUT_VALUES_UNIT);
        for (long n = 0; n < samples; n++)
            gn_sample_avx512(x + n * spatial * channels, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, t,
                             n * spatial * channels, lanes);
        return;
    }
#else
    (void)backend;
#endif
    gn_portable(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, t);
}

void foedus_igroupnorm_nhwc_u8(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                               const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                               int64_t *scratch, uint8_t *out, int backend) {
    const gn_target t = {.u8 = out};
    gn_nhwc(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, &t, backend);
}

void foedus_igroupnorm_nhwc_i32(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                                const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                                int64_t *scratch, int32_t *out, int backend) {
    const gn_target t = {.i32 = out};
    gn_nhwc(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, &t, backend);
}

void foedus_igroupnorm_nhwc_residual_u8(const int32_t *x, long samples, long channels, long groups, long spatial,
                                        const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                                        int64_t lo, int64_t hi, const uint8_t *skip_u8, const int32_t *table,
                                        const int32_t *skip_i32, int64_t rb, int rc, int32_t rzero, int32_t rlo, int32_t rhi,
                                        int64_t *scratch, uint8_t *out, int backend) {
    const gn_target t = {.u8 = out, .residual = 1, .skip_u8 = skip_u8, .table = table, .skip_i32 = skip_i32,
                         .rb = rb, .rc = rc, .rzero = rzero, .rlo = rlo, .rhi = rhi};
    gn_nhwc(x, samples, channels, groups, spatial, b, c, sign, beta, lo, hi, scratch, &t, backend);
}
