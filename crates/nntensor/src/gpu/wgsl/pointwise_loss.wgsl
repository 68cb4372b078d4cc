// Per-element terms of the elementwise losses and (grad = 1) their scaled gradients.
// kind 0: squared error (x − t)², gradient 2(x − t); kind 1: BCE on logits softplus(x) − t·x,
// gradient σ(x) − t. p: [n, kind, scale, grad].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;
@group(0) @binding(4) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let xv = x[i];
    let tv = t[i];
    var term = 0.0;
    var dv = 0.0;
    if p[1] == 0u {
        let diff = xv - tv;
        term = diff * diff;
        dv = 2.0 * diff;
    } else {
        let e = exp(-abs(xv));
        term = max(xv, 0.0) + log1p_(e) - tv * xv;
        let r = 1.0 / (1.0 + e);
        dv = select(e * r, r, xv >= 0.0) - tv;
    }
    terms[i] = term;
    if p[3] == 1u {
        d[i] = pf(2u) * dv;
    }
}
