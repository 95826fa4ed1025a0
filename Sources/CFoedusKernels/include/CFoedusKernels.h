#ifndef CFOEDUS_KERNELS_H
#define CFOEDUS_KERNELS_H
#include <stdint.h>
#include <stddef.h>
#include "CFoedusInteger.h"
#include "CFoedusResidual.h"

/// Sets the number of OpenMP threads the calling thread uses for oneDNN primitives.
/// Returns 0 on success, -1 when no OpenMP runtime is loaded in the process.
int foedus_set_omp_threads(int n);

// Elementwise runs. Every function works on one contiguous run of n elements; a stride of 0
// broadcasts the first element of that operand, a stride of 1 walks it. The Swift generic loops
// in FoedusKernels are the scalar reference twins these are tested against.

/// Binary operation codes (keep in sync with BinaryKernelOp in Swift).
enum {
    FOEDUS_ADD = 0, FOEDUS_SUB = 1, FOEDUS_MUL = 2, FOEDUS_DIV = 3, FOEDUS_MAX = 4, FOEDUS_MIN = 5,
    FOEDUS_GT = 6, FOEDUS_GE = 7, FOEDUS_LT = 8, FOEDUS_LE = 9, FOEDUS_EQ = 10, FOEDUS_NE = 11,
    /// y > 0 ? x : 0 (the ReLU backward pass: x the cotangent, y the ReLU input)
    FOEDUS_MASK_POSITIVE = 12
};

/// Unary operation codes (keep in sync with UnaryKernelOp in Swift).
enum {
    FOEDUS_NEG = 0, FOEDUS_EXP = 1, FOEDUS_LOG = 2, FOEDUS_SQRT = 3, FOEDUS_TANH = 4, FOEDUS_ERF = 5,
    FOEDUS_ABS = 6, FOEDUS_SIGN = 7, FOEDUS_SQUARE = 8, FOEDUS_POW = 9, FOEDUS_RELU = 10, FOEDUS_STEP = 11
};

void foedus_binary_f32(int op, const float *a, long sa, const float *b, long sb, float *out, long n);
void foedus_binary_f64(int op, const double *a, long sa, const double *b, long sb, double *out, long n);
void foedus_unary_f32(int op, const float *x, float *out, long n, float param);
void foedus_unary_f64(int op, const double *x, double *out, long n, double param);
/// out[i] = c[i·sc] != 0 ? a[i·sa] : b[i·sb]
void foedus_select_f32(const float *c, long sc, const float *a, long sa, const float *b, long sb, float *out, long n);
void foedus_select_f64(const double *c, long sc, const double *a, long sa, const double *b, long sb, double *out, long n);

/// Sum of a contiguous run with 16 interleaved partial sums combined in a fixed order:
/// deterministic, and much more accurate than a single running sum.
float foedus_sum_f32(const float *x, long n);
double foedus_sum_f64(const double *x, long n);
/// Maximum of a contiguous run (NaN wins).
float foedus_max_f32(const float *x, long n);
double foedus_max_f64(const double *x, long n);
/// out[i] += x[i] (op 0) or out[i] = max(out[i], x[i]) (op 1).
void foedus_accumulate_f32(int op, float *out, const float *x, long n);
void foedus_accumulate_f64(int op, double *out, const double *x, long n);

/// One SGD step in a single pass (PyTorch semantics): g' = g + wd·p; b' = first ? g' : μ·b + g';
/// d = nesterov ? g' + μ·b' : b' (d = g' without momentum); p' = p − lr·d. Writes p' and b'
/// (b'/b may be NULL when μ = 0). Expressions are evaluated in that order, without contraction.
void foedus_sgd_step_f32(const float *p, const float *g, const float *b, float *p_out, float *b_out, long n,
                         float lr, float momentum, float weight_decay, int nesterov, int first);

// Group normalization over [N, C, S] (S = spatial size), groups of C/G channels.

/// y = (x − μ)·σ⁻¹·γ[c] + β[c]; writes μ and σ⁻¹ = 1/√(var + eps) per (n, g) (biased variance,
/// two-pass in double). gamma/beta may be NULL.
void foedus_groupnorm_forward_f32(const float *x, const float *gamma, const float *beta, float *y,
                                  double *mean, double *rstd, long n, long c, long s, long groups, double eps);
