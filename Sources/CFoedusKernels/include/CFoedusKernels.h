#ifndef CFOEDUS_KERNELS_H
#define CFOEDUS_KERNELS_H
#include <stdint.h>
#include <stddef.h>

/// Sets the number of OpenMP threads the calling thread uses for oneDNN primitives.
/// Returns 0 on success, -1 when no OpenMP runtime is loaded in the process.
int foedus_set_omp_threads(int n);

#endif
