// The gradient through softmax (y(g − Σ g·y)) or log-softmax (g − e^y·Σ g), one thread per line.
// p: [lines, len, inner, log].
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let line = flat(gid, nw);
    if line >= p[0] {
        return;
    }
    let len = p[1];
    let inner = p[2];
    let base = (line / inner) * len * inner + line % inner;
    var s = 0.0;
    for (var k = 0u; k < len; k++) {
        let o = base + k * inner;
        if p[3] == 1u {
            s += g[o];
        } else {
            s += g[o] * y[o];
        }
    }
    for (var k = 0u; k < len; k++) {
        let o = base + k * inner;
        if p[3] == 1u {
            out[o] = g[o] - exp(y[o]) * s;
        } else {
            out[o] = (g[o] - s) * y[o];
        }
    }
}
