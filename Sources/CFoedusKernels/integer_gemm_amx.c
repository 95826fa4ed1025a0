// The plain int8 GEMM (no requantizing epilogue, int8 B) on AMX tiles, for CPUs with AMX-INT8
// (Sapphire Rapids and later) whose kernel grants the tile state. `tdpbusd` adds u8·s8 products
// to int32 accumulators without saturation, exactly as vpdpbusd does, so the result equals the
// VNNI and scalar backends bit for bit (integer sums, wrapping modulo 2³²).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CFoedusInteger.h"
#include "integer_gemm_amx.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl")))
#define AMX_PANEL 64

static int amx_state = -1;  // −1 not probed yet, 0 unusable, 1 usable
static int amx_allowed = 1;

static int amx_probe(void) {
    unsigned a, b, c, d;
    // CPUID.(7,0):EDX bit 24 AMX-TILE, bit 25 AMX-INT8; Linux hands out the tile data state
    // (XFEATURE_XTILEDATA = 18) only on request (ARCH_REQ_XCOMP_PERM = 0x1023).
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!(d & (1u << 24)) || !(d & (1u << 25))) return 0;
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0 ? 1 : 0;
}

int foedus_amx_available(void) {
    int state = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (state < 0) {
        state = amx_probe();
        __atomic_store_n(&amx_state, state, __ATOMIC_RELEASE);
    }
    return state;
}

int foedus_amx_allow(int allow) {
    return __atomic_exchange_n(&amx_allowed, allow ? 1 : 0, __ATOMIC_ACQ_REL);
}

int foedus_amx_usable(void) { return __atomic_load_n(&amx_allowed, __ATOMIC_ACQUIRE) && foedus_amx_available(); }

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

// Palette 1 with all eight tiles 16 rows × 64 bytes.
static AMX_TARGET void amx_load_full_tiles(void) {
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg.rows[t] = 16;
        cfg.colsb[t] = 64;
    }
    _tile_loadconfig(&cfg);
}

static long amx_roundup(long x, long m) { return (x + m - 1) / m * m; }

void foedus_amx_load_full_tiles(void) { amx_load_full_tiles(); }

// Rows [i0, i0 + rows) of A (rows 16 or 32), K zero-padded to `chunks`·64, as 16-row tiles per K
// chunk: byte ((t·chunks + ch)·16 + r)·64 + j = A[i0 + 16t + r][64ch + j], 0 past M and K.
static AMX_TARGET void pack_a_rows(const uint8_t *a, long lda, long m, long k, long i0, int rows, long chunks, uint8_t *dst) {
    for (int r = 0; r < rows; r++) {
        long i = i0 + r;
        uint8_t *row = dst + ((long)(r / 16) * chunks * 16 + r % 16) * 64;
        if (i >= m) {
            for (long ch = 0; ch < chunks; ch++) _mm512_storeu_si512((void *)(row + ch * 1024), _mm512_setzero_si512());
            continue;
        }
        const uint8_t *src = a + i * lda;
        for (long ch = 0; ch < chunks; ch++) {
            long left = k - 64 * ch;
            __mmask64 mask = left >= 64 ? ~(__mmask64)0 : (left <= 0 ? (__mmask64)0 : (((__mmask64)1 << left) - 1));
            _mm512_storeu_si512((void *)(row + ch * 1024), _mm512_maskz_loadu_epi8(mask, src + 64 * ch));
        }
    }
}

// C[row][j0 + q] = tile + off[j0 + q] for the rows and columns inside M and N.
static AMX_TARGET void store_tile(const int32_t *tile, long row0, long m, long j0, long n, const int32_t *off, int32_t *c, long ldc) {
    long cols = n - j0 < 16 ? n - j0 : 16;
    if (cols <= 0) return;
    __mmask16 mask = cols == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    const __m512i o = _mm512_maskz_loadu_epi32(mask, off + j0);
    for (long r = 0; r < 16 && row0 + r < m; r++)
        _mm512_mask_storeu_epi32(c + (row0 + r) * ldc + j0, mask, _mm512_add_epi32(_mm512_loadu_si512((const void *)(tile + 16 * r)), o));
}

