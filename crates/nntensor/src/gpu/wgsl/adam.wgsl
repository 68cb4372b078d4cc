// Adam / AdamW (nntensor::AdamStep). p: [n, beta1, beta2, step_size, bc2_sqrt, decay_factor,
// coupled_wd, eps_inside, eps_outside].
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let b1 = pf(1u);
    let b2 = pf(2u);
    let wv = w[i] * pf(5u);
    let gv = g[i] + pf(6u) * wv;
    let mv = b1 * m[i] + (1.0 - b1) * gv;
    let vv = b2 * v[i] + (1.0 - b2) * gv * gv;
    m[i] = mv;
    v[i] = vv;
    let denom = (sqrt(vv) + pf(7u)) / pf(4u) + pf(8u);
    w[i] = wv - pf(3u) * mv / denom;
}
