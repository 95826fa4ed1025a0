// Stochastic rounding of FQT gradients (FoedusKernels/GradientQuantization). The Swift
// GradientQuantizer.roundOne loop, RandomStream's rounding uniforms and foedus_i8_pack_b_scalar
// define the results; every path here is bit-identical to them. Float arithmetic is spelled
// as separate multiplies and adds (the target compiles with -ffp-contract=off, no FMA).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CFoedusKernels.h"
#include "philox_block.h"

#if defined(__x86_64__)
#define FQT_X86 1
#include <immintrin.h>
#endif

static long round_up(long x, long m) { return (x + m - 1) / m * m; }

// clamp(⌊v⌋ + (u < v − ⌊v⌋), 0, top), v = (x − z)·s + c, clamped to [0, top] first.
static inline uint8_t round_one(float x, float u, float z, float s, float c, float top) {
    const float magic = 8388608.0f;
    float v = (x - z) * s;
    v = v + c;
    v = v > 0.0f ? v : 0.0f;
    v = v < top ? v : top;
    float nearest = (v + magic) - magic;
    float fl = nearest > v ? nearest - 1.0f : nearest;
    float code = fl + (u < v - fl ? 1.0f : 0.0f);
    return (uint8_t)(int32_t)code;
}

#ifdef FQT_X86
#define FQT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

static int fqt_has_avx512(void) {
    static int state = -1;
    if (state < 0) {
        __builtin_cpu_init();
        state = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) ? 1 : 0;
    }
    return state;
}

static inline FQT_AVX512 __attribute__((always_inline)) __m512i
round16(__m512 x, __m512 u, __m512 z, __m512 s, __m512 c, __m512 top) {
    const __m512 magic = _mm512_set1_ps(8388608.0f), one = _mm512_set1_ps(1.0f);
    __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_sub_ps(x, z), s), c);
    // max/min return the second operand on ties and NaN, as `v > 0 ? v : 0` / `v < top ? v : top`.
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    v = _mm512_min_ps(v, top);
    __m512 nearest = _mm512_sub_ps(_mm512_add_ps(v, magic), magic);
    __m512 fl = _mm512_mask_sub_ps(nearest, _mm512_cmp_ps_mask(nearest, v, _CMP_GT_OQ), nearest, one);
    __m512 code = _mm512_mask_add_ps(fl, _mm512_cmp_ps_mask(u, _mm512_sub_ps(v, fl), _CMP_LT_OQ), fl, one);
    return _mm512_cvttps_epi32(code);
}

static FQT_AVX512 void round_codes_avx512(const float *x, const float *u, long count, float z, float s, float c, float top, uint8_t *q) {
    const __m512 vz = _mm512_set1_ps(z), vs = _mm512_set1_ps(s), vc = _mm512_set1_ps(c), vtop = _mm512_set1_ps(top);
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512i code = round16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(u + i), vz, vs, vc, vtop);
        _mm_storeu_si128((__m128i *)(q + i), _mm512_cvtepi32_epi8(code));
    }
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        __m512i code = round16(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, u + i), vz, vs, vc, vtop);
        _mm_mask_storeu_epi8(q + i, m, _mm512_cvtepi32_epi8(code));
    }
}
#endif

void foedus_fqt_round_codes(const float *x, const float *u, long count, float z, float s, float c, float top,
                            uint8_t *q, int vectorized) {
#ifdef FQT_X86
    if (vectorized && fqt_has_avx512()) { round_codes_avx512(x, u, count, z, s, c, top, q); return; }
#endif
    (void)vectorized;
    for (long i = 0; i < count; i++) q[i] = round_one(x[i], u[i], z, s, c, top);
}

// Byte offset of B[r][c] in the packed int8 layout of a kp × np matrix (foedus_i8_pack_b).
static inline long packed_at(long r, long c, long kp, long np) {
    long p0 = c / 64 * 64, w = np - p0 < 64 ? np - p0 : 64;
    return p0 * kp + ((r / 4) * w + (c - p0)) * 4 + (r % 4);
}

