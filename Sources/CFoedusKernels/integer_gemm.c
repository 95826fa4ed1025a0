#include <stdlib.h>
#include <string.h>
#include <stdint.h>
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
    int high;  // requant_high_form: 2 requant16_i32_high33, 1 requant16_i32_high, 0 requant16_i32
    int sign;  // bytes through requant_pack4: 0 unsigned, 1 signed; −1 one vpmovdb per vector (or int32 out)
} requant_epilogue;

// The epilogue of foedus_*_requant: bytes go through the saturating packs when the bounds allow
// (requant_bytes_sign), with the zero point added there in the high33 form.
static requant_epilogue requant_epilogue_set(const int32_t *rb, const int32_t *rc, long n, int32_t zero, int32_t lo, int32_t hi,
                                             uint8_t *out, int32_t *out32, long ldo) {
    const int high = rb ? requant_high_form(rc, n, zero, lo, hi) : 0;
    const int sign = rb && !out32 ? requant_bytes_sign(requant_pack_zero(high, zero), lo, hi) : -1;
    const requant_epilogue e = {rb, rc, zero, lo, hi, out, out32, ldo, high, sign};
    return e;
}

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define VNNI_MR 6
// K blocks of 512: a panel's K slice of B is 32 KB (L1 is 48 KB), and a 1024-deep product makes
// two passes over its C strip instead of four (GEMM 1024 ~4 % faster than with 256).
#define VNNI_KC 512
// A K of up to this many values runs as one block: a convolution's K = 9·C (288 for 32 channels)
// then needs no partial sums in C between blocks.
#define VNNI_KC_SINGLE 512
#define VNNI_MC_TILES 32

typedef int32_t unaligned_i32 __attribute__((aligned(1), may_alias));

// A tile's accumulators before its K block: the first K block starts from the column offsets,
// later ones from the partial sums in C.
static inline __attribute__((always_inline)) VNNI_TARGET void
tile_start(__m512i acc[6][4], const int32_t *off, const int32_t *c, long ldc, long ncols, int first, const int mr, const int nv) {
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        __mmask16 mask = col >= ncols ? 0 : (ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1));
        __m512i o = _mm512_loadu_si512((const void *)(off + col));
        for (int r = 0; r < 6; r++)
            acc[r][v] = r >= mr ? _mm512_setzero_si512() : (first ? o : _mm512_maskz_loadu_epi32(mask, c + r * ldc + col));
    }
}

// The requantizing epilogue of one tile with its branches resolved at compile time (`high`:
// requant16_i32_high, `wide`: int32 outputs).
static inline __attribute__((always_inline)) VNNI_TARGET void
tile_requant(__m512i acc[6][4], long ncols, const requant_epilogue *epi, long row0, const int mr, const int nv, const int high,
             const int wide) {
    const requant_bounds16 bounds = requant_bounds16_set(epi->zero, epi->lo, epi->hi);
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        if (col >= ncols) break;
        __mmask16 mask = ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1);
        const requant_columns16 k = requant_columns16_load(epi->b + col, epi->c + col, mask, high);
        for (int r = 0; r < mr; r++) {
            const __m512i q = requant16_columns(acc[r][v], &k, &bounds, high);
            if (wide) _mm512_mask_storeu_epi32(epi->out32 + (row0 + r) * epi->ldo + col, mask, q);
            else _mm_mask_storeu_epi8(epi->out + (row0 + r) * epi->ldo + col, mask, _mm512_cvtepi32_epi8(q));
        }
    }
}

