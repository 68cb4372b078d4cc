//! Rearranging and indexing along axes: `permute`, `transpose_axes`, `squeeze`, `unsqueeze`,
//! `flatten_axes`, `expand`, `narrow`, `split`, `chunk`, `index_select`, `gather`,
//! `scatter_add`, `repeat`, `pad`, `flip`, `cat`, `stack`.
//! Negative axes count from the end, as in PyTorch.

use crate::op::Op;
use crate::Var;
use nntensor::{self as nt, Tensor};

impl<'t> Var<'t> {
    /// The axes in the order `axes` (PyTorch's `permute`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 3, 4]));
    /// let p = x.permute(&[2, 0, 1]);
    /// assert_eq!(p.shape(), vec![4, 2, 3]);
    /// assert_eq!(p.sum().backward().wrt(x).unwrap().shape(), &[2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn permute(self, axes: &[isize]) -> Var<'t> {
        self.check();
        let value = nt::permute(&self.value(), axes);
        let ndim = axes.len();
        let perm = axes
            .iter()
            .map(|&a| nt::normalize_axis("permute", ndim, a))
            .collect();
        Var::record(&[self], value, Op::Permute(self.index, perm))
    }

    /// Axes `a` and `b` swapped (PyTorch's `x.transpose(a, b)`; [`Var::transpose`] reverses all
    /// axes, like `.T`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 3, 4]));
    /// assert_eq!(x.transpose_axes(0, -1).shape(), vec![4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose_axes(self, a: isize, b: isize) -> Var<'t> {
        let ndim = self.shape().len();
        let (a, b) = (
            nt::normalize_axis("transpose_axes", ndim, a),
            nt::normalize_axis("transpose_axes", ndim, b),
        );
        let mut perm: Vec<isize> = (0..ndim as isize).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// The same values without the size-1 `axes` (all size-1 axes when `axes` is empty; an
    /// axis whose size is not 1 stays, as in PyTorch's `squeeze`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([1, 3, 1]));
    /// assert_eq!(x.squeeze(&[]).shape(), vec![3]);
    /// assert_eq!(x.squeeze(&[-1]).shape(), vec![1, 3]);
    /// assert_eq!(x.squeeze(&[1]).shape(), vec![1, 3, 1]); // size 3: kept
    /// ```
    #[track_caller]
    pub fn squeeze(self, axes: &[isize]) -> Var<'t> {
        let shape = self.shape();
        let drop: Vec<usize> = if axes.is_empty() {
            (0..shape.len()).filter(|&i| shape[i] == 1).collect()
        } else {
            let axes = nt::normalize_axes("squeeze", shape.len(), axes);
            axes.into_iter().filter(|&a| shape[a] == 1).collect()
        };
        let kept: Vec<usize> = (0..shape.len())
            .filter(|i| !drop.contains(i))
            .map(|i| shape[i])
            .collect();
        self.reshape(&kept)
    }

    /// The same values with a new size-1 axis at `axis` (which may be `ndim`; negative counts
    /// from `ndim + 1`, as PyTorch's `unsqueeze`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([3]));
    /// assert_eq!(x.unsqueeze(0).shape(), vec![1, 3]);
    /// assert_eq!(x.unsqueeze(-1).shape(), vec![3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(self, axis: isize) -> Var<'t> {
        let mut shape = self.shape();
        let axis = nt::normalize_axis("unsqueeze", shape.len() + 1, axis);
        shape.insert(axis, 1);
        self.reshape(&shape)
    }

    /// Axes `start..=end` merged into one (PyTorch's `flatten(start_dim, end_dim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 3, 4, 5]));
    /// assert_eq!(x.flatten_axes(1, -1).shape(), vec![2, 60]);
    /// assert_eq!(x.flatten_axes(0, 1).shape(), vec![6, 4, 5]);
    /// ```
    #[track_caller]
    pub fn flatten_axes(self, start: isize, end: isize) -> Var<'t> {
        let shape = self.shape();
        let ndim = shape.len().max(1);
        let (start, end) = (
            nt::normalize_axis("flatten_axes", ndim, start),
            nt::normalize_axis("flatten_axes", ndim, end),
        );
        assert!(
            start <= end,
            "flatten_axes: start axis {start} comes after end axis {end}"
        );
        if shape.is_empty() {
            return self.reshape(&[1]);
        }
        let mut out: Vec<usize> = shape[..start].to_vec();
        out.push(shape[start..=end].iter().product());
        out.extend_from_slice(&shape[end + 1..]);
        self.reshape(&out)
    }

    /// The value broadcast up to `shape` (PyTorch's `expand`, NumPy's `broadcast_to`); the
    /// gradient is summed back down.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([3, 1]));
    /// let e = x.expand(&[2, 3, 4]);
    /// assert_eq!(e.shape(), vec![2, 3, 4]);
    /// assert_eq!(e.sum().backward().wrt(x).unwrap().to_vec(), vec![8., 8., 8.]);
    /// ```
    #[track_caller]
    pub fn expand(self, shape: &[usize]) -> Var<'t> {
        self.check();
        let value = nt::broadcast_to(&self.value(), shape);
        Var::record(&[self], value, Op::Expand(self.index))
    }

    /// Entries `start..start + len` along `axis` (PyTorch's `narrow`; `x[:, a:b]` is
    /// `x.narrow(1, a, b - a)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([4], vec![1., 2., 3., 4.]).unwrap());
    /// let n = x.narrow(0, 1, 2);
    /// assert_eq!(n.to_tensor().to_vec(), vec![2., 3.]);
    /// assert_eq!(n.sum().backward().wrt(x).unwrap().to_vec(), vec![0., 1., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Var<'t> {
        self.check();
        let value = nt::narrow(&self.value(), axis, start, len);
        let op = Op::Narrow {
            input: self.index,
            axis,
            start,
        };
        Var::record(&[self], value, op)
    }

    /// Consecutive pieces of `size` entries along `axis` (the last may be shorter; PyTorch's
    /// `split(size, dim)`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([5, 2]));
    /// let parts = x.split(2, 0);
    /// let shapes: Vec<_> = parts.iter().map(|p| p.shape()).collect();
    /// assert_eq!(shapes, vec![vec![2, 2], vec![2, 2], vec![1, 2]]);
    /// ```
    #[track_caller]
    pub fn split(self, size: usize, axis: isize) -> Vec<Var<'t>> {
        assert!(size > 0, "split: the piece size must be at least 1");
        let shape = self.shape();
        let a = nt::normalize_axis("split", shape.len(), axis);
        (0..shape[a])
            .step_by(size)
            .map(|start| self.narrow(axis, start, size.min(shape[a] - start)))
            .collect()
    }

    /// `chunks` pieces of equal size along `axis` (the last may be smaller; PyTorch's
    /// `chunk`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::ones([2, 6]));
    /// assert_eq!(x.chunk(3, -1).len(), 3);
    /// assert_eq!(x.chunk(3, -1)[0].shape(), vec![2, 2]);
    /// ```
    #[track_caller]
    pub fn chunk(self, chunks: usize, axis: isize) -> Vec<Var<'t>> {
        assert!(chunks > 0, "chunk: the number of chunks must be at least 1");
        let shape = self.shape();
        let a = nt::normalize_axis("chunk", shape.len(), axis);
        self.split(shape[a].div_ceil(chunks).max(1), axis)
    }

    /// The entries `indices` along `axis` (repeats allowed; PyTorch's `index_select`); the
    /// gradients of repeated entries add up.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// let s = x.index_select(0, &[2, 2, 0]);
    /// assert_eq!(s.to_tensor().to_vec(), vec![3., 3., 1.]);
    /// assert_eq!(s.sum().backward().wrt(x).unwrap().to_vec(), vec![1., 0., 2.]);
    /// ```
    #[track_caller]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Var<'t> {
        self.check();
        let value = nt::index_select(&self.value(), axis, indices);
        let op = if Var::needs_grad(&[self]) {
            Op::IndexSelect {
                input: self.index,
                axis,
                indices: indices.to_vec(),
            }
        } else {
            Op::Leaf
        };
        Var::record(&[self], value, op)
    }

    /// Reversed along each of `axes` (PyTorch's `flip`).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// let f = x.flip(&[0]);
    /// assert_eq!(f.to_tensor().to_vec(), vec![3., 2., 1.]);
    /// let w = tape.constant(nntensor::Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// assert_eq!((f * w).sum().backward().wrt(x).unwrap().to_vec(), vec![3., 2., 1.]);
    /// ```
    #[track_caller]
    pub fn flip(self, axes: &[isize]) -> Var<'t> {
        self.check();
        let value = nt::flip(&self.value(), axes);
        Var::record(&[self], value, Op::Flip(self.index, axes.to_vec()))
    }

    /// The values joined along `axis` (PyTorch's `torch.cat`). Panics if `parts` is empty, the
    /// values live on different tapes, or their other sizes differ.
    ///
    /// ```
    /// use nnautograd::{Tape, Var};
    /// let tape = Tape::new();
    /// let a = tape.var(nntensor::Tensor::ones([1, 2]));
    /// let b = tape.var(nntensor::Tensor::zeros([2, 2]));
    /// let c = Var::cat(&[a, b], 0);
    /// assert_eq!(c.shape(), vec![3, 2]);
    /// assert_eq!(c.sum().backward().wrt(b).unwrap().to_vec(), vec![1.; 4]);
    /// ```
    #[track_caller]
    pub fn cat(parts: &[Var<'t>], axis: isize) -> Var<'t> {
        let Some(first) = parts.first() else {
            panic!("cat: no values to join");
        };
        for p in parts {
            first.check_pair(p, "cat");
        }
        let (value, axis) = {
            let nodes = first.tape.nodes.borrow();
            let values: Vec<_> = parts.iter().map(|p| &*nodes[p.index].value).collect();
            let ndim = values[0].ndim();
            (
                nt::cat(&values, axis),
                nt::normalize_axis("cat", ndim, axis),
            )
        };
        let op = Op::Cat {
            inputs: parts.iter().map(|p| p.index).collect(),
            axis,
        };
        Var::record(parts, value, op)
    }

    /// The values, all of one shape, stacked along a new `axis` (PyTorch's `torch.stack`).
    ///
    /// ```
    /// use nnautograd::{Tape, Var};
    /// let tape = Tape::new();
    /// let a = tape.var(nntensor::Tensor::ones([3]));
    /// let s = Var::stack(&[a, a], 0);
    /// assert_eq!(s.shape(), vec![2, 3]);
    /// assert_eq!(s.sum().backward().wrt(a).unwrap().to_vec(), vec![2.; 3]);
    /// ```
    #[track_caller]
    pub fn stack(parts: &[Var<'t>], axis: isize) -> Var<'t> {
        let Some(first) = parts.first() else {
            panic!("stack: no values to stack");
        };
        let ndim = first.shape().len();
        let axis = nt::normalize_axis("stack", ndim + 1, axis) as isize;
        let lifted: Vec<Var<'t>> = parts.iter().map(|p| p.unsqueeze(axis)).collect();
        Var::cat(&lifted, axis)
    }

    /// `self[p with p[axis] = index[p]]` for every position `p` of `index` (PyTorch's
    /// `torch.gather`; ids are whole-number values of `index`).
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(Tensor::from_vec([2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap());
    /// let index = Tensor::from_vec([2, 2], vec![2., 2., 0., 1.]).unwrap();
    /// let picked = x.gather(1, &index);
    /// assert_eq!(picked.to_tensor().to_vec(), vec![3., 3., 4., 5.]);
    /// let g = picked.sum().backward();
    /// assert_eq!(g.wrt(x).unwrap().to_vec(), vec![0., 0., 2., 1., 1., 0.]);
    /// ```
    #[track_caller]
    pub fn gather(self, axis: isize, index: &Tensor) -> Var<'t> {
        self.check();
        let value = nt::gather(&self.value(), axis, index);
        let op = if Var::needs_grad(&[self]) {
            Op::Gather {
                input: self.index,
                axis,
                index: Box::new(index.clone()),
            }
        } else {
            Op::Leaf
        };
        Var::record(&[self], value, op)
    }

    /// `self` with `src[p]` added at `p with p[axis] = index[p]` (PyTorch's `scatter_add`; `src`
    /// has `index`'s shape). Gradients flow to both.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// let tape = nnautograd::Tape::new();
    /// let base = tape.var(Tensor::zeros([3]));
    /// let src = tape.var(Tensor::from_vec([2], vec![5., 7.]).unwrap());
    /// let index = Tensor::from_vec([2], vec![2., 2.]).unwrap();
    /// let out = base.scatter_add(0, &index, src);
    /// assert_eq!(out.to_tensor().to_vec(), vec![0., 0., 12.]);
    /// let w = tape.constant(Tensor::from_vec([3], vec![1., 2., 3.]).unwrap());
    /// let g = (out * w).sum().backward();
    /// assert_eq!(g.wrt(src).unwrap().to_vec(), vec![3., 3.]);
    /// ```
    #[track_caller]
    pub fn scatter_add(self, axis: isize, index: &Tensor, src: Var<'t>) -> Var<'t> {
        self.check_pair(&src, "scatter_add");
        let value = nt::scatter_add(&self.value(), axis, index, &src.value());
        let op = if Var::needs_grad(&[self, src]) {
            Op::ScatterAdd {
                input: self.index,
                src: src.index,
                axis,
                index: Box::new(index.clone()),
            }
        } else {
            Op::Leaf
        };
        Var::record(&[self, src], value, op)
    }

    /// Tiled `counts[i]` times along axis `i` (PyTorch's `repeat`, NumPy's `tile`); the
    /// gradient sums over the tiles.
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![1., 2.]).unwrap());
    /// let r = x.repeat(&[3]);
    /// assert_eq!(r.to_tensor().to_vec(), vec![1., 2., 1., 2., 1., 2.]);
    /// assert_eq!(r.sum().backward().wrt(x).unwrap().to_vec(), vec![3., 3.]);
    /// ```
    #[track_caller]
    pub fn repeat(self, counts: &[usize]) -> Var<'t> {
        self.check();
        let value = nt::repeat(&self.value(), counts);
        let op = Op::Repeat {
            input: self.index,
            counts: counts.to_vec(),
        };
        Var::record(&[self], value, op)
    }

    /// Padded with the constant `value`: `widths[i] = (before, after)` entries on axis `i`
    /// (NumPy's `pad(mode="constant")`; PyTorch's `F.pad` lists the last axis first).
    ///
    /// ```
    /// let tape = nnautograd::Tape::new();
    /// let x = tape.var(nntensor::Tensor::from_vec([2], vec![1., 2.]).unwrap());
    /// let p = x.pad(&[(1, 2)], -1.0);
    /// assert_eq!(p.to_tensor().to_vec(), vec![-1., 1., 2., -1., -1.]);
    /// assert_eq!(p.sum().backward().wrt(x).unwrap().to_vec(), vec![1., 1.]);
    /// ```
    #[track_caller]
    pub fn pad(self, widths: &[(usize, usize)], value: f32) -> Var<'t> {
        self.check();
        let padded = nt::pad(&self.value(), widths, value);
        let op = Op::Pad {
            input: self.index,
            widths: widths.to_vec(),
        };
        Var::record(&[self], padded, op)
    }
}
