// Forward quantizers of fully quantized training (FoedusKernels/FQT): the Swift loops in
// IntegerTraining+Codes.swift are the reference twins. Round half away from zero through the
// truncating conversion (SSE2 cvttps2dq) rather than roundf, which baseline x86-64 calls out to.
#include <stdint.h>
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