// tile_requant for bytes through requant_pack4: rows of 64 columns (or 48) one pack each, of 32
// two per pack, of 16 four per pack. In the high33 form the pack adds the zero point and clamps;
// the other forms have done both, and the pack's bounds change nothing.
static inline __attribute__((always_inline)) VNNI_TARGET void
tile_requant_packed(__m512i acc[6][4], long ncols, const requant_epilogue *epi, long row0, const int mr, const int nv, const int high) {
    const requant_bounds16 bounds = requant_bounds16_set(epi->zero, epi->lo, epi->hi);
    const requant_bytes pb = requant_bytes_set(requant_pack_zero(high, epi->zero), epi->lo, epi->hi, epi->sign, ncols);
    __m512i q[6][4];
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        __mmask16 mask = col >= ncols ? 0 : (ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1));
        const requant_columns16 k = requant_columns16_load(epi->b + col, epi->c + col, mask, high);
        for (int r = 0; r < mr; r++)
            q[r][v] = high == 2 ? requant16_raw_high33(acc[r][v], k.b, k.bo, k.rnd, k.sh) : requant16_columns(acc[r][v], &k, &bounds, high);
    }
    uint8_t *out = epi->out + row0 * epi->ldo;
    const long ldo = epi->ldo;
    if (nv >= 3) {
        for (int r = 0; r < mr; r++)
            _mm512_mask_storeu_epi8(out + r * ldo, pb.cols, requant_pack4(q[r][0], q[r][1], q[r][2], q[r][nv - 1], &pb));
    } else if (nv == 2) {
        for (int r = 0; r < mr; r += 2) {
            const int s = r + 1 < mr ? r + 1 : r;
            requant_store_rows(requant_pack4(q[r][0], q[r][1], q[s][0], q[s][1], &pb), out + r * ldo, ldo, mr - r, 32, &pb);
        }
    } else {
        for (int r = 0; r < mr; r += 4) {
            const int r1 = r + 1 < mr ? r + 1 : r, r2 = r + 2 < mr ? r + 2 : r, r3 = r + 3 < mr ? r + 3 : r;
            requant_store_rows(requant_pack4(q[r][0], q[r1][0], q[r2][0], q[r3][0], &pb), out + r * ldo, ldo, mr - r, 16, &pb);
        }
    }
}

// A tile's accumulators after its K block: int32 partial sums back to C, or (last K block with an
// epilogue) requantized outputs; `row0` is the tile's first row relative to the epilogue's rows.
static inline __attribute__((always_inline)) VNNI_TARGET void
tile_finish(__m512i acc[6][4], int32_t *c, long ldc, long ncols, const requant_epilogue *epi, long row0, const int mr, const int nv) {
    if (epi) {
        if (epi->sign >= 0) {
            if (epi->high == 2) tile_requant_packed(acc, ncols, epi, row0, mr, nv, 2);
            else if (epi->high) tile_requant_packed(acc, ncols, epi, row0, mr, nv, 1);
            else tile_requant_packed(acc, ncols, epi, row0, mr, nv, 0);
            return;
        }
        if (epi->high == 2 && !epi->out32) tile_requant(acc, ncols, epi, row0, mr, nv, 2, 0);
        else if (epi->high == 2) tile_requant(acc, ncols, epi, row0, mr, nv, 2, 1);
        else if (epi->high && !epi->out32) tile_requant(acc, ncols, epi, row0, mr, nv, 1, 0);
        else if (epi->high) tile_requant(acc, ncols, epi, row0, mr, nv, 1, 1);
        else if (!epi->out32) tile_requant(acc, ncols, epi, row0, mr, nv, 0, 0);
        else tile_requant(acc, ncols, epi, row0, mr, nv, 0, 1);
        return;
    }
    for (int v = 0; v < nv; v++) {
        long col = 16 * v;
        if (col >= ncols) break;
        __mmask16 mask = ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1);
        for (int r = 0; r < mr; r++) _mm512_mask_storeu_epi32(c + r * ldc + col, mask, acc[r][v]);
    }
}

// The K loops below keep the accumulators in named locals. Kept in an array across the
// two-level loop of the indirect tile, clang stored every accumulator to the stack after each
// vpdpbusd, at half the speed.
#define DP_ROW(R, AV)                                                   \
    do {                                                                \
        a##R##0 = _mm512_dpbusd_epi32(a##R##0, AV, b0);                 \
        if (nv > 1) a##R##1 = _mm512_dpbusd_epi32(a##R##1, AV, b1);     \
        if (nv > 2) a##R##2 = _mm512_dpbusd_epi32(a##R##2, AV, b2);     \
        if (nv > 3) a##R##3 = _mm512_dpbusd_epi32(a##R##3, AV, b3);     \
    } while (0)
