#include <stdlib.h>
#include <string.h>
#include "CFoedusInteger.h"
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
#define VNNI_MC_TILES 32

static inline __attribute__((always_inline)) VNNI_TARGET void
vnni_tile(const int32_t *ap, const int8_t *panel, long w, long groups,
          const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi,
          const int mr, const int nv) {
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
    for (long g = 0; g < groups; g++, bg += 4 * w, ap += VNNI_MR) {
        __m512i bv[4];
        for (int v = 0; v < nv; v++) bv[v] = _mm512_loadu_si512((const void *)(bg + 64 * v));
        for (int r = 0; r < mr; r++) {
            __m512i av = _mm512_set1_epi32(ap[r]);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
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

#define VNNI_TILE_CASE(MR, NV) vnni_tile(ap, panel, w, groups, off, c, ldc, ncols, first, epi, MR, NV)
#define VNNI_NV_SWITCH(MR) switch (nv) { case 1: VNNI_TILE_CASE(MR, 1); break; case 2: VNNI_TILE_CASE(MR, 2); break; \
    case 3: VNNI_TILE_CASE(MR, 3); break; default: VNNI_TILE_CASE(MR, 4); break; }

static VNNI_TARGET void
vnni_rows(const int32_t *ap, const int8_t *panel, long w, long groups,
          const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi, int mr) {
    int nv = (int)(w / 16);
    switch (mr) {
    case 1: VNNI_NV_SWITCH(1) break;
    case 2: VNNI_NV_SWITCH(2) break;
    case 3: VNNI_NV_SWITCH(3) break;
    case 4: VNNI_NV_SWITCH(4) break;
    case 5: VNNI_NV_SWITCH(5) break;
    default: VNNI_NV_SWITCH(6) break;
    }
}

// A K block of A, repacked so a row tile's broadcasts are one sequential stream:
// word (t·groups + g)·MR + r holds A[t·MR + r][k0 + 4g ..< k0 + 4g + 4], zero-padded past K and
// M; signed A is flipped to A + 128 here (xor 0x80).
static void pack_a_block(const uint8_t *a, long lda, long m, long k0, long kb, uint8_t flip, int32_t *ap) {
    long groups = (kb + 3) / 4, tiles = (m + VNNI_MR - 1) / VNNI_MR;
    for (long t = 0; t < tiles; t++) {
        for (int r = 0; r < VNNI_MR; r++) {
            long i = t * VNNI_MR + r;
            uint8_t *dst = (uint8_t *)(ap + t * groups * VNNI_MR) + 4 * r;
            if (i >= m) { for (long g = 0; g < groups; g++) memset(dst + 4 * VNNI_MR * g, 0, 4); continue; }
            const uint8_t *row = a + i * lda + k0;
            uint32_t mask = flip ? 0x80808080u : 0u;
            long full = kb / 4;
            for (long g = 0; g < full; g++) {
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

// Loop order panel → K block → row tile: a panel's K slice of B (w·VNNI_KC bytes) stays in L1
// across all row tiles and the panel's strip of C stays in L2 across K blocks.
static VNNI_TARGET int gemm_vnni(int a_signed, const uint8_t *a, long lda, const int8_t *packed8, const uint8_t *packed4,
                                 long m, long n, long k, const int32_t *off, int32_t *c, long ldc, const requant_epilogue *epi) {
    long kp = roundup(k, 4), np = roundup(n, 16), tiles = (m + VNNI_MR - 1) / VNNI_MR;
    int32_t *ap = (int32_t *)malloc((size_t)(tiles * VNNI_MR * (kp > 0 ? kp : 4)));
    int8_t *scratch = packed4 ? (int8_t *)aligned_alloc(64, (size_t)(PANEL * VNNI_KC)) : NULL;
    if (!ap || (packed4 && !scratch)) { free(ap); free(scratch); return -1; }
    long kend = k > 0 ? k : 1;
    for (long k0 = 0; k0 < kend; k0 += VNNI_KC) {
        long kb = k - k0 < VNNI_KC ? k - k0 : VNNI_KC;
        pack_a_block(a, lda, m, k0, kb, a_signed ? 0x80 : 0, ap + tiles * VNNI_MR * (k0 / 4));
    }
    // Row blocks of VNNI_MC_TILES tiles keep their packed A (≤ 192·K bytes) in L2 across every
    // panel, so a large A is read from memory once instead of once per panel. Each C element
    // still sums its K blocks in order: the result does not depend on the blocking. int4 weights
    // keep one row block (each panel is unpacked once per row block).
    const long mc = packed4 ? tiles : VNNI_MC_TILES;
    for (long t0 = 0; t0 < tiles; t0 += mc) {
        long t1 = tiles - t0 < mc ? tiles : t0 + mc;
        for (long p0 = 0; p0 < np; p0 += PANEL) {
            long w = np - p0 < PANEL ? np - p0 : PANEL;
            long ncols = n - p0 < w ? n - p0 : w;
            for (long k0 = 0; k0 < kend; k0 += VNNI_KC) {
                long kb = k - k0 < VNNI_KC ? k - k0 : VNNI_KC, groups = (kb + 3) / 4;
                const int32_t *apk = ap + tiles * VNNI_MR * (k0 / 4);
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
                    if (epi && k0 + VNNI_KC >= kend) {
                        tile_epi = *epi;
                        tile_epi.b += p0; tile_epi.c += p0;
                        if (epi->out32) tile_epi.out32 += i * epi->ldo + p0;
                        else tile_epi.out += i * epi->ldo + p0;
                        e = &tile_epi;
                    }
                    vnni_rows(apk + t * groups * VNNI_MR, panel, w, groups, off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e, mr);
                }
            }
        }
    }
    free(scratch);
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

// Shared by the int8 and int4 paths; `unpack4` is non-NULL for int4 panels.
static int gemm_driver(int a_signed, const uint8_t *a, long lda, const int8_t *packed8, const uint8_t *packed4,
                       const int32_t *colsum, long m, long n, long k, int32_t a_zero, const int32_t *bias,
                       int32_t *c, long ldc, const requant_epilogue *epi, int backend) {
    if (m <= 0 || n <= 0) return 0;
    long kp = roundup(k, 4), np = roundup(n, 16);
    // Per-column offset: bias − zA·colsum, with zA shifted by 128 when signed A is read as
    // unsigned (A_u8 = A_s8 + 128). Wrapping arithmetic keeps it exact modulo 2^32.
    uint32_t z = (uint32_t)a_zero + (a_signed ? 128u : 0u);
    int32_t *off = (int32_t *)calloc((size_t)np, sizeof(int32_t));
    uint8_t *au = NULL;
    int8_t *scratch = NULL;
    if (!off) return -1;
    for (long j = 0; j < n; j++)
        off[j] = (int32_t)((bias ? (uint32_t)bias[j] : 0u) - z * (uint32_t)colsum[j]);
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) == FOEDUS_INT_VNNI) {
        int status = gemm_vnni(a_signed, a, lda, packed8, packed4, m, n, k, off, c, ldc, epi);
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
