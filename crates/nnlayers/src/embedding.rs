//! `Embedding`: a lookup table from integer ids to learned vectors.

use crate::{Context, LayerSpec, Module, ShapeError};
use nnautograd::nntensor::{Init, Rng, Tensor};
use nnautograd::{Param, Var};

/// A table of `count` learned vectors of `dim` values (PyTorch's `nn.Embedding`, Keras's
/// `Embedding`): an input of ids, any shape, gives their vectors, shape `ids.shape + [dim]`.
/// Ids come as whole-number values of the input tensor; initial vectors are drawn from N(0, 1),
/// as PyTorch does. The gradient of an id used twice adds up.
///
/// ```
/// use nnlayers::{Context, Embedding, Module};
/// use nnautograd::{nntensor::{Rng, Tensor}, Tape};
/// let table = Embedding::new(10, 4, &mut Rng::seed_from(0));
/// let tape = Tape::new();
/// let ids = tape.constant(Tensor::from_vec([2, 3], vec![1., 5., 1., 0., 9., 2.]).unwrap());
/// let vectors = table.forward(ids, &mut Context::eval());
/// assert_eq!(vectors.shape(), vec![2, 3, 4]);
/// ```
#[derive(Debug)]
pub struct Embedding {
    name: String,
    weight: Param,
}

impl Embedding {
    /// A table of `count` vectors of `dim` values drawn from N(0, 1).
    pub fn new(count: usize, dim: usize, rng: &mut Rng) -> Self {
        let init = Init::Normal {
            mean: 0.0,
            std: 1.0,
        };
        Embedding::from_weight(init.tensor(&[count, dim], rng))
    }

    /// A table holding `weight`, of shape `(count, dim)` (from a trained model, say). Panics
    /// unless `weight` is 2-D.
    #[track_caller]
    pub fn from_weight(weight: Tensor) -> Self {
        assert!(
            weight.ndim() == 2,
            "Embedding::from_weight: the table must be (count, dim), got shape {:?}",
            weight.shape()
        );
        Embedding {
            name: "embedding".into(),
            weight: Param::new(weight),
        }
    }

    /// How many ids the table holds.
    pub fn count(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The length of each vector.
    pub fn dim(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The table, `(count, dim)`.
    pub fn weight(&self) -> &Param {
        &self.weight
    }
}

impl Module for Embedding {
    fn kind(&self) -> &'static str {
        "embedding"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn set_name(&mut self, name: String) {
        self.name = name;
    }
    fn forward<'t>(&self, ids: Var<'t>, _ctx: &mut Context) -> Var<'t> {
        let shape = ids.shape();
        let count = self.count();
        let indices: Vec<usize> = ids
            .value()
            .values()
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                assert!(
                    v >= 0.0 && v.fract() == 0.0 && (v as usize) < count,
                    "{}: id {v} at position {k} is not a whole number in 0..{count}",
                    self.name
                );
                v as usize
            })
            .collect();
        let rows = ids.tape().param(&self.weight).index_select(0, &indices);
        let mut out = shape;
        out.push(self.dim());
        rows.reshape(&out)
    }
    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>, ShapeError> {
        let mut out = input.to_vec();
        out.push(self.dim());
        Ok(out)
    }
    fn parameters(&self) -> Vec<&Param> {
        vec![&self.weight]
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.weight]
    }
    fn parameter_names(&self) -> Vec<&'static str> {
        vec!["weight"]
    }
    fn spec(&self) -> Option<LayerSpec> {
        Some(LayerSpec::Embedding {
            name: self.name.clone(),
            count: self.count(),
            dim: self.dim(),
        })
    }
}