static void wgrad_codes_scalar(const float *g, long n, long o, long l, const float *z, const float *s, const float *cc, float top,
                               uint32_t k0, uint32_t k1, uint32_t domain, int8_t *packed, int32_t *colsum) {
    long nl = n * l, kp = round_up(nl, 4), np = round_up(o, 16), octets = o / 8;
    for (long r = 0; r < nl; r++) {
        long sample = r / l, p = r % l;
        for (long co = 0; co < octets; co++) {
            // Element r·o + c (c = 8·co + m) is half m & 1 of word m >> 1 of block (r·o + c) / 8.
            uint64_t block = (uint64_t)r * (uint64_t)octets + (uint64_t)co;
            uint32_t words[4] = {(uint32_t)block, (uint32_t)(block >> 32), domain, 0};
            philox_block(words, k0, k1);
            for (int m = 0; m < 8; m++) {
                long c = 8 * co + m;
                float u = rounding_uniform(words[m >> 1], m & 1);
                uint8_t code = round_one(g[(sample * o + c) * l + p], u, z[c], s[c], cc[c], top);
                packed[packed_at(r, c, kp, np)] = (int8_t)(code ^ 0x80);
                colsum[c] += (int32_t)code - 128;
            }
        }
    }
}

#ifdef FQT_X86
// Lane j of a 16-row tile is row r0 + j; one Philox call per channel octet gives the uniforms of
// 8 channels × 16 rows (element r·o + c lives in block r·o/8 + c/8, half c mod 2 of word
// (c mod 8)/2), so G is read along its pixels and no transposed copy exists.
static FQT_AVX512 void wgrad_codes_avx512(const float *g, long n, long o, long l, const float *z, const float *s, const float *cc,
                                          float top, uint32_t k0, uint32_t k1, uint32_t domain, int8_t *packed, int32_t *colsum,
                                          __m512i *sums) {
    long nl = n * l, kp = round_up(nl, 4), np = round_up(o, 16), octets = o / 8;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i flip = _mm512_set1_epi32(0x80), bias = _mm512_set1_epi32(128);
    const __m512 vtop = _mm512_set1_ps(top);
    for (long c = 0; c < o; c++) sums[c] = _mm512_setzero_si512();
    int32_t index[16];
    for (long r0 = 0; r0 < nl; r0 += 16) {
        long rows = nl - r0 < 16 ? nl - r0 : 16;
        __mmask16 mask = rows == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rows) - 1);
        long s0 = r0 / l, p0 = r0 % l;
        int contiguous = p0 + rows <= l;
        __m512i base = _mm512_setzero_si512();
        if (!contiguous) {
            for (int j = 0; j < 16; j++) {
                long r = r0 + j < nl ? r0 + j : nl - 1;
                index[j] = (int32_t)((r / l) * o * l + r % l);
            }
            base = _mm512_loadu_si512(index);
        }
        const __m512i rowblock = _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32((int)r0), lane), _mm512_set1_epi32((int)octets));
        const float *tile = g + s0 * o * l + p0;
        long groups = (rows + 3) / 4;
        for (long co = 0; co < octets; co += 2) {
            int pair = co + 1 < octets;
            __m512i words[2][4];
            for (int t = 0; t < 2; t++) {
                words[t][0] = _mm512_add_epi32(rowblock, _mm512_set1_epi32((int)(co + t)));
                words[t][1] = _mm512_setzero_si512();
                words[t][2] = _mm512_set1_epi32((int)domain);
                words[t][3] = _mm512_setzero_si512();
            }
            if (pair) philox16x2(words[0], words[1], k0, k1);
            else philox16(&words[0][0], &words[0][1], &words[0][2], &words[0][3], k0, k1);
            for (int t = 0; t <= pair; t++) {
                for (int half = 0; half < 2; half++) {
                    long quad = 2 * (co + t) + half;
                    __m128i bytes[4];
                    for (int q = 0; q < 4; q++) {
                        // Channel 4·quad + q = 8·octet + m, m = 4·half + q: word m >> 1, half m & 1.
                        long c = 4 * quad + q;
                        __m512i w = words[t][2 * half + (q >> 1)];
                        __m512 u = (q & 1) ? rounding_uniforms_high(w) : rounding_uniforms_low(w);
                        __m512 x = contiguous ? _mm512_maskz_loadu_ps(mask, tile + c * l)
                                              : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, _mm512_add_epi32(base, _mm512_set1_epi32((int)(c * l))), g, 4);
                        __m512i code = round16(x, u, _mm512_set1_ps(z[c]), _mm512_set1_ps(s[c]), _mm512_set1_ps(cc[c]), vtop);
                        sums[c] = _mm512_add_epi32(sums[c], _mm512_maskz_sub_epi32(mask, code, bias));
                        bytes[q] = _mm512_cvtepi32_epi8(_mm512_maskz_xor_epi32(mask, code, flip));
                    }
                    // Dword t of bytes[q] is rows r0 + 4t … + 3 of channel 4·quad + q; the packed layout
                    // wants the four channels' dwords of one 4-row group side by side: a 4×4 dword transpose.
                    __m128i a01 = _mm_unpacklo_epi32(bytes[0], bytes[1]), a23 = _mm_unpacklo_epi32(bytes[2], bytes[3]);
                    __m128i b01 = _mm_unpackhi_epi32(bytes[0], bytes[1]), b23 = _mm_unpackhi_epi32(bytes[2], bytes[3]);
                    __m128i out[4] = {_mm_unpacklo_epi64(a01, a23), _mm_unpackhi_epi64(a01, a23), _mm_unpacklo_epi64(b01, b23), _mm_unpackhi_epi64(b01, b23)};
                    for (long gi = 0; gi < groups; gi++) _mm_storeu_si128((__m128i *)(packed + packed_at(r0 + 4 * gi, 4 * quad, kp, np)), out[gi]);
                }
            }
        }
    }
    for (long c = 0; c < o; c++) colsum[c] = _mm512_reduce_add_epi32(sums[c]);
}
#endif

