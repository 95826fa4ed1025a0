#include <stdlib.h>
#include <string.h>
#include "CFoedusInteger.h"
#include "integer_gemm_amx.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define FOEDUS_X86 1
#include "requant_simd.h"
#endif

#define PANEL 64

static long roundup(long x, long m) { return (x + m - 1) / m * m; }

int foedus_int_backend(int requested) {
#ifdef FOEDUS_X86
    static int best = 0;
    if (best == 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) best = FOEDUS_INT_VNNI;
        else if (__builtin_cpu_supports("avx2")) best = FOEDUS_INT_AVX2;
        else best = FOEDUS_INT_SCALAR;
    }
    if (requested <= 0 || requested > best) return best;
    return requested;
#else
    (void)requested;
    return FOEDUS_INT_SCALAR;
#endif
}

long foedus_i8_packed_size(long k, long n) { return roundup(k, 4) * roundup(n, 16); }

// The scalar reference of foedus_i8_pack_b_flip (and the path for strided or non-VNNI B).
void foedus_i8_pack_b_scalar(const int8_t *b, long stride_k, long stride_n, long k, long n, uint8_t flip,
                             int8_t *packed, int32_t *colsum) {
    long kp = roundup(k, 4), np = roundup(n, 16);
    memset(packed, 0, (size_t)(kp * np));
    for (long p0 = 0; p0 < np; p0 += PANEL) {
        long w = np - p0 < PANEL ? np - p0 : PANEL;
        int8_t *panel = packed + p0 * kp;
        for (long kk = 0; kk < k; kk++) {
            int8_t *row = panel + (kk / 4) * w * 4 + (kk % 4);
            for (long j = 0; j < w && p0 + j < n; j++) row[j * 4] = (int8_t)((uint8_t)b[kk * stride_k + (p0 + j) * stride_n] ^ flip);
        }
    }
    // Walk B along its contiguous dimension: column by column over a row-major [K, N] B
    // reads K cache lines per column (a 12544-wide B made the sums cost more than the GEMM).
    if (stride_n <= stride_k) {
        memset(colsum, 0, (size_t)n * sizeof(int32_t));
        for (long kk = 0; kk < k; kk++) {
            const int8_t *row = b + kk * stride_k;
            for (long j = 0; j < n; j++) colsum[j] += (int8_t)((uint8_t)row[j * stride_n] ^ flip);
        }
    } else {
        for (long j = 0; j < n; j++) {
            int32_t s = 0;
            for (long kk = 0; kk < k; kk++) s += (int8_t)((uint8_t)b[kk * stride_k + j * stride_n] ^ flip);
            colsum[j] = s;
        }
    }
}

#ifdef FOEDUS_X86
// Row-major B (stride_n = 1): four rows of 16 columns become one 64-byte store of the packed
// layout (byte q of dword j = row 4g + q, column j), the column sums ride along in registers.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void pack_b_rows_avx512(const int8_t *b, long stride_k, long k, long n, uint8_t flip, int8_t *packed, int32_t *colsum) {
    long kp = roundup(k, 4), np = roundup(n, 16);
    const __m128i vflip = _mm_set1_epi8((char)flip);
    const __m512i low = _mm512_set1_epi32(0xFF);
    for (long p0 = 0; p0 < np; p0 += PANEL) {
        long w = np - p0 < PANEL ? np - p0 : PANEL;
        int chunks = (int)(w / 16);
        int8_t *panel = packed + p0 * kp;
        __m512i sums[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
        __mmask16 masks[4];
        for (int c = 0; c < chunks; c++) {
            long left = n - (p0 + 16 * c);
            masks[c] = left >= 16 ? (__mmask16)0xFFFF : (left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1));
        }
        for (long g = 0; g < kp / 4; g++) {
            for (int c = 0; c < chunks; c++) {
                __m512i lanes[4];
                for (int q = 0; q < 4; q++) {
                    long kk = 4 * g + q;
                    __m128i bytes = _mm_setzero_si128();
                    if (kk < k) bytes = _mm_xor_si128(_mm_maskz_loadu_epi8(masks[c], b + kk * stride_k + p0 + 16 * c), vflip);
                    // Masked-off columns must stay 0 after the flip.
                    bytes = _mm_maskz_mov_epi8(kk < k ? masks[c] : 0, bytes);
                    lanes[q] = _mm512_cvtepi8_epi32(bytes);
                }
                sums[c] = _mm512_add_epi32(sums[c], _mm512_add_epi32(_mm512_add_epi32(lanes[0], lanes[1]), _mm512_add_epi32(lanes[2], lanes[3])));
                __m512i word = _mm512_or_si512(
                    _mm512_or_si512(_mm512_and_si512(lanes[0], low), _mm512_slli_epi32(_mm512_and_si512(lanes[1], low), 8)),
                    _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(lanes[2], low), 16), _mm512_slli_epi32(lanes[3], 24)));
                _mm512_storeu_si512((void *)(panel + (g * w + 16 * c) * 4), word);
            }
        }
        for (int c = 0; c < chunks; c++) _mm512_mask_storeu_epi32(colsum + p0 + 16 * c, masks[c], sums[c]);
    }
}
#endif

