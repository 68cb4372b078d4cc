// Running sums along an axis, one thread per line, in order along the axis.
// p: [lines, len, inner, reverse].
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
    var total = 0.0;
    for (var k = 0u; k < len; k++) {
        var j = k;
        if p[3] == 1u {
            j = len - 1u - k;
        }
        let o = base + j * inner;
        total += x[o];
        out[o] = total;
    }
}
