#include <string.h>
#include "CFoedusInteger.h"

void foedus_i8_im2col_rows(const uint8_t *x, long cg, long h, long w, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw,
                           long oh, long ow, uint8_t pad_value, uint8_t *col) {
    long ckk = cg * kh * kw;
    for (long oy = 0; oy < oh; oy++) {
        for (long ox = 0; ox < ow; ox++) {
            uint8_t *row = col + (oy * ow + ox) * ckk;
            for (long ci = 0; ci < cg; ci++) {
                const uint8_t *plane = x + ci * h * w;
                for (long ky = 0; ky < kh; ky++) {
                    long iy = oy * sh - ph + ky * dh;
                    uint8_t *dst = row + (ci * kh + ky) * kw;
                    if (iy < 0 || iy >= h) { memset(dst, pad_value, (size_t)kw); continue; }
                    for (long kx = 0; kx < kw; kx++) {
                        long ix = ox * sw - pw + kx * dw;
                        dst[kx] = (ix < 0 || ix >= w) ? pad_value : plane[iy * w + ix];
                    }
                }
            }
        }
    }
}