void foedus_i8_pack_b_flip(const int8_t *b, long stride_k, long stride_n, long k, long n, uint8_t flip,
                           int8_t *packed, int32_t *colsum) {
#ifdef FOEDUS_X86
    if (stride_n == 1 && foedus_int_backend(FOEDUS_INT_AUTO) == FOEDUS_INT_VNNI) {
        pack_b_rows_avx512(b, stride_k, k, n, flip, packed, colsum);
        return;
    }
#endif
    foedus_i8_pack_b_scalar(b, stride_k, stride_n, k, n, flip, packed, colsum);
}

void foedus_i8_pack_b(const int8_t *b, long stride_k, long stride_n, long k, long n,
                      int8_t *packed, int32_t *colsum) {
    foedus_i8_pack_b_flip(b, stride_k, stride_n, k, n, 0, packed, colsum);
}

// The A operand of one tile: 4 consecutive k-values of a row as one little-endian word; the
// tail group (K mod 4 values) is zero-filled so nothing past the row end is read.
static inline __attribute__((always_inline)) int32_t a_word(const uint8_t *row, long g, long kfull, long ktail) {
    int32_t v = 0;
    if (g < kfull) memcpy(&v, row + 4 * g, 4);
    else memcpy(&v, row + 4 * g, (size_t)ktail);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Scalar backend (on the packed layout).

static void panel_scalar(const uint8_t *a, long lda, const int8_t *panel, long w, long k,
                         long m, long ncols, const int32_t *off, int32_t *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < ncols; j++) {
            uint32_t s = 0;
            for (long kk = 0; kk < k; kk++)
                s += (uint32_t)((int32_t)a[i * lda + kk] * (int32_t)panel[((kk / 4) * w + j) * 4 + kk % 4]);
            c[i * ldc + j] = (int32_t)(s + (uint32_t)off[j]);
        }
    }
}

#ifdef FOEDUS_X86
// ---------------------------------------------------------------------------------------------
// AVX-512 VNNI backend: MR rows × NV·16 columns of int32 accumulators, vpdpbusd per k-group.
// vpdpbusd (non-saturating) adds four u8·s8 products (|·| ≤ 4·255·128) to each lane: exact.

// The fused requantizing epilogue: after the last K block, column j of a tile becomes
// clamp(zero + dyadic_j(acc)) as bytes in `out` (the foedus_requant_cols arithmetic) instead of
// int32 in C. Earlier K blocks still keep their partial sums in C.
typedef struct {
    const int32_t *b, *c;
    int32_t zero, lo, hi;
    uint8_t *out;
    int32_t *out32;  // when set: int32 outputs here (may alias C) instead of bytes in `out`
    long ldo;
} requant_epilogue;

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define VNNI_MR 6
#define VNNI_KC 256
// A K of up to this many values runs as one block: a convolution's K = 9·C (288 for 32 channels)
// then needs no partial sums in C between blocks (its B panel, 64·K bytes, still fits L1).
#define VNNI_KC_SINGLE 384
#define VNNI_INDIRECT_MAX_N 16
#define VNNI_MC_TILES 32

typedef int32_t unaligned_i32 __attribute__((aligned(1), may_alias));

