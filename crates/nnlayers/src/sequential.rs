//! `Sequential`: layers applied one after another, with Keras-style naming and `summary()`.

use crate::{
    shape_text, Activation, ActivationFn, AvgPool2d, Context, Conv2d, Dropout, Flatten,
    GlobalAvgPool2d, LayerSpec, Linear, MaxPool2d, Module, ShapeError,
};
use nnautograd::nntensor::{Conv2dSpec, Device, Init, Pool2dSpec, Rng, Tensor};
use nnautograd::{Param, Var};

/// A stack of layers applied in order. Layers get unique readable names as they are added
/// (`linear_1`, `relu_1`, `linear_2`), used in every error message and parameter name.
///
/// The builder methods (`linear`, `relu`, …) initialize parameters from the model's own seeded
/// generator, so `Sequential::new(seed)` fixes every initial weight.
///
/// ```
/// use nnlayers::Sequential;
/// let model = Sequential::new(42).linear(784, 32).relu().linear(32, 10).softmax();
/// assert_eq!(model.parameter_count(), 784 * 32 + 32 + 32 * 10 + 10);
/// println!("{}", model.summary(&[784]).unwrap());
/// let err = model.output_shape(&[28, 28]).unwrap_err();
/// assert!(err.to_string().contains("put a Flatten layer first"));
/// ```
#[derive(Debug)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    rng: Rng,
}

impl Sequential {
    /// An empty model whose builder methods draw initial weights from a generator seeded by `seed`.
    pub fn new(seed: u64) -> Self {
        Sequential {
            layers: Vec::new(),
            rng: Rng::seed_from(seed),
        }
    }

    /// Appends a layer (builder style), as Keras's `model.add(layer)`.
    #[allow(clippy::should_implement_trait)] // Keras's name, not `std::ops::Add`
    pub fn add(mut self, layer: impl Module + 'static) -> Self {
        self.push(Box::new(layer));
        self
    }

    /// Appends a layer. A layer still carrying its default name (its kind) is renamed
    /// `{kind}_{n}`, numbering each kind from 1.
    pub fn push(&mut self, mut layer: Box<dyn Module>) {
        if layer.name() == layer.kind() {
            let n = self
                .layers
                .iter()
                .filter(|l| l.kind() == layer.kind())
                .count()
                + 1;
            layer.set_name(format!("{}_{n}", layer.kind()));
        }
        self.layers.push(layer);
    }

    /// Appends a layer keeping its name as it is (for loading saved models).
    pub(crate) fn push_as_named(&mut self, layer: Box<dyn Module>) {
        self.layers.push(layer);
    }

    /// Appends a dense layer with Keras's default init (Glorot-uniform weights, zero bias).
    pub fn linear(mut self, inputs: usize, outputs: usize) -> Self {
        let layer = Linear::new(inputs, outputs, &mut self.rng);
        self.add(layer)
    }

    /// Appends a 2-D convolution `in_channels → out_channels` with a `kernel` `[kh, kw]`
    /// (stride 1, no padding; Glorot-uniform weights, zero bias, as Keras's `Conv2D`). For other
    /// geometries, `.add(Conv2d::new(…).with_padding(Padding::Same))`.
    pub fn conv2d(mut self, in_channels: usize, out_channels: usize, kernel: [usize; 2]) -> Self {
        let layer = Conv2d::new(in_channels, out_channels, kernel, &mut self.rng);
        self.add(layer)
    }

    /// Appends max pooling over `kernel` windows with stride = kernel.
    pub fn max_pool2d(self, kernel: [usize; 2]) -> Self {
        self.add(MaxPool2d::new(kernel))
    }

    /// Appends average pooling over `kernel` windows with stride = kernel.
    pub fn avg_pool2d(self, kernel: [usize; 2]) -> Self {
        self.add(AvgPool2d::new(kernel))
    }

    /// Appends a global average pooling `(n, c, h, w) → (n, c)`.
    pub fn global_avg_pool2d(self) -> Self {
        self.add(GlobalAvgPool2d::new())
    }

    /// Appends a dense layer with chosen weight and bias initializers.
    pub fn linear_with(mut self, inputs: usize, outputs: usize, weight: Init, bias: Init) -> Self {
        let layer = Linear::with_init(inputs, outputs, weight, bias, true, &mut self.rng);
        self.add(layer)
    }

    /// Appends a ReLU.
    pub fn relu(self) -> Self {
        self.add(Activation::relu())
    }

