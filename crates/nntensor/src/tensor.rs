//! `Tensor`: a shape plus a [`Storage`] on some [`Device`], and `Shape`.

use crate::cpu;
use crate::device::{Device, Storage};
use crate::TensorError;
use ndarray::{ArrayD, Dimension, IxDyn};
use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, Index, IndexMut};

/// The sizes of a tensor's axes, outermost first (`[]` for a single number).
///
/// Built from anything that lists sizes: `[2, 3]`, `vec![2, 3]`, `&[2, 3][..]`; it reads as a
/// `&[usize]`. Up to four axes are stored inline (no allocation).
///
/// ```
/// use nntensor::Shape;
/// let s = Shape::from([2, 3]);
/// assert_eq!(s.elem_count(), 6);
/// assert_eq!(&s[..], &[2, 3]);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Shape(IxDyn);

impl Shape {
    /// A shape of these sizes. Panics (at the caller's line) if it would hold more elements than
    /// an allocation can (`isize::MAX`), so that every tensor's element count is exact.
    #[track_caller]
    fn new(dims: &[usize]) -> Shape {
        let count = dims
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= isize::MAX as usize);
        assert!(
            count.is_some(),
            "shape {dims:?} holds more elements than fit in memory"
        );
        Shape(IxDyn(dims))
    }

    /// The axis sizes.
    pub fn dims(&self) -> &[usize] {
        self.0.slice()
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.0.ndim()
    }

    /// Number of elements a tensor of this shape holds (1 for `[]`).
    pub fn elem_count(&self) -> usize {
        self.dims().iter().product()
    }

    /// The shape as ndarray's dynamic dimension, for the CPU kernels.
    pub(crate) fn ix(&self) -> IxDyn {
        self.0.clone()
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        self.dims()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.dims(), f)
    }
}

impl From<&[usize]> for Shape {
    #[track_caller]
    fn from(dims: &[usize]) -> Shape {
        Shape::new(dims)
    }
}

impl From<Vec<usize>> for Shape {
    #[track_caller]
    fn from(dims: Vec<usize>) -> Shape {
        Shape::new(&dims)
    }
}

