// The AMX form of the plain int8 GEMM (integer_gemm_amx.c), private to CFoedusKernels.
#ifndef FOEDUS_INTEGER_GEMM_AMX_H
#define FOEDUS_INTEGER_GEMM_AMX_H
#include <stdint.h>

// C[i][j] = off[j] + Σ_k A'[i][k]·B[k][j], A' = A as uint8, or A + 128 for int8 A (a_signed), with
// B packed as foedus_i8_pack_b lays it out, colsum its column sums, off padded to ⌈n/16⌉·16
// entries (gemm_driver's column offsets); wrapping int32. Returns 0,
// −1 when scratch memory is short, −3 when AMX is unusable or disallowed (nothing written).
int foedus_amx_i8_gemm(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum, long m, long n, long k,
                       const int32_t *off, int32_t *c, long ldc);

// 1 when AMX is available and allowed (foedus_amx_available, foedus_amx_allow).
int foedus_amx_usable(void);

// Loads the tile configuration every AMX kernel here uses: palette 1, eight tiles of 16 rows ×
// 64 bytes (AMX CPUs only; foedus_amx_usable first).
void foedus_amx_load_full_tiles(void);

// Per-column offsets bias − zA·colsum (zA + 128 for signed A read as unsigned), wrapping, padded
// with zeros to ⌈n/16⌉·16 entries; NULL when memory is short (integer_gemm.c).
int32_t *foedus_column_offsets(int a_signed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias);

// Shared by the VNNI and AMX convolutions (integer_gemm.c): see its definition.
uint8_t *foedus_conv_padded_copy(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long ph, long pw,
                                 long bottom, long right, uint8_t pad_value, long slack, long *hp_out, long *wp_out);
#endif
