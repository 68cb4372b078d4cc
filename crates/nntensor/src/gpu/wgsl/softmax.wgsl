// Softmax (log = 0) or log-softmax (log = 1) along an axis, one thread per line.
// p: [lines, len, inner, log].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let line = flat(gid, nw);
    if line >= p[0] {
        return;
    }
    let len = p[1];
    let inner = p[2];
    let base = (line / inner) * len * inner + line % inner;
    var m = -bitcast<f32>(0x7f800000u);
    for (var k = 0u; k < len; k++) {
        m = max(m, x[base + k * inner]);
    }
    var sum = 0.0;
    for (var k = 0u; k < len; k++) {
        sum += exp(x[base + k * inner] - m);
    }
    if p[3] == 1u {
        let shift = m + log(sum);
        for (var k = 0u; k < len; k++) {
            let o = base + k * inner;
            out[o] = x[o] - shift;
        }
    } else {
        let inv = 1.0 / sum;
        for (var k = 0u; k < len; k++) {
            let o = base + k * inner;
            out[o] = exp(x[o] - m) * inv;
        }
    }
}
