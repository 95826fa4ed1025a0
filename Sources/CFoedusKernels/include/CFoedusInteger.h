#ifndef CFOEDUS_INTEGER_H
#define CFOEDUS_INTEGER_H
#include <stdint.h>
#include <stddef.h>

// Integer kernels (int8 / int4 GEMM, im2col, requantization). The Swift code in
// FoedusKernels/Integer holds the scalar reference twins these are tested against.

/// Backend selection: 0 = best the CPU supports, 1 = portable scalar C, 2 = AVX2,
/// 3 = AVX-512 VNNI. A backend the CPU lacks falls back to the next lower one.
enum { FOEDUS_INT_AUTO = 0, FOEDUS_INT_SCALAR = 1, FOEDUS_INT_AVX2 = 2, FOEDUS_INT_VNNI = 3 };

/// The backend `requested` resolves to on this CPU (1, 2 or 3).
int foedus_int_backend(int requested);

// Packed int8 B matrix (VNNI layout). K is padded to kp = roundup(K, 4), N to np = roundup(N, 16)
// with zeros. Columns form panels of 64 (the last one 16, 32, 48 or 64 wide); panel p starts at
// byte 64·p·kp; inside a panel of width w, byte (g·w + j)·4 + (k mod 4) holds B[4g + k mod 4][64p + j].

/// Bytes of a packed K×N int8 matrix.
long foedus_i8_packed_size(long k, long n);
/// Packs B (element [k][n] at b[k·stride_k + n·stride_n]) and writes the column sums
/// colsum[n] = Σ_k B[k][n] (n entries).
void foedus_i8_pack_b(const int8_t *b, long stride_k, long stride_n, long k, long n,
                      int8_t *packed, int32_t *colsum);
/// foedus_i8_pack_b of B with every byte xor `flip` first (0x80 turns uint8 codes c into the
/// int8 c − 128); column sums are of the flipped values. Row-major B (stride_n = 1) on an
/// AVX-512 CPU runs a vector path, bit-identical to foedus_i8_pack_b_scalar.
void foedus_i8_pack_b_flip(const int8_t *b, long stride_k, long stride_n, long k, long n, uint8_t flip,
                           int8_t *packed, int32_t *colsum);
/// The scalar reference twin of foedus_i8_pack_b_flip.
void foedus_i8_pack_b_scalar(const int8_t *b, long stride_k, long stride_n, long k, long n, uint8_t flip,
                             int8_t *packed, int32_t *colsum);

/// C[i][j] = Σ_k (A[i][k] − a_zero)·B[k][j] + bias[j], wrapping int32 arithmetic (exact when the
/// true result fits). A is row-major with leading dimension lda, read as int8 when a_signed,
/// uint8 otherwise; B is packed; bias may be NULL. C has leading dimension ldc.
/// Returns 0, or −1 when scratch memory could not be allocated.
int foedus_i8_gemm(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum,
                   long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc, int backend);

/// 1 when the CPU has AMX-INT8 and the kernel granted this process the tile state (asked once).
/// foedus_i8_gemm with the VNNI backend then runs on AMX tiles, bit-identical to VNNI and scalar.
int foedus_amx_available(void);
/// Allows (1, the default) or forbids (0) the AMX form of foedus_i8_gemm; returns the previous
/// setting. For tests that compare the VNNI form against it.
int foedus_amx_allow(int allow);

/// foedus_i8_gemm followed by foedus_requant_cols(C, …, rb, rc, zero, lo, hi, out, ldo), fused: on
/// the VNNI backend the last K block's accumulators are requantized in registers and written as
/// bytes to `out` (int8 or uint8 by the range); C (m×n, leading dimension ldc) then holds only
/// partial sums of earlier K blocks and must still be provided. The bytes equal the unfused pair.
/// With `out32` non-NULL the requantized values are stored there as int32 instead (any clamp;
/// foedus_requant_cols_i32's arithmetic), and `out32` may equal `c` when `ldo == ldc`.
int foedus_i8_gemm_requant(int a_signed, const uint8_t *a, long lda, const int8_t *packed, const int32_t *colsum,
                           long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc,
                           const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                           uint8_t *out, int32_t *out32, long ldo, int backend);