// Packed mode (`indirect` 0): A words come from the packed stream `ap`. Indirect mode (1, a
// convolution): row r's words of tap t are read in place at rowp[t·MR + r] (an image pixel or a
// run of pad bytes), cgw words per tap, with no packing pass.
static inline __attribute__((always_inline)) VNNI_TARGET void
vnni_tile(const int32_t *ap, const uint8_t *const *rowp, long ntaps, long cgw, const int8_t *panel, long w, long groups,
          const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi,
          const int mr, const int nv, const int indirect) {
    // The first K block starts from the column offsets, later ones from the partial sums in C.
    __m512i acc[6][4];
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        __mmask16 mask = col >= ncols ? 0 : (ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1));
        __m512i o = _mm512_loadu_si512((const void *)(off + col));
        for (int r = 0; r < mr; r++)
            acc[r][v] = first ? o : _mm512_maskz_loadu_epi32(mask, c + r * ldc + col);
    }
    const int8_t *bg = panel;
    if (indirect) {
        for (long t = 0; t < ntaps; t++) {
            const uint8_t *rp[VNNI_MR];
            for (int r = 0; r < mr; r++) rp[r] = rowp[t * VNNI_MR + r];
            for (long q = 0; q < cgw; q++, bg += 4 * w) {
                __m512i bv[4];
                for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_si512((const void *)(bg + 64 * v));
                for (int r = 0; r < mr; r++) {
                    // A plain 32-bit load, so the broadcast reads memory (a load-port uop) instead
                    // of going through a general register (a shuffle-port uop beside vpdpbusd).
                    const __m512i av = _mm512_set1_epi32(*(const unaligned_i32 *)(rp[r] + 4 * q));
                    for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
                }
            }
        }
    } else {
        for (long g = 0; g < groups; g++, bg += 4 * w, ap += VNNI_MR) {
            __m512i bv[4];
            for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_si512((const void *)(bg + 64 * v));
            for (int r = 0; r < mr; r++) {
                __m512i av = _mm512_set1_epi32(ap[r]);
                for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
            }
        }
    }
    if (epi) {
        const __m512i zv = _mm512_set1_epi32(epi->zero), one32 = _mm512_set1_epi32(1);
        const __m512i lo64 = _mm512_set1_epi64((int64_t)epi->lo - epi->zero), hi64 = _mm512_set1_epi64((int64_t)epi->hi - epi->zero);
        for (int v = 0; v < nv; v++) {
            long col = 16 * v;
            if (col >= ncols) break;
            __mmask16 mask = ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1);
            const __m512i bv = _mm512_maskz_loadu_epi32(mask, epi->b + col);
            const __m512i cv = _mm512_mask_loadu_epi32(one32, mask, epi->c + col);
            for (int r = 0; r < mr; r++) {
                const __m512i q = requant16_i32(acc[r][v], bv, cv, zv, lo64, hi64);
                if (epi->out32) _mm512_mask_storeu_epi32(epi->out32 + r * epi->ldo + col, mask, q);
                else _mm_mask_storeu_epi8(epi->out + r * epi->ldo + col, mask, _mm512_cvtepi32_epi8(q));
            }
        }
        return;
    }
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        if (col >= ncols) break;
        __mmask16 mask = ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1);
        for (int r = 0; r < mr; r++) _mm512_mask_storeu_epi32(c + r * ldc + col, mask, acc[r][v]);
    }
}

#define VNNI_TILE_CASE(MR, NV, IND) vnni_tile(ap, rowp, ntaps, cgw, panel, w, groups, off, c, ldc, ncols, first, epi, MR, NV, IND)
#define VNNI_NV_SWITCH(MR, IND) switch (nv) { case 1: VNNI_TILE_CASE(MR, 1, IND); break; case 2: VNNI_TILE_CASE(MR, 2, IND); break; \
    case 3: VNNI_TILE_CASE(MR, 3, IND); break; default: VNNI_TILE_CASE(MR, 4, IND); break; }
#define VNNI_MR_SWITCH(IND) switch (mr) { case 1: VNNI_NV_SWITCH(1, IND) break; case 2: VNNI_NV_SWITCH(2, IND) break; \
    case 3: VNNI_NV_SWITCH(3, IND) break; case 4: VNNI_NV_SWITCH(4, IND) break; case 5: VNNI_NV_SWITCH(5, IND) break; \
    default: VNNI_NV_SWITCH(6, IND) break; }

// One row tile: packed A (`ap`) or, when `rowp` is set, the indirect rows of a convolution.
static VNNI_TARGET void
vnni_rows(const int32_t *ap, const uint8_t *const *rowp, long ntaps, long cgw, const int8_t *panel, long w, long groups,
          const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi, int mr) {
    int nv = (int)(w / 16);
    if (rowp) { VNNI_MR_SWITCH(1) } else { VNNI_MR_SWITCH(0) }
}

// Where A comes from: a row-major matrix, or (implicit im2col) the NHWC images of a convolution
// whose row i is output pixel i and whose k = (ky·kw + kx)·cg + c, as foedus_u8_im2col_nhwc lays
// out a row. The conv form needs cg % 4 == 0 so that each 4-byte word lies inside one tap. With
// few output columns its rows are read in place through a table of tap pointers (indirect GEMM):
// packing would cost as much as the product; with more columns packing pays for itself.
typedef struct {
    const uint8_t *a;
    long lda;
    const uint8_t *x;  // conv source when non-NULL
    long h, w, channels, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    uint8_t pad;
} a_source;

