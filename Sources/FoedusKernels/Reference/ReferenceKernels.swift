/// Naive scalar kernels: the obvious loops, written to be read rather than to be fast.
///
/// They are the oracles the fast kernels (`DNNLKernels`, `PortableKernels`) are tested against,
/// and they work for any `BinaryFloatingPoint` element (`Float` and `Double` in practice).
/// Accumulation happens in `T`, in the natural loop order. Layouts and argument meanings match
/// the fast kernels exactly; outputs are overwritten, never accumulated into.
public enum ReferenceKernels {}
