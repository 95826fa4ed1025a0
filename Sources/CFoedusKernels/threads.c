#define _GNU_SOURCE
#include <dlfcn.h>
#include "CFoedusKernels.h"

// oneDNN from Debian uses OpenMP; its runtime is already loaded with libdnnl, so we look the
// setter up at run time instead of linking libgomp's development files.
int foedus_set_omp_threads(int n) {
    void (*setter)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (!setter) return -1;
    setter(n);
    return 0;
}
