// The NHWC uint8 convolution on AMX tiles (CPUs with AMX-INT8 whose kernel grants the tile
// state). Each ky's kw taps of an output pixel are kw·cg contiguous bytes of the padded image
// (dilation 1 along x), so an A tile is 16 consecutive output pixels of one output row read in
// place with a row stride of sw·cg bytes: no im2col, no packing. A K chunk of 64 bytes that runs
// past the kw·cg bytes of a ky meets zero rows of B, so whatever it reads adds nothing.
// tdpbusd adds u8·s8 products to int32 without saturation, as vpdpbusd does: the sums equal the
// VNNI and scalar paths exactly.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CFoedusInteger.h"
#include "integer_gemm_amx.h"

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#include "requant_simd.h"

#define CONV_AMX_TARGET __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl")))

// Where a run's results go: int32 in `c` (no requantizer), or requantized bytes / int32.
typedef struct {
    const int32_t *off, *rb, *rc;
    int32_t zero, lo, hi;
    int high;  // requant_high_form
    int sign;  // bytes through requant_pack4 (requant_bytes_sign), −1: one vpmovdb per vector
    int32_t *c;
    long ldc;
    uint8_t *out;
    int32_t *out32;
    long ldo;
} conv_amx_output;

// Rows [0, rows) of one stored 16×16 tile (`tile`), columns j0 … j0 + 15 (those below n), as
// output rows m0 … m0 + rows − 1.
static CONV_AMX_TARGET void conv_amx_store_block(const int32_t *tile, int rows, long m0, long j0, long n, const conv_amx_output *o) {
    const long cols = n - j0 < 16 ? n - j0 : 16;
    const __mmask16 mask = cols == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    const __m512i offv = _mm512_maskz_loadu_epi32(mask, o->off + j0);
    if (!o->rb) {
        for (int r = 0; r < rows; r++)
            _mm512_mask_storeu_epi32(o->c + (m0 + r) * o->ldc + j0, mask, _mm512_add_epi32(_mm512_loadu_si512((const void *)(tile + 16 * r)), offv));
        return;
    }
    const requant_bounds16 bounds = requant_bounds16_set(o->zero, o->lo, o->hi);
    const requant_columns16 k = requant_columns16_load(o->rb + j0, o->rc + j0, mask, o->high);
    for (int r = 0; r < rows; r++) {
        const __m512i acc = _mm512_add_epi32(_mm512_loadu_si512((const void *)(tile + 16 * r)), offv);
        const __m512i q = requant16_columns(acc, &k, &bounds, o->high);
        if (o->out32) _mm512_mask_storeu_epi32(o->out32 + (m0 + r) * o->ldo + j0, mask, q);
        else _mm_mask_storeu_epi8(o->out + (m0 + r) * o->ldo + j0, mask, _mm512_cvtepi32_epi8(q));
    }
}

// Bytes of rows [0, rows) of `blocks` stored tiles side by side (block v's row r at
// tiles + 256·v + 16·r), columns p0 … p0 + 16·blocks − 1 (those below n), through requant_pack4:
// a row of 64 or 48 columns per pack, two rows of 32, four of 16.
static inline __attribute__((always_inline)) CONV_AMX_TARGET void
conv_amx_store_packed(const int32_t *tiles, int blocks, int rows, long m0, long p0, long n, const conv_amx_output *o, const int high) {
    const long ncols = n - p0 < 16 * blocks ? n - p0 : 16 * blocks;
    const requant_bounds16 bounds = requant_bounds16_set(o->zero, o->lo, o->hi);
    const requant_bytes pb = requant_bytes_set(requant_pack_zero(high, o->zero), o->lo, o->hi, o->sign, ncols);
    requant_columns16 k[4];
    __m512i offv[4];
    for (int v = 0; v < 4; v++) {
        const long col = 16 * v;
        const __mmask16 mask = v >= blocks || col >= ncols ? 0 : (ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1));
        offv[v] = _mm512_maskz_loadu_epi32(mask, o->off + p0 + col);
        k[v] = requant_columns16_load(o->rb + p0 + col, o->rc + p0 + col, mask, high);
    }
