// Small integer helpers shared by the C kernels. Private to CFoedusKernels.
#ifndef FOEDUS_INTEGER_COMMON_H
#define FOEDUS_INTEGER_COMMON_H
#include <stdint.h>

/// ⌊√n⌋ by Newton's iteration from above (the twin of IBert.isqrt).
static inline uint64_t foedus_isqrt_u64(uint64_t n) {
    if (n == 0) return 0;
    int bits = 64 - __builtin_clzll(n);
    uint64_t x = (uint64_t)1 << ((bits + 1) / 2);
    for (;;) {
        uint64_t next = (x + n / x) / 2;
        if (next >= x) return x;
        x = next;
    }
}
#endif