#define ACC_IN(R) __m512i a##R##0 = acc[R][0], a##R##1 = acc[R][1], a##R##2 = acc[R][2], a##R##3 = acc[R][3];
#define ACC_OUT(R) acc[R][0] = a##R##0; acc[R][1] = a##R##1; acc[R][2] = a##R##2; acc[R][3] = a##R##3;
#define B_ROWS(BG)                                                                          \
    const __m512i b0 = _mm512_loadu_si512((const void *)(BG));                              \
    const __m512i b1 = nv > 1 ? _mm512_loadu_si512((const void *)((BG) + 64)) : b0;         \
    const __m512i b2 = nv > 2 ? _mm512_loadu_si512((const void *)((BG) + 128)) : b0;        \
    const __m512i b3 = nv > 3 ? _mm512_loadu_si512((const void *)((BG) + 192)) : b0;

// Packed A: word g·MR + r of `ap` is row r's k-group g.
static inline __attribute__((always_inline)) VNNI_TARGET void
packed_loop(__m512i acc[6][4], const int32_t *ap, const int8_t *bg, long w, long groups, const int mr, const int nv) {
    ACC_IN(0) ACC_IN(1) ACC_IN(2) ACC_IN(3) ACC_IN(4) ACC_IN(5)
    for (long g = 0; g < groups; g++, bg += 4 * w, ap += VNNI_MR) {
        B_ROWS(bg)
        if (mr > 0) DP_ROW(0, _mm512_set1_epi32(ap[0]));
        if (mr > 1) DP_ROW(1, _mm512_set1_epi32(ap[1]));
        if (mr > 2) DP_ROW(2, _mm512_set1_epi32(ap[2]));
        if (mr > 3) DP_ROW(3, _mm512_set1_epi32(ap[3]));
        if (mr > 4) DP_ROW(4, _mm512_set1_epi32(ap[4]));
        if (mr > 5) DP_ROW(5, _mm512_set1_epi32(ap[5]));
    }
    ACC_OUT(0) ACC_OUT(1) ACC_OUT(2) ACC_OUT(3) ACC_OUT(4) ACC_OUT(5)
}

// A plain 32-bit load, so the broadcast reads memory (a load-port uop) instead of going through a
// general register (a shuffle-port uop beside vpdpbusd).
#define A_WORD(P) _mm512_set1_epi32(*(const unaligned_i32 *)(P))

// Indirect A (a convolution): row r's words of tap t are read in place at base[r] + tapoff[t]
// (its pixel in the padded image plus the tap's offset), cgw words per tap; `groups` is a whole
// number of taps.
static inline __attribute__((always_inline)) VNNI_TARGET void
indirect_loop(__m512i acc[6][4], const uint8_t *const *base, const long *tapoff, long cgw, const int8_t *bg, long w, long groups,
              const int mr, const int nv) {
    ACC_IN(0) ACC_IN(1) ACC_IN(2) ACC_IN(3) ACC_IN(4) ACC_IN(5)
    const uint8_t *p0 = base[0], *p1 = base[1], *p2 = base[2], *p3 = base[3], *p4 = base[4], *p5 = base[5];
    for (long t = 0; t < groups / cgw; t++) {
        const long end = tapoff[t] + 4 * cgw;
        for (long q = tapoff[t]; q < end; q += 4, bg += 4 * w) {
            B_ROWS(bg)
            if (mr > 0) DP_ROW(0, A_WORD(p0 + q));
            if (mr > 1) DP_ROW(1, A_WORD(p1 + q));
            if (mr > 2) DP_ROW(2, A_WORD(p2 + q));
            if (mr > 3) DP_ROW(3, A_WORD(p3 + q));
            if (mr > 4) DP_ROW(4, A_WORD(p4 + q));
            if (mr > 5) DP_ROW(5, A_WORD(p5 + q));
        }
    }
    ACC_OUT(0) ACC_OUT(1) ACC_OUT(2) ACC_OUT(3) ACC_OUT(4) ACC_OUT(5)
}

// One row tile of MR rows × NV·16 columns: packed A (`ap`), or indirect rows (`base`, `tapoff`).
static inline __attribute__((always_inline)) VNNI_TARGET void
vnni_tile(const int32_t *ap, const uint8_t *const *base, const long *tapoff, long cgw, const int8_t *panel, long w, long groups,
          const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi,
          const int mr, const int nv, const int indirect) {
    __m512i acc[6][4];
    tile_start(acc, off, c, ldc, ncols, first, mr, nv);
    if (indirect) indirect_loop(acc, base, tapoff, cgw, panel, w, groups, mr, nv);
    else packed_loop(acc, ap, panel, w, groups, mr, nv);
    tile_finish(acc, c, ldc, ncols, epi, 0, mr, nv);
}