/// dx, and (when non-NULL) dgamma/dbeta accumulated over the batch in order n = 0, 1, ….
void foedus_groupnorm_backward_f32(const float *x, const float *dy, const float *gamma, const double *mean,
                                   const double *rstd, float *dx, float *dgamma, float *dbeta,
                                   long n, long c, long s, long groups);

// Max pooling over one image C×H×W (padding never wins, first maximum wins ties, NaN wins).

void foedus_maxpool_forward_f32(const float *x, float *y, int32_t *index, long c, long h, long w,
                                long kh, long kw, long sh, long sw, long ph, long pw, long dh, long dw);
/// The 2×2, stride 2, unpadded case of foedus_maxpool_forward_f32 (oh = (h − 2)/2 + 1, ow likewise): the AVX-512
/// kernel, or with `vectorized` = 0 its scalar twin; bit-identical values and indices.
void foedus_maxpool2x2_forward_f32(const float *x, float *y, int32_t *index, long c, long h, long w, int vectorized);
/// The backward of foedus_maxpool2x2_forward_f32 given its indices (each inside its own window):
/// every element of dx is written, 0 + dy[p] at index[p] and 0 elsewhere — equal to
/// foedus_maxpool_backward_f32 for those indices. `vectorized` = 0 runs the scalar twin.
void foedus_maxpool2x2_backward_f32(const float *dy, const int32_t *index, float *dx, long c, long h, long w, int vectorized);
/// dx (zeroed here) receives dy at the recorded indices.
void foedus_maxpool_backward_f32(const float *dy, const int32_t *index, float *dx, long c, long h, long w, long oh, long ow);

/// glibc allocator tuning for processes that allocate and free the same large scratch blocks
/// every step: blocks below `mmap_threshold` bytes come from the heap instead of fresh mmaps,
/// and the heap is returned to the kernel only above `trim_threshold` free bytes. No-op
/// elsewhere.
void foedus_keep_large_blocks(long mmap_threshold, long trim_threshold);

/// Philox4x32-10 uniform floats (FoedusKernels' RandomStream, float-uniform domain): element
/// `first + i` of the counter-based stream with key (k0, k1) becomes
/// `min(low + (word >> 8)·2⁻²⁴·width, top)` in out[i]. `vectorized` = 0 forces the scalar path;
/// otherwise AVX-512 runs 16 blocks at a time when the CPU has it. Bit-identical either way.
void foedus_philox_uniform_f32(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t first, long count,
                               float low, float width, float top, float *out, int vectorized);

/// The uniforms of stochastic rounding (FoedusKernels' RandomStream.fillRoundingUniforms): element
/// `first + i` is half (e & 1) of 32-bit word e >> 1 of the stream (k0, k1, domain), low half first,
/// as out[i] = (2k + 1)·2⁻¹⁷ for its 16-bit value k. `vectorized` = 0 forces the scalar path;
/// otherwise AVX-512 runs 16 blocks (128 uniforms) at a time when the CPU has it. Bit-identical.
void foedus_philox_rounding_uniforms(uint32_t k0, uint32_t k1, uint32_t domain, uint64_t first, long count, float *out, int vectorized);

/// FQT activation codes: q[i] = clamp(round_half_away(x[i]·inv_step) + zero, 0, top).
void foedus_fqt_quantize_u8(const float *x, long n, float inv_step, float zero, float top, uint8_t *q);
/// FQT symmetric weight codes: q[i] = clamp(round_half_away(w[i] / step), −top, top).
void foedus_fqt_quantize_s8(const float *w, long n, float step, float top, int8_t *q);
/// im2col of FQT activation codes: cols[(c·kh + i)·kw + j][s·L + oy·ow + ox] (L = oh·ow) holds
/// x[s][c][iy][ix] − 128 as int8 (the byte flipped), `pad_value` where the tap is outside the image.
void foedus_fqt_im2col(const uint8_t *x, long n, long channels, long h, long w, long kh, long kw,
                       long sh, long sw, long ph, long pw, long dh, long dw, long oh, long ow,
                       int8_t pad_value, int8_t *cols);
