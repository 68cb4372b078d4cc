// Average pooling, one thread per output (padding counts as zeros in the mean).
// p: [total, h, w, kh, kw, oh, ow, sh, sw, ph, pw].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let h = p[1]; let w = p[2]; let oh = p[5]; let ow = p[6];
    let xo = e % ow;
    let y = (e / ow) % oh;
    let plane = e / (ow * oh);
    var sum = 0.0;
    for (var ki = 0u; ki < p[3]; ki++) {
        let iy = i32(y * p[7] + ki) - i32(p[9]);
        if iy < 0 || iy >= i32(h) {
            continue;
        }
        for (var kj = 0u; kj < p[4]; kj++) {
            let ix = i32(xo * p[8] + kj) - i32(p[10]);
            if ix >= 0 && ix < i32(w) {
                sum += x[plane * h * w + u32(iy) * w + u32(ix)];
            }
        }
    }
    out[e] = sum / f32(p[3] * p[4]);
}
