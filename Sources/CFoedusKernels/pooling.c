#include <math.h>
#include "CFoedusKernels.h"

void foedus_maxpool_forward_f32(const float *restrict x, float *restrict y, int32_t *restrict index, long c, long h, long w,
                                long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw) {
    long oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0 && dh == 1 && dw == 1) {
        // The common 2×2/2 case without bounds checks.
        for (long ch = 0; ch < c; ch++) {
            const float *xc = x + ch * h * w;
            for (long oy = 0; oy < oh; oy++) {
                const float *r0 = xc + (2 * oy) * w, *r1 = r0 + w;
                for (long ox = 0; ox < ow; ox++) {
                    long ix = 2 * ox;
                    float best = r0[ix]; long bi = (2 * oy) * w + ix;
                    if (r0[ix + 1] > best || (r0[ix + 1] != r0[ix + 1] && best == best)) { best = r0[ix + 1]; bi = (2 * oy) * w + ix + 1; }
                    if (r1[ix] > best || (r1[ix] != r1[ix] && best == best)) { best = r1[ix]; bi = (2 * oy + 1) * w + ix; }
                    if (r1[ix + 1] > best || (r1[ix + 1] != r1[ix + 1] && best == best)) { best = r1[ix + 1]; bi = (2 * oy + 1) * w + ix + 1; }
                    y[(ch * oh + oy) * ow + ox] = best;
                    index[(ch * oh + oy) * ow + ox] = (int32_t)bi;
                }
            }
        }
        return;
    }
    for (long ch = 0; ch < c; ch++) {
        const float *xc = x + ch * h * w;
        for (long oy = 0; oy < oh; oy++) {
            for (long ox = 0; ox < ow; ox++) {
                float best = -INFINITY; long bi = -1;
                for (long i = 0; i < kh; i++) {
                    long iy = oy * sh - ph + i * dh;
                    if (iy < 0 || iy >= h) continue;
                    for (long j = 0; j < kw; j++) {
                        long ix = ox * sw - pw + j * dw;
                        if (ix < 0 || ix >= w) continue;
                        float v = xc[iy * w + ix];
                        if (bi < 0 || v > best || (v != v && best == best)) { best = v; bi = iy * w + ix; }
                    }
                }
                y[(ch * oh + oy) * ow + ox] = best;
                index[(ch * oh + oy) * ow + ox] = (int32_t)bi;
            }
        }
    }
}

void foedus_maxpool_backward_f32(const float *restrict dy, const int32_t *restrict index, float *restrict dx,
                                 long c, long h, long w, long oh, long ow) {
    for (long i = 0; i < c * h * w; i++) dx[i] = 0;
    for (long ch = 0; ch < c; ch++) {
        float *dxc = dx + ch * h * w;
        for (long p = 0; p < oh * ow; p++) dxc[index[ch * oh * ow + p]] += dy[ch * oh * ow + p];
    }
}
