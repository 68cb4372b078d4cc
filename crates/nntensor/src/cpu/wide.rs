//! Elementwise loops compiled for wide vectors (AVX-512 or AVX2) when the CPU has them.
//!
//! The workspace is built for baseline x86-64 (SSE2, four `f32` lanes) so that its binaries run
//! on any x86-64 machine. [`wide`] runs a closure inside a function compiled with AVX-512F (16
//! lanes) or AVX2 (8 lanes) enabled, so the loops it inlines there vectorise that wide; it checks
//! the CPU on each call (a cached flag) and otherwise runs the closure as it is. Both paths do the same IEEE operations
//! on each element in the same order (no fused multiply-add, no reassociation), so results are
//! bit-identical with and without AVX2.

/// Runs `f`, compiled for AVX-512F or AVX2 when this CPU supports it (see the module docs).
///
/// ```
/// let x = [1.0f32, 2.0, 3.0];
/// let mut y = [0.0f32; 3];
/// nntensor::cpu::wide(|| y.iter_mut().zip(&x).for_each(|(y, &x)| *y = 2.0 * x));
/// assert_eq!(y, [2.0, 4.0, 6.0]);
/// ```
#[inline]
pub fn wide<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            #[allow(unsafe_code)]
            // SAFETY: `run_avx512` only enables AVX-512F, which the CPU supports (checked just
            // above).
            return unsafe { run_avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            #[allow(unsafe_code)]
            // SAFETY: `run_avx2` only enables AVX2, which the CPU supports (checked just above).
            return unsafe { run_avx2(f) };
        }
    }
    f()
}

/// `f()` with AVX2 code generation for everything inlined into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` with AVX-512F code generation for everything inlined into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}