/// The same product with B stored as int4 nibbles of the packed int8 byte sequence (byte i of the
/// int8 layout is nibble i: low nibble of byte i/2 when i is even). Panels are unpacked into a
/// scratch buffer one at a time.
int foedus_i4_gemm(int a_signed, const uint8_t *a, long lda, const uint8_t *packed4, const int32_t *colsum,
                   long m, long n, long k, int32_t a_zero, const int32_t *bias, int32_t *c, long ldc, int backend);

/// Two's-complement int4 pairs: out[2i] = sign-extended low nibble of in[i], out[2i+1] = high
/// nibble. Writes `count` values (count may be odd).
void foedus_i4_unpack(const uint8_t *in, int8_t *out, long count);
/// Inverse of foedus_i4_unpack: values must lie in [−8, 7]; an odd count leaves the last high
/// nibble zero.
void foedus_i4_pack(const int8_t *in, uint8_t *out, long count);

/// im2col of one image, one group: rows are output pixels (oh·ow of them), columns are
/// (c, kh, kw) in that order (cg·kh·kw of them); out-of-image taps take `pad_value`.
void foedus_i8_im2col_rows(const uint8_t *x, long cg, long h, long w, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw,
                           long oh, long ow, uint8_t pad_value, uint8_t *col);

/// out[i] = clamp(zero + ((acc[i]·b + 2^(c−1)) >> c), lo, hi) as a byte (int8 or uint8 by the
/// range). b ∈ [0, 2^31 − 1], c ∈ [1, 62], arithmetic shift (round half up).
void foedus_requant_run(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi,
                        uint8_t *out, int backend);
/// Per-column dyadic over a rows×cols int32 matrix (leading dimension lda, out leading
/// dimension ldo): column j uses b[j], c[j].
void foedus_requant_cols(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                         int32_t zero, int32_t lo, int32_t hi, uint8_t *out, long ldo, int backend);

/// foedus_requant_run with int32 outputs (no byte narrowing); `out` may equal `acc`.
void foedus_requant_run_i32(const int32_t *acc, long n, int64_t b, int c, int32_t zero, int32_t lo, int32_t hi,
                            int32_t *out, int backend);

/// i-GroupNorm over NCHW int32 input (`samples × channels × spatial`), `groups` groups, into
/// clamped uint8 (`lo`, `hi` within 0…255): per run the I-BERT integer statistics
/// (IBert.normalizeRun), then per channel `clamp(sign·((clamp32(y_n)·b + 2^(c−1)) >> c) + beta)`,
/// or `clamp(beta)` where `alive` is 0. `scratch` holds `channels/groups·spatial` Int64 values.
void foedus_igroupnorm_u8(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                          const int32_t *c, const int64_t *sign, const int64_t *beta, const uint8_t *alive,
                          int64_t lo, int64_t hi, int64_t *scratch, uint8_t *out, int backend);

// Channels-last (NHWC) kernels of the integer-only CNNs (integer_nhwc.c).