#define AMX_RQ(R, V)                                                                                             \
    (high == 2 ? requant16_raw_high33(_mm512_add_epi32(_mm512_loadu_si512((const void *)(tiles + 256 * (V) + 16 * (R))), offv[V]), \
                                      k[V].b, k[V].bo, k[V].rnd, k[V].sh)                                       \
               : requant16_columns(_mm512_add_epi32(_mm512_loadu_si512((const void *)(tiles + 256 * (V) + 16 * (R))), offv[V]), \
                                   &k[V], &bounds, high))
    uint8_t *out = o->out + m0 * o->ldo + p0;
    const long ldo = o->ldo;
    if (blocks >= 3) {
        for (int r = 0; r < rows; r++)
            _mm512_mask_storeu_epi8(out + r * ldo, pb.cols, requant_pack4(AMX_RQ(r, 0), AMX_RQ(r, 1), AMX_RQ(r, 2), AMX_RQ(r, blocks - 1), &pb));
    } else if (blocks == 2) {
        for (int r = 0; r < rows; r += 2) {
            const int s = r + 1 < rows ? r + 1 : r;
            requant_store_rows(requant_pack4(AMX_RQ(r, 0), AMX_RQ(r, 1), AMX_RQ(s, 0), AMX_RQ(s, 1), &pb), out + r * ldo, ldo, rows - r, 32, &pb);
        }
    } else {
        for (int r = 0; r < rows; r += 4) {
            const int r1 = r + 1 < rows ? r + 1 : r, r2 = r + 2 < rows ? r + 2 : r, r3 = r + 3 < rows ? r + 3 : r;
            requant_store_rows(requant_pack4(AMX_RQ(r, 0), AMX_RQ(r1, 0), AMX_RQ(r2, 0), AMX_RQ(r3, 0), &pb), out + r * ldo, ldo, rows - r, 16, &pb);
        }
    }
#undef AMX_RQ
}

// Rows [0, rows) of `blocks` stored tiles (see conv_amx_store_packed) to the output.
static CONV_AMX_TARGET void conv_amx_store(const int32_t *tiles, int blocks, int rows, long m0, long p0, long n, const conv_amx_output *o) {
    if (o->rb && o->sign >= 0) {
        if (o->high == 2) conv_amx_store_packed(tiles, blocks, rows, m0, p0, n, o, 2);
        else if (o->high) conv_amx_store_packed(tiles, blocks, rows, m0, p0, n, o, 1);
        else conv_amx_store_packed(tiles, blocks, rows, m0, p0, n, o, 0);
        return;
    }
    for (int v = 0; v < blocks; v++) conv_amx_store_block(tiles + 256 * v, rows, m0, p0 + 16 * v, n, o);
}

// B tile of column block V (16 columns) of K chunk KCH from a 64-column panel, into tile T, then
// C tile V += A (tile 4) · it.
#define CONV_AMX_DP(V, T)                                                                  \
    do {                                                                                   \
        _tile_loadd(T, panel + (16 * kch * w + 16 * (V)) * 4, w * 4);                      \
        _tile_dpbusd(V, 4, T);                                                             \
    } while (0)

