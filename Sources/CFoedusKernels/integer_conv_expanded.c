// Convolutions whose taps are first laid side by side (foedus_u8_conv_nhwc_expanded_gemm): a
// one-channel stem such as cnn-gn's conv1, where K is a few words and the time goes to the
// epilogue and the work around each tile rather than to vpdpbusd.
//
// With stride 1 in y, output pixel p of an image reads the words of its expanded rows at
// p·cgx + ky·dh·ow·cgx: consecutive pixels are consecutive rows of A across the whole image, so
// the direct kernel below needs no per-row address table. It expands one image at a time (its rows
// stay in L1 for every column panel), keeps the column constants of the epilogue out of the tile
// loop, and packs four requantized vectors into 64 bytes with saturating packs instead of one
// vpmovdb per vector.
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

static long roundup(long x, long m) { return (x + m - 1) / m * m; }

// Position ox of a framed line (pad bytes around the row) as one word: byte kx is tap kx,
// frame[ox·sw + kx·dw], the bytes past kw are 0.
static void expand_words_scalar(const uint8_t *frame, long ow, long kw, long sw, long dw, uint32_t *out) {
    for (long ox = 0; ox < ow; ox++) {
        uint32_t v = 0;
        for (long kx = 0; kx < kw; kx++) v |= (uint32_t)frame[ox * sw + kx * dw] << (8 * kx);
        out[ox] = v;
    }
}

#ifdef FOEDUS_X86
// 16 positions per step, the last step's words masked (the frame's 64 spare bytes are read).
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void expand_words_avx512(const uint8_t *frame, long ow, long kw, long dw, uint32_t *out) {
    for (long ox = 0; ox < ow; ox += 16) {
        __m512i v = _mm512_setzero_si512();
        for (long kx = 0; kx < kw; kx++)
            v = _mm512_or_si512(v, _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(frame + ox + kx * dw))), (unsigned)(8 * kx)));
        const __mmask16 mask = ow - ox >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ow - ox)) - 1);
        _mm512_mask_storeu_epi32((void *)(out + ox), mask, v);
    }
}
#endif

#ifdef FOEDUS_X86
// The words of a line of one-byte pixels (one channel, stride 1) straight from the line, without
// a framed copy: positions ox … ox + 15 read a 64-byte window from ox − pw (a masked load: bytes
// outside the line take the pad byte and are neither read nor faulted on), and one byte permute
// puts window byte j + kx·dw at byte kx of word j (`index`, exp_line_index), zeroing the bytes
// past kw. Needs VBMI and 15 + (kw − 1)·dw < 64.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))
static void expand_line_vbmi(const uint8_t *line, long w, long pw, long ow, long kw, const uint8_t index[64], uint8_t pad_value,
                             uint32_t *out) {
    const __m512i pad = _mm512_set1_epi8((char)pad_value), idx = _mm512_loadu_si512((const void *)index);
    const __mmask64 taps = (__mmask64)(0x1111111111111111ull * ((1u << kw) - 1));
    for (long ox = 0; ox < ow; ox += 16) {
        const long start = ox - pw, lo = start < 0 ? -start : 0, hi = w - start < 64 ? w - start : 64;
        const __mmask64 in = lo >= hi ? 0 : ((hi == 64 ? ~(__mmask64)0 : (((__mmask64)1 << hi) - 1)) & ~(((__mmask64)1 << lo) - 1));
        // Lane 0's address as an integer: it may lie before the line (that byte is masked off).
        const __m512i window = _mm512_mask_loadu_epi8(pad, in, (const void *)((uintptr_t)line + (uintptr_t)start));
        const __mmask16 mask = ow - ox >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ow - ox)) - 1);
        _mm512_mask_storeu_epi32((void *)(out + ox), mask, _mm512_maskz_permutexvar_epi8(taps, idx, window));
    }
}

// expand_line_vbmi's permute: byte 4j + kx of the result is window byte j + kx·dw (kx < kw; the
// other bytes of a word are zeroed by the permute's mask).
static void exp_line_index(long kw, long dw, uint8_t index[64]) {
    for (int j = 0; j < 16; j++)
        for (int b = 0; b < 4; b++) index[4 * j + b] = (uint8_t)(b < kw ? j + b * dw : j);
}
#endif

