// The gradient of a reduction, one work group per row (the same rows as reduce.wgsl): ties for
// max/min and the inf-norm, the mean for var/std, found first; then each element's share.
// p: as reduce.wgsl. Bindings: x, y (one per row), g (one per row), out (x's shape).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> sv: array<f32, 256>;

fn at(row_base: u32, r: u32) -> u32 {
    return row_base + strided(r, p[4], 22u, 30u);
}

fn sum_tree(tid: u32) -> f32 {
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if tid < s {
            sv[tid] = sv[tid] + sv[tid + s];
        }
        workgroupBarrier();
    }
    let r = sv[0];
    workgroupBarrier();
    return r;
}

fn sign_(v: f32) -> f32 {
    return select(select(0.0, -1.0, (v < 0.0)), 1.0, (v > 0.0));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    let row = wid.x + wid.y * nw.x;
    if row >= p[0] {
        return;
    }
    let op = p[1];
    let n = p[2];
    let nf = f32(n);
    let base = strided(row, p[3], 6u, 14u);
    let yv = y[row];
    let gv = g[row];

    // The row's auxiliary value: a count of ties, or the sum (for the mean).
    var part = 0.0;
    for (var r = tid; r < n; r += 256u) {
        let v = x[at(base, r)];
        switch op {
            case 3u, 4u: { part += select(0.0, 1.0, v == yv); }
            case 10u: { part += select(0.0, 1.0, abs(v) == yv); }
            case 6u, 7u: { part += v; }
            default: {}
        }
    }
    sv[tid] = part;
    workgroupBarrier();
    let aux = sum_tree(tid);
    let ties = max(aux, 1.0);
    let mean = aux / nf;
    let denom = max(nf - pf(5u), 0.0);

    for (var r = tid; r < n; r += 256u) {
        let o = at(base, r);
        let v = x[o];
        var d = 0.0;
        switch op {
            case 0u: { d = gv; }
            case 1u: { d = gv / nf; }
            case 2u: {
                // The product of the others (exact with zeros).
                var others = 1.0;
                for (var q = 0u; q < n; q++) {
                    if q != r {
                        others *= x[at(base, q)];
                    }
                }
                d = others * gv;
            }
            case 3u, 4u: { d = select(0.0, gv / ties, v == yv); }
            case 5u: { d = gv * exp(v - yv); }
            case 6u: { d = 2.0 * gv / denom * (v - mean); }
            case 7u: { d = select(gv / (denom * yv) * (v - mean), 0.0, yv == 0.0); }
            case 8u: { d = gv * sign_(v); }
            case 9u: { d = select(gv * v / yv, 0.0, yv == 0.0); }
            case 10u: { d = select(0.0, gv * sign_(v) / ties, abs(v) == yv && yv > 0.0); }
            default: {}
        }
        out[o] = d;
    }
}
