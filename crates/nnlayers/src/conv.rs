//! Convolution and pooling layers on NCHW images (batch, channels, height, width), PyTorch's
//! layout: `Conv2d` (Keras's `Conv2D`), `MaxPool2d`, `AvgPool2d` and `GlobalAvgPool2d`.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::{Conv2dSpec, Init, Pool2dSpec, Rng, Tensor};
use nnautograd::{Param, Var};

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No padding (Keras's `"valid"`, PyTorch's `padding=0`).
    Valid,
    /// Enough zeros that a stride-1 convolution keeps the height and width (Keras's `"same"`):
    /// `dilation·(k − 1) / 2` on each side; the kernel must be odd.
    Same,
    /// These many zeros on each side, per axis `[height, width]`.
    Explicit([usize; 2]),
}

/// A 2-D convolution layer: `weight` `(out, in, kh, kw)`, `bias` `(out,)`, Glorot-uniform
/// weights and zero bias by default (Keras's). Input `(n, in, h, w)`, output `(n, out, oh, ow)`.
///
/// ```
/// use nnlayers::{Conv2d, Module, Padding};
/// use nnautograd::nntensor::Rng;
/// let conv = Conv2d::new(1, 32, [3, 3], &mut Rng::seed_from(0));
/// assert_eq!(conv.output_shape(&[1, 28, 28]).unwrap(), vec![32, 26, 26]);
/// let same = Conv2d::new(1, 8, [3, 3], &mut Rng::seed_from(0)).with_padding(Padding::Same);
/// assert_eq!(same.output_shape(&[1, 28, 28]).unwrap(), vec![8, 28, 28]);
/// ```
#[derive(Debug)]
pub struct Conv2d {
    name: String,
    weight: Param,
    bias: Option<Param>,
    spec: Conv2dSpec,
}

impl Conv2d {
    /// `in_channels → out_channels` with a `kernel` `[kh, kw]`, stride 1, no padding, and
    /// Glorot-uniform weights (fans `in·kh·kw` and `out·kh·kw`) drawn from `rng`, zero bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel: [usize; 2], rng: &mut Rng) -> Self {
        let area = kernel[0] * kernel[1];
        let limit = (6.0 / ((in_channels + out_channels) * area).max(1) as f64).sqrt() as f32;
        let weight = Init::Uniform {
            low: -limit,
            high: limit,
        }
        .tensor(&[out_channels, in_channels, kernel[0], kernel[1]], rng);
        Conv2d::from_parts(
            weight,
            Some(Tensor::zeros([out_channels])),
            Conv2dSpec::default(),
        )
    }

    /// A layer with these weights `(out, in, kh, kw)`, bias and geometry. Panics if the shapes
    /// do not fit each other.
    #[track_caller]
    pub fn from_parts(weight: Tensor, bias: Option<Tensor>, spec: Conv2dSpec) -> Self {
        assert!(
            weight.ndim() == 4,
            "Conv2d: weight must be (out_channels, in_channels, kh, kw), got {:?}",
            weight.shape()
        );
        if let Some(b) = &bias {
            assert!(
                b.shape() == [weight.shape()[0]],
                "Conv2d: bias {:?} does not fit weight {:?}",
                b.shape(),
                weight.shape()
            );
        }
        Conv2d {
            name: "conv2d".into(),
            weight: Param::new(weight),
            bias: bias.map(Param::new),
            spec,
        }
    }

    /// The same layer with steps of `stride` between kernel positions.
    pub fn with_stride(mut self, stride: [usize; 2]) -> Self {
        self.spec.stride = stride;
        self
    }

    /// The same layer with spacing `dilation` between kernel taps.
    pub fn with_dilation(mut self, dilation: [usize; 2]) -> Self {
        self.spec.dilation = dilation;
        self
    }

    /// The same layer padded as `padding` says. Panics for `Same` with an even kernel (it would
    /// need more zeros on one side than the other).
    #[track_caller]
    pub fn with_padding(mut self, padding: Padding) -> Self {
        let kernel = self.kernel();
        self.spec.padding = match padding {
            Padding::Valid => [0, 0],
            Padding::Explicit(p) => p,
            Padding::Same => {
                assert!(
                    kernel.iter().all(|k| k % 2 == 1),
                    "Conv2d: padding Same needs an odd kernel, got {kernel:?}; give Padding::Explicit"
                );
                [0, 1].map(|i| self.spec.dilation[i] * (kernel[i] - 1) / 2)
            }
        };
        self
    }

    /// The same layer without a bias.
    pub fn without_bias(mut self) -> Self {
        self.bias = None;
        self
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// `[kh, kw]`.
    pub fn kernel(&self) -> [usize; 2] {
        [self.weight.shape()[2], self.weight.shape()[3]]
    }

    /// Stride, padding and dilation.
    pub fn spec(&self) -> Conv2dSpec {
        self.spec
    }

    /// The weight `(out, in, kh, kw)`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }

    /// The bias, if any.
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }
}