// The framed line's words (stride 1 in AVX-512, any stride otherwise); the frame must hold
// (ow − 1)·sw + (kw − 1)·dw + 64 bytes.
static void expand_words(const uint8_t *frame, long ow, long kw, long sw, long dw, uint32_t *out) {
#ifdef FOEDUS_X86
    if (sw == 1) { expand_words_avx512(frame, ow, kw, dw, out); return; }
#endif
    expand_words_scalar(frame, ow, kw, sw, dw, out);
}

// The geometry of an expanded convolution.
typedef struct {
    const uint8_t *x;
    long h, w, channels, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    uint8_t pad_value;
    long hp, cgx;   // expanded rows per image (rows [−ph, bottom) of it), bytes per position
    uint8_t *frame; // a framed line when `words` (one channel, kw ≤ 4) without `vbmi`, else NULL
    long framed;    // its length
    int vbmi;       // one channel, stride 1, 15 + (kw − 1)·dw < 64 and a VBMI CPU: expand_line_vbmi
    uint8_t index[64];
} expansion;

// Image i's rows [−ph, bottom), each output column's kw taps side by side (cgx bytes, the bytes
// past kw·cg 0), into `rows` (hp·ow·cgx bytes).
static void expand_image(const expansion *e, long i, uint8_t *rows) {
    for (long yy = 0; yy < e->hp; yy++) {
        uint8_t *row = rows + yy * e->ow * e->cgx;
        const long y = yy - e->ph;
        if (y < 0 || y >= e->h) { memset(row, e->pad_value, (size_t)(e->ow * e->cgx)); continue; }
        const uint8_t *line = e->x + (i * e->h + y) * e->w * e->channels + e->c0;
#ifdef FOEDUS_X86
        if (e->vbmi) {
            expand_line_vbmi(line, e->w, e->pw, e->ow, e->kw, e->index, e->pad_value, (uint32_t *)(void *)row);
            continue;
        }
#endif
        if (e->frame) {
            memset(e->frame, e->pad_value, (size_t)e->pw);
            if (e->channels == 1) memcpy(e->frame + e->pw, line, (size_t)e->w);
            else for (long ix = 0; ix < e->w; ix++) e->frame[e->pw + ix] = line[ix * e->channels];
            memset(e->frame + e->pw + e->w, e->pad_value, (size_t)(e->framed - e->pw - e->w));
            expand_words(e->frame, e->ow, e->kw, e->sw, e->dw, (uint32_t *)(void *)row);
            continue;
        }
        for (long ox = 0; ox < e->ow; ox++) {
            uint8_t *dst = row + ox * e->cgx;
            for (long kx = 0; kx < e->kw; kx++) {
                const long ix = ox * e->sw - e->pw + kx * e->dw;
                if (ix < 0 || ix >= e->w) memset(dst + kx * e->cg, e->pad_value, (size_t)e->cg);
                else if (e->cg == 1) dst[kx] = line[ix * e->channels];
                else memcpy(dst + kx * e->cg, line + ix * e->channels, (size_t)e->cg);
            }
            // The padding bytes meet zero weights.
            for (long j = e->kw * e->cg; j < e->cgx; j++) dst[j] = 0;
        }
    }
}

#ifdef FOEDUS_X86
#define EXP_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define EXP_PANEL 64

// What a tile writes: int32 accumulators to C, requantized bytes, or requantized int32.
enum { EXP_INT32 = 0, EXP_BYTES = 1, EXP_REQUANT32 = 2 };

// One column panel's constants (up to four vectors of 16 columns), set once per panel.
typedef struct {
    __m512i off[4];            // column offsets: every accumulator starts there
    requant_columns16 col[4];  // the requantization's column constants in form `form`
    requant_bounds16 bounds;   // its zero point and clamp
    requant_bytes bytes;       // zero point (high33 form only), bounds and column mask of packed bytes
    __mmask16 mask[4];         // columns of each vector below n
    int mode;                  // EXP_INT32, EXP_BYTES or EXP_REQUANT32
    int form;                  // requant_high_form
} exp_panel;

// Column vector V of a row requantized in form F: for bytes in the high33 form without the clamp
// and zero point (the pack adds them), otherwise complete.
#define EXP_RQ(ACC, V, F, RAW)                                                                                  \
    ((F) == 2 && (RAW) ? requant16_raw_high33(ACC, k->col[V].b, k->col[V].bo, k->col[V].rnd, k->col[V].sh) \
                       : requant16_columns(ACC, &k->col[V], &k->bounds, F))