// Six rows × 16 words → the interleaved order of a packed tile (word g·6 + r = row r's word g):
// output vector j lane l takes word (16j + l)/6 of row (16j + l) mod 6, gathered by one masked
// permute per row. Tables generated for VNNI_MR = 6.
static const uint16_t interleave_masks[6][6] = {{0x1041, 0x2082, 0x4104, 0x8208, 0x0410, 0x0820}, {0x4104, 0x8208, 0x0410, 0x0820, 0x1041, 0x2082}, {0x0410, 0x0820, 0x1041, 0x2082, 0x4104, 0x8208}, {0x1041, 0x2082, 0x4104, 0x8208, 0x0410, 0x0820}, {0x4104, 0x8208, 0x0410, 0x0820, 0x1041, 0x2082}, {0x0410, 0x0820, 0x1041, 0x2082, 0x4104, 0x8208}};
static const int32_t interleave_index[6][6][16] = {
    {{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}},
    {{0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 5, 0}, {0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 5}, {0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0}, {2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0}, {0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0}},
    {{0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0}, {5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0, 0}, {0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0, 0}, {0, 0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7, 0}, {0, 0, 0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 7}},
    {{8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 10, 0, 0, 0}, {0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 10, 0, 0}, {0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 10, 0}, {0, 0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 10}, {0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0}},
    {{0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 13, 0}, {0, 0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 13}, {0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0}, {10, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0, 0}, {0, 10, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 12, 0, 0}},
    {{0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0}, {13, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15, 0, 0, 0}, {0, 13, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15, 0, 0}, {0, 0, 13, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15, 0}, {0, 0, 0, 13, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 15}}
};

static inline __attribute__((always_inline)) VNNI_TARGET void interleave6x16_vectors(const __m512i v[VNNI_MR], int32_t *out) {
    for (int j = 0; j < VNNI_MR; j++) {
        __m512i o = _mm512_setzero_si512();
        for (int r = 0; r < VNNI_MR; r++)
            o = _mm512_mask_permutexvar_epi32(o, interleave_masks[j][r], _mm512_loadu_si512((const void *)interleave_index[j][r]), v[r]);
        _mm512_storeu_si512((void *)(out + 16 * j), o);
    }
}

static VNNI_TARGET void interleave6x16(const uint8_t *const rows[VNNI_MR], uint32_t xor_mask, int32_t *out) {
    const __m512i flip = _mm512_set1_epi32((int32_t)xor_mask);
    __m512i v[VNNI_MR];
    for (int r = 0; r < VNNI_MR; r++) v[r] = _mm512_xor_si512(_mm512_loadu_si512((const void *)rows[r]), flip);
    interleave6x16_vectors(v, out);
}

// A whole tile of convolution rows, 16 words (64 bytes: 4, 2 or 1 taps of cg = 16, 32 or 64
// channels) at a time: each row's taps are loaded from its pixels (or the pad vector off the
// image) and interleaved as interleave6x16 does. Returns the words done (a multiple of 16).
static VNNI_TARGET long conv_tile_vector(const a_source *src, long t, long k0, long groups, int32_t *out) {
    const long wpt = src->cg / 4;  // words per tap
    if (wpt != 4 && wpt != 8 && wpt != 16) return 0;
    const long taps_per_chunk = 16 / wpt, pixels = src->oh * src->ow;
    const __m512i padv = _mm512_set1_epi8((char)src->pad);
    uint8_t padbuf[64];
    _mm512_storeu_si512((void *)padbuf, padv);
    long oy[VNNI_MR], ox[VNNI_MR];
    const uint8_t *image[VNNI_MR];
    for (int r = 0; r < VNNI_MR; r++) {
        const long i = t * VNNI_MR + r, n = i / pixels, p = i % pixels;
        oy[r] = p / src->ow;
        ox[r] = p % src->ow;
        image[r] = src->x + n * src->h * src->w * src->channels + src->c0;
    }
    long done = 0;
    for (long tap0 = k0 / src->cg; done + 16 <= groups; done += 16, tap0 += taps_per_chunk) {
        __m512i v[VNNI_MR];
        for (int r = 0; r < VNNI_MR; r++) {
            const uint8_t *at[4];
            for (long j = 0; j < taps_per_chunk; j++) {
                const long tap = tap0 + j, ky = tap / src->kw, kx = tap % src->kw;
                const long iy = oy[r] * src->sh - src->ph + ky * src->dh, ix = ox[r] * src->sw - src->pw + kx * src->dw;
                at[j] = (iy < 0 || iy >= src->h || ix < 0 || ix >= src->w) ? padbuf : image[r] + (iy * src->w + ix) * src->channels;
            }
            if (wpt == 16) {
                v[r] = _mm512_loadu_si512((const void *)at[0]);
            } else if (wpt == 8) {
                v[r] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)at[0])),
                                          _mm256_loadu_si256((const __m256i *)at[1]), 1);
            } else {
                __m512i x = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)at[0]));
                x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)at[1]), 1);
                x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)at[2]), 2);
                v[r] = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)at[3]), 3);
            }
        }
        interleave6x16_vectors(v, out + done * VNNI_MR);
    }
    return done;
}