/// Why an image layer cannot take `input` (per sample), with the fix; `None` if it can.
fn image_error(
    layer: &str,
    kind: &str,
    channels: Option<usize>,
    input: &[usize],
) -> Option<ShapeError> {
    if channels.is_none() && input.len() == 3 {
        return None;
    }
    let want_c = channels.unwrap_or_else(|| input.first().copied().unwrap_or(1));
    let error = |expected: Vec<usize>, hint: String| ShapeError {
        layer: layer.to_string(),
        expected,
        actual: input.to_vec(),
        hint,
    };
    match *input {
        [c, h, w] if c == want_c => {
            let _ = (h, w);
            None
        }
        [h, w, c] if c == want_c => Some(error(
            vec![want_c, h, w],
            format!(
                "{kind} expects (batch, channels, height, width) (NCHW, PyTorch's layout); this looks \
                 like (batch, height, width, channels): permute to (batch, {c}, {h}, {w}), e.g. \
                 nntensor::permute(&x, &[0, 3, 1, 2])"
            ),
        )),
        [c, h, w] => Some(error(
            vec![want_c, h, w],
            format!("{kind} takes {want_c} input channels but the images have {c}"),
        )),
        [h, w] => Some(error(
            vec![want_c, h, w],
            format!(
                "{kind} expects (batch, channels, height, width): add the channel axis, reshaping \
                 (batch, {h}, {w}) to (batch, {want_c}, {h}, {w})"
            ),
        )),
        [features] => {
            let side = (features as f64 / want_c as f64).sqrt() as usize;
            let hint = if side * side * want_c == features {
                format!(
                    "{kind} expects (batch, channels, height, width): reshape the flat rows to \
                     (batch, {want_c}, {side}, {side}), e.g. x.into_reshaped([n, {want_c}, {side}, {side}])"
                )
            } else {
                format!("{kind} expects (batch, channels, height, width) images, not flat rows")
            };
            Some(error(vec![want_c, side, side], hint))
        }
        _ => Some(error(
            vec![want_c, 0, 0],
            format!("{kind} expects (batch, channels, height, width) images"),
        )),
    }
}

impl Module for Conv2d {
    fn kind(&self) -> &'static str {
        "conv2d"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let tape = x.tape();
        x.conv2d(
            tape.param(&self.weight),
            self.bias.as_ref().map(|b| tape.param(b)),
            self.spec,
        )
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        if let Some(e) = image_error(&self.name, "Conv2d", Some(self.in_channels()), input) {
            return Err(e);
        }
        let out = self.spec.output_size([input[1], input[2]], self.kernel());
        out.map(|[h, w]| vec![self.out_channels(), h, w])
            .ok_or_else(|| ShapeError {
                layer: self.name.clone(),
                expected: input.to_vec(),
                actual: input.to_vec(),
                hint: format!(
                    "the {:?} kernel ({:?}) does not fit {}×{} images: use smaller kernels, more padding, or fewer poolings before it",
                    self.kernel(),
                    self.spec,
                    input[1],
                    input[2]
                ),
            })
    }
    fn parameters(&self) -> Vec<&Param> {
        std::iter::once(&self.weight)
            .chain(self.bias.as_ref())
            .collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        std::iter::once(&mut self.weight)
            .chain(self.bias.as_mut())
            .collect()
    }
    fn parameter_names(&self) -> Vec<&'static str> {
        if self.bias.is_some() {
            vec!["weight", "bias"]
        } else {
            vec!["weight"]
        }
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Conv2d {
            name: self.name.clone(),
            in_channels: self.in_channels(),
            out_channels: self.out_channels(),
            kernel: self.kernel(),
            stride: self.spec.stride,
            padding: self.spec.padding,
            dilation: self.spec.dilation,
            bias: self.bias.is_some(),
        })
    }
}

/// Which pooling a [`Pool2d`] layer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PoolKind {
    Max,
    Avg,
}

/// Max or average pooling over windows (PyTorch's `MaxPool2d` / `AvgPool2d`; Keras's
/// `MaxPooling2D` / `AveragePooling2D`). Built by [`MaxPool2d`] and [`AvgPool2d`].
#[derive(Debug, Clone)]
pub struct Pool2d {
    name: String,
    kind: PoolKind,
    spec: Pool2dSpec,
}

