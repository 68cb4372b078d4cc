//! The WGSL sources of the kernels, each with the shared prelude in front.

const PRELUDE: &str = include_str!("wgsl/prelude.wgsl");

/// Every kernel by name: its source without the prelude.
const KERNELS: &[(&str, &str)] = &[
    ("adam", include_str!("wgsl/adam.wgsl")),
    ("avg_pool", include_str!("wgsl/avg_pool.wgsl")),
    (
        "avg_pool_backward",
        include_str!("wgsl/avg_pool_backward.wgsl"),
    ),
    ("binary", include_str!("wgsl/binary.wgsl")),
    ("binary_grad", include_str!("wgsl/binary_grad.wgsl")),
    ("col2im", include_str!("wgsl/col2im.wgsl")),
    ("copy", include_str!("wgsl/copy.wgsl")),
    ("cumsum", include_str!("wgsl/cumsum.wgsl")),
    ("fill", include_str!("wgsl/fill.wgsl")),
    ("im2col", include_str!("wgsl/im2col.wgsl")),
    ("matmul", include_str!("wgsl/matmul.wgsl")),
    ("max_pool", include_str!("wgsl/max_pool.wgsl")),
    (
        "max_pool_backward",
        include_str!("wgsl/max_pool_backward.wgsl"),
    ),
    ("pointwise_loss", include_str!("wgsl/pointwise_loss.wgsl")),
    ("reduce", include_str!("wgsl/reduce.wgsl")),
    ("reduce_backward", include_str!("wgsl/reduce_backward.wgsl")),
    ("rmsprop", include_str!("wgsl/rmsprop.wgsl")),
    ("route", include_str!("wgsl/route.wgsl")),
    ("scatter_csr", include_str!("wgsl/scatter_csr.wgsl")),
    ("sgd", include_str!("wgsl/sgd.wgsl")),
    ("sgd_momentum", include_str!("wgsl/sgd_momentum.wgsl")),
    ("softmax", include_str!("wgsl/softmax.wgsl")),
    (
        "softmax_backward",
        include_str!("wgsl/softmax_backward.wgsl"),
    ),
    ("take", include_str!("wgsl/take.wgsl")),
    ("take_offsets", include_str!("wgsl/take_offsets.wgsl")),
    ("unary", include_str!("wgsl/unary.wgsl")),
    ("unary_backward", include_str!("wgsl/unary_backward.wgsl")),
    ("where_cond", include_str!("wgsl/where_cond.wgsl")),
    ("xent", include_str!("wgsl/xent.wgsl")),
];

/// The full source of kernel `name`. Panics for a name that is not a kernel (a bug here).
pub(crate) fn source(name: &str) -> String {
    let body = KERNELS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no GPU kernel named {name}"))
        .1;
    format!("{PRELUDE}\n{body}")
}

/// Every kernel's name (for the test that compiles them all).
#[cfg(test)]
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    KERNELS.iter().map(|(n, _)| *n)
}