// One block of 32 rows (16 when rows2 is 0) against every column of B: A tile t of K chunk ch at a0/a1 + ch·astep_ch with
// row stride astride. B rows past K in a panel multiply zero A bytes, so a short last chunk may
// read whole 16-group tiles into the next panel; a panel whose tiles would end past B takes that
// chunk from `tail` instead (copied, zero-padded).
#define AMX_BLOCK(DP)                                                                                                  \
    for (long p0 = 0; p0 < np; p0 += AMX_PANEL) {                                                                     \
        long w = np - p0 < AMX_PANEL ? np - p0 : AMX_PANEL, tiles = w / 16;                                           \
        const int8_t *panel = packed + p0 * kp;                                                                        \
        int last = tail_from < chunks && p0 * kp + 64 * w * chunks > kp * np;                                          \
        if (last) {                                                                                                    \
            memset(tail, 0, 64 * AMX_PANEL);                                                                           \
            memcpy(tail, panel + 16 * tail_from * w * 4, (size_t)(tail_groups * w * 4));                               \
        }                                                                                                              \
        for (long v = 0; v < tiles; v += 2) {                                                                          \
            int two = v + 1 < tiles;                                                                                   \
            _tile_zero(0);                                                                                             \
            _tile_zero(1);                                                                                             \
            _tile_zero(2);                                                                                             \
            _tile_zero(3);                                                                                             \
            for (long ch = 0; ch < chunks; ch++) {                                                                     \
                const int8_t *b = last && ch >= tail_from ? tail + 64 * v : panel + (16 * ch * w + 16 * v) * 4;       \
                long bstride = w * 4;                                                                                  \
                _tile_loadd(4, a0 + ch * astep_ch, astride);                                                           \
                _tile_loadd(6, b, bstride);                                                                            \
                DP(0, 4, 6);                                                                                           \
                if (two) _tile_loadd(7, b + 64, bstride);                                                              \
                if (two) DP(1, 4, 7);                                                                                  \
                if (rows2) {                                                                                           \
                    _tile_loadd(5, a1 + ch * astep_ch, astride);                                                       \
                    DP(2, 5, 6);                                                                                       \
                    if (two) DP(3, 5, 7);                                                                              \
                }                                                                                                      \
            }                                                                                                          \
            long j = p0 + 16 * v;                                                                                      \
            _tile_stored(0, out, 64);                                                                                  \
            store_tile(out, i0, m, j, n, off, c, ldc);                                                                 \
            if (rows2) {                                                                                               \
                _tile_stored(2, out, 64);                                                                              \
                store_tile(out, i0 + 16, m, j, n, off, c, ldc);                                                        \
            }                                                                                                          \
            if (two) {                                                                                                 \
                _tile_stored(1, out, 64);                                                                              \
                store_tile(out, i0, m, j + 16, n, off, c, ldc);                                                        \
            }                                                                                                          \
            if (two && rows2) {                                                                                        \
                _tile_stored(3, out, 64);                                                                              \
                store_tile(out, i0 + 16, m, j + 16, n, off, c, ldc);                                                   \
            }                                                                                                          \
        }                                                                                                              \
    }

static AMX_TARGET void block_u8(const uint8_t *a0, const uint8_t *a1, int rows2, long astride, long astep_ch, long chunks, const int8_t *packed,
                                int8_t *tail, long tail_from, long tail_groups, long kp, long np, long i0, long m, long n, const int32_t *off,
                                int32_t *c, long ldc, int32_t *out) {
    AMX_BLOCK(_tile_dpbusd)
}

static AMX_TARGET void block_s8(const uint8_t *a0, const uint8_t *a1, int rows2, long astride, long astep_ch, long chunks, const int8_t *packed,
                                int8_t *tail, long tail_from, long tail_groups, long kp, long np, long i0, long m, long n, const int32_t *off,
                                int32_t *c, long ldc, int32_t *out) {
    AMX_BLOCK(_tile_dpbssd)
}