#define VNNI_TILE_CASE(MR, NV, IND) vnni_tile(ap, base, tapoff, cgw, panel, w, groups, off, c, ldc, ncols, first, epi, MR, NV, IND)
#define VNNI_NV_SWITCH(MR, IND) switch (nv) { case 1: VNNI_TILE_CASE(MR, 1, IND); break; case 2: VNNI_TILE_CASE(MR, 2, IND); break; \
    case 3: VNNI_TILE_CASE(MR, 3, IND); break; default: VNNI_TILE_CASE(MR, 4, IND); break; }
#define VNNI_MR_SWITCH(IND) switch (mr) { case 1: VNNI_NV_SWITCH(1, IND) break; case 2: VNNI_NV_SWITCH(2, IND) break; \
    case 3: VNNI_NV_SWITCH(3, IND) break; case 4: VNNI_NV_SWITCH(4, IND) break; case 5: VNNI_NV_SWITCH(5, IND) break; \
    default: VNNI_NV_SWITCH(6, IND) break; }

static VNNI_TARGET void
vnni_rows_packed(const int32_t *ap, const int8_t *panel, long w, long groups,
                 const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi, int mr) {
    const uint8_t *const *base = NULL;
    const long *tapoff = NULL, cgw = 0;
    int nv = (int)(w / 16);
    VNNI_MR_SWITCH(0)
}

static VNNI_TARGET void
vnni_rows_indirect(const uint8_t *const *base, const long *tapoff, long cgw, const int8_t *panel, long w, long groups,
                   const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi, int mr) {
    const int32_t *ap = NULL;
    int nv = (int)(w / 16);
    VNNI_MR_SWITCH(1)
}

// Two whole indirect tiles (12 rows) of a 16-column panel. With one accumulator per row, six
// rows are six dependency chains, too few to hide vpdpbusd's latency; twelve are enough.
static VNNI_TARGET void
vnni_rows_indirect12(const uint8_t *const *base, const long *tapoff, long cgw, const int8_t *bg, long groups,
                     const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi) {
    __m512i lo[6][4], hi[6][4];
    tile_start(lo, off, c, ldc, ncols, first, 6, 1);
    tile_start(hi, off, c + VNNI_MR * ldc, ldc, ncols, first, 6, 1);
    __m512i r0 = lo[0][0], r1 = lo[1][0], r2 = lo[2][0], r3 = lo[3][0], r4 = lo[4][0], r5 = lo[5][0];
    __m512i r6 = hi[0][0], r7 = hi[1][0], r8 = hi[2][0], r9 = hi[3][0], r10 = hi[4][0], r11 = hi[5][0];
    // Four words of a row per visit when a tap has a multiple of 4 words (4 B vectors live).
#define ROW4(ACC, R)                                                                          \
    do {                                                                                      \
        const uint8_t *p_ = base[R] + q;                                                      \
        ACC = _mm512_dpbusd_epi32(ACC, A_WORD(p_), b0);                                       \
        ACC = _mm512_dpbusd_epi32(ACC, A_WORD(p_ + 4), b1);                                   \
        ACC = _mm512_dpbusd_epi32(ACC, A_WORD(p_ + 8), b2);                                   \
        ACC = _mm512_dpbusd_epi32(ACC, A_WORD(p_ + 12), b3);                                  \
    } while (0)
#define ROW1(ACC, R) ACC = _mm512_dpbusd_epi32(ACC, A_WORD(base[R] + q), b0)
    if (cgw % 4 == 0) {
        for (long t = 0; t < groups / cgw; t++) {
            const long end = tapoff[t] + 4 * cgw;
            for (long q = tapoff[t]; q < end; q += 16, bg += 256) {
                const __m512i b0 = _mm512_loadu_si512((const void *)bg), b1 = _mm512_loadu_si512((const void *)(bg + 64));
                const __m512i b2 = _mm512_loadu_si512((const void *)(bg + 128)), b3 = _mm512_loadu_si512((const void *)(bg + 192));
                ROW4(r0, 0); ROW4(r1, 1); ROW4(r2, 2); ROW4(r3, 3); ROW4(r4, 4); ROW4(r5, 5);
                ROW4(r6, 6); ROW4(r7, 7); ROW4(r8, 8); ROW4(r9, 9); ROW4(r10, 10); ROW4(r11, 11);
            }
        }
    } else {
        for (long t = 0; t < groups / cgw; t++) {
            const long end = tapoff[t] + 4 * cgw;
            for (long q = tapoff[t]; q < end; q += 4, bg += 64) {
                const __m512i b0 = _mm512_loadu_si512((const void *)bg);
                ROW1(r0, 0); ROW1(r1, 1); ROW1(r2, 2); ROW1(r3, 3); ROW1(r4, 4); ROW1(r5, 5);
                ROW1(r6, 6); ROW1(r7, 7); ROW1(r8, 8); ROW1(r9, 9); ROW1(r10, 10); ROW1(r11, 11);
            }
        }
    }
#undef ROW4
#undef ROW1
    lo[0][0] = r0; lo[1][0] = r1; lo[2][0] = r2; lo[3][0] = r3; lo[4][0] = r4; lo[5][0] = r5;
    hi[0][0] = r6; hi[1][0] = r7; hi[2][0] = r8; hi[3][0] = r9; hi[4][0] = r10; hi[5][0] = r11;
    tile_finish(lo, c, ldc, ncols, epi, 0, 6, 1);
    tile_finish(hi, c + VNNI_MR * ldc, ldc, ncols, epi, VNNI_MR, 6, 1);
}