static CONV_AMX_TARGET void conv_amx_run(const uint8_t *x, long images, long hp, long wp, long cg, long kh, long kc, long sh, long sw,
                                         long dh, long oh, long ow, const int8_t *packed, long n, const conv_amx_output *o,
                                         int32_t *tile) {
    const long np = (n + 15) / 16 * 16, kp = kh * kc, chunks = kc / 64;
    foedus_amx_load_full_tiles();
    for (long img = 0; img < images; img++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox0 = 0; ox0 < ow; ox0 += 16) {
                const int rows = ow - ox0 < 16 ? (int)(ow - ox0) : 16;
                const uint8_t *run = x + ((img * hp + oy * sh) * wp + ox0 * sw) * cg;
                const long m0 = (img * oh + oy) * ow + ox0;
                for (long p0 = 0; p0 < np; p0 += 64) {
                    const long w = np - p0 < 64 ? np - p0 : 64, blocks = w / 16;
                    const int8_t *panel = packed + p0 * kp;
                    _tile_zero(0);
                    _tile_zero(1);
                    _tile_zero(2);
                    _tile_zero(3);
                    for (long ky = 0; ky < kh; ky++)
                        for (long q = 0; q < chunks; q++) {
                            const long kch = ky * chunks + q;
                            _tile_loadd(4, run + ky * dh * wp * cg + 64 * q, sw * cg);
                            CONV_AMX_DP(0, 5);
                            if (blocks > 1) CONV_AMX_DP(1, 6);
                            if (blocks > 2) CONV_AMX_DP(2, 7);
                            if (blocks > 3) CONV_AMX_DP(3, 5);
                        }
                    _tile_stored(0, tile, 64);
                    if (blocks > 1) _tile_stored(1, tile + 256, 64);
                    if (blocks > 2) _tile_stored(2, tile + 512, 64);
                    if (blocks > 3) _tile_stored(3, tile + 768, 64);
                    conv_amx_store(tile, (int)blocks, rows, m0, p0, n, o);
                }
            }
    _tile_release();
}

int foedus_u8_conv_nhwc_amx(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                            long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                            const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                            int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                            uint8_t *out, int32_t *out32, long ldo) {
    if (dw != 1) return -2;
    if (!foedus_amx_usable()) return -3;
    const long m = images * oh * ow, kc = (kw * cg + 63) / 64 * 64;
    if (m <= 0 || n <= 0) return 0;
    int32_t *off = foedus_column_offsets(0, colsum, n, a_zero, bias);
    int32_t *tile = (int32_t *)aligned_alloc(64, 4096);
    // A tile reads up to 16 pixels and a whole K chunk past a run's start: slack after the copy.
    const long bottom = (oh - 1) * sh + (kh - 1) * dh + 1 - ph, right = (ow - 1) * sw + kw - pw;
    long hp = 0, wp = 0;
    uint8_t *padded = off && tile ? foedus_conv_padded_copy(x, images, h, w, channels, c0, cg, ph, pw, bottom, right, pad_value,
                                                            16 * sw * cg + kc + 64, &hp, &wp)
                                  : NULL;
    if (!off || !tile || !padded) { free(off); free(tile); free(padded); return -1; }
    const int high = rb ? requant_high_form(rc, n, zero, lo, hi) : 0;
    const int sign = rb && !out32 ? requant_bytes_sign(requant_pack_zero(high, zero), lo, hi) : -1;
    const conv_amx_output o = {off, rb, rc, zero, lo, hi, high, sign, c, ldc, out, out32, ldo};
    conv_amx_run(padded, images, hp, wp, cg, kh, kc, sh, sw, dh, oh, ow, packed, n, &o, tile);
    free(padded);
    free(tile);
    free(off);
    return 0;
}

#else
int foedus_u8_conv_nhwc_amx(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                            long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                            const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                            int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                            uint8_t *out, int32_t *out32, long ldo) {
    (void)x; (void)images; (void)h; (void)w; (void)channels; (void)c0; (void)cg; (void)kh; (void)kw; (void)sh; (void)sw;
    (void)ph; (void)pw; (void)dh; (void)dw; (void)oh; (void)ow; (void)pad_value; (void)packed; (void)colsum; (void)n;
    (void)a_zero; (void)bias; (void)c; (void)ldc; (void)rb; (void)rc; (void)zero; (void)lo; (void)hi; (void)out; (void)out32;
    (void)ldo;
    return -3;
}
#endif