    /// Appends a leaky ReLU.
    pub fn leaky_relu(self, slope: f32) -> Self {
        self.add(Activation::leaky_relu(slope))
    }

    /// Appends a sigmoid.
    pub fn sigmoid(self) -> Self {
        self.add(Activation::sigmoid())
    }

    /// Appends a tanh.
    pub fn tanh(self) -> Self {
        self.add(Activation::tanh())
    }

    /// Appends a softmax over the last axis.
    pub fn softmax(self) -> Self {
        self.add(Activation::softmax())
    }

    /// Appends an activation layer applying `function` (GELU, SiLU, ELU, …; see
    /// [`ActivationFn`](crate::ActivationFn)).
    pub fn activation(self, function: crate::ActivationFn) -> Self {
        self.add(Activation::new(function))
    }

    /// Appends a layer norm over trailing axes of sizes `normalized_shape` (eps 1e-5, as
    /// PyTorch's default).
    pub fn layer_norm(self, normalized_shape: &[usize]) -> Self {
        self.add(crate::LayerNorm::new(normalized_shape, 1e-5))
    }

    /// Appends an embedding table of `count` vectors of `dim` values.
    pub fn embedding(mut self, count: usize, dim: usize) -> Self {
        let layer = crate::Embedding::new(count, dim, &mut self.rng);
        self.add(layer)
    }

    /// Appends a flatten layer.
    pub fn flatten(self) -> Self {
        self.add(Flatten::new())
    }

    /// Appends dropout with the given rate.
    #[track_caller]
    pub fn dropout(self, rate: f32) -> Self {
        self.add(Dropout::new(rate))
    }