// Two whole indirect tiles (12 rows) of a 32-column panel, for short K (e.g. a 1 × 1 projection
// of 16 channels: four words): twice the rows per call halves the per-tile work around a K loop
// of a few vpdpbusd.
static VNNI_TARGET void
vnni_rows_indirect12x2(const uint8_t *const *base, const long *tapoff, long cgw, const int8_t *bg, long groups,
                       const int32_t *off, int32_t *c, long ldc, long ncols, int first, const requant_epilogue *epi) {
    __m512i lo[6][4], hi[6][4];
    tile_start(lo, off, c, ldc, ncols, first, 6, 2);
    tile_start(hi, off, c + VNNI_MR * ldc, ldc, ncols, first, 6, 2);
    __m512i a00 = lo[0][0], a01 = lo[0][1], a10 = lo[1][0], a11 = lo[1][1], a20 = lo[2][0], a21 = lo[2][1];
    __m512i a30 = lo[3][0], a31 = lo[3][1], a40 = lo[4][0], a41 = lo[4][1], a50 = lo[5][0], a51 = lo[5][1];
    __m512i x00 = hi[0][0], x01 = hi[0][1], x10 = hi[1][0], x11 = hi[1][1], x20 = hi[2][0], x21 = hi[2][1];
    __m512i x30 = hi[3][0], x31 = hi[3][1], x40 = hi[4][0], x41 = hi[4][1], x50 = hi[5][0], x51 = hi[5][1];
#define PAIR(A0, A1, R)                                                 \
    do {                                                                \
        const __m512i av_ = A_WORD(base[R] + q);                        \
        A0 = _mm512_dpbusd_epi32(A0, av_, b0);                          \
        A1 = _mm512_dpbusd_epi32(A1, av_, b1);                          \
    } while (0)
    for (long t = 0; t < groups / cgw; t++) {
        const long end = tapoff[t] + 4 * cgw;
        for (long q = tapoff[t]; q < end; q += 4, bg += 128) {
            const __m512i b0 = _mm512_loadu_si512((const void *)bg), b1 = _mm512_loadu_si512((const void *)(bg + 64));
            PAIR(a00, a01, 0); PAIR(a10, a11, 1); PAIR(a20, a21, 2); PAIR(a30, a31, 3); PAIR(a40, a41, 4); PAIR(a50, a51, 5);
            PAIR(x00, x01, 6); PAIR(x10, x11, 7); PAIR(x20, x21, 8); PAIR(x30, x31, 9); PAIR(x40, x41, 10); PAIR(x50, x51, 11);
        }
    }
#undef PAIR
    lo[0][0] = a00; lo[0][1] = a01; lo[1][0] = a10; lo[1][1] = a11; lo[2][0] = a20; lo[2][1] = a21;
    lo[3][0] = a30; lo[3][1] = a31; lo[4][0] = a40; lo[4][1] = a41; lo[5][0] = a50; lo[5][1] = a51;
    hi[0][0] = x00; hi[0][1] = x01; hi[1][0] = x10; hi[1][1] = x11; hi[2][0] = x20; hi[2][1] = x21;
    hi[3][0] = x30; hi[3][1] = x31; hi[4][0] = x40; hi[4][1] = x41; hi[5][0] = x50; hi[5][1] = x51;
    tile_finish(lo, c, ldc, ncols, epi, 0, 6, 2);
    tile_finish(hi, c + VNNI_MR * ldc, ldc, ncols, epi, VNNI_MR, 6, 2);
}

