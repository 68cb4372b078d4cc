//! Convolutions and pooling over images in NCHW layout (batch, channels, height, width), as
//! PyTorch lays them out, with their gradients.

use crate::cpu::conv as cpu;
use crate::device::same_device;
use crate::{Shape, Storage, Tensor};

/// Stride, zero padding and dilation of a 2-D convolution, per axis `[height, width]`
/// (PyTorch's `stride`, `padding`, `dilation`). The default is 1, 0, 1.
///
/// ```
/// let same = nntensor::Conv2dSpec { padding: [1, 1], ..Default::default() };
/// assert_eq!(same.output_size([28, 28], [3, 3]), Some([28, 28]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dSpec {
    /// Steps between kernel positions.
    pub stride: [usize; 2],
    /// Zeros added on each side.
    pub padding: [usize; 2],
    /// Spacing between kernel taps.
    pub dilation: [usize; 2],
}

impl Default for Conv2dSpec {
    fn default() -> Self {
        Conv2dSpec {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }
}

impl Conv2dSpec {
    /// The output's `[height, width]` for an input of `input` and a kernel of `kernel`, or `None`
    /// when the (dilated) kernel does not fit the padded input or a stride or dilation is 0.
    pub fn output_size(&self, input: [usize; 2], kernel: [usize; 2]) -> Option<[usize; 2]> {
        self.window(kernel).output_size(input)
    }

    pub(crate) fn window(&self, kernel: [usize; 2]) -> Window {
        Window {
            kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
        }
    }
}

/// Window, stride and padding of a 2-D pooling (PyTorch's `kernel_size`, `stride`, `padding`;
/// max pooling pads with −∞, average pooling with zeros that count in the mean).
///
/// ```
/// let pool = nntensor::Pool2dSpec::new([2, 2]);
/// assert_eq!(pool.stride, [2, 2]);
/// assert_eq!(pool.output_size([26, 26]), Some([13, 13]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool2dSpec {
    /// The window.
    pub kernel: [usize; 2],
    /// Steps between windows.
    pub stride: [usize; 2],
    /// Padding on each side (at most half the window).
    pub padding: [usize; 2],
}

impl Pool2dSpec {
    /// A window of `kernel` with the stride equal to it and no padding (PyTorch's default).
    pub fn new(kernel: [usize; 2]) -> Pool2dSpec {
        Pool2dSpec {
            kernel,
            stride: kernel,
            padding: [0, 0],
        }
    }

    /// The output's `[height, width]` for an input of `input`, or `None` when the window does not
    /// fit, a size or stride is 0, or the padding exceeds half the window.
    pub fn output_size(&self, input: [usize; 2]) -> Option<[usize; 2]> {
        if (0..2).any(|i| self.padding[i] * 2 > self.kernel[i]) {
            return None;
        }
        self.window().output_size(input)
    }

    pub(crate) fn window(&self) -> Window {
        Window {
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
            dilation: [1, 1],
        }
    }
}

/// A sliding window's geometry, shared by the convolution and pooling kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
    pub(crate) padding: [usize; 2],
    pub(crate) dilation: [usize; 2],
}

impl Window {
    fn output_size(&self, input: [usize; 2]) -> Option<[usize; 2]> {
        let mut out = [0; 2];
        for i in 0..2 {
            if self.kernel[i] == 0 || self.stride[i] == 0 || self.dilation[i] == 0 {
                return None;
            }
            let span = self.dilation[i] * (self.kernel[i] - 1) + 1;
            let padded = input[i] + 2 * self.padding[i];
            if padded < span {
                return None;
            }
            out[i] = (padded - span) / self.stride[i] + 1;
        }
        Some(out)
    }
}

/// `(n, c, h, w)` of a rank-4 tensor, or a panic naming the op and the layout.
#[track_caller]
fn nchw(op: &str, t: &Tensor) -> [usize; 4] {
    match t.shape() {
        &[n, c, h, w] => [n, c, h, w],
        other => panic!(
            "{op}: expected an NCHW tensor (batch, channels, height, width), got shape {other:?}"
        ),
    }
}