// Tiles [t0, t1) of a K block of A, repacked so a row tile's broadcasts are one sequential stream:
// word ((t − t0)·groups + g)·MR + r holds A[t·MR + r][k0 + 4g ..< k0 + 4g + 4], zero-padded past K
// and M; signed A is flipped to A + 128 here (xor 0x80).
static VNNI_TARGET void pack_a_block(const a_source *src, long m, long t0, long t1, long k0, long kb, uint8_t flip, int32_t *ap) {
    long groups = (kb + 3) / 4;
    uint32_t mask = flip ? 0x80808080u : 0u;
    for (long t = t0; t < t1; t++) {
        // Whole tiles of a matrix: 16 groups of six rows at a time through the vector interleave.
        long vector_groups = 0;
        if (src->x && (t + 1) * VNNI_MR <= m) vector_groups = conv_tile_vector(src, t, k0, groups, ap + (t - t0) * groups * VNNI_MR);
        if (!src->x && (t + 1) * VNNI_MR <= m) {
            const uint8_t *rows[VNNI_MR];
            for (int r = 0; r < VNNI_MR; r++) rows[r] = src->a + (t * VNNI_MR + r) * src->lda + k0;
            for (; vector_groups + 16 <= kb / 4; vector_groups += 16) {
                interleave6x16(rows, mask, ap + (t - t0) * groups * VNNI_MR + vector_groups * VNNI_MR);
                for (int r = 0; r < VNNI_MR; r++) rows[r] += 64;
            }
        }
        for (int r = 0; r < VNNI_MR; r++) {
            long i = t * VNNI_MR + r;
            uint8_t *dst = (uint8_t *)(ap + (t - t0) * groups * VNNI_MR) + 4 * r;
            if (i >= m) { for (long g = 0; g < groups; g++) memset(dst + 4 * VNNI_MR * g, 0, 4); continue; }
            if (src->x) {
                // Output pixel i: its taps in this K block, cg/4 words each (pad words off the
                // image). The tap and channel advance incrementally (no division per tap).
                long pixels = src->oh * src->ow, n = i / pixels, p = i % pixels, oy = p / src->ow, ox = p % src->ow;
                const uint32_t padword = 0x01010101u * src->pad;
                const uint8_t *image = src->x + n * src->h * src->w * src->channels + src->c0;
                const long k = k0 + 4 * vector_groups;
                long tap = k / src->cg, c = k % src->cg, ky = tap / src->kw, kx = tap % src->kw;
                for (long g = vector_groups; g < groups; ) {
                    long iy = oy * src->sh - src->ph + ky * src->dh, ix = ox * src->sw - src->pw + kx * src->dw;
                    long words = (src->cg - c) / 4;
                    if (words > groups - g) words = groups - g;
                    if (iy < 0 || iy >= src->h || ix < 0 || ix >= src->w) {
                        for (long q = 0; q < words; q++, g++) memcpy(dst + 4 * VNNI_MR * g, &padword, 4);
                    } else {
                        const uint8_t *pix = image + (iy * src->w + ix) * src->channels + c;
                        for (long q = 0; q < words; q++, g++) memcpy(dst + 4 * VNNI_MR * g, pix + 4 * q, 4);
                    }
                    c = 0;
                    if (++kx == src->kw) { kx = 0; ky++; }
                }
                continue;
            }
            const uint8_t *row = src->a + i * src->lda + k0;
            long full = kb / 4;
            for (long g = vector_groups; g < full; g++) {
                uint32_t word;
                memcpy(&word, row + 4 * g, 4);
                word ^= mask;
                memcpy(dst + 4 * VNNI_MR * g, &word, 4);
            }
            if (full < groups) {
                uint8_t *d = dst + 4 * VNNI_MR * full;
                for (int q = 0; q < 4; q++) d[q] = 4 * full + q < kb ? (uint8_t)(row[4 * full + q] ^ flip) : 0;
            }
        }
    }
}

// Loop order row block → K block → panel → row tile: a panel's K slice of B (w·kc bytes) stays in
// L1 across the block's row tiles, and the block's strip of C stays in L2 across K blocks.
// The indirection table of row tiles [t0, t1): entry ((t − t0)·taps + tap)·MR + r points at row
// t·MR + r's bytes of that tap (channels c0 … c0 + cg of one input pixel), or at `pad` (cg pad
// bytes) off the image or past the last row.
static void conv_rows(const a_source *src, long m, long t0, long t1, const uint8_t *pad, const uint8_t **table) {
    const long taps = src->kh * src->kw, pixels = src->oh * src->ow;
    for (long t = t0; t < t1; t++)
        for (int r = 0; r < VNNI_MR; r++) {
            const long i = t * VNNI_MR + r;
            const uint8_t **entry = table + (t - t0) * taps * VNNI_MR + r;
            if (i >= m) { for (long tap = 0; tap < taps; tap++) entry[tap * VNNI_MR] = pad; continue; }
            const long n = i / pixels, p = i % pixels, oy = p / src->ow, ox = p % src->ow;
            const uint8_t *image = src->x + n * src->h * src->w * src->channels + src->c0;
            for (long ky = 0, tap = 0; ky < src->kh; ky++) {
                const long iy = oy * src->sh - src->ph + ky * src->dh;
                for (long kx = 0; kx < src->kw; kx++, tap++) {
                    const long ix = ox * src->sw - src->pw + kx * src->dw;
                    entry[tap * VNNI_MR] = (iy < 0 || iy >= src->h || ix < 0 || ix >= src->w) ? pad
                                                                                              : image + (iy * src->w + ix) * src->channels;
                }
            }
        }
}