/// im2col of one NHWC image (`h × w × channels`) for the channel slice `c0 ..< c0 + cg`: rows are
/// output pixels, columns are (ky, kx, c) in that order (kh·kw·cg of them); out-of-image taps
/// take `pad_value`.
/// Convolution as an implicit-im2col GEMM on the VNNI backend: the rows of A (output pixels of
/// `images` NHWC images, k = (ky·kw + kx)·cg + c as foedus_u8_im2col_nhwc lays them out) are read
/// in place from the images (a padded copy of the group's channels when the convolution pads), so
/// no column matrix is written. B, colsum, bias, C and the optional
/// requantizing epilogue (rb non-NULL) are those of foedus_i8_gemm_requant with m = images·oh·ow,
/// k = kh·kw·cg. Returns -2 (nothing done) unless the backend resolves to VNNI and cg % 4 == 0;
/// -1 on allocation failure.
int foedus_u8_conv_nhwc_gemm(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                             long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                             const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                             int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                             uint8_t *out, int32_t *out32, long ldo, int backend);
/// foedus_u8_conv_nhwc_gemm for any cg (e.g. one input channel): each output column's kw taps are
/// first copied side by side, cgx = roundup(kw·cg, 4) bytes per position (the last cgx − kw·cg
/// bytes 0), and the convolution runs as a kh × 1 one over those rows. `packed` is therefore B of
/// k = kh·cgx rows in (ky, kx·cg + c) order, with zero rows for the padding bytes. Returns -2
/// (nothing done) unless the backend resolves to VNNI; -1 on allocation failure.
int foedus_u8_conv_nhwc_expanded_gemm(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                                      long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                                      const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                                      int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                                      uint8_t *out, int32_t *out32, long ldo, int backend);
/// foedus_u8_conv_nhwc_gemm on AMX tiles (dw must be 1): an A tile is 16 consecutive output
/// pixels of one output row read in place from a padded copy (each ky's kw·cg bytes are
/// contiguous). `packed` is B of k = kh·kc rows, kc = roundup(kw·cg, 64), in (ky, kx·cg + c) order
/// with zero rows past kw·cg in each ky, packed as foedus_i8_pack_b lays it out. The same integers
/// as the VNNI form. Returns -3 (nothing done) when AMX is unusable or disallowed
/// (foedus_amx_allow), -2 when dw ≠ 1, -1 on allocation failure.
int foedus_u8_conv_nhwc_amx(const uint8_t *x, long images, long h, long w, long channels, long c0, long cg, long kh, long kw,
                            long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow, uint8_t pad_value,
                            const int8_t *packed, const int32_t *colsum, long n, int32_t a_zero, const int32_t *bias,
                            int32_t *c, long ldc, const int32_t *rb, const int32_t *rc, int32_t zero, int32_t lo, int32_t hi,
                            uint8_t *out, int32_t *out32, long ldo);
void foedus_u8_im2col_nhwc(const uint8_t *x, long h, long w, long channels, long c0, long cg, long kh, long kw,
                           long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow,
                           uint8_t pad_value, uint8_t *col);
/// foedus_requant_cols with int32 outputs: out[i][j] = clamp(zero + ((acc[i][j]·b[j] + 2^(c[j]−1)) >> c[j]), lo, hi);
/// `out` may equal `acc` when the leading dimensions agree.
void foedus_requant_cols_i32(const int32_t *acc, long rows, long cols, long lda, const int32_t *b, const int32_t *c,
                             int32_t zero, int32_t lo, int32_t hi, int32_t *out, long ldo, int backend);
/// foedus_igroupnorm_u8 over NHWC input (`samples × spatial × channels`) into NHWC uint8, the
/// same integers as the NCHW kernel on the transposed input. Dead channels carry b = 0, c = 1;
/// every sign is −1 or +1 (the sign of γ).
/// `scratch` holds 9·channels Int64 values.
/// foedus_igroupnorm_nhwc_u8 with int32 outputs in any clamp [lo, hi] (a signed residual branch),
/// AVX-512 or portable by `backend`. `scratch` holds 9·channels int64.
void foedus_igroupnorm_nhwc_i32(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                                const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                                int64_t *scratch, int32_t *out, int backend);
void foedus_igroupnorm_nhwc_u8(const int32_t *x, long samples, long channels, long groups, long spatial, const int64_t *b,
                               const int32_t *c, const int64_t *sign, const int64_t *beta, int64_t lo, int64_t hi,
                               int64_t *scratch, uint8_t *out, int backend);
/// 2×2 max-pooling, stride 2, of `images` NHWC uint8 images `h × w × channels` into `h/2 × w/2 × channels`.
void foedus_maxpool2_nhwc_u8(const uint8_t *x, long images, long h, long w, long channels, uint8_t *out, int backend);

#endif
