// AVX-512 lanes of the dyadic requantization, shared by integer_requant.c and the GEMM's fused
// epilogue (integer_gemm.c). Private to CFoedusKernels.
#ifndef FOEDUS_REQUANT_SIMD_H
#define FOEDUS_REQUANT_SIMD_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
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

// requant16_i32 when every shift c is in [32, 63] (a ratio below 1/2 as a 31-bit dyadic) and
// the clamp bounds minus the zero point fit in int32: floor((acc·b + 2^(c−1)) / 2^c) is
// floor(floor(t / 2^32) / 2^(c−32)), and t / 2^32 (|·| < 2^31) is the high dword of each 64-bit
// product, already in the odd lanes for the odd products. One 32-bit shift and clamp for 16 lanes
// instead of two 64-bit ones. bo = bv >> 32 (per 64-bit lane), re / ro = 2^(c−1) of the even /
// odd lanes as 64-bit, sh = c − 32, lo32 / hi32 = bounds − zero.
static inline __attribute__((always_inline)) RQ_TARGET __m512i
requant16_i32_high(__m512i acc, __m512i bv, __m512i bo, __m512i re, __m512i ro, __m512i sh, __m512i zero, __m512i lo32, __m512i hi32) {
    const __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(acc, bv), re);
    const __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), bo), ro);
    __m512i r = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po);
    r = _mm512_srav_epi32(r, sh);
    r = _mm512_max_epi32(_mm512_min_epi32(r, hi32), lo32);
    return _mm512_add_epi32(r, zero);
}

// requant16_i32_high when every shift c is in [33, 63]: 2^(c−1) is then a multiple of 2^32, so
// floor((t + 2^(c−1)) / 2^32) = floor(t / 2^32) + 2^(c−33) and the rounding term is a 32-bit add
// after the high dwords are taken (one permute gathers them from the even and odd products).
// No overflow: |t| < 2^62 puts floor(t / 2^32) in [−2^30, 2^30), and 2^(c−33) ≤ 2^30.
// rnd = 2^(c−33) as int32 lanes, sh = c − 32.
// floor((acc·b + 2^(c−1)) / 2^c) alone: requant16_i32_high33 before its clamp and zero point.
static inline __attribute__((always_inline)) RQ_TARGET __m512i requant16_raw_high33(__m512i acc, __m512i bv, __m512i bo, __m512i rnd, __m512i sh) {
    const __m512i odd = _mm512_set_epi32(31, 15, 29, 13, 27, 11, 25, 9, 23, 7, 21, 5, 19, 3, 17, 1);
    const __m512i pe = _mm512_mul_epi32(acc, bv), po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), bo);
    return _mm512_srav_epi32(_mm512_add_epi32(_mm512_permutex2var_epi32(pe, odd, po), rnd), sh);
}

static inline __attribute__((always_inline)) RQ_TARGET __m512i
requant16_i32_high33(__m512i acc, __m512i bv, __m512i bo, __m512i rnd, __m512i sh, __m512i zero, __m512i lo32, __m512i hi32) {
    const __m512i r = requant16_raw_high33(acc, bv, bo, rnd, sh);
    return _mm512_add_epi32(_mm512_max_epi32(_mm512_min_epi32(r, hi32), lo32), zero);
}

// The cheapest requant16_* form that gives requant16_i32's results for these n columns (shifts
// `rc`) and clamp [lo, hi] with zero point `zero`: 2 requant16_i32_high33, 1 requant16_i32_high,
// 0 requant16_i32.
static inline int requant_high_form(const int32_t *rc, long n, int32_t zero, int32_t lo, int32_t hi) {
    const int64_t l = (int64_t)lo - zero, h = (int64_t)hi - zero;
    if (l < INT32_MIN || h > INT32_MAX) return 0;
    int form = 2;
    for (long j = 0; j < n; j++) {
        if (rc[j] < 32 || rc[j] > 63) return 0;
        if (rc[j] == 32) form = 1;
    }
    return form;
}

// The zero point and clamp bounds of an epilogue as lanes, for both forms.
typedef struct {
    __m512i zero, lo64, hi64, lo32, hi32;
} requant_bounds16;