impl From<&Vec<usize>> for Shape {
    #[track_caller]
    fn from(dims: &Vec<usize>) -> Shape {
        Shape::new(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    #[track_caller]
    fn from(dims: [usize; N]) -> Shape {
        Shape::new(&dims)
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    #[track_caller]
    fn from(dims: &[usize; N]) -> Shape {
        Shape::new(dims)
    }
}

impl From<&Shape> for Shape {
    fn from(shape: &Shape) -> Shape {
        shape.clone()
    }
}

/// The tensor type of nnfacade: `f32` elements in row-major order, with a shape, on a [`Device`].
///
/// Ops are functions of this crate (`nntensor::relu(&t)`, `nntensor::matmul(&a, &b)`) and
/// operators (`&a + &b`, `t * 2.0`, `a += &b`), each dispatched on the operands' [`Storage`].
/// Data goes in with [`Tensor::from_vec`] or `From<ndarray::ArrayD<f32>>` and comes out with
/// [`Tensor::to_vec`], [`Tensor::as_slice`] (on the CPU) or [`Tensor::to_ndarray`].
///
/// ```
/// use nntensor::Tensor;
/// let a = Tensor::from_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
/// let b = Tensor::from_vec([2], vec![10.0, 20.0]).unwrap();
/// let c = &a + &b; // NumPy broadcasting
/// assert_eq!(c.shape(), &[2, 2]);
/// assert_eq!(c.to_vec(), vec![11.0, 22.0, 13.0, 24.0]);
/// assert_eq!(c[[1, 0]], 13.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor {
    shape: Shape,
    storage: Storage,
}

impl Tensor {
    /// A tensor from its parts. Panics if the storage does not hold `shape`'s element count.
    #[track_caller]
    pub fn from_storage(shape: impl Into<Shape>, storage: Storage) -> Tensor {
        let shape = shape.into();
        assert!(
            storage.len() == shape.elem_count(),
            "Tensor::from_storage: shape {shape:?} needs {} elements, the storage holds {}",
            shape.elem_count(),
            storage.len()
        );
        Tensor { shape, storage }
    }

    /// A CPU tensor of `shape` holding `data` (row-major); the length is the caller's promise.
    #[inline]
    pub(crate) fn cpu(shape: Shape, data: Vec<f32>) -> Tensor {
        debug_assert_eq!(shape.elem_count(), data.len());
        Tensor {
            shape,
            storage: Storage::Cpu(data),
        }
    }

    /// Builds a tensor of `shape` from `data` in row-major order, or says why the lengths differ.
    ///
    /// ```
    /// use nntensor::Tensor;
    /// assert!(Tensor::from_vec([2, 2], vec![1.0; 4]).is_ok());
    /// assert!(Tensor::from_vec([2, 2], vec![1.0; 3]).is_err());
    /// ```
    #[track_caller]
    pub fn from_vec(shape: impl Into<Shape>, data: Vec<f32>) -> Result<Tensor, TensorError> {
        let shape = shape.into();
        let expected = shape.elem_count();
        if expected != data.len() {
            return Err(TensorError::DataLength {
                shape: shape.to_vec(),
                expected,
                actual: data.len(),
            });
        }
        Ok(Tensor::cpu(shape, data))
    }

    /// A CPU tensor of `shape` with every element `value`.
    ///
    /// ```
    /// let t = nntensor::Tensor::full([2], 7.0);
    /// assert_eq!(t.to_vec(), vec![7.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn full(shape: impl Into<Shape>, value: f32) -> Tensor {
        let shape = shape.into();
        let n = shape.elem_count();
        let data = if value.to_bits() == 0 {
            crate::cpu::zeroed(n)
        } else {
            vec![value; n]
        };
        Tensor::cpu(shape, data)
    }

    /// A CPU tensor of zeros.
    ///
    /// ```
    /// assert_eq!(nntensor::Tensor::zeros([2, 3]).len(), 6);
    /// ```
    #[track_caller]
    pub fn zeros(shape: impl Into<Shape>) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// A CPU tensor of ones.
    ///
    /// ```
    /// assert_eq!(nntensor::Tensor::ones([2]).to_vec(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn ones(shape: impl Into<Shape>) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// A CPU tensor of `shape` whose elements, in row-major order, are successive calls of `f`.
    ///
    /// ```
    /// let mut next = 0.0;
    /// let t = nntensor::Tensor::from_fn([3], || { next += 1.0; next });
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn from_fn(shape: impl Into<Shape>, mut f: impl FnMut() -> f32) -> Tensor {
        let shape = shape.into();
        let data = (0..shape.elem_count()).map(|_| f()).collect();
        Tensor::cpu(shape, data)
    }

    /// A CPU tensor of `shape` whose element at each multi-index is `f(index)`.
    ///
    /// ```
    /// let t = nntensor::Tensor::from_shape_fn([2, 3], |i| (10 * i[0] + i[1]) as f32);
    /// assert_eq!(t.to_vec(), vec![0., 1., 2., 10., 11., 12.]);
    /// ```
    #[track_caller]
    pub fn from_shape_fn(shape: impl Into<Shape>, mut f: impl FnMut(&[usize]) -> f32) -> Tensor {
        let shape = shape.into();
        let mut index = vec![0; shape.ndim()];
        let mut data = Vec::with_capacity(shape.elem_count());
        for _ in 0..shape.elem_count() {
            data.push(f(&index));
            // The next index in row-major order: the last axis fastest.
            for axis in (0..index.len()).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Tensor::cpu(shape, data)
    }

    /// The axis sizes, outermost first.
    #[inline]
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The shape as a [`Shape`] value.
    #[inline]
    pub fn shape_ref(&self) -> &Shape {
        &self.shape
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.ndim()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.storage.len()
    }

    /// Whether the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The device holding the elements.
    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The elements, as held by their backend.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The elements, mutably, as held by their backend (crate-private: a caller could otherwise
    /// change the element count under the shape).
    pub(crate) fn storage_mut(&mut self) -> &mut Storage {
        &mut self.storage
    }

    /// A copy of this tensor on `device` (a plain copy when it is already there).
    pub fn to(&self, device: &Device) -> Tensor {
        match (&self.storage, device) {
            (Storage::Cpu(_), Device::Cpu) => self.clone(),
            #[cfg(feature = "gpu")]
            (Storage::Cpu(data), Device::Gpu(index)) => {
                let ctx = crate::gpu::context::get(*index);
                let buffer = crate::gpu::GpuBuffer::upload(&ctx, data);
                Tensor::gpu(self.shape.clone(), buffer)
            }
            #[cfg(feature = "gpu")]
            (Storage::Gpu(b), Device::Cpu) => Tensor::cpu(self.shape.clone(), b.read()),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(b), Device::Gpu(index)) if b.index() == *index => self.clone(),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(b), Device::Gpu(_)) => {
                Tensor::cpu(self.shape.clone(), b.read()).to(device)
            }
        }
    }

    /// This tensor as it is on `device`: borrowed when it is already there, copied otherwise.
    ///
    /// ```
    /// use nntensor::{Device, Tensor};
    /// let t = Tensor::ones([2]);
    /// assert!(matches!(t.on(&Device::Cpu), std::borrow::Cow::Borrowed(_)));
    /// ```
    pub fn on(&self, device: &Device) -> Cow<'_, Tensor> {
        if self.device() == *device {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.to(device))
        }
    }

    /// This tensor moved to `device` (no copy when it is already there).
    pub fn into_device(self, device: &Device) -> Tensor {
        if self.device() == *device {
            self
        } else {
            self.to(device)
        }
    }

    /// A tensor of `shape` with every element `value`, made on `device`.
    ///
    /// ```
    /// use nntensor::{Device, Tensor};
    /// let t = Tensor::full_on([2], 3.0, &Device::Cpu);
    /// assert_eq!(t.to_vec(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn full_on(shape: impl Into<Shape>, value: f32, device: &Device) -> Tensor {
        let shape = shape.into();
        match device {
            Device::Cpu => Tensor::full(shape, value),
            #[cfg(feature = "gpu")]
            Device::Gpu(index) => {
                let ctx = crate::gpu::context::get(*index);
                let buffer = crate::gpu::elementwise::full(&ctx, shape.elem_count(), value);
                Tensor::gpu(shape, buffer)
            }
        }
    }

    /// A tensor of zeros made on `device`.
    #[track_caller]
    pub fn zeros_on(shape: impl Into<Shape>, device: &Device) -> Tensor {
        Tensor::full_on(shape, 0.0, device)
    }

    /// Zeros of `self`'s shape on `self`'s device.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::full_on(self.shape.clone(), 0.0, &self.device())
    }

    /// A GPU tensor of `shape` held by `buffer` (its length is the caller's promise).
    #[cfg(feature = "gpu")]
    pub(crate) fn gpu(shape: Shape, buffer: crate::gpu::GpuBuffer) -> Tensor {
        debug_assert_eq!(shape.elem_count(), buffer.len());
        Tensor {
            shape,
            storage: Storage::Gpu(buffer),
        }
    }

    /// The elements in row-major order, if they are in host memory.
    ///
    /// ```
    /// let t = nntensor::Tensor::ones([2]);
    /// assert_eq!(t.as_slice().unwrap(), &[1.0, 1.0]);
    /// ```
    #[inline]
    pub fn as_slice(&self) -> Option<&[f32]> {
        match &self.storage {
            Storage::Cpu(data) => Some(data),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => None,
        }
    }

    /// The elements in row-major order, mutably, if they are in host memory.
    #[inline]
    pub fn as_slice_mut(&mut self) -> Option<&mut [f32]> {
        match &mut self.storage {
            Storage::Cpu(data) => Some(data),
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => None,
        }
    }

    /// Adds f32 values stored little-endian in `bytes` (row-major, 4 bytes each) into this
    /// tensor, element by element: the same roundings as `+=` with a tensor of those values,
    /// without making one on the CPU. For gradients received from another process. Panics
    /// (naming both sizes) unless `bytes` holds exactly one value per element.
    ///
    /// ```
    /// let mut t = nntensor::Tensor::ones([2]);
    /// let bytes: Vec<u8> = [0.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    /// t.add_le_bytes(&bytes);
    /// assert_eq!(t.to_vec(), [1.5, -1.0]);
    /// ```
    #[track_caller]
    pub fn add_le_bytes(&mut self, bytes: &[u8]) {
        assert_eq!(
            bytes.len(),
            4 * self.len(),
            "Tensor::add_le_bytes: {} bytes for a tensor of shape {:?} ({} values)",
            bytes.len(),
            self.shape(),
            self.len()
        );
        match &mut self.storage {
            Storage::Cpu(data) => {
                for (x, v) in data.iter_mut().zip(bytes.chunks_exact(4)) {
                    *x += f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
                }
            }
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => {
                let values = bytes
                    .chunks_exact(4)
                    .map(|v| f32::from_le_bytes([v[0], v[1], v[2], v[3]]))
                    .collect();
                let other = Tensor::from_vec(self.shape(), values)
                    .expect("one value per element")
                    .into_device(&self.device());
                *self += &other;
            }
        }
    }

    /// The elements in row-major order, copied to host memory from whichever device holds them.
    pub fn to_vec(&self) -> Vec<f32> {
        match &self.storage {
            Storage::Cpu(data) => data.clone(),
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => b.read(),
        }
    }

    /// The elements in row-major order in host memory: borrowed from a CPU tensor, copied from
    /// any other device. For reading values at the edges (checks, metrics, files).
    ///
    /// ```
    /// let t = nntensor::Tensor::ones([2]);
    /// assert_eq!(t.values().iter().sum::<f32>(), 2.0);
    /// ```
    pub fn values(&self) -> Cow<'_, [f32]> {
        match &self.storage {
            Storage::Cpu(data) => Cow::Borrowed(data),
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => Cow::Owned(b.read()),
        }
    }

    /// The elements in row-major order, moved out (copied only if another device holds them).
    pub fn into_vec(self) -> Vec<f32> {
        match self.storage {
            Storage::Cpu(data) => data,
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => b.read(),
        }
    }

    /// The single value of a one-element tensor. Panics (at the caller's line) for any other size.
    ///
    /// ```
    /// assert_eq!(nntensor::scalar(2.5).item(), 2.5);
    /// ```
    #[track_caller]
    pub fn item(&self) -> f32 {
        assert!(
            self.len() == 1,
            "item: expected a single value, got shape {:?}",
            self.shape()
        );
        match &self.storage {
            Storage::Cpu(data) => data[0],
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => b.read()[0],
        }
    }

    /// The same elements under a new shape with as many elements: no copy.
    ///
    /// ```
    /// let t = nntensor::Tensor::zeros([2, 3]).into_reshaped([3, 2]);
    /// assert_eq!(t.shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn into_reshaped(self, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert!(
            shape.elem_count() == self.len(),
            "reshape: cannot reshape {:?} ({} elements) into {shape:?} ({} elements)",
            self.shape(),
            self.len(),
            shape.elem_count()
        );
        Tensor {
            shape,
            storage: self.storage,
        }
    }

    /// A copy as an `ndarray` array (host memory), for code that wants ndarray's API.
    pub fn to_ndarray(&self) -> ArrayD<f32> {
        ArrayD::from_shape_vec(self.shape.ix(), self.to_vec()).expect("length matches shape")
    }

    /// The row-major offset of `index`, or a panic naming the index and the shape.
    #[track_caller]
    fn offset(&self, index: &[usize]) -> usize {
        let dims = self.shape();
        assert!(
            index.len() == dims.len() && index.iter().zip(dims).all(|(&i, &d)| i < d),
            "index {index:?} is out of bounds for shape {dims:?}"
        );
        index
            .iter()
            .zip(dims)
            .fold(0, |offset, (&i, &d)| offset * d + i)
    }
}