/// One sample's input gradient from the int32 product acc [K, L] (K = channels·kh·kw rows):
/// row r rescaled to acc·step + ((128·tsums[r])·step + offset·tsums[r]) and folded (col2im) into
/// dx (channels × h × w floats, overwritten), in IntegerTraining's order of additions.
void foedus_fqt_fold_rescaled(const int32_t *acc, const int32_t *tsums, float step, float offset,
                              long channels, long h, long w, long kh, long kw, long sh, long sw,
                              long ph, long pw, long dh, long dw, long oh, long ow, float *dx);
/// A weight gradient's rows from its int32 product acc [o, k]: out[oc·k + kk] =
/// (float)(dx·(st[oc]·(double)(acc + correction[oc]) + centre[oc]·asums[kk])) in double, each
/// product and sum rounded as written; acc + correction must fit in int32. `vectorized` = 0 runs
/// the scalar twin.
void foedus_fqt_wgrad_rows(const int32_t *acc, long o, long k, const int32_t *correction, const double *asums,
                           const double *st, const double *centre, double dx, float *out, int vectorized);
/// The forward epilogue of a block of `samples` samples: y[s][oc][p] (NCHW, y at the block's first
/// sample) = (float)(acc[oc][s·l + p] + correction[oc])·scale[oc] + bias[oc] (0 without bias),
/// product and sum rounded separately; acc is [o, samples·l]. `vectorized` = 0 runs the scalar twin.
void foedus_fqt_forward_rows(const int32_t *acc, long o, long samples, long l, const int32_t *correction,
                             const float *scale, const float *bias, float *y, int vectorized);
/// sums[r] = Σ_j rows[r·stride + j] over j < length, for r < count (int8 values, exact in int64).
/// `vectorized` = 0 runs the scalar twin.
void foedus_fqt_row_sums(const int8_t *rows, long count, long length, long stride, int64_t *sums, int vectorized);
/// Stochastic codes q[i] = clamp(⌊v⌋ + (u[i] < v − ⌊v⌋), 0, top), v = (x[i] − z)·s + c (no FMA):
/// GradientQuantizer's rounding of one group. `vectorized` = 0 runs the scalar twin.
void foedus_fqt_round_codes(const float *x, const float *u, long count, float z, float s, float c, float top,
                            uint8_t *q, int vectorized);
/// One sample's input-gradient codes: code[r][j] = foedus_fqt_round_codes of x = g[r·l + j]·steps[r]
/// with u[r·l + j] and (z, s, c, top), for the [o, l] matrix g (rows = channels, columns = pixels),
/// written as code − 128 into the packed int8 layout (foedus_i8_packed_size(o, l) bytes, padding 0)
/// with colsum[j] = Σ_r (code − 128): equal to scaling, rounding, then foedus_i8_pack_b_flip with
/// flip 0x80. `vectorized` = 0 runs the scalar twin.
void foedus_fqt_ingrad_codes(const float *g, long o, long l, const float *steps, const float *u, float z, float s, float c, float top,
                             int8_t *packed, int32_t *colsum, int vectorized);
/// The weight-gradient codes of an NCHW gradient G [n, o, l] read as the [n·l, o] matrix (row
/// r = sample·l + pixel, column c = channel): element e = r·o + c takes rounding uniform e of the
/// Philox stream (k0, k1, domain) — foedus_philox_rounding_uniforms at element e — and the rounding
/// of foedus_fqt_round_codes with channel c's z[c], s[c], cc[c]. Codes − 128 are written straight
/// into the packed int8 layout of that [n·l, o] matrix (foedus_i8_packed_size(n·l, o) bytes, padding
/// zeroed) with colsum[c] = Σ_r (code − 128). Returns 0; −1 when o is not a multiple of 8 (nothing
/// written but zeros), −2 when scratch memory is short. `vectorized` = 0 runs the scalar twin.
int foedus_fqt_wgrad_codes(const float *g, long n, long o, long l, const float *z, const float *s, const float *cc, float top,
                           uint32_t k0, uint32_t k1, uint32_t domain, int8_t *packed, int32_t *colsum, int vectorized);

#endif