int foedus_fqt_wgrad_codes(const float *g, long n, long o, long l, const float *z, const float *s, const float *cc, float top,
                           uint32_t k0, uint32_t k1, uint32_t domain, int8_t *packed, int32_t *colsum, int vectorized) {
    long nl = n * l;
    // Both paths write every byte of the n·l × o matrix; only padding needs zeros.
    if (o % 16 != 0 || nl % 4 != 0) memset(packed, 0, (size_t)(round_up(nl, 4) * round_up(o, 16)));
    memset(colsum, 0, (size_t)o * sizeof(int32_t));
    if (o % 8 != 0) return -1;
#ifdef FQT_X86
    // Lane arithmetic is 32-bit: block indices and gather offsets must fit.
    if (vectorized && fqt_has_avx512() && (uint64_t)nl * (uint64_t)(o / 8) < (1ull << 32) && (uint64_t)n * o * l < (1ull << 31)) {
        __m512i *sums = (__m512i *)aligned_alloc(64, (size_t)(o > 0 ? o : 1) * sizeof(__m512i));
        if (!sums) return -2;
        wgrad_codes_avx512(g, n, o, l, z, s, cc, top, k0, k1, domain, packed, colsum, sums);
        free(sums);
        return 0;
    }
#endif
    (void)vectorized;
    wgrad_codes_scalar(g, n, o, l, z, s, cc, top, k0, k1, domain, packed, colsum);
    return 0;
}

// One sample's input-gradient codes: v = (g[r·l + j]·steps[r] − z)·s + c rounded with u[r·l + j],
// written as code − 128 into the packed layout of the [o, l] matrix (rows r = channels, columns
// j = pixels) with colsum[j] = Σ_r (code − 128): the scaling, foedus_fqt_round_codes and
// foedus_i8_pack_b_flip of the unfused path in one pass.
static void ingrad_codes_scalar(const float *g, long o, long l, const float *steps, const float *u, float z, float s, float c, float top,
                                int8_t *packed, int32_t *colsum) {
    long kp = round_up(o, 4), np = round_up(l, 16);
    memset(packed, 0, (size_t)(kp * np));
    memset(colsum, 0, (size_t)l * sizeof(int32_t));
    for (long r = 0; r < o; r++) {
        for (long j = 0; j < l; j++) {
            float x = g[r * l + j] * steps[r];
            uint8_t code = round_one(x, u[r * l + j], z, s, c, top);
            packed[packed_at(r, j, kp, np)] = (int8_t)(code ^ 0x80);
            colsum[j] += (int32_t)code - 128;
        }
    }
}