static inline __attribute__((always_inline)) RQ_TARGET requant_bounds16 requant_bounds16_set(int32_t zero, int32_t lo, int32_t hi) {
    const requant_bounds16 q = {_mm512_set1_epi32(zero), _mm512_set1_epi64((int64_t)lo - zero), _mm512_set1_epi64((int64_t)hi - zero),
                                _mm512_set1_epi32(lo - zero), _mm512_set1_epi32(hi - zero)};
    return q;
}

// 16 columns' multipliers and shifts with the high form's per-column constants, loaded once per
// column block (outside the row loop). Masked-off columns get b = 0 and a shift of 33, 32 or 1:
// any value, never stored.
typedef struct {
    __m512i b, c, bo, sh, re, ro, rnd;
} requant_columns16;

static inline __attribute__((always_inline)) RQ_TARGET requant_columns16
requant_columns16_load(const int32_t *b, const int32_t *c, __mmask16 mask, int high) {
    const __m512i one64 = _mm512_set1_epi64(1), low32 = _mm512_set1_epi64(0xFFFFFFFFLL), c32 = _mm512_set1_epi32(32);
    requant_columns16 k;
    if (high == 2) {
        // Masked-off columns: shift 33, any value, never stored.
        k.b = _mm512_maskz_loadu_epi32(mask, b);
        k.c = _mm512_mask_loadu_epi32(_mm512_set1_epi32(33), mask, c);
        k.bo = _mm512_srli_epi64(k.b, 32);
        k.sh = _mm512_sub_epi32(k.c, c32);
        k.rnd = _mm512_sllv_epi32(_mm512_set1_epi32(1), _mm512_sub_epi32(k.c, _mm512_set1_epi32(33)));
        k.re = k.ro = k.rnd;
        return k;
    }
    k.b = _mm512_maskz_loadu_epi32(mask, b);
    k.c = _mm512_mask_loadu_epi32(high ? c32 : _mm512_set1_epi32(1), mask, c);
    k.bo = _mm512_srli_epi64(k.b, 32);
    k.sh = _mm512_sub_epi32(k.c, c32);
    k.re = _mm512_sllv_epi64(one64, _mm512_sub_epi64(_mm512_and_si512(k.c, low32), one64));
    k.ro = _mm512_sllv_epi64(one64, _mm512_sub_epi64(_mm512_srli_epi64(k.c, 32), one64));
    k.rnd = k.re;
    return k;
}

// One row of 16 columns in the form `high` selects (requant_high_form).
static inline __attribute__((always_inline)) RQ_TARGET __m512i
requant16_columns(__m512i acc, const requant_columns16 *k, const requant_bounds16 *q, int high) {
    if (high == 2) return requant16_i32_high33(acc, k->b, k->bo, k->rnd, k->sh, q->zero, q->lo32, q->hi32);
    return high ? requant16_i32_high(acc, k->b, k->bo, k->re, k->ro, k->sh, q->zero, q->lo32, q->hi32)
                : requant16_i32(acc, k->b, k->c, q->zero, q->lo64, q->hi64);
}

static inline __attribute__((always_inline)) RQ_TARGET __m128i
requant16(__m512i acc, __m512i bv, __m512i cv, __m512i zero, __m512i lo64, __m512i hi64) {
    return _mm512_cvtepi32_epi8(requant16_i32(acc, bv, cv, zero, lo64, hi64));
}
// Byte outputs through saturating packs: four vectors of int32 become 64 bytes with two
// vpackssdw, two vpaddsw (a zero point), one vpackuswb / vpacksswb and one vpermd, where
// vpmovdb costs two shuffle uops per vector. Saturation gives clamp(r + zero, 0, 255) (or
// −128 … 127) exactly while |zero| ≤ 2^14: an r beyond int16 stays beyond the byte range after
// the zero point is added. The byte min/max then clamp to [lo, hi] inside that range.
typedef struct {
    __m512i zero16, lo8, hi8; // zero point as int16 lanes (0 when the values carry it already), bounds as bytes
    __mmask64 cols;           // the columns of one row of bytes (at most 64)
    int sign;                 // vpacksswb and signed bounds, else vpackuswb
    int clamp;                // [lo, hi] is narrower than the packs' saturation range
    int whole;                // the columns fill their vectors (rows of 16·k bytes, no mask)
} requant_bytes;

