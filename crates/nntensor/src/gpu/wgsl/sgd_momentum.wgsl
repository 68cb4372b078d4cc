// SGD with momentum (nntensor::SgdStep). p: [n, lr, wd, keep, take, gradient_part, buffer_part].
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let gv = g[i] + pf(2u) * w[i];
    let b = pf(3u) * buf[i] + pf(4u) * gv;
    buf[i] = b;
    w[i] -= pf(1u) * (pf(5u) * gv + pf(6u) * b);
}
