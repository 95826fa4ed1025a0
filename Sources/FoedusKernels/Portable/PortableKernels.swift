/// Portable `Double` kernels for work oneDNN cannot do (it has no f64 primitives), such as
/// Float64 Hessian computations on small networks.
///
/// Correctness first, then reasonable speed: the matrix product runs an i-k-j loop over
/// contiguous rows so the compiler vectorises the inner loop, and convolutions are lowered to
/// that product through im2col / col2im. Layouts and argument meanings match
/// `ReferenceKernels` and `DNNLKernels`; outputs are overwritten, never accumulated into.
/// All functions are reentrant: scratch memory is allocated per call.
public enum PortableKernels {}
