//! The elementwise loops every optimizer's update runs: over flat slices (so the compiler can
//! vectorise them, as wide as the CPU allows: [`wide`]), and on rayon's threads in fixed-size
//! chunks when the parameter is large.
//! Each element's arithmetic is the same whichever thread runs it, so results do not depend on
//! the thread count.

use nnautograd::nntensor::ndarray::Zip;
use nnautograd::nntensor::{wide, Tensor};
use rayon::prelude::*;

/// Parameters with at least this many elements are updated on rayon's threads (a 784×512 layer
/// is 401k; W1's 784×32 layer, 25k, stays on one thread).
const PARALLEL_MIN_ELEMENTS: usize = 1 << 16;

/// Elements per rayon task.
const CHUNK: usize = 1 << 14;

/// `f(p, g)` for every element of a parameter and its gradient.
pub(crate) fn update2<F>(p: &mut Tensor, g: &Tensor, f: F)
where
    F: Fn(&mut f32, f32) + Sync,
{
    match (p.as_slice_mut(), g.as_slice()) {
        (Some(p), Some(g)) => {
            let serial = |p: &mut [f32], g: &[f32]| {
                wide(
                    #[inline(always)]
                    || {
                        for (p, &g) in p.iter_mut().zip(g) {
                            f(p, g);
                        }
                    },
                )
            };
            if p.len() < PARALLEL_MIN_ELEMENTS {
                serial(p, g);
            } else {
                p.par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK))
                    .for_each(|(p, g)| serial(p, g));
            }
        }
        _ => Zip::from(p).and(g).for_each(|p, &g| f(p, g)),
    }
}

/// `f(p, g, s)` for every element of a parameter, its gradient and one state buffer.
pub(crate) fn update3<F>(p: &mut Tensor, g: &Tensor, s: &mut Tensor, f: F)
where
    F: Fn(&mut f32, f32, &mut f32) + Sync,
{
    let g = g.as_standard_layout();
    match (p.as_slice_mut(), g.as_slice(), s.as_slice_mut()) {
        (Some(p), Some(g), Some(s)) => {
            let serial = |p: &mut [f32], g: &[f32], s: &mut [f32]| {
                wide(
                    #[inline(always)]
                    || {
                        for ((p, &g), s) in p.iter_mut().zip(g).zip(s) {
                            f(p, g, s);
                        }
                    },
                )
            };
            if p.len() < PARALLEL_MIN_ELEMENTS {
                serial(p, g, s);
            } else {
                p.par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK))
                    .zip(s.par_chunks_mut(CHUNK))
                    .for_each(|((p, g), s)| serial(p, g, s));
            }
        }
        _ => Zip::from(p).and(&*g).and(s).for_each(|p, &g, s| f(p, g, s)),
    }
}

/// `f(p, g, a, b)` for every element of a parameter, its gradient and two state buffers.
pub(crate) fn update4<F>(p: &mut Tensor, g: &Tensor, a: &mut Tensor, b: &mut Tensor, f: F)
where
    F: Fn(&mut f32, f32, &mut f32, &mut f32) + Sync,
{
    let g = g.as_standard_layout();
    match (
        p.as_slice_mut(),
        g.as_slice(),
        a.as_slice_mut(),
        b.as_slice_mut(),
    ) {
        (Some(p), Some(g), Some(a), Some(b)) => {
            let serial = |p: &mut [f32], g: &[f32], a: &mut [f32], b: &mut [f32]| {
                wide(
                    #[inline(always)]
                    || {
                        for (((p, &g), a), b) in p.iter_mut().zip(g).zip(a).zip(b) {
                            f(p, g, a, b);
                        }
                    },
                )
            };
            if p.len() < PARALLEL_MIN_ELEMENTS {
                serial(p, g, a, b);
            } else {
                p.par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK))
                    .zip(a.par_chunks_mut(CHUNK))
                    .zip(b.par_chunks_mut(CHUNK))
                    .for_each(|(((p, g), a), b)| serial(p, g, a, b));
            }
        }
        _ => Zip::from(p)
            .and(&*g)
            .and(a)
            .and(b)
            .for_each(|p, &g, a, b| f(p, g, a, b)),
    }
}
