// Forward quantizers of fully quantized training (FoedusKernels/FQT): the Swift loops in
// IntegerTraining+Codes.swift are the reference twins. Round half away from zero through the
// truncating conversion (SSE2 cvttps2dq) rather than roundf, which baseline x86-64 calls out to.
#include <stdint.h>
#include <string.h>
#include "CFoedusKernels.h"

static inline float round_away(float v) {
    const float limit = 16777216.0f;
    float c = v > limit ? limit : (v < -limit ? -limit : v);
    float t = (float)(int32_t)c;
    float r = c - t;
    return r >= 0.5f ? t + 1.0f : (r <= -0.5f ? t - 1.0f : t);
}

void foedus_fqt_quantize_u8(const float *x, long n, float inv_step, float zero, float top, uint8_t *q) {
    for (long i = 0; i < n; i++) {
        float code = round_away(x[i] * inv_step) + zero;
        code = code > 0.0f ? code : 0.0f;
        code = code < top ? code : top;
        q[i] = (uint8_t)(int32_t)code;
    }
}

void foedus_fqt_quantize_s8(const float *w, long n, float step, float top, int8_t *q) {
    for (long i = 0; i < n; i++) {
        float code = round_away(w[i] / step);
        code = code > -top ? code : -top;
        code = code < top ? code : top;
        q[i] = (int8_t)(int32_t)code;
    }
}

// im2col of activation codes for FQT (IntegerTraining.columnsReference is the Swift twin):
// cols[(c·kh + i)·kw + j][s·L + oy·ow + ox] = x[s][c][iy][ix] ^ 0x80, pad_value outside.
void foedus_fqt_im2col(const uint8_t *x, long n, long channels, long h, long w, long kh, long kw,
                       long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow,
                       int8_t pad_value, int8_t *cols) {
    long l = oh * ow, nl = n * l, image = channels * h * w;
    for (long j = 0; j < kw; j++) {
        // Output columns whose tap j lands inside the image: lo ..< hi.
        long shift = pw - j * dw;
        long lo = shift <= 0 ? 0 : (shift + sw - 1) / sw;
        long top = w - 1 + shift;
        long hi = top < 0 ? 0 : (ow < top / sw + 1 ? ow : top / sw + 1);
        if (lo > ow) lo = ow;
        if (hi < lo) hi = lo;
        long offset = j * dw - pw;
        for (long s = 0; s < n; s++) {
            for (long c = 0; c < channels; c++) {
                const uint8_t *xc = x + s * image + c * h * w;
                for (long i = 0; i < kh; i++) {
                    int8_t *dst = cols + ((c * kh + i) * kw + j) * nl + s * l;
                    for (long oy = 0; oy < oh; oy++) {
                        long iy = oy * sh - ph + i * dh;
                        int8_t *drow = dst + oy * ow;
                        if (iy < 0 || iy >= h) {
                            memset(drow, (uint8_t)pad_value, (size_t)ow);
                            continue;
                        }
                        const uint8_t *src = xc + iy * w + offset;
                        for (long ox = 0; ox < lo; ox++) drow[ox] = pad_value;
                        if (sw == 1) {
                            for (long ox = lo; ox < hi; ox++) drow[ox] = (int8_t)(src[ox] ^ 0x80);
                        } else {
                            for (long ox = lo; ox < hi; ox++) drow[ox] = (int8_t)(src[ox * sw] ^ 0x80);
                        }
                        for (long ox = hi; ox < ow; ox++) drow[ox] = pad_value;
                    }
                }
            }
        }
    }
}

// The input-gradient epilogue of one sample: column gradient row r (r = (c·kh + i)·kw + j) is
// acc[r][p]·step + centre_r, centre_r = (128·tsums[r])·step + offset·tsums[r], folded (col2im)
// into dx (c × h × w, zeroed first). The Swift twin is the rescale loop of
// IntegerTraining.inputGradientImages followed by WindowKernels.fold: the same products, sums
// and order of additions into each dx element.
void foedus_fqt_fold_rescaled(const int32_t *acc, const int32_t *tsums, float step, float offset,
                              long channels, long h, long w, long kh, long kw, long sh, long sw,
                              long ph, long pw, long dh, long dw, long oh, long ow, float *dx) {
    long l = oh * ow;
    memset(dx, 0, (size_t)(channels * h * w) * sizeof(float));
    long row = 0;
    for (long c = 0; c < channels; c++) {
        float *xc = dx + c * h * w;
        for (long i = 0; i < kh; i++) {
            for (long j = 0; j < kw; j++, row++) {
                int32_t ws = tsums[row];
                float a = (float)(int32_t)((uint32_t)ws * 128u) * step;
                float b = offset * (float)ws;
                float centre = a + b;
                const int32_t *src = acc + row * l;
                long shift = pw - j * dw;
                long lo = shift <= 0 ? 0 : (shift + sw - 1) / sw;
                long top = w - 1 + shift;
                long hi = top < 0 ? 0 : (ow < top / sw + 1 ? ow : top / sw + 1);
                if (lo > ow) lo = ow;
                if (hi < lo) hi = lo;
                long off = j * dw - pw;
                for (long oy = 0; oy < oh; oy++) {
                    long iy = oy * sh - ph + i * dh;
                    if (iy < 0 || iy >= h) continue;
                    float *drow = xc + iy * w + off;
                    const int32_t *srow = src + oy * ow;
                    if (sw == 1) {
                        for (long ox = lo; ox < hi; ox++) {
                            float v = (float)srow[ox] * step;
                            drow[ox] += v + centre;
                        }
                    } else {
                        for (long ox = lo; ox < hi; ox++) {
                            float v = (float)srow[ox] * step;
                            drow[ox * sw] += v + centre;
                        }
                    }
                }
            }
        }
    }
}