/// The panic message for an operation that needs host memory, on a GPU tensor.
#[cfg(feature = "gpu")]
fn on_gpu_message(what: &str) -> String {
    format!("{what}: the tensor lives on a GPU; copy it first with .to(&Device::Cpu) or read it with .to_vec()")
}

impl<D: Dimension> From<ndarray::Array<f32, D>> for Tensor {
    /// Takes an ndarray array's elements (no copy when it is in standard row-major layout).
    fn from(array: ndarray::Array<f32, D>) -> Tensor {
        cpu::from_array(array.into_dyn())
    }
}

impl<const N: usize> Index<[usize; N]> for Tensor {
    type Output = f32;
    /// The element at `index` of a CPU tensor. Panics if it is out of bounds or the tensor lives
    /// on another device (copy it with [`Tensor::to`] first).
    #[track_caller]
    fn index(&self, index: [usize; N]) -> &f32 {
        let offset = self.offset(&index);
        match &self.storage {
            Storage::Cpu(data) => &data[offset],
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => panic!("{}", on_gpu_message("index")),
        }
    }
}

impl<const N: usize> IndexMut<[usize; N]> for Tensor {
    #[track_caller]
    fn index_mut(&mut self, index: [usize; N]) -> &mut f32 {
        let offset = self.offset(&index);
        match &mut self.storage {
            Storage::Cpu(data) => &mut data[offset],
            #[cfg(feature = "gpu")]
            Storage::Gpu(_) => panic!("{}", on_gpu_message("index")),
        }
    }
}