// Loop order row block → K block → panel → row tile: a panel's K slice of B (w·kc bytes) stays in
// L1 across the block's row tiles, and the block's strip of C stays in L2 across K blocks.
static VNNI_TARGET int gemm_vnni(int a_signed, const a_source *src, const int8_t *packed8, const uint8_t *packed4,
                                 long m, long n, long k, const int32_t *off, int32_t *c, long ldc, const requant_epilogue *epi) {
    long kp = roundup(k, 4), np = roundup(n, 16), tiles = (m + VNNI_MR - 1) / VNNI_MR;
    // Indirect rows for narrow convolutions (see a_source), packed rows otherwise.
    const int indirect = src->x != NULL && np <= VNNI_INDIRECT_MAX_N;
    // Row blocks of VNNI_MC_TILES tiles, then K blocks: one K block of a row block's A (at most
    // 192·kc bytes) is packed just before every panel uses it, so it is still in L1/L2 for each
    // panel and A is read once, whatever K is (a weight gradient's K is N·L, tens of thousands).
    // For a narrow convolution the row block's tap table is built instead. Each C element still
    // sums its K blocks in order: the result does not depend on the blocking. int4 weights keep
    // one row block (each panel's K slice is unpacked once).
    const long mc = packed4 ? tiles : VNNI_MC_TILES, rows_per_block = (mc < tiles ? mc : tiles) * VNNI_MR;
    // A convolution's K blocks hold whole taps.
    long kc = kp <= VNNI_KC_SINGLE ? (kp > 0 ? kp : 4) : VNNI_KC;
    if (src->x && kp > VNNI_KC_SINGLE) kc = VNNI_KC >= src->cg ? VNNI_KC / src->cg * src->cg : src->cg;
    const long taps = indirect ? src->kh * src->kw : 0;
    int32_t *ap = indirect ? NULL : (int32_t *)malloc((size_t)(rows_per_block * roundup(kc, 4)));
    const uint8_t **table = indirect ? (const uint8_t **)malloc((size_t)(rows_per_block * taps) * sizeof(uint8_t *)) : NULL;
    uint8_t *pad = indirect ? (uint8_t *)malloc((size_t)src->cg) : NULL;
    int8_t *scratch = packed4 ? (int8_t *)aligned_alloc(64, (size_t)(PANEL * kc)) : NULL;
    if ((!indirect && !ap) || (indirect && (!table || !pad)) || (packed4 && !scratch)) { free(ap); free(table); free(pad); free(scratch); return -1; }
    if (pad) memset(pad, src->pad, (size_t)src->cg);
    long kend = k > 0 ? k : 1;
    for (long t0 = 0; t0 < tiles; t0 += mc) {
        long t1 = tiles - t0 < mc ? tiles : t0 + mc;
        if (indirect) conv_rows(src, m, t0, t1, pad, table);
        for (long k0 = 0; k0 < kend; k0 += kc) {
            long kb = k - k0 < kc ? k - k0 : kc, groups = (kb + 3) / 4;
            if (!indirect) pack_a_block(src, m, t0, t1, k0, kb, a_signed ? 0x80 : 0, ap);
            for (long p0 = 0; p0 < np; p0 += PANEL) {
                long w = np - p0 < PANEL ? np - p0 : PANEL;
                long ncols = n - p0 < w ? n - p0 : w;
                const int8_t *panel;
                if (packed4) {
                    foedus_i4_unpack(packed4 + (p0 * kp + k0 * w) / 2, scratch, w * groups * 4);
                    panel = scratch;
                } else {
                    panel = packed8 + p0 * kp + k0 * w;
                }
                for (long t = t0; t < t1; t++) {
                    long i = t * VNNI_MR;
                    int mr = m - i < VNNI_MR ? (int)(m - i) : VNNI_MR;
                    requant_epilogue tile_epi;
                    const requant_epilogue *e = NULL;
                    if (epi && k0 + kc >= kend) {
                        tile_epi = *epi;
                        tile_epi.b += p0; tile_epi.c += p0;
                        if (epi->out32) tile_epi.out32 += i * epi->ldo + p0;
                        else tile_epi.out += i * epi->ldo + p0;
                        e = &tile_epi;
                    }
                    if (indirect)
                        vnni_rows(NULL, table + ((t - t0) * taps + k0 / src->cg) * VNNI_MR, kb / src->cg, src->cg / 4, panel, w, groups,
                                  off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e, mr);
                    else
                        vnni_rows(ap + (t - t0) * groups * VNNI_MR, NULL, 1, groups, panel, w, groups,
                                  off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e, mr);
                }
            }
        }
    }
    free(scratch);
    free(pad);
    free(table);
    free(ap);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// AVX2 backend: vpmaddubsw saturates, so B is widened to int16 and multiplied with vpmaddwd
// (two u8·s8 products per lane, |·| ≤ 2·255·128: exact). Each accumulator lane holds half of a
// column's k-group; adjacent halves are added once at the end.

#define AVX2_TARGET __attribute__((target("avx2")))

static inline __attribute__((always_inline)) AVX2_TARGET __m256i a_pairs(int32_t word) {
    return _mm256_cvtepu8_epi16(_mm_set1_epi32(word));
}

static AVX2_TARGET void panel_avx2(const uint8_t *a, long lda, const int8_t *panel, long w, long k,
                                   long m, long ncols, const int32_t *off, int32_t *c, long ldc) {
    long kfull = k / 4, ktail = k % 4, groups = kfull + (ktail ? 1 : 0);
    for (long j0 = 0; j0 < ncols; j0 += 16) {
        for (long i = 0; i < m; i += 2) {
            int two = m - i >= 2;
            const uint8_t *a0 = a + i * lda, *a1 = two ? a0 + lda : a0;
            __m256i acc0[4], acc1[4];
            for (int q = 0; q < 4; q++) { acc0[q] = _mm256_setzero_si256(); acc1[q] = _mm256_setzero_si256(); }
            const int8_t *bg = panel + j0 * 4;
            for (long g = 0; g < groups; g++, bg += 4 * w) {
                __m256i x0 = a_pairs(a_word(a0, g, kfull, ktail));
                __m256i x1 = a_pairs(a_word(a1, g, kfull, ktail));
                for (int q = 0; q < 4; q++) {
                    __m256i bq = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(bg + 16 * q)));
                    acc0[q] = _mm256_add_epi32(acc0[q], _mm256_madd_epi16(x0, bq));
                    acc1[q] = _mm256_add_epi32(acc1[q], _mm256_madd_epi16(x1, bq));
                }
            }
            for (int h = 0; h < 2; h++) {
                // hadd interleaves the 128-bit lanes: [c0 c1 c4 c5 | c2 c3 c6 c7] → fix with a permute.
                __m256i s0 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc0[2 * h], acc0[2 * h + 1]), 0xD8);
                __m256i s1 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc1[2 * h], acc1[2 * h + 1]), 0xD8);
                long col = j0 + 8 * h;
                if (col >= ncols) break;
                __m256i o = _mm256_loadu_si256((const __m256i *)(off + col));
                int32_t t0[8], t1[8];
                _mm256_storeu_si256((__m256i *)t0, _mm256_add_epi32(s0, o));
                _mm256_storeu_si256((__m256i *)t1, _mm256_add_epi32(s1, o));
                long cnt = ncols - col < 8 ? ncols - col : 8;
                memcpy(c + i * ldc + col, t0, (size_t)cnt * 4);
                if (two) memcpy(c + (i + 1) * ldc + col, t1, (size_t)cnt * 4);
            }
        }
    }
}
#endif

