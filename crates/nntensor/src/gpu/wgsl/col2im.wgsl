// The inverse of im2col, one thread per input element: the column entries of every tap that
// read it, added in tap order (the CPU's order). p: as im2col.wgsl, total = n·c·h·w.
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let c = p[2]; let h = p[3]; let w = p[4];
    let kh = p[5]; let kw = p[6]; let oh = p[7]; let ow = p[8];
    let np = p[1] * oh * ow;
    let ix = e % w;
    let iy = (e / w) % h;
    let ci = (e / (w * h)) % c;
    let img = e / (w * h * c);
    var acc = 0.0;
    for (var ki = 0u; ki < kh; ki++) {
        let ty = i32(iy + p[11]) - i32(ki * p[13]);
        if ty < 0 || (u32(ty) % p[9]) != 0u || u32(ty) / p[9] >= oh {
            continue;
        }
        let y = u32(ty) / p[9];
        for (var kj = 0u; kj < kw; kj++) {
            let tx = i32(ix + p[12]) - i32(kj * p[14]);
            if tx < 0 || (u32(tx) % p[10]) != 0u || u32(tx) / p[10] >= ow {
                continue;
            }
            let xo = u32(tx) / p[10];
            acc += cols[((ci * kh + ki) * kw + kj) * np + (img * oh + y) * ow + xo];
        }
    }
    dx[e] = acc;
}
