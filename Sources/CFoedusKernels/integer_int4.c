#include "CFoedusInteger.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Sign extension of a nibble v ∈ [0, 15]: (v ^ 8) − 8 maps 0…7 to 0…7 and 8…15 to −8…−1.

void foedus_i4_unpack(const uint8_t *in, int8_t *out, long count) {
    long pairs = count / 2, i = 0;
#if defined(__x86_64__)
    // SSE2 (x86-64 baseline): 16 bytes → 32 values per step.
    const __m128i low = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
    for (; i + 16 <= pairs; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i lo = _mm_and_si128(x, low);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), low);
        lo = _mm_sub_epi8(_mm_xor_si128(lo, eight), eight);
        hi = _mm_sub_epi8(_mm_xor_si128(hi, eight), eight);
        _mm_storeu_si128((__m128i *)(out + 2 * i), _mm_unpacklo_epi8(lo, hi));
        _mm_storeu_si128((__m128i *)(out + 2 * i + 16), _mm_unpackhi_epi8(lo, hi));
    }
#endif
    for (; i < pairs; i++) {
        out[2 * i] = (int8_t)(((in[i] & 0x0F) ^ 8) - 8);
        out[2 * i + 1] = (int8_t)(((in[i] >> 4) ^ 8) - 8);
    }
    if (count & 1) out[count - 1] = (int8_t)(((in[pairs] & 0x0F) ^ 8) - 8);
}

void foedus_i4_pack(const int8_t *in, uint8_t *out, long count) {
    long pairs = count / 2;
    for (long i = 0; i < pairs; i++)
        out[i] = (uint8_t)(((uint8_t)in[2 * i] & 0x0F) | (((uint8_t)in[2 * i + 1] & 0x0F) << 4));
    if (count & 1) out[pairs] = (uint8_t)((uint8_t)in[count - 1] & 0x0F);
}