#ifdef FQT_X86
// Four channel rows × 16 pixels per 64-byte store (byte q of dword j = row 4g + q, pixel j), as
// pack_b_rows_avx512 lays them out; the column sums ride along in registers per 64-pixel panel.
static FQT_AVX512 void ingrad_codes_avx512(const float *g, long o, long l, const float *steps, const float *u, float z, float s, float c,
                                           float top, int8_t *packed, int32_t *colsum) {
    long kp = round_up(o, 4), np = round_up(l, 16);
    const __m512 vz = _mm512_set1_ps(z), vs = _mm512_set1_ps(s), vc = _mm512_set1_ps(c), vtop = _mm512_set1_ps(top);
    const __m512i bias = _mm512_set1_epi32(128), low = _mm512_set1_epi32(0xFF);
    for (long p0 = 0; p0 < np; p0 += 64) {
        long w = np - p0 < 64 ? np - p0 : 64;
        int chunks = (int)(w / 16);
        int8_t *panel = packed + p0 * kp;
        __m512i sums[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
        __mmask16 masks[4];
        for (int ch = 0; ch < chunks; ch++) {
            long left = l - (p0 + 16 * ch);
            masks[ch] = left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
        }
        for (long gr = 0; gr < kp / 4; gr++) {
            for (int ch = 0; ch < chunks; ch++) {
                __m512i lanes[4];
                for (int q = 0; q < 4; q++) {
                    long r = 4 * gr + q;
                    __mmask16 m = r < o ? masks[ch] : (__mmask16)0;
                    long at = (r < o ? r : 0) * l + p0 + 16 * ch;
                    __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + at), _mm512_set1_ps(r < o ? steps[r] : 0.0f));
                    __m512i code = round16(x, _mm512_maskz_loadu_ps(m, u + at), vz, vs, vc, vtop);
                    // Padding rows and columns are byte 0 and add nothing to the sums.
                    lanes[q] = _mm512_maskz_sub_epi32(m, code, bias);
                }
                sums[ch] = _mm512_add_epi32(sums[ch], _mm512_add_epi32(_mm512_add_epi32(lanes[0], lanes[1]), _mm512_add_epi32(lanes[2], lanes[3])));
                __m512i word = _mm512_or_si512(
                    _mm512_or_si512(_mm512_and_si512(lanes[0], low), _mm512_slli_epi32(_mm512_and_si512(lanes[1], low), 8)),
                    _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(lanes[2], low), 16), _mm512_slli_epi32(lanes[3], 24)));
                _mm512_storeu_si512((void *)(panel + (gr * w + 16 * ch) * 4), word);
            }
        }
        for (int ch = 0; ch < chunks; ch++) _mm512_mask_storeu_epi32(colsum + p0 + 16 * ch, masks[ch], sums[ch]);
    }
}
#endif

void foedus_fqt_ingrad_codes(const float *g, long o, long l, const float *steps, const float *u, float z, float s, float c, float top,
                             int8_t *packed, int32_t *colsum, int vectorized) {
#ifdef FQT_X86
    if (vectorized && fqt_has_avx512()) { ingrad_codes_avx512(g, o, l, steps, u, z, s, c, top, packed, colsum); return; }
#endif
    (void)vectorized;
    ingrad_codes_scalar(g, o, l, steps, u, z, s, c, top, packed, colsum);
}

#ifdef FQT_X86
static FQT_AVX512 void wgrad_rows_avx512(const int32_t *acc, long o, long k, const int32_t *correction, const double *asums,
                                         const double *st, const double *centre, double dx, float *out) {
    const __m512d vdx = _mm512_set1_pd(dx);
    for (long oc = 0; oc < o; oc++) {
        const __m512d vst = _mm512_set1_pd(st[oc]), vcentre = _mm512_set1_pd(centre[oc]);
        const __m256i vcorr = _mm256_set1_epi32(correction[oc]);
        const int32_t *src = acc + oc * k;
        float *dst = out + oc * k;
        for (long kk = 0; kk < k; kk += 8) {
            __mmask8 m = k - kk >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (k - kk)) - 1);
            __m256i total = _mm256_add_epi32(_mm256_maskz_loadu_epi32(m, src + kk), vcorr);
            __m512d a = _mm512_mul_pd(vst, _mm512_cvtepi32_pd(total));
            __m512d b = _mm512_mul_pd(vcentre, _mm512_maskz_loadu_pd(m, asums + kk));
            __m512d v = _mm512_mul_pd(vdx, _mm512_add_pd(a, b));
            _mm256_mask_storeu_ps(dst + kk, m, _mm512_cvtpd_ps(v));
        }
    }
}
#endif