    /// Applies every layer in order.
    ///
    /// On the CPU a ReLU layer followed by max pooling runs as one op, [`Var::relu_max_pool2d`]:
    /// the same values and gradients bit for bit, without the ReLU's full-size output (in the
    /// Keras convnet those two passes over the convolutions' outputs were 6 % of a step); with
    /// a convolution before them, the three run as [`Var::conv2d_relu_max_pool2d`], image by
    /// image, without the convolution's full-size output or its gradient.
    pub fn forward<'t>(&self, x: Var<'t>, ctx: &mut Context) -> Var<'t> {
        self.forward_first(self.layers.len(), x, ctx)
    }

    /// Applies the first `count` layers in order (as [`Sequential::forward`] applies them all):
    /// for a training loop that leaves out a final activation folded into its loss.
    ///
    /// ```
    /// use nnautograd::{nntensor::Tensor, Tape};
    /// use nnlayers::{Context, Sequential};
    /// let net = Sequential::new(0).linear(2, 3).relu().linear(3, 2).softmax();
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::ones([4, 2]));
    /// let logits = net.forward_first(3, x, &mut Context::eval());
    /// assert_eq!(logits.shape(), &[4, 2]);
    /// ```
    #[track_caller]
    pub fn forward_first<'t>(&self, count: usize, x: Var<'t>, ctx: &mut Context) -> Var<'t> {
        assert!(
            count <= self.layers.len(),
            "Sequential::forward_first: {count} layers asked of {}",
            self.layers.len()
        );
        let mut x = x;
        let mut i = 0;
        while i < count {
            let on_cpu = x.value().device() == Device::Cpu;
            let conv_fused = if i + 2 < count && on_cpu {
                self.conv_then_relu_max_pool(i)
            } else {
                None
            };
            if let Some((conv, pool)) = conv_fused {
                let tape = x.tape();
                let params = self.layers[i].parameters();
                let weight = tape.param(params[0]);
                let bias = params.get(1).map(|b| tape.param(b));
                x = x.conv2d_relu_max_pool2d(weight, bias, conv, pool);
                i += 3;
                continue;
            }
            let fused = if i + 1 < count && on_cpu {
                self.relu_then_max_pool(i)
            } else {
                None
            };
            if let Some(spec) = fused {
                x = x.relu_max_pool2d(spec);
                i += 2;
            } else {
                x = self.layers[i].forward(x, ctx);
                i += 1;
            }
        }
        x
    }

    /// The convolution's geometry and the pooling window when layer `i` is a convolution,
    /// `i + 1` a ReLU and `i + 2` max pooling (told by the specs, as in
    /// [`Sequential::relu_then_max_pool`]).
    fn conv_then_relu_max_pool(&self, i: usize) -> Option<(Conv2dSpec, Pool2dSpec)> {
        if self.layers[i].kind() != "conv2d" {
            return None;
        }
        let pool = self.relu_then_max_pool(i + 1)?;
        let Some(LayerSpec::Conv2d {
            stride,
            padding,
            dilation,
            bias,
            ..
        }) = self.layers[i].spec()
        else {
            return None;
        };
        // The weight, then the bias where the layer has one.
        if self.layers[i].parameters().len() != 1 + usize::from(bias) {
            return None;
        }
        let conv = Conv2dSpec {
            stride,
            padding,
            dilation,
        };
        Some((conv, pool))
    }

    /// The pooling window when layer `i` is a ReLU and layer `i + 1` max pooling (told by their
    /// specs, which say what the layers compute; the kinds are compared first, as the specs are
    /// built on each call).
    fn relu_then_max_pool(&self, i: usize) -> Option<Pool2dSpec> {
        let (layer, next) = (&self.layers[i], self.layers.get(i + 1)?);
        if layer.kind() != "relu" || next.kind() != "max_pool2d" {
            return None;
        }
        let (
            Some(LayerSpec::Activation {
                function: ActivationFn::Relu,
                ..
            }),
            Some(LayerSpec::MaxPool2d {
                kernel,
                stride,
                padding,
                ..
            }),
        ) = (layer.spec(), next.spec())
        else {
            return None;
        };
        Some(Pool2dSpec {
            kernel,
            stride,
            padding,
        })
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// The layers, mutably.
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Module>] {
        &mut self.layers
    }

    /// Moves every parameter to `device` (PyTorch's `model.to(device)`); the network then runs
    /// there, on inputs on the same device.
    ///
    /// ```
    /// use nnlayers::{Linear, Sequential};
    /// use nnautograd::nntensor::{Device, Rng};
    /// let mut net = Sequential::new(0).add(Linear::new(2, 3, &mut Rng::seed_from(0)));
    /// net.to(&Device::Cpu);
    /// assert_eq!(net.device(), Device::Cpu);
    /// ```
    pub fn to(&mut self, device: &Device) -> &mut Self {
        for p in self.parameters_mut() {
            if p.value().device() != *device {
                let moved = p.value().to(device);
                p.set(moved);
            }
        }
        self
    }

    /// Where the parameters live (the CPU for a network without any).
    pub fn device(&self) -> Device {
        self.parameters()
            .first()
            .map_or(Device::Cpu, |p| p.value().device())
    }

    /// Runs every layer's [`Module::update_state`] (BatchNorm's running statistics): call it
    /// after each optimizer step of a hand-written training loop (`fit` does).
    pub fn update_state(&mut self) {
        for layer in &mut self.layers {
            layer.update_state();
        }
    }

    /// Whether some layer needs each batch in one forward pass ([`Module::needs_whole_batch`]).
    pub fn needs_whole_batch(&self) -> bool {
        self.layers.iter().any(|l| l.needs_whole_batch())
    }

    /// Appends batch normalisation over `features` of `(n, features)` rows.
    pub fn batch_norm1d(self, features: usize) -> Self {
        self.add(crate::BatchNorm1d::new(features))
    }

    /// Appends a fixed standardisation `(x − mean) / std` (a [`crate::Normalization`] layer),
    /// with statistics fitted on the training data: saved with the model, so a loaded model
    /// takes raw inputs.
    #[track_caller]
    pub fn normalization(self, mean: &Tensor, std: &Tensor) -> Self {
        self.add(crate::Normalization::new(mean.clone(), std.clone()))
    }

    /// Appends batch normalisation over the `channels` of `(n, channels, h, w)` images.
    pub fn batch_norm2d(self, channels: usize) -> Self {
        self.add(crate::BatchNorm2d::new(channels))
    }

    /// Every trainable parameter, layer by layer.
    pub fn parameters(&self) -> Vec<&Param> {
        self.layers.iter().flat_map(|l| l.parameters()).collect()
    }

    /// Every trainable parameter, mutably, in the same order.
    pub fn parameters_mut(&mut self) -> Vec<&mut Param> {
        self.layers
            .iter_mut()
            .flat_map(|l| l.parameters_mut())
            .collect()
    }

    /// Every parameter with its full name (`linear_1.weight`), in the same order.
    pub fn named_parameters(&self) -> Vec<(String, &Param)> {
        self.layers
            .iter()
            .flat_map(|l| {
                let names = l.parameter_names();
                names
                    .into_iter()
                    .zip(l.parameters())
                    .map(|(n, p)| (format!("{}.{n}", l.name()), p))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Total number of trainable values.
    pub fn parameter_count(&self) -> usize {
        self.parameters().iter().map(|p| p.len()).sum()
    }

    /// The per-sample output shape for a per-sample input shape, or the first layer that rejects it.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        self.layers
            .iter()
            .try_fold(input.to_vec(), |shape, layer| layer.output_shape(&shape))
    }

    /// A Keras-style table of layers, output shapes and parameter counts, for per-sample inputs of
    /// shape `input`.
    pub fn summary(&self, input: &[usize]) -> Result<String, ShapeError> {
        let rule = |c: char| c.to_string().repeat(65);
        let mut out = format!("Model: \"sequential\"\n{}\n", rule('_'));
        out += &format!(
            " {:<28}{:<26}{:>9}\n{}\n",
            "Layer (type)",
            "Output Shape",
            "Param #",
            rule('=')
        );
        let mut shape = input.to_vec();
        for (i, layer) in self.layers.iter().enumerate() {
            shape = layer.output_shape(&shape)?;
            let count: usize = layer.parameters().iter().map(|p| p.len()).sum();
            let label = format!("{} ({})", layer.name(), type_name(layer.kind()));
            out += &format!(
                " {label:<28}{:<26}{:>9}\n",
                shape_text(&shape),
                group_thousands(count)
            );
            if i + 1 < self.layers.len() {
                out += "\n";
            }
        }
        let total = self.parameter_count();
        let frozen: usize = self.layers.iter().map(|l| l.non_trainable_count()).sum();
        out += &format!("{}\n", rule('='));
        out += &format!("Total params: {}\n", group_thousands(total));
        out += &format!("Trainable params: {}\n", group_thousands(total - frozen));
        out += &format!(
            "Non-trainable params: {}\n{}\n",
            group_thousands(frozen),
            rule('_')
        );
        Ok(out)
    }
}

/// `linear` → `Linear`, `leaky_relu` → `LeakyRelu`.
fn type_name(kind: &str) -> String {
    kind.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// `25450` → `25,450`.
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_get_unique_numbered_names() {
        let m = Sequential::new(0)
            .linear(4, 3)
            .relu()
            .linear(3, 2)
            .relu()
            .softmax();
        let names: Vec<&str> = m.layers().iter().map(|l| l.name()).collect();
        assert_eq!(
            names,
            ["linear_1", "relu_1", "linear_2", "relu_2", "softmax_1"]
        );
        let params: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            params,
            [
                "linear_1.weight",
                "linear_1.bias",
                "linear_2.weight",
                "linear_2.bias"
            ]
        );
    }

    #[test]
    fn summary_matches_keras_layout() {
        let m = Sequential::new(0)
            .linear(784, 32)
            .relu()
            .linear(32, 10)
            .softmax();
        let s = m.summary(&[784]).unwrap();
        assert!(
            s.contains(" linear_1 (Linear)           (None, 32)                   25,120"),
            "{s}"
        );
        assert!(s.contains("Total params: 25,450"), "{s}");
        assert!(s.contains("Trainable params: 25,450"), "{s}");
    }

    #[test]
    fn images_into_a_dense_layer_get_the_flatten_hint() {
        let m = Sequential::new(0).linear(784, 32).relu();
        let err = m.output_shape(&[28, 28]).unwrap_err();
        assert_eq!(err.layer, "linear_1");
        let msg = err.to_string();
        assert!(
            msg.contains("expects inputs of shape (None, 784), got (None, 28, 28)"),
            "{msg}"
        );
        assert!(
            msg.contains("reshape the data from (n, 28, 28) to (n, 784)"),
            "{msg}"
        );
        let ok = Sequential::new(0).flatten().linear(784, 32);
        assert_eq!(ok.output_shape(&[28, 28]).unwrap(), vec![32]);
    }

    #[test]
    fn same_seed_same_weights() {
        let a = Sequential::new(7).linear(5, 4);
        let b = Sequential::new(7).linear(5, 4);
        let c = Sequential::new(8).linear(5, 4);
        assert_eq!(a.parameters()[0].value(), b.parameters()[0].value());
        assert_ne!(a.parameters()[0].value(), c.parameters()[0].value());
    }
}