// ---------------------------------------------------------------------------------------------
// Driver.

typedef void (*panel_fn)(const uint8_t *, long, const int8_t *, long, long, long, long, const int32_t *, int32_t *, long);

static panel_fn pick_panel(int backend) {
#ifdef FOEDUS_X86
    switch (foedus_int_backend(backend)) {
    case FOEDUS_INT_AVX2: return panel_avx2;
    default: return panel_scalar;
    }
#else
    (void)backend;
    return panel_scalar;
#endif
}

// Per-column offset (padded to 16 columns): bias − zA·colsum, with zA shifted by 128 when signed A
// is read as unsigned (A_u8 = A_s8 + 128). Wrapping arithmetic keeps it exact modulo 2^32.
static int32_t *column_offsets(int a_signed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias) {
    uint32_t z = (uint32_t)a_zero + (a_signed ? 128u : 0u);
    int32_t *off = (int32_t *)calloc((size_t)roundup(n, 16), sizeof(int32_t));
    if (!off) return NULL;
    for (long j = 0; j < n; j++)
        off[j] = (int32_t)((bias ? (uint32_t)bias[j] : 0u) - z * (uint32_t)colsum[j]);
    return off;
}

// Shared by the int8 and int4 paths; `unpack4` is non-NULL for int4 panels.
static int gemm_driver(int a_signed, const uint8_t *a, long lda, const int8_t *packed8, const uint8_t *packed4,
                       const int32_t *colsum, long m, long n, long k, int32_t a_zero, const int32_t *bias,
                       int32_t *c, long ldc, const requant_epilogue *epi, int backend) {
    if (m <= 0 || n <= 0) return 0;
    long kp = roundup(k, 4), np = roundup(n, 16);
    int32_t *off = column_offsets(a_signed, colsum, n, a_zero, bias);
    uint8_t *au = NULL;
    int8_t *scratch = NULL;
    if (!off) return -1;
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) {
        // Plain products (no requantizing epilogue, int8 B) run on AMX tiles where the CPU has
        // them: the same exact integer sums.
        if (!epi && !packed4) {
            int amx = foedus_amx_i8_gemm(a_signed, a, lda, packed8, colsum, m, n, k, off, c, ldc);
            if (amx == 0) { free(off); return 0; }
        }
        a_source src = {.a = a, .lda = lda};
        int status = gemm_vnni(a_signed, &src, packed8, packed4, m, n, k, off, c, ldc, epi);
        free(off);
        return status;
    }