/// Output size or a panic naming the op, the input and the window.
#[track_caller]
fn out_size(op: &str, input: [usize; 2], window: &Window, fits: Option<[usize; 2]>) -> [usize; 2] {
    fits.unwrap_or_else(|| {
        panic!("{op}: a window of {window:?} does not fit an input of height × width {input:?}")
    })
}

/// The 2-D convolution (cross-correlation, as in PyTorch) of `x` `(n, c, h, w)` with `weight`
/// `(o, c, kh, kw)`, plus `bias` (`o` values): `(n, o, oh, ow)`. Panics (at the caller's line)
/// naming both shapes if they do not fit.
///
/// ```
/// use nntensor::{conv2d, Conv2dSpec, Tensor};
/// let x = Tensor::ones([1, 1, 3, 3]);
/// let w = Tensor::ones([2, 1, 2, 2]);
/// let y = conv2d(&x, &w, None, Conv2dSpec::default());
/// assert_eq!(y.shape(), &[1, 2, 2, 2]);
/// assert_eq!(y.to_vec(), vec![4.0; 8]);
/// ```
#[track_caller]
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, spec: Conv2dSpec) -> Tensor {
    let (dims, window, out_hw, o) = conv_dims(x, weight, spec);
    if let Some(b) = bias {
        assert!(
            b.shape() == [o],
            "conv2d: bias has shape {:?}, expected ({o},) for weight {:?}",
            b.shape(),
            weight.shape()
        );
        same_device("conv2d", x.device(), b.device());
    }
    let out = Shape::from([dims[0], o, out_hw[0], out_hw[1]]);
    match (x.storage(), weight.storage(), bias.map(Tensor::storage)) {
        (Storage::Cpu(xs), Storage::Cpu(ws), b) => {
            let b = b.map(|b| match b {
                Storage::Cpu(b) => b.as_slice(),
                #[cfg(feature = "gpu")]
                Storage::Gpu(_) => unreachable!("devices checked above"),
            });
            Tensor::cpu(out, cpu::conv2d(xs, dims, ws, o, b, &window, out_hw))
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ws), b) => {
            let b = b.map(|b| match b {
                Storage::Gpu(b) => b,
                Storage::Cpu(_) => unreachable!("devices checked above"),
            });
            Tensor::gpu(
                out,
                crate::gpu::conv::conv2d(xs, dims, ws, o, b, &window, out_hw),
            )
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Shapes of a convolution: the input's NCHW dims, the window, the output size and the output
/// channels; panics (at the caller's line) naming both shapes if they do not fit.
#[track_caller]
fn conv_dims(
    x: &Tensor,
    weight: &Tensor,
    spec: Conv2dSpec,
) -> ([usize; 4], Window, [usize; 2], usize) {
    let dims = nchw("conv2d", x);
    let [o, c, kh, kw] = match weight.shape() {
        &[o, c, kh, kw] => [o, c, kh, kw],
        other => {
            panic!("conv2d: weight must be (out_channels, in_channels, kh, kw), got {other:?}")
        }
    };
    assert!(
        c == dims[1],
        "conv2d: input {:?} has {} channels but weight {:?} expects {c}",
        x.shape(),
        dims[1],
        weight.shape()
    );
    same_device("conv2d", x.device(), weight.device());
    let window = spec.window([kh, kw]);
    let input = [dims[2], dims[3]];
    let out_hw = out_size("conv2d", input, &window, window.output_size(input));
    (dims, window, out_hw, o)
}

/// The gradients of [`conv2d`] given `g` `(n, o, oh, ow)`: `[dx, dweight, dbias]`, each computed
/// only where `need` says so.
///
/// ```
/// use nntensor::{conv2d_backward, Conv2dSpec, Tensor};
/// let (x, w) = (Tensor::ones([1, 1, 3, 3]), Tensor::ones([1, 1, 2, 2]));
/// let [dx, dw, db] = conv2d_backward(&x, &w, &Tensor::ones([1, 1, 2, 2]), Conv2dSpec::default(), [true; 3]);
/// assert_eq!(dx.unwrap().to_vec(), vec![1., 2., 1., 2., 4., 2., 1., 2., 1.]);
/// assert_eq!(dw.unwrap().to_vec(), vec![4.0; 4]);
/// assert_eq!(db.unwrap().to_vec(), vec![4.0]);
/// ```
#[track_caller]
pub fn conv2d_backward(
    x: &Tensor,
    weight: &Tensor,
    g: &Tensor,
    spec: Conv2dSpec,
    need: [bool; 3],
) -> [Option<Tensor>; 3] {
    let (dims, window, out_hw, o) = conv_dims(x, weight, spec);
    let want = [dims[0], o, out_hw[0], out_hw[1]];
    assert!(
        g.shape() == want,
        "conv2d backward: gradient {:?} does not match the output {want:?}",
        g.shape()
    );
    same_device("conv2d backward", x.device(), g.device());
    let shapes = [
        x.shape_ref().clone(),
        weight.shape_ref().clone(),
        Shape::from([o]),
    ];
    match (x.storage(), weight.storage(), g.storage()) {
        (Storage::Cpu(xs), Storage::Cpu(ws), Storage::Cpu(gs)) => {
            let grads = cpu::conv2d_backward(
                xs,
                dims,
                ws,
                o,
                cpu::OutputGrad::Plain(gs),
                &window,
                out_hw,
                need,
            );
            weight_grads(grads, shapes, Tensor::cpu)
        }
        #[cfg(feature = "gpu")]
        (Storage::Gpu(xs), Storage::Gpu(ws), Storage::Gpu(gs)) => {
            let grads =
                crate::gpu::conv::conv2d_backward(xs, dims, ws, o, gs, &window, out_hw, need);
            weight_grads(grads, shapes, Tensor::gpu)
        }
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// A convolution's `[dx, dweight, dbias]` buffers as tensors of `shapes`, made by `tensor`.
fn weight_grads<B>(
    grads: [Option<B>; 3],
    shapes: [Shape; 3],
    tensor: impl Fn(Shape, B) -> Tensor,
) -> [Option<Tensor>; 3] {
    let mut shapes = shapes.into_iter();
    grads.map(|d| {
        let shape = shapes.next().expect("three shapes");
        d.map(|d| tensor(shape, d))
    })
}

/// Pooling shapes, or a panic naming the op.
#[track_caller]
fn pool_dims(op: &str, x: &Tensor, spec: Pool2dSpec) -> ([usize; 4], [usize; 2]) {
    let dims = nchw(op, x);
    let input = [dims[2], dims[3]];
    let out_hw = out_size(op, input, &spec.window(), spec.output_size(input));
    (dims, out_hw)
}

/// Max pooling of `x` `(n, c, h, w)`: the maxima `(n, c, oh, ow)` and the index of each one's
/// first maximum within its input plane (`y·w + x`, as f32), which [`max_pool2d_backward`]
/// takes.
///
/// ```
/// use nntensor::{max_pool2d, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 2, 2], vec![1., 4., 3., 2.]).unwrap();
/// let (y, at) = max_pool2d(&x, Pool2dSpec::new([2, 2]));
/// assert_eq!((y.to_vec(), at.to_vec()), (vec![4.0], vec![1.0]));
/// ```
#[track_caller]
pub fn max_pool2d(x: &Tensor, spec: Pool2dSpec) -> (Tensor, Tensor) {
    let (dims, out_hw) = pool_dims("max_pool2d", x, spec);
    let out = Shape::from([dims[0], dims[1], out_hw[0], out_hw[1]]);
    match x.storage() {
        Storage::Cpu(xs) => {
            let (v, i) = cpu::max_pool2d(xs, dims, &spec.window(), out_hw, false);
            (Tensor::cpu(out.clone(), v), Tensor::cpu(out, i))
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(xs) => {
            let (v, i) = crate::gpu::conv::max_pool2d(xs, dims, &spec.window(), out_hw);
            (Tensor::gpu(out.clone(), v), Tensor::gpu(out, i))
        }
    }
}

/// The gradient of [`max_pool2d`] with `spec`: `g` `(n, c, oh, ow)` added at each window's maximum
/// (`indices` from the forward), zeros elsewhere, in the input's shape `input`.
///
/// ```
/// use nntensor::{max_pool2d, max_pool2d_backward, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 2, 2], vec![1., 4., 3., 2.]).unwrap();
/// let (_, at) = max_pool2d(&x, Pool2dSpec::new([2, 2]));
/// let dx = max_pool2d_backward(&Tensor::ones([1, 1, 1, 1]), &at, &[1, 1, 2, 2], Pool2dSpec::new([2, 2]));
/// assert_eq!(dx.to_vec(), vec![0., 1., 0., 0.]);
/// ```
#[track_caller]
pub fn max_pool2d_backward(
    g: &Tensor,
    indices: &Tensor,
    input: &[usize],
    spec: Pool2dSpec,
) -> Tensor {
    let (dims, out_hw) = check_pool_backward("max_pool2d backward", g, indices, input);
    match (g.storage(), indices.storage()) {
        (Storage::Cpu(gs), Storage::Cpu(is)) => Tensor::cpu(
            Shape::from(input),
            cpu::max_pool2d_backward(gs, None, is, dims, &spec.window(), out_hw),
        ),
        #[cfg(feature = "gpu")]
        (Storage::Gpu(gs), Storage::Gpu(is)) => Tensor::gpu(
            Shape::from(input),
            crate::gpu::conv::max_pool2d_backward(gs, is, dims, &spec.window(), out_hw),
        ),
        #[cfg(feature = "gpu")]
        _ => unreachable!("devices checked above"),
    }
}

/// Checks that a pooling's gradient `g` and `indices` fit its input shape `input` (and share a
/// device); returns the input's `(n, c, h, w)` and the output's `(oh, ow)`.
#[track_caller]
fn check_pool_backward(
    op: &str,
    g: &Tensor,
    indices: &Tensor,
    input: &[usize],
) -> ([usize; 4], [usize; 2]) {
    assert!(
        g.shape() == indices.shape()
            && g.ndim() == 4
            && input.len() == 4
            && input[..2] == g.shape()[..2],
        "{op}: gradient {:?} and indices {:?} do not fit input {input:?}",
        g.shape(),
        indices.shape()
    );
    same_device(op, g.device(), indices.device());
    (
        [input[0], input[1], input[2], input[3]],
        [g.shape()[2], g.shape()[3]],
    )
}

/// `max_pool2d(relu(x))` in one pass (the Keras convnet's `Conv2D(activation="relu")` then
/// `MaxPooling2D`): the same values and indices bit for bit, without writing the ReLU's output.
/// On the CPU the ReLU is applied as each input is loaded; the GPU runs the two ops (and its
/// backward three kernels, one more than the two ops' backward: `Sequential` fuses on the CPU
/// only).
///
/// ```
/// use nntensor::{max_pool2d, relu, relu_max_pool2d, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 2, 4], vec![-1., -4., 3., 2., -3., -2., 1., 5.]).unwrap();
/// let spec = Pool2dSpec::new([2, 2]);
/// let (y, at) = relu_max_pool2d(&x, spec);
/// assert_eq!(y.to_vec(), vec![0.0, 5.0]);
/// assert_eq!((y, at), max_pool2d(&relu(&x), spec));
/// ```
#[track_caller]
pub fn relu_max_pool2d(x: &Tensor, spec: Pool2dSpec) -> (Tensor, Tensor) {
    let (dims, out_hw) = pool_dims("relu_max_pool2d", x, spec);
    let out = Shape::from([dims[0], dims[1], out_hw[0], out_hw[1]]);
    match x.storage() {
        Storage::Cpu(xs) => {
            let (v, i) = cpu::max_pool2d(xs, dims, &spec.window(), out_hw, true);
            (Tensor::cpu(out.clone(), v), Tensor::cpu(out, i))
        }
        #[cfg(feature = "gpu")]
        Storage::Gpu(_) => max_pool2d(&super::unary::relu(x), spec),
    }
}

/// The gradient of [`relu_max_pool2d`] with respect to its input: `g` `(n, c, oh, ow)` at each
/// window's maximum times ReLU's derivative there (1 where the pooled value `values` is
/// positive, else 0), zeros elsewhere; bit for bit what ReLU's backward makes of
/// [`max_pool2d_backward`]'s gradient.
///
/// ```
/// use nntensor::{relu_max_pool2d, relu_max_pool2d_backward, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 2, 4], vec![-1., -4., 3., 2., -3., -2., 1., 5.]).unwrap();
/// let spec = Pool2dSpec::new([2, 2]);
/// let (y, at) = relu_max_pool2d(&x, spec);
/// let dx = relu_max_pool2d_backward(&Tensor::ones([1, 1, 1, 2]), &y, &at, &[1, 1, 2, 4], spec);
/// assert_eq!(dx.to_vec(), vec![0., 0., 0., 0., 0., 0., 0., 1.]);
/// ```
#[track_caller]
pub fn relu_max_pool2d_backward(
    g: &Tensor,
    values: &Tensor,
    indices: &Tensor,
    input: &[usize],
    spec: Pool2dSpec,
) -> Tensor {
    assert!(
        values.shape() == g.shape(),
        "relu_max_pool2d backward: gradient {:?} and pooled values {:?} differ in shape",
        g.shape(),
        values.shape()
    );
    same_device("relu_max_pool2d backward", g.device(), values.device());
    let (dims, out_hw) = check_pool_backward("relu_max_pool2d backward", g, indices, input);
    match (g.storage(), values.storage(), indices.storage()) {
        (Storage::Cpu(gs), Storage::Cpu(vs), Storage::Cpu(is)) => Tensor::cpu(
            Shape::from(input),
            cpu::max_pool2d_backward(gs, Some(vs), is, dims, &spec.window(), out_hw),
        ),
        #[cfg(feature = "gpu")]
        _ => {
            // ReLU's backward wants its input's sign at each position: the pooled values put
            // back where they came from are positive exactly where that input was.
            let unpooled = max_pool2d_backward(values, indices, input, spec);
            let pooled = max_pool2d_backward(g, indices, input, spec);
            super::unary::unary_backward(super::unary::UnaryOp::Relu, pooled, &unpooled, &unpooled)
        }
    }
}

/// `relu_max_pool2d(&conv2d(x, weight, bias, conv), pool)` in one pass over each image (the
/// Keras convnet's `Conv2D(activation="relu")` then `MaxPooling2D`): the pooled values
/// `(n, o, ph, pw)` and the maxima's positions within each convolution output plane, bit for bit
/// those of the two ops. On the CPU each image's convolution output is pooled while it is in
/// cache and never written whole; the GPU runs the two ops (`Sequential` fuses on the CPU only).
/// Panics (at the caller's line) naming the shapes if they do not fit.
///
/// ```
/// use nntensor::{conv2d, conv2d_relu_max_pool2d, relu_max_pool2d, Conv2dSpec, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 3, 3], (0..9).map(|v| v as f32 - 4.0).collect()).unwrap();
/// let w = Tensor::from_vec([2, 1, 2, 2], vec![1., 0., 0., 1., -1., 0., 0., -1.]).unwrap();
/// let b = Tensor::from_vec([2], vec![0.5, 0.0]).unwrap();
/// let (conv, pool) = (Conv2dSpec::default(), Pool2dSpec::new([2, 2]));
/// let (y, at) = conv2d_relu_max_pool2d(&x, &w, Some(&b), conv, pool);
/// assert_eq!(y.to_vec(), vec![4.5, 4.0]);
/// assert_eq!((y, at), relu_max_pool2d(&conv2d(&x, &w, Some(&b), conv), pool));
/// ```
#[track_caller]
pub fn conv2d_relu_max_pool2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    conv: Conv2dSpec,
    pool: Pool2dSpec,
) -> (Tensor, Tensor) {
    let (dims, window, conv_hw, o) = conv_dims(x, weight, conv);
    let pooled_hw = out_size(
        "conv2d_relu_max_pool2d",
        conv_hw,
        &pool.window(),
        pool.output_size(conv_hw),
    );
    if let Some(b) = bias {
        assert!(
            b.shape() == [o],
            "conv2d_relu_max_pool2d: bias has shape {:?}, expected ({o},) for weight {:?}",
            b.shape(),
            weight.shape()
        );
    }
    match (x.storage(), weight.storage(), bias.map(Tensor::storage)) {
        (Storage::Cpu(xs), Storage::Cpu(ws), None | Some(Storage::Cpu(_))) => {
            let b = bias.map(|b| match b.storage() {
                Storage::Cpu(b) => b.as_slice(),
                #[cfg(feature = "gpu")]
                Storage::Gpu(_) => unreachable!("matched above"),
            });
            let (v, i) = cpu::conv2d_relu_max_pool2d(
                xs,
                dims,
                ws,
                o,
                b,
                &window,
                conv_hw,
                &pool.window(),
                pooled_hw,
            );
            let out = Shape::from([dims[0], o, pooled_hw[0], pooled_hw[1]]);
            (Tensor::cpu(out.clone(), v), Tensor::cpu(out, i))
        }
        #[cfg(feature = "gpu")]
        _ => relu_max_pool2d(&conv2d(x, weight, bias, conv), pool),
    }
}

/// The gradients of [`conv2d_relu_max_pool2d`] given `g` at its pooled output, with the
/// forward's pooled `values` and `indices`: `[dx, dweight, dbias]`, each computed only where
/// `need` says so, bit for bit those of [`relu_max_pool2d_backward`] then [`conv2d_backward`].
/// On the CPU the gradient at the convolution's output is made one image at a time and used
/// while it is in cache.
///
/// ```
/// use nntensor::{conv2d_relu_max_pool2d, conv2d_relu_max_pool2d_backward, Conv2dSpec, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 3, 3], (0..9).map(|v| v as f32 - 4.0).collect()).unwrap();
/// let w = Tensor::ones([1, 1, 2, 2]);
/// let (conv, pool) = (Conv2dSpec::default(), Pool2dSpec::new([2, 2]));
/// let (y, at) = conv2d_relu_max_pool2d(&x, &w, None, conv, pool);
/// assert_eq!(y.to_vec(), vec![8.0]);
/// let g = Tensor::ones([1, 1, 1, 1]);
/// let [dx, dw, _] = conv2d_relu_max_pool2d_backward(&x, &w, &g, &y, &at, conv, pool, [true, true, false]);
/// assert_eq!(dx.unwrap().to_vec(), vec![0., 0., 0., 0., 1., 1., 0., 1., 1.]);
/// assert_eq!(dw.unwrap().to_vec(), vec![0., 1., 3., 4.]);
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_relu_max_pool2d_backward(
    x: &Tensor,
    weight: &Tensor,
    g: &Tensor,
    values: &Tensor,
    indices: &Tensor,
    conv: Conv2dSpec,
    pool: Pool2dSpec,
    need: [bool; 3],
) -> [Option<Tensor>; 3] {
    let (dims, window, conv_hw, o) = conv_dims(x, weight, conv);
    let conv_out = [dims[0], o, conv_hw[0], conv_hw[1]];
    assert!(
        values.shape() == g.shape(),
        "conv2d_relu_max_pool2d backward: gradient {:?} and pooled values {:?} differ in shape",
        g.shape(),
        values.shape()
    );
    let (_, pooled_hw) =
        check_pool_backward("conv2d_relu_max_pool2d backward", g, indices, &conv_out);
    assert!(
        pool.output_size(conv_hw) == Some(pooled_hw),
        "conv2d_relu_max_pool2d backward: gradient {:?} does not fit the convolution's output \
         {conv_out:?} pooled by {pool:?}",
        g.shape()
    );
    same_device("conv2d_relu_max_pool2d backward", x.device(), g.device());
    same_device(
        "conv2d_relu_max_pool2d backward",
        g.device(),
        values.device(),
    );
    match (
        x.storage(),
        weight.storage(),
        g.storage(),
        values.storage(),
        indices.storage(),
    ) {
        (
            Storage::Cpu(xs),
            Storage::Cpu(ws),
            Storage::Cpu(gs),
            Storage::Cpu(vs),
            Storage::Cpu(is),
        ) => {
            let pool_window = pool.window();
            let grad = cpu::OutputGrad::ThroughReluMaxPool {
                g: gs,
                values: vs,
                indices: is,
                pool: &pool_window,
                pooled_hw,
            };
            let grads = cpu::conv2d_backward(xs, dims, ws, o, grad, &window, conv_hw, need);
            let shapes = [x.shape_ref(), weight.shape_ref(), &Shape::from([o])];
            weight_grads(grads, shapes.map(Shape::clone), Tensor::cpu)
        }
        #[cfg(feature = "gpu")]
        _ => {
            let g_conv = relu_max_pool2d_backward(g, values, indices, &conv_out, pool);
            conv2d_backward(x, weight, &g_conv, conv, need)
        }
    }
}

/// Average pooling of `x` `(n, c, h, w)`; padding counts as zeros in the mean (PyTorch's
/// `count_include_pad=True`).
///
/// ```
/// use nntensor::{avg_pool2d, Pool2dSpec, Tensor};
/// let x = Tensor::from_vec([1, 1, 2, 2], vec![1., 4., 3., 2.]).unwrap();
/// assert_eq!(avg_pool2d(&x, Pool2dSpec::new([2, 2])).to_vec(), vec![2.5]);
/// ```
#[track_caller]
pub fn avg_pool2d(x: &Tensor, spec: Pool2dSpec) -> Tensor {
    let (dims, out_hw) = pool_dims("avg_pool2d", x, spec);
    let out = Shape::from([dims[0], dims[1], out_hw[0], out_hw[1]]);
    match x.storage() {
        Storage::Cpu(xs) => Tensor::cpu(out, cpu::avg_pool2d(xs, dims, &spec.window(), out_hw)),
        #[cfg(feature = "gpu")]
        Storage::Gpu(xs) => Tensor::gpu(
            out,
            crate::gpu::conv::avg_pool2d(xs, dims, &spec.window(), out_hw),
        ),
    }
}

/// The gradient of [`avg_pool2d`] over an input of shape `input`: each output's gradient shared
/// equally over its window.
///
/// ```
/// use nntensor::{avg_pool2d_backward, Pool2dSpec, Tensor};
/// let dx = avg_pool2d_backward(&Tensor::ones([1, 1, 1, 1]), &[1, 1, 2, 2], Pool2dSpec::new([2, 2]));
/// assert_eq!(dx.to_vec(), vec![0.25; 4]);
/// ```
#[track_caller]
pub fn avg_pool2d_backward(g: &Tensor, input: &[usize], spec: Pool2dSpec) -> Tensor {
    assert!(
        input.len() == 4,
        "avg_pool2d backward: input {input:?} is not (batch, channels, height, width)"
    );
    let out_hw = out_size(
        "avg_pool2d backward",
        [input[2], input[3]],
        &spec.window(),
        spec.output_size([input[2], input[3]]),
    );
    assert!(
        g.shape() == [input[0], input[1], out_hw[0], out_hw[1]],
        "avg_pool2d backward: gradient {:?} does not fit input {input:?} pooled by {spec:?}",
        g.shape()
    );
    let dims = [input[0], input[1], input[2], input[3]];
    match g.storage() {
        Storage::Cpu(gs) => Tensor::cpu(
            Shape::from(input),
            cpu::avg_pool2d_backward(gs, dims, &spec.window(), out_hw),
        ),
        #[cfg(feature = "gpu")]
        Storage::Gpu(gs) => Tensor::gpu(
            Shape::from(input),
            crate::gpu::conv::avg_pool2d_backward(gs, dims, &spec.window(), out_hw),
        ),
    }
}
