#include <malloc.h>
#include "CFoedusKernels.h"

void foedus_keep_large_blocks(long mmap_threshold, long trim_threshold) {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, (int)trim_threshold);
#else
    (void)mmap_threshold;
    (void)trim_threshold;
#endif
}