void foedus_fqt_wgrad_rows(const int32_t *acc, long o, long k, const int32_t *correction, const double *asums,
                           const double *st, const double *centre, double dx, float *out, int vectorized) {
#ifdef FQT_X86
    if (vectorized && fqt_has_avx512()) { wgrad_rows_avx512(acc, o, k, correction, asums, st, centre, dx, out); return; }
#endif
    (void)vectorized;
    for (long oc = 0; oc < o; oc++) {
        for (long kk = 0; kk < k; kk++) {
            double total = (double)(int32_t)((uint32_t)acc[oc * k + kk] + (uint32_t)correction[oc]);
            double a = st[oc] * total;
            double b = centre[oc] * asums[kk];
            out[oc * k + kk] = (float)(dx * (a + b));
        }
    }
}

#ifdef FQT_X86
static FQT_AVX512 void forward_rows_avx512(const int32_t *acc, long o, long samples, long l, const int32_t *correction,
                                           const float *scale, const float *bias, float *y) {
    long width = samples * l;
    for (long oc = 0; oc < o; oc++) {
        const __m512i vcorr = _mm512_set1_epi32(correction[oc]);
        const __m512 vscale = _mm512_set1_ps(scale[oc]), vbias = _mm512_set1_ps(bias ? bias[oc] : 0.0f);
        for (long s = 0; s < samples; s++) {
            const int32_t *src = acc + oc * width + s * l;
            float *dst = y + (s * o + oc) * l;
            for (long p = 0; p < l; p += 16) {
                __mmask16 m = l - p >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (l - p)) - 1);
                __m512 v = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_maskz_loadu_epi32(m, src + p), vcorr));
                _mm512_mask_storeu_ps(dst + p, m, _mm512_add_ps(_mm512_mul_ps(v, vscale), vbias));
            }
        }
    }
}
#endif

void foedus_fqt_forward_rows(const int32_t *acc, long o, long samples, long l, const int32_t *correction,
                             const float *scale, const float *bias, float *y, int vectorized) {
#ifdef FQT_X86
    if (vectorized && fqt_has_avx512()) { forward_rows_avx512(acc, o, samples, l, correction, scale, bias, y); return; }
#endif
    (void)vectorized;
    long width = samples * l;
    for (long oc = 0; oc < o; oc++) {
        float b = bias ? bias[oc] : 0.0f;
        for (long s = 0; s < samples; s++) {
            const int32_t *src = acc + oc * width + s * l;
            float *dst = y + (s * o + oc) * l;
            for (long p = 0; p < l; p++) {
                float v = (float)(int32_t)((uint32_t)src[p] + (uint32_t)correction[oc]) * scale[oc];
                dst[p] = v + b;
            }
        }
    }
}

#ifdef FQT_X86
static FQT_AVX512 int64_t row_sum_avx512(const int8_t *row, long count) {
    // Σ (x ^ 0x80) as unsigned bytes with vpsadbw, then − 128 per byte.
    const __m512i flip = _mm512_set1_epi8((char)0x80), zero = _mm512_setzero_si512();
    __m512i acc = _mm512_setzero_si512();
    long j = 0;
    for (; j + 64 <= count; j += 64) acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512((const void *)(row + j)), flip), zero));
    if (j < count) {
        __mmask64 m = (__mmask64)((1ull << (count - j)) - 1);
        // Masked-off bytes load as 0 and flip to 0x80: subtract them with the rest below.
        acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_xor_si512(_mm512_maskz_loadu_epi8(m, row + j), flip), zero));
        j += 64;
    }
    return _mm512_reduce_add_epi64(acc) - 128 * (int64_t)j;
}
#endif

void foedus_fqt_row_sums(const int8_t *rows, long count, long length, long stride, int64_t *sums, int vectorized) {
#ifdef FQT_X86
    if (vectorized && fqt_has_avx512()) {
        for (long r = 0; r < count; r++) sums[r] = row_sum_avx512(rows + r * stride, length);
        return;
    }
#endif
    (void)vectorized;
    for (long r = 0; r < count; r++) {
        int64_t s = 0;
        for (long j = 0; j < length; j++) s += rows[r * stride + j];
        sums[r] = s;
    }
}