// The zero point requant_pack4 adds to values requantized in form `form` (requant_high_form): the
// high33 form's raw values (requant16_raw_high33) have none yet; the other forms' have theirs.
static inline int32_t requant_pack_zero(int form, int32_t zero) { return form == 2 ? zero : 0; }

// 1 (signed) or 0 (unsigned) when bytes clamped to [lo, hi] with zero point `zero` can go through
// requant_pack4, −1 otherwise.
static inline int requant_bytes_sign(int32_t zero, int32_t lo, int32_t hi) {
    if (zero < -16384 || zero > 16384 || lo > hi) return -1;
    if (lo >= 0 && hi <= 255) return 0;
    if (lo >= -128 && hi <= 127) return 1;
    return -1;
}

static inline __attribute__((always_inline)) RQ_TARGET requant_bytes
requant_bytes_set(int32_t zero, int32_t lo, int32_t hi, int sign, long ncols) {
    requant_bytes p;
    p.zero16 = _mm512_set1_epi16((int16_t)zero);
    p.lo8 = _mm512_set1_epi8((char)lo);
    p.hi8 = _mm512_set1_epi8((char)hi);
    p.cols = ncols >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << ncols) - 1);
    p.sign = sign;
    p.clamp = sign ? lo > -128 || hi < 127 : lo > 0 || hi < 255;
    p.whole = ncols % 16 == 0;
    return p;
}

// v0 | v1 | v2 | v3 as 64 bytes: the packs interleave per 128-bit lane, the permute undoes it.
static inline __attribute__((always_inline)) RQ_TARGET __m512i
requant_pack4(__m512i v0, __m512i v1, __m512i v2, __m512i v3, const requant_bytes *p) {
    const __m512i order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(v0, v1), p->zero16);
    const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(v2, v3), p->zero16);
    if (p->sign) {
        const __m512i q = _mm512_permutexvar_epi32(order, _mm512_packs_epi16(p01, p23));
        return p->clamp ? _mm512_min_epi8(_mm512_max_epi8(q, p->lo8), p->hi8) : q;
    }
    const __m512i q = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(p01, p23));
    return p->clamp ? _mm512_min_epu8(_mm512_max_epu8(q, p->lo8), p->hi8) : q;
}

// A pack of rows of `width` bytes (32: two rows, 16: four; row s is bytes [width·s, width·(s + 1))
// of q) at out, out + ldo, …, its first `valid` rows. Contiguous whole rows take one store;
// otherwise each row is extracted and stored under the column mask.
static inline __attribute__((always_inline)) RQ_TARGET void
requant_store_rows(__m512i q, uint8_t *out, long ldo, int valid, const int width, const requant_bytes *p) {
    if (valid >= 64 / width && ldo == width && p->whole) {
        _mm512_storeu_si512((void *)out, q);
        return;
    }
    if (width == 32) {
        _mm256_mask_storeu_epi8(out, (__mmask32)p->cols, _mm512_castsi512_si256(q));
        if (valid > 1) _mm256_mask_storeu_epi8(out + ldo, (__mmask32)p->cols, _mm512_extracti64x4_epi64(q, 1));
        return;
    }
    _mm_mask_storeu_epi8(out, (__mmask16)p->cols, _mm512_castsi512_si128(q));
    if (valid > 1) _mm_mask_storeu_epi8(out + ldo, (__mmask16)p->cols, _mm512_extracti32x4_epi32(q, 1));
    if (valid > 2) _mm_mask_storeu_epi8(out + 2 * ldo, (__mmask16)p->cols, _mm512_extracti32x4_epi32(q, 2));
    if (valid > 3) _mm_mask_storeu_epi8(out + 3 * ldo, (__mmask16)p->cols, _mm512_extracti32x4_epi32(q, 3));
}
#endif
#endif
