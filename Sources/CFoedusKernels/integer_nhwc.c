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


// i-GroupNorm over NHWC input lives in integer_groupnorm_nhwc.c.

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