static AMX_TARGET void amx_run(int a_signed, const uint8_t *a, long lda, const int8_t *packed, long m, long n, long k, long chunks,
                               int8_t *tail, long tail_from, long tail_groups, const int32_t *off, int32_t *c, long ldc, uint8_t *apack, int32_t *out) {
    long kp = amx_roundup(k, 4), np = amx_roundup(n, 16);
    foedus_amx_load_full_tiles();
    for (long i0 = 0; i0 < m; i0 += 32) {
        // Whole 32-row blocks of a K that is a multiple of 64 are read in place; the rest is
        // copied, zero-padded.
        // A last block of at most 16 rows uses one A tile (C tiles 0 and 1).
        const int rows2 = m - i0 > 16;
        const uint8_t *a0, *a1;
        long astride, astep;
        if (i0 + 32 <= m && k % 64 == 0) {
            a0 = a + i0 * lda;
            a1 = a0 + 16 * lda;
            astride = lda;
            astep = 64;
        } else {
            pack_a_rows(a, lda, m, k, i0, rows2 ? 32 : 16, chunks, apack);
            a0 = apack;
            a1 = apack + chunks * 1024;
            astride = 64;
            astep = 1024;
        }
        if (a_signed) block_s8(a0, a1, rows2, astride, astep, chunks, packed, tail, tail_from, tail_groups, kp, np, i0, m, n, off, c, ldc, out);
        else block_u8(a0, a1, rows2, astride, astep, chunks, packed, tail, tail_from, tail_groups, kp, np, i0, m, n, off, c, ldc, out);
    }
    _tile_release();
}

int foedus_amx_i8_gemm(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum, long m, long n, long k,
                       const int32_t *off, int32_t *c, long ldc) {
    if (!foedus_amx_usable()) return -3;
    if (m <= 0 || n <= 0) return 0;
    long kp = amx_roundup(k, 4), np = amx_roundup(n, 16), groups = kp / 4, chunks = (groups + 15) / 16;
    long tail_groups = groups - 16 * (chunks - 1);
    long tail_from = chunks > 0 && tail_groups < 16 ? chunks - 1 : chunks;
    int32_t *shifted = NULL;
    // Signed A multiplies as it is (tdpbssd) instead of as A + 128: the column offsets, made for
    // A + 128, get the 128·colsum back (wrapping, exact modulo 2³²).
    if (a_signed) {
        shifted = (int32_t *)malloc((size_t)np * sizeof(int32_t));
        if (!shifted) return -1;
        for (long j = 0; j < np; j++) shifted[j] = (int32_t)((uint32_t)off[j] + 128u * (uint32_t)(j < n ? colsum[j] : 0));
        off = shifted;
    }
    uint8_t *apack = (uint8_t *)aligned_alloc(64, (size_t)(2 * (chunks > 0 ? chunks : 1) * 1024));
    int8_t *tail = tail_from < chunks ? (int8_t *)aligned_alloc(64, (size_t)(64 * AMX_PANEL)) : NULL;
    int32_t *out = (int32_t *)aligned_alloc(64, 1024);
    if (!apack || !out || (tail_from < chunks && !tail)) { free(apack); free(tail); free(out); free(shifted); return -1; }
    amx_run(a_signed, a, lda, packed, m, n, k, chunks, tail, tail_from, tail_groups, off, c, ldc, apack, out);
    free(apack);
    free(tail);
    free(out);
    free(shifted);
    return 0;
}

#else
int foedus_amx_available(void) { return 0; }
int foedus_amx_allow(int allow) { (void)allow; return 0; }
int foedus_amx_usable(void) { return 0; }
int foedus_amx_i8_gemm(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum, long m, long n, long k,
                       const int32_t *off, int32_t *c, long ldc) {
    (void)a_signed; (void)a; (void)lda; (void)packed; (void)colsum; (void)m; (void)n; (void)k; (void)off; (void)c; (void)ldc;
    return -3;
}
#endif
