// The convolution's columns: row (ci, ki, kj), column (n, oh, ow), the input element under that
// tap or 0 in the padding. p: [total, n, c, h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let c = p[2]; let h = p[3]; let w = p[4];
    let kh = p[5]; let kw = p[6]; let oh = p[7]; let ow = p[8];
    let np = p[1] * oh * ow;
    let r = e / np;
    let col = e % np;
    let ci = r / (kh * kw);
    let ki = (r / kw) % kh;
    let kj = r % kw;
    let img = col / (oh * ow);
    let y = (col / ow) % oh;
    let xo = col % ow;
    let iy = i32(y * p[9] + ki * p[13]) - i32(p[11]);
    let ix = i32(xo * p[10] + kj * p[14]) - i32(p[12]);
    var v = 0.0;
    if iy >= 0 && iy < i32(h) && ix >= 0 && ix < i32(w) {
        v = x[((img * c + ci) * h + u32(iy)) * w + u32(ix)];
    }
    cols[e] = v;
}