impl Index<usize> for Tensor {
    type Output = f32;
    /// Element `i` of a 1-D CPU tensor (`t[i]` is `t[[i]]`).
    #[track_caller]
    fn index(&self, i: usize) -> &f32 {
        &self[[i]]
    }
}

impl IndexMut<usize> for Tensor {
    #[track_caller]
    fn index_mut(&mut self, i: usize) -> &mut f32 {
        &mut self[[i]]
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.storage {
            Storage::Cpu(data) => {
                let view = cpu::view(&self.shape, data);
                write!(f, "Tensor({view}, shape={:?}, device=cpu)", self.shape())
            }
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => {
                let data = b.read();
                let view = cpu::view(&self.shape, &data);
                write!(
                    f,
                    "Tensor({view}, shape={:?}, device={})",
                    self.shape(),
                    self.device()
                )
            }
        }
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.storage {
            Storage::Cpu(data) => fmt::Display::fmt(&cpu::view(&self.shape, data), f),
            #[cfg(feature = "gpu")]
            Storage::Gpu(b) => fmt::Display::fmt(&cpu::view(&self.shape, &b.read()), f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(
        expected = "shape [4294967296, 4294967296] holds more elements than fit in memory"
    )]
    fn a_shape_whose_element_count_overflows_panics() {
        let _ = Tensor::from_vec([1 << 32, 1 << 32], vec![]);
    }

    #[test]
    #[should_panic(expected = "holds more elements than fit in memory")]
    fn reshaping_into_an_impossible_shape_panics() {
        let _ = Tensor::zeros([2]).into_reshaped([(1 << 63) + 1, 2]);
    }

    #[test]
    fn indexing_is_row_major_and_checked() {
        let t = Tensor::from_shape_fn([2, 3], |i| (10 * i[0] + i[1]) as f32);
        assert_eq!(t[[1, 2]], 12.0);
        let out = std::panic::catch_unwind(|| t[[2, 0]]).unwrap_err();
        let msg = out.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("index [2, 0] is out of bounds for shape [2, 3]"),
            "{msg}"
        );
    }
}
