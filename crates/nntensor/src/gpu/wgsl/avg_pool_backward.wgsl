// The gradient of average pooling, one thread per input element: the shares of the windows that
// cover it, in output order. p: [total, h, w, kh, kw, oh, ow, sh, sw, ph, pw].
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let h = p[1]; let w = p[2]; let oh = p[5]; let ow = p[6];
    let pos = e % (h * w);
    let plane = e / (h * w);
    let iy = i32(pos / w) + i32(p[9]);
    let ix = i32(pos % w) + i32(p[10]);
    let area = f32(p[3] * p[4]);
    var acc = 0.0;
    for (var y = 0u; y < oh; y++) {
        let top = i32(y * p[7]);
        if iy < top || iy >= top + i32(p[3]) {
            continue;
        }
        for (var xo = 0u; xo < ow; xo++) {
            let left = i32(xo * p[8]);
            if ix >= left && ix < left + i32(p[4]) {
                acc += g[(plane * oh + y) * ow + xo] / area;
            }
        }
    }
    dx[e] = acc;
}