// A tile's accumulators are named locals a<row>_<vector> (see integer_gemm.c: in an array, clang
// stores them to the stack after each vpdpbusd of a K loop).
#define EXP_ACC(R) __m512i a##R##_0 = k->off[0], a##R##_1 = k->off[1], a##R##_2 = k->off[2], a##R##_3 = k->off[3];
#define EXP_ROW(R)                                                                                   \
    do {                                                                                             \
        if (MR > R) {                                                                                \
            const __m512i av_ = _mm512_set1_epi32(*(const exp_word *)(p + (R) * cgx));               \
            a##R##_0 = _mm512_dpbusd_epi32(a##R##_0, av_, b0);                                       \
            if (NV > 1) a##R##_1 = _mm512_dpbusd_epi32(a##R##_1, av_, b1);                           \
            if (NV > 2) a##R##_2 = _mm512_dpbusd_epi32(a##R##_2, av_, b2);                           \
            if (NV > 3) a##R##_3 = _mm512_dpbusd_epi32(a##R##_3, av_, b3);                           \
        }                                                                                            \
    } while (0)
// Row R as int32 at c + R·ldc: the accumulators (F < 0) or their requantization in form F.
#define EXP_STORE32(R, F)                                                                                            \
    do {                                                                                                             \
        if (MR > R && R < valid) {                                                                                   \
            int32_t *c_ = c + (R) * ldc;                                                                             \
            _mm512_mask_storeu_epi32(c_, k->mask[0], (F) < 0 ? a##R##_0 : EXP_RQ(a##R##_0, 0, F, 0));               \
            if (NV > 1) _mm512_mask_storeu_epi32(c_ + 16, k->mask[1], (F) < 0 ? a##R##_1 : EXP_RQ(a##R##_1, 1, F, 0)); \
            if (NV > 2) _mm512_mask_storeu_epi32(c_ + 32, k->mask[2], (F) < 0 ? a##R##_2 : EXP_RQ(a##R##_2, 2, F, 0)); \
            if (NV > 3) _mm512_mask_storeu_epi32(c_ + 48, k->mask[3], (F) < 0 ? a##R##_3 : EXP_RQ(a##R##_3, 3, F, 0)); \
        }                                                                                                            \
    } while (0)
#define EXP_ALL32(F)                                                                                 \
    do {                                                                                             \
        EXP_STORE32(0, F); EXP_STORE32(1, F); EXP_STORE32(2, F); EXP_STORE32(3, F);                  \
        EXP_STORE32(4, F); EXP_STORE32(5, F); EXP_STORE32(6, F); EXP_STORE32(7, F);                  \
        EXP_STORE32(8, F); EXP_STORE32(9, F); EXP_STORE32(10, F); EXP_STORE32(11, F);                \
    } while (0)
// Requantized bytes of the tile's valid rows in form F: a row per pack (NV = 4 or 3), two (NV = 2)
// or four (NV = 1).
#define EXP_BYTES_ROW(R, F)                                                                          \
    if (MR > R && R < valid) {                                                                       \
        const __m512i q2_ = NV > 2 ? EXP_RQ(a##R##_2, 2, F, 1) : _mm512_setzero_si512();             \
        const __m512i q3_ = NV > 3 ? EXP_RQ(a##R##_3, 3, F, 1) : q2_;                                 \
        _mm512_mask_storeu_epi8(out + (R) * ldo, k->bytes.cols,                                      \
                                requant_pack4(EXP_RQ(a##R##_0, 0, F, 1), EXP_RQ(a##R##_1, 1, F, 1), q2_, q3_, &k->bytes)); \
    }
#define EXP_PAIR(R, S, F)                                                                            \
    if (MR > R && R < valid)                                                                         \
        requant_store_rows(requant_pack4(EXP_RQ(a##R##_0, 0, F, 1), EXP_RQ(a##R##_1, 1, F, 1), EXP_RQ(a##S##_0, 0, F, 1), \
                                         EXP_RQ(a##S##_1, 1, F, 1), &k->bytes),                      \
                           out + (R) * ldo, ldo, valid - (R), 32, &k->bytes);
#define EXP_QUAD(R, S, T, U, F)                                                                      \
    if (MR > R && R < valid)                                                                         \
        requant_store_rows(requant_pack4(EXP_RQ(a##R##_0, 0, F, 1), EXP_RQ(a##S##_0, 0, F, 1), EXP_RQ(a##T##_0, 0, F, 1), \
                                         EXP_RQ(a##U##_0, 0, F, 1), &k->bytes),                      \
                           out + (R) * ldo, ldo, valid - (R), 16, &k->bytes);
#define EXP_ALL_BYTES(F)                                                                             \
    do {                                                                                             \
        if (NV >= 3) {                                                                               \
            EXP_BYTES_ROW(0, F) EXP_BYTES_ROW(1, F) EXP_BYTES_ROW(2, F) EXP_BYTES_ROW(3, F)          \
            EXP_BYTES_ROW(4, F) EXP_BYTES_ROW(5, F) EXP_BYTES_ROW(6, F) EXP_BYTES_ROW(7, F)          \
            EXP_BYTES_ROW(8, F) EXP_BYTES_ROW(9, F) EXP_BYTES_ROW(10, F) EXP_BYTES_ROW(11, F)        \
        } else if (NV == 2) {                                                                        \
            EXP_PAIR(0, 1, F) EXP_PAIR(2, 3, F) EXP_PAIR(4, 5, F) EXP_PAIR(6, 7, F) EXP_PAIR(8, 9, F) EXP_PAIR(10, 11, F) \
        } else {                                                                                     \
            EXP_QUAD(0, 1, 2, 3, F) EXP_QUAD(4, 5, 6, 7, F) EXP_QUAD(8, 9, 10, 11, F)                \
        }                                                                                            \
    } while (0)
typedef int32_t exp_word __attribute__((aligned(1), may_alias));

// One tile: rows p … p + MR − 1 of an image's expanded A (row r's words at p + r·cgx + kofs[g]),
// NV vectors of the panel, `valid` of its rows stored (int32 in C: rows of c, ldc; bytes: rows
// of out, ldo). CGX is cgx when known at compile time.
static inline __attribute__((always_inline)) EXP_TARGET void
exp_tile(const uint8_t *a, long cgx_rt, const long *kofs, long groups, const int8_t *panel, long w, const exp_panel *k, int32_t *c,
         long ldc, uint8_t *out, long ldo, int valid, const int MR, const int NV, const int CGX) {
    const long cgx = CGX ? CGX : cgx_rt;
    EXP_ACC(0) EXP_ACC(1) EXP_ACC(2) EXP_ACC(3) EXP_ACC(4) EXP_ACC(5)
    EXP_ACC(6) EXP_ACC(7) EXP_ACC(8) EXP_ACC(9) EXP_ACC(10) EXP_ACC(11)
    const int8_t *bg = panel;
    for (long g = 0; g < groups; g++, bg += 4 * w) {
        const uint8_t *p = a + kofs[g];
        const __m512i b0 = _mm512_loadu_si512((const void *)bg);
        const __m512i b1 = NV > 1 ? _mm512_loadu_si512((const void *)(bg + 64)) : b0;
        const __m512i b2 = NV > 2 ? _mm512_loadu_si512((const void *)(bg + 128)) : b0;
        const __m512i b3 = NV > 3 ? _mm512_loadu_si512((const void *)(bg + 192)) : b0;
        EXP_ROW(0); EXP_ROW(1); EXP_ROW(2); EXP_ROW(3); EXP_ROW(4); EXP_ROW(5);
        EXP_ROW(6); EXP_ROW(7); EXP_ROW(8); EXP_ROW(9); EXP_ROW(10); EXP_ROW(11);
    }
    if (k->mode == EXP_INT32) EXP_ALL32(-1);
    else if (k->mode == EXP_REQUANT32) {
        if (k->form == 2) EXP_ALL32(2);
        else if (k->form == 1) EXP_ALL32(1);
        else EXP_ALL32(0);
    } else if (k->form == 2) EXP_ALL_BYTES(2);
    else if (k->form == 1) EXP_ALL_BYTES(1);
    else EXP_ALL_BYTES(0);
}
#undef EXP_ALL32
#undef EXP_ALL_BYTES
#undef EXP_STORE32
#undef EXP_BYTES_ROW
#undef EXP_PAIR
#undef EXP_QUAD

// Every tile of one image's `pixels` rows for one panel: MR-row tiles, the last one reading past
// the image's rows into the buffer's slack and storing only its valid rows.
static inline __attribute__((always_inline)) EXP_TARGET void
exp_image(const uint8_t *rows, long cgx_rt, const long *kofs, long groups, long pixels, const int8_t *panel, long w,
          const exp_panel *k, int32_t *c, long ldc, uint8_t *out, long ldo, const int MR, const int NV, const int CGX) {
    const long cgx = CGX ? CGX : cgx_rt;
    for (long p = 0; p < pixels; p += MR) {
        const int valid = pixels - p < MR ? (int)(pixels - p) : MR;
        // Only one of C (int32) and out (bytes) is written; the other may be NULL.
        exp_tile(rows + p * cgx, cgx, kofs, groups, panel, w, k, c ? c + p * ldc : NULL, ldc, out ? out + p * ldo : NULL, ldo, valid, MR, NV,
                 CGX);
    }
}

static EXP_TARGET void exp_image_any(const uint8_t *rows, long cgx, const long *kofs, long groups, long pixels, const int8_t *panel,
                                     long w, const exp_panel *k, int32_t *c, long ldc, uint8_t *out, long ldo) {
    const int nv = (int)(w / 16);
    if (cgx == 4) {
        switch (nv) {
        case 1: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 12, 1, 4); break;
        case 2: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 12, 2, 4); break;
        case 3: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 6, 3, 4); break;
        default: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 6, 4, 4); break;
        }
        return;
    }
    switch (nv) {
    case 1: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 12, 1, 0); break;
    case 2: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 12, 2, 0); break;
    case 3: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 6, 3, 0); break;
    default: exp_image(rows, cgx, kofs, groups, pixels, panel, w, k, c, ldc, out, ldo, 6, 4, 0); break;
    }
}

// Panel p0's constants (masked-off columns: requant_columns16_load's placeholders, never stored).
static EXP_TARGET void exp_panel_set(exp_panel *k, const int32_t *off, const int32_t *rb, const int32_t *rc, long p0, long ncols,
                                     int32_t zero, int32_t lo, int32_t hi, int mode, int form, int sign) {
    for (int v = 0; v < 4; v++) {
        const long col = 16 * v;
        const __mmask16 mask = col >= ncols ? 0 : (ncols - col >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ncols - col)) - 1));
        k->mask[v] = mask;
        k->off[v] = _mm512_maskz_loadu_epi32(mask, off + p0 + col);
        if (rb) k->col[v] = requant_columns16_load(rb + p0 + col, rc + p0 + col, mask, form);
    }
    k->bounds = requant_bounds16_set(zero, lo, hi);
    // The high33 bytes get their zero point in the pack; the other forms have added it.
    k->bytes = requant_bytes_set(requant_pack_zero(form, zero), lo, hi, sign, ncols);
    k->mode = mode;
    k->form = form;
}

// The direct kernel: 0, −1 when memory is short, −2 when this convolution or its epilogue is not
// one it handles (nothing done).
static int conv_expanded_direct(const expansion *e, long images, const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero,
                                const int32_t *bias, int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero,
                                int32_t lo, int32_t hi, uint8_t *out, int32_t *out32, long ldo) {
    if (e->sh != 1) return -2;
    const int mode = !rb ? EXP_INT32 : out32 ? EXP_REQUANT32 : EXP_BYTES, form = rb ? requant_high_form(rc, n, zero, lo, hi) : 0;
    // Bytes go through the saturating packs (requant_pack4) when the bounds allow.
    const int sign = mode == EXP_BYTES ? requant_bytes_sign(requant_pack_zero(form, zero), lo, hi) : 0;
    if (sign < 0) return -2;
    const long cgx = e->cgx, groups = e->kh * cgx / 4, pixels = e->oh * e->ow, kp = e->kh * cgx, np = roundup(n, 16);
    // Rows read by the last tile (up to 11 past the image's pixels) plus a word: zero slack.
    const long image_bytes = e->hp * e->ow * cgx, slack = 12 * cgx + 64;
    uint8_t *rows = (uint8_t *)malloc((size_t)(image_bytes + slack));
    long *kofs = (long *)malloc((size_t)groups * sizeof(long));
    int32_t *off = foedus_column_offsets(0, colsum, n, a_zero, bias);
    exp_panel *k = (exp_panel *)aligned_alloc(64, sizeof(exp_panel));
    if (!rows || !kofs || !off || !k) { free(rows); free(kofs); free(off); free(k); return -1; }
    memset(rows + image_bytes, 0, (size_t)slack);
    for (long ky = 0, g = 0; ky < e->kh; ky++)
        for (long j = 0; j < cgx; j += 4, g++) kofs[g] = ky * e->dh * e->ow * cgx + j;
    for (long i = 0; i < images; i++) {
        expand_image(e, i, rows);
        for (long p0 = 0; p0 < np; p0 += EXP_PANEL) {
            const long w = np - p0 < EXP_PANEL ? np - p0 : EXP_PANEL, ncols = n - p0 < w ? n - p0 : w;
            exp_panel_set(k, off, rb, rc, p0, ncols, zero, lo, hi, mode, form, sign);
            // Int32 results (requantized or not) are rows of C or of out32, bytes rows of out.
            int32_t *c32 = mode == EXP_INT32 ? c + i * pixels * ldc + p0 : mode == EXP_REQUANT32 ? out32 + i * pixels * ldo + p0 : NULL;
            exp_image_any(rows, cgx, kofs, groups, pixels, packed + p0 * kp, w, k, c32, mode == EXP_INT32 ? ldc : ldo,
                          mode == EXP_BYTES ? out + i * pixels * ldo + p0 : NULL, ldo);
        }
    }
    free(k);
    free(off);
    free(kofs);
    free(rows);
    return 0;
}
#endif

int foedus_u8_conv_nhwc_expanded_gemm(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                                      long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                                      const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                                      int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                                      uint8_t *out, int32_t *out32, long ldo, int backend) {
#ifdef FOEDUS_X86
    if (foedus_int_backend(backend) != FOEDUS_INT_VNNI) return -2;
    const long m = images * oh * ow, cgx = roundup(kw * cg, 4);
    if (m <= 0 || n <= 0) return 0;
    const long bottom = (oh - 1) * sh + (kh - 1) * dh + 1 - ph, hp = ph + (bottom > h ? bottom : h);
    // One input channel with at most 4 taps per row (conv1): each position is one word, built 16
    // positions at a time straight from the line (VBMI) or from a framed copy of it.
    const int words = cg == 1 && kw <= 4;
    const long right = (ow - 1) * sw + (kw - 1) * dw + 1 - pw, framed = pw + (right > w ? right : w) + 64;
    expansion e = {x, h, w, channels, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, hp, cgx, NULL, framed, 0, {0}};
    e.vbmi = words && channels == 1 && sw == 1 && 15 + (kw - 1) * dw < 64 && __builtin_cpu_supports("avx512vbmi");
    if (e.vbmi) exp_line_index(kw, dw, e.index);
    else if (words && !(e.frame = (uint8_t *)malloc((size_t)framed))) return -1;
    int status = conv_expanded_direct(&e, images, packed, colsum, n, a_zero, bias, c, ldc, rb, rc, zero, lo, hi, out, out32, ldo);
    if (status == -2) {
        // Every image expanded, then the kh × 1 convolution over those rows on the general
        // implicit-im2col path.
        uint8_t *rows = (uint8_t *)malloc((size_t)(images * hp * ow * cgx));
        if (!rows) { free(e.frame); return -1; }
        for (long i = 0; i < images; i++) expand_image(&e, i, rows + i * hp * ow * cgx);
        status = foedus_u8_conv_nhwc_gemm(rows, images, hp, ow, cgx, 0, cgx, kh, 1, sh, 1, 0, 0, dh, 1, oh, ow, pad_value, packed, colsum,
                                          n, a_zero, bias, c, ldc, rb, rc, zero, lo, hi, out, out32, ldo, backend);
        free(rows);
    }
    free(e.frame);
    return status;
#else
    // No VNNI backend here: the same answer as the in-place form (-2, nothing done).
    return foedus_u8_conv_nhwc_gemm(x, images, h, w, channels, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value, packed, colsum,
                                    n, a_zero, bias, c, ldc, rb, rc, zero, lo, hi, out, out32, ldo, backend);
#endif
}