#endif
    if (a_signed) {
        au = (uint8_t *)malloc((size_t)(m * (k > 0 ? k : 1)));
        if (!au) { free(off); return -1; }
        for (long i = 0; i < m; i++)
            for (long kk = 0; kk < k; kk++) au[i * k + kk] = a[i * lda + kk] ^ 0x80;
        a = au;
        lda = k;
    }
    if (packed4) {
        scratch = (int8_t *)aligned_alloc(64, (size_t)(PANEL * kp > 0 ? PANEL * kp : 64));
        if (!scratch) { free(off); free(au); return -1; }
    }
    panel_fn fn = pick_panel(backend);
    for (long p0 = 0; p0 < np; p0 += PANEL) {
        long w = np - p0 < PANEL ? np - p0 : PANEL;
        long ncols = n - p0 < w ? n - p0 : w;
        const int8_t *panel;
        if (packed4) {
            foedus_i4_unpack(packed4 + p0 * kp / 2, scratch, w * kp);
            panel = scratch;
        } else {
            panel = packed8 + p0 * kp;
        }
        fn(a, lda, panel, w, k, m, ncols, off + p0, c + p0, ldc);
    }
    free(scratch);
    free(au);
    free(off);
    if (epi && epi->out32) foedus_requant_cols_i32(c, m, n, ldc, epi->b, epi->c, epi->zero, epi->lo, epi->hi, epi->out32, epi->ldo, backend);
    else if (epi) foedus_requant_cols(c, m, n, ldc, epi->b, epi->c, epi->zero, epi->lo, epi->hi, epi->out, epi->ldo, backend);
    return 0;
}

int foedus_i8_gemm(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum,
                   long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc, int backend) {
    return gemm_driver(a_signed, a, lda, packed, NULL, colsum, m, n, k, a_zero, bias, c, ldc, NULL, backend);
}

int foedus_i8_gemm_requant(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum,
                           long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc,
                           const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                           uint8_t *out, int32_t *out32, long ldo, int backend) {
    requant_epilogue epi = {rb, rc, zero, lo, hi, out, out32, ldo};
    return gemm_driver(a_signed, a, lda, packed, NULL, colsum, m, n, k, a_zero, bias, c, ldc, &epi, backend);
}

int foedus_i4_gemm(int a_signed, const uint8_t *a, long lda, const uint8_t *packed4, const int32_t *colsum,
                   long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc, int backend) {
    return gemm_driver(a_signed, a, lda, NULL, packed4, colsum, m, n, k, a_zero, bias, c, ldc, NULL, backend);
}

int foedus_u8_conv_nhwc_gemm(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                             const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                             int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                             uint8_t *out, int32_t *out32, long ldo, int backend) {
#ifdef FOEDUS_X86
    if (cg % 4 != 0 || foedus_int_backend(backend) != FOEDUS_INT_VNNI) return -2;
    long m = images * oh * ow, k = kh * kw * cg;
    if (m <= 0 || n <= 0) return 0;
    int32_t *off = column_offsets(0, colsum, n, a_zero, bias);
    if (!off) return -1;
    a_source src = {.x = x, .h = h, .w = w, .channels = channels, .c0 = c0, .cg = cg, .kh = kh, .kw = kw, .sh = sh, .sw = sw,
                    .ph = ph, .pw = pw, .dh = dh, .dw = dw, .oh = oh, .ow = ow, .pad = pad_value};
    requant_epilogue epi = {rb, rc, zero, lo, hi, out, out32, ldo};
    int status = gemm_vnni(0, &src, packed, NULL, m, n, k, off, c, ldc, rb ? &epi : NULL);
    free(off);
    return status;
#else
    (void)x; (void)images; (void)h; (void)w; (void)channels; (void)c0; (void)cg; (void)kh; (void)kw; (void)sh; (void)sw;
    (void)ph; (void)pw; (void)dh; (void)dw; (void)oh; (void)ow; (void)pad_value; (void)packed; (void)colsum; (void)n;
    (void)a_zero; (void)bias; (void)c; (void)ldc; (void)rb; (void)rc; (void)zero; (void)lo; (void)hi; (void)out; (void)out32;
    (void)ldo; (void)backend;
    return -2;
#endif
}