// Where A comes from: a row-major matrix, or (implicit im2col) the NHWC images of a convolution
// whose row i is output pixel i and whose k = (ky·kw + kx)·cg + c, as foedus_u8_im2col_nhwc lays
// out a row. The conv form needs cg % 4 == 0 so that each 4-byte word lies inside one tap, and
// every window inside the image (foedus_u8_conv_nhwc_gemm pads a copy when the convolution pads).
// Its rows are read in place, at each row's pixel plus a tap offset (an indirect GEMM, no packing
// pass: the tiles read the same words from the image as they would from a packed copy).
typedef struct {
    const uint8_t *a;
    long lda;
    const uint8_t *x;  // conv source when non-NULL
    long h, w, channels, c0, cg, kh, kw, sh, sw, dh, dw, oh, ow;
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

// Tiles [t0, t1) of a K block of A, repacked so a row tile's broadcasts are one sequential stream:
// word ((t − t0)·groups + g)·MR + r holds A[t·MR + r][k0 + 4g ..< k0 + 4g + 4], zero-padded past K
// and M; signed A is flipped to A + 128 here (xor 0x80).
static VNNI_TARGET void pack_a_block(const a_source *src, long m, long t0, long t1, long k0, long kb, uint8_t flip, int32_t *ap) {
    long groups = (kb + 3) / 4;
    uint32_t mask = flip ? 0x80808080u : 0u;
    for (long t = t0; t < t1; t++) {
        // Whole tiles: 16 groups of six rows at a time through the vector interleave.
        long vector_groups = 0;
        if ((t + 1) * VNNI_MR <= m) {
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
// Row bases of tiles [t0, t1): entry (t − t0)·MR + r points at channel c0 of row t·MR + r's
// window origin (its top-left tap) in the image; rows past M point at the first pixel (their
// sums are never stored). The output pixel advances incrementally (no division per row).
static void conv_bases(const a_source *src, long m, long t0, long t1, const uint8_t **bases) {
    const long pixels = src->oh * src->ow, plane = src->h * src->w * src->channels;
    const long i0 = t0 * VNNI_MR;
    long n = i0 / pixels, p = i0 % pixels, oy = p / src->ow, ox = p % src->ow;
    const long step = src->sw * src->channels;
    const uint8_t *b = src->x + n * plane + ((oy * src->sh) * src->w + ox * src->sw) * src->channels + src->c0;
    for (long i = i0; i < t1 * VNNI_MR; i++) {
        if (i >= m) { bases[i - i0] = src->x + src->c0; continue; }
        bases[i - i0] = b;
        b += step;
        if (++ox == src->ow) {
            ox = 0;
            if (++oy == src->oh) { oy = 0; n++; }
            b = src->x + n * plane + oy * src->sh * src->w * src->channels + src->c0;
        }
    }
}

// Loop order row block → K block → panel → row tile: a panel's K slice of B (w·kc bytes) stays in
// L1 across the block's row tiles, and the block's strip of C stays in L2 across K blocks.
static VNNI_TARGET int gemm_vnni(int a_signed, const a_source *src, const int8_t *packed8, const uint8_t *packed4,
                                 long m, long n, long k, const int32_t *off, int32_t *c, long ldc, const requant_epilogue *epi) {
    long kp = roundup(k, 4), np = roundup(n, 16), tiles = (m + VNNI_MR - 1) / VNNI_MR;
    // A convolution reads its rows in place through a tap table (see a_source).
    const int indirect = src->x != NULL;
    // Row blocks of VNNI_MC_TILES tiles, then K blocks: one K block of a row block's A (at most
    // 192·kc bytes) is packed just before every panel uses it, so it is still in L1/L2 for each
    // panel and A is read once, whatever K is (a weight gradient's K is N·L, tens of thousands).
    // For a convolution the row block's tap table is built instead. Each C element still
    // sums its K blocks in order: the result does not depend on the blocking. int4 weights keep
    // one row block (each panel's K slice is unpacked once).
    const long mc = packed4 ? tiles : VNNI_MC_TILES, rows_per_block = (mc < tiles ? mc : tiles) * VNNI_MR;
    // A convolution's K blocks hold whole taps.
    long kc = kp <= VNNI_KC_SINGLE ? (kp > 0 ? kp : 4) : VNNI_KC;
    if (src->x && kp > VNNI_KC_SINGLE) kc = VNNI_KC >= src->cg ? VNNI_KC / src->cg * src->cg : src->cg;
    const long taps = indirect ? src->kh * src->kw : 0;
    int32_t *ap = indirect ? NULL : (int32_t *)malloc((size_t)(rows_per_block * roundup(kc, 4)));
    const uint8_t **bases = indirect ? (const uint8_t **)malloc((size_t)rows_per_block * sizeof(uint8_t *)) : NULL;
    long *tapoff = indirect ? (long *)malloc((size_t)taps * sizeof(long)) : NULL;
    int8_t *scratch = packed4 ? (int8_t *)aligned_alloc(64, (size_t)(PANEL * kc)) : NULL;
    if ((!indirect && !ap) || (indirect && (!bases || !tapoff)) || (packed4 && !scratch)) { free(ap); free(bases); free(tapoff); free(scratch); return -1; }
    for (long ky = 0, tap = 0; ky < src->kh; ky++)
        for (long kx = 0; kx < src->kw; kx++, tap++) tapoff[tap] = (ky * src->dh * src->w + kx * src->dw) * src->channels;
    long kend = k > 0 ? k : 1;
    for (long t0 = 0; t0 < tiles; t0 += mc) {
        long t1 = tiles - t0 < mc ? tiles : t0 + mc;
        if (indirect) conv_bases(src, m, t0, t1, bases);
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
                // The panel's epilogue, its output pointer moved per tile field by field (a whole
                // struct copy per tile was a vector store read back in parts: a store-forwarding
                // stall that cost conv1 a fifth of its time).
                requant_epilogue tile_epi;
                const requant_epilogue *e = NULL;
                if (epi && k0 + kc >= kend) {
                    tile_epi = *epi;
                    tile_epi.b += p0;
                    tile_epi.c += p0;
                    e = &tile_epi;
                }
                for (long t = t0; t < t1; t++) {
                    long i = t * VNNI_MR;
                    int mr = m - i < VNNI_MR ? (int)(m - i) : VNNI_MR;
                    if (e) {
                        if (epi->out32) tile_epi.out32 = epi->out32 + i * epi->ldo + p0;
                        else tile_epi.out = epi->out + i * epi->ldo + p0;
                    }
                    const uint8_t *const *tb = indirect ? bases + (t - t0) * VNNI_MR : NULL;
                    const long *to = indirect ? tapoff + k0 / src->cg : NULL;
                    if (indirect && w == 16 && t + 1 < t1 && i + 2 * VNNI_MR <= m) {
                        vnni_rows_indirect12(tb, to, src->cg / 4, panel, groups, off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e);
                        t++;
                    } else if (indirect && w == 32 && groups <= 8 && t + 1 < t1 && i + 2 * VNNI_MR <= m) {
                        vnni_rows_indirect12x2(tb, to, src->cg / 4, panel, groups, off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e);
                        t++;
                    } else if (indirect) {
                        vnni_rows_indirect(tb, to, src->cg / 4, panel, w, groups, off + p0, c + i * ldc + p0, ldc, ncols, k0 == 0, e, mr);
                    } else {
                        vnni_rows_packed(ap + (t - t0) * groups * VNNI_MR, panel, w, groups, off + p0, c + i * ldc + p0, ldc, ncols,
                                         k0 == 0, e, mr);
                    }
                }
            }
        }
    }
    free(scratch);
    free(tapoff);
    free(bases);
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
int32_t *foedus_column_offsets(int a_signed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias) {
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
    int32_t *off = foedus_column_offsets(a_signed, colsum, n, a_zero, bias);
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
    requant_epilogue epi = requant_epilogue_set(rb, rc, n, zero, lo, hi, out, out32, ldo);
    return gemm_driver(a_signed, a, lda, packed, NULL, colsum, m, n, k, a_zero, bias, c, ldc, &epi, backend);
}

int foedus_i4_gemm(int a_signed, const uint8_t *a, long lda, const uint8_t *packed4, const int32_t *colsum,
                   long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc, int backend) {
    return gemm_driver(a_signed, a, lda, NULL, packed4, colsum, m, n, k, a_zero, bias, c, ldc, NULL, backend);
}

// A copy of channels [c0, c0 + cg) of each image with the pad frame around it (rows [−ph, bottom),
// columns [−pw, right) of the image), so that every window lies inside it and a row's taps are
// its pixel plus fixed offsets; `slack` zero bytes follow the last image. NULL when memory is short.
uint8_t *foedus_conv_padded_copy(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long ph, long pw,
                                 long bottom, long right, uint8_t pad_value, long slack, long *hp_out, long *wp_out) {
    const long hp = ph + (bottom > h ? bottom : h), wp = pw + (right > w ? right : w);
    uint8_t *padded = (uint8_t *)malloc((size_t)(images * hp * wp * cg + slack));
    if (!padded) return NULL;
    for (long i = 0; i < images; i++) {
        uint8_t *image = padded + i * hp * wp * cg;
        memset(image, pad_value, (size_t)(ph * wp * cg));
        for (long y = 0; y < hp - ph; y++) {
            uint8_t *row = image + (ph + y) * wp * cg;
            if (y >= h) { memset(row, pad_value, (size_t)(wp * cg)); continue; }
            const long copy = w < wp - pw ? w : wp - pw;
            memset(row, pad_value, (size_t)(pw * cg));
            const uint8_t *from = x + ((i * h + y) * w) * channels + c0;
            if (cg == channels) memcpy(row + pw * cg, from, (size_t)(copy * cg));
            else for (long px = 0; px < copy; px++) memcpy(row + (pw + px) * cg, from + px * channels, (size_t)cg);
            memset(row + (pw + copy) * cg, pad_value, (size_t)((wp - pw - copy) * cg));
        }
    }
    if (slack > 0) memset(padded + images * hp * wp * cg, 0, (size_t)slack);
    *hp_out = hp;
    *wp_out = wp;
    return padded;
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
    int32_t *off = foedus_column_offsets(0, colsum, n, a_zero, bias);
    if (!off) return -1;
    a_source src = {.x = x, .h = h, .w = w, .channels = channels, .c0 = c0, .cg = cg, .kh = kh, .kw = kw, .sh = sh, .sw = sw,
                    .dh = dh, .dw = dw, .oh = oh, .ow = ow};
    // The windows' extent: rows [−ph, bottom) and columns [−pw, right) of the image.
    const long bottom = (oh - 1) * sh + (kh - 1) * dh + 1 - ph, right = (ow - 1) * sw + (kw - 1) * dw + 1 - pw;
    uint8_t *padded = NULL;
    if (ph > 0 || pw > 0 || bottom > h || right > w) {
        long hp, wp;
        padded = foedus_conv_padded_copy(x, images, h, w, channels, c0, cg, ph, pw, bottom, right, pad_value, 0, &hp, &wp);
        if (!padded) { free(off); return -1; }
        src.x = padded; src.h = hp; src.w = wp; src.channels = cg; src.c0 = 0;
    }
    requant_epilogue epi = requant_epilogue_set(rb, rc, n, zero, lo, hi, out, out32, ldo);
    int status = gemm_vnni(0, &src, packed, NULL, m, n, k, off, c, ldc, rb ? &epi : NULL);
    free(padded);
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
