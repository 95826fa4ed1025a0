#ifndef CFOEDUS_RESIDUAL_H
#define CFOEDUS_RESIDUAL_H
#include <stdint.h>

// The end of a residual block, fused (integer_groupnorm_nhwc.c, integer_residual.c). The shortcut
// of element i is `table[skip_u8[i]]` when `table` is non-NULL (an identity shortcut's
// requantization, 256 entries), else `skip_i32[i]` (a projection at the residual scale). The sum
// with the main branch wraps in int32 and is requantized to bytes:
// out[i] = clamp(zero + ((main[i] + skip) · b + 2^(c−1)) >> c, lo, hi), lo…hi within 0…255.

/// out[i] as above, `main` the int32 main branch. AVX-512 or portable by `backend`.
void foedus_residual_requant_u8(const int32_t *main, const uint8_t *skip_u8, const int32_t *table, const int32_t *skip_i32, long n,
                                int64_t b, int c, int32_t zero, int32_t lo, int32_t hi, uint8_t *out, int backend);

/// foedus_igroupnorm_nhwc_i32 (clamp [lo, hi]) of `x` as the main branch, then out[i] as above
/// with (rb, rc, rzero, rlo, rhi): the normalised int32 values are never stored. NHWC
/// `samples × spatial × channels` throughout; `scratch` holds 9·channels int64.
void foedus_igroupnorm_nhwc_residual_u8(const int32_t *x, long samples, long channels, long groups, long spatial,
                                        const int64_t *b, const int32_t *c, const int64_t *sign, const int64_t *beta,
                                        int64_t lo, int64_t hi, const uint8_t *skip_u8, const int32_t *table,
                                        const int32_t *skip_i32, int64_t rb, int rc, int32_t rzero, int32_t rlo, int32_t rhi,
                                        int64_t *scratch, uint8_t *out, int backend);

/// Per image and channel, the (wrapping) int32 sum over `spatial` pixels of channels-last bytes:
/// `[images, spatial, channels]` → `[images, channels]`. AVX-512 (channels a multiple of 16) or
/// portable by `backend`.
void foedus_sumpool_nhwc_u8(const uint8_t *x, long images, long spatial, long channels, int32_t *sums, int backend);
#endif