/// Max pooling with a `kernel` window and stride equal to it (PyTorch's default).
///
/// ```
/// use nnlayers::{MaxPool2d, Module};
/// assert_eq!(MaxPool2d::new([2, 2]).output_shape(&[32, 26, 26]).unwrap(), vec![32, 13, 13]);
/// ```
pub struct MaxPool2d;

impl MaxPool2d {
    /// Max pooling over `kernel` windows, stride = kernel, no padding.
    #[allow(clippy::new_ret_no_self)] // a constructor of the shared pooling layer
    pub fn new(kernel: [usize; 2]) -> Pool2d {
        MaxPool2d::with_spec(Pool2dSpec::new(kernel))
    }

    /// Max pooling with an explicit window, stride and padding.
    pub fn with_spec(spec: Pool2dSpec) -> Pool2d {
        Pool2d {
            name: "max_pool2d".into(),
            kind: PoolKind::Max,
            spec,
        }
    }
}

/// Average pooling with a `kernel` window and stride equal to it.
///
/// ```
/// use nnlayers::{AvgPool2d, Module};
/// assert_eq!(AvgPool2d::new([2, 2]).output_shape(&[3, 8, 8]).unwrap(), vec![3, 4, 4]);
/// ```
pub struct AvgPool2d;

impl AvgPool2d {
    /// Average pooling over `kernel` windows, stride = kernel, no padding.
    #[allow(clippy::new_ret_no_self)] // a constructor of the shared pooling layer
    pub fn new(kernel: [usize; 2]) -> Pool2d {
        AvgPool2d::with_spec(Pool2dSpec::new(kernel))
    }

    /// Average pooling with an explicit window, stride and padding (zeros count in the mean).
    pub fn with_spec(spec: Pool2dSpec) -> Pool2d {
        Pool2d {
            name: "avg_pool2d".into(),
            kind: PoolKind::Avg,
            spec,
        }
    }
}

impl Pool2d {
    /// The window, stride and padding.
    pub fn spec(&self) -> Pool2dSpec {
        self.spec
    }
}

impl Module for Pool2d {
    fn kind(&self) -> &'static str {
        match self.kind {
            PoolKind::Max => "max_pool2d",
            PoolKind::Avg => "avg_pool2d",
        }
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        match self.kind {
            PoolKind::Max => x.max_pool2d(self.spec),
            PoolKind::Avg => x.avg_pool2d(self.spec),
        }
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        let kind = match self.kind {
            PoolKind::Max => "MaxPool2d",
            PoolKind::Avg => "AvgPool2d",
        };
        if let Some(e) = image_error(&self.name, kind, None, input) {
            return Err(e);
        }
        self.spec
            .output_size([input[1], input[2]])
            .map(|[h, w]| vec![input[0], h, w])
            .ok_or_else(|| ShapeError {
                layer: self.name.clone(),
                expected: input.to_vec(),
                actual: input.to_vec(),
                hint: format!(
                    "the window {:?} does not fit {}×{} images (or its padding exceeds half the window)",
                    self.spec, input[1], input[2]
                ),
            })
    }
    fn spec(&self) -> Option<LayerSpec> {
        let Pool2dSpec {
            kernel,
            stride,
            padding,
        } = self.spec;
        Some(match self.kind {
            PoolKind::Max => LayerSpec::MaxPool2d {
                name: self.name.clone(),
                kernel,
                stride,
                padding,
            },
            PoolKind::Avg => LayerSpec::AvgPool2d {
                name: self.name.clone(),
                kernel,
                stride,
                padding,
            },
        })
    }
}

/// The mean of each channel over the height and width: `(n, c, h, w) → (n, c)` (Keras's
/// `GlobalAveragePooling2D`).
///
/// ```
/// use nnlayers::{GlobalAvgPool2d, Module};
/// assert_eq!(GlobalAvgPool2d::new().output_shape(&[64, 5, 5]).unwrap(), vec![64]);
/// ```
#[derive(Debug, Clone)]
pub struct GlobalAvgPool2d {
    name: String,
}

impl GlobalAvgPool2d {
    /// The layer.
    pub fn new() -> Self {
        GlobalAvgPool2d {
            name: "global_avg_pool2d".into(),
        }
    }
}

impl Default for GlobalAvgPool2d {
    fn default() -> Self {
        GlobalAvgPool2d::new()
    }
}

impl Module for GlobalAvgPool2d {
    fn kind(&self) -> &'static str {
        "global_avg_pool2d"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, x: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        x.mean_axes(&[2, 3], false)
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        match image_error(&self.name, "GlobalAvgPool2d", None, input) {
            Some(e) => Err(e),
            None => Ok(vec![input[0]]),
        }
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::GlobalAvgPool2d {
            name: self.name.clone(),
        })
    }
}
