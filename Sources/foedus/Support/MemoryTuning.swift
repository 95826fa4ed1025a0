import CFoedusKernels

/// Process-wide allocator settings of the command-line tool.
enum MemoryTuning {
    /// Keeps large blocks in the heap: glibc serves big blocks with fresh `mmap`s and returns
    /// freed heap tops to the kernel, so a training step that allocates and frees the same tens
    /// of megabytes (quantized-training scratch, im2col columns) takes thousands of page faults
    /// every step. Blocks up to 32 MiB now come from the heap, trimmed only above 256 MiB free.
    static func apply() {
        foedus_keep_large_blocks(32 << 20, 256 << 20)
    }
}
