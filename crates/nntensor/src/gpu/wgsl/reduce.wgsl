// One work group per output value: the reduced elements of its row, strided over the group's
// 256 threads, then a fixed tree in shared memory (no atomics: the same order on every run).
// p: [n_out, op, n_red, kept_rank, red_rank, correction, kept_dims[8] @6, kept_strides[8] @14,
//     red_dims[8] @22, red_strides[8] @30].
// op: 0 sum, 1 mean, 2 prod, 3 max, 4 min, 5 logsumexp, 6 var, 7 std, 8 L1, 9 L2, 10 inf-norm,
//     11 argmax, 12 argmin, 13 sum of squares.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> sv: array<f32, 256>;
var<workgroup> si: array<u32, 256>;
var<workgroup> shared_value: f32;

const NEG_INF: f32 = -3.4028235e38;
const POS_INF: f32 = 3.4028235e38;

fn combine(op: u32, a: f32, b: f32) -> f32 {
    switch op {
        case 2u: { return a * b; }
        case 3u, 5u: { return max(a, b); }
        case 4u: { return min(a, b); }
        case 10u: { return max(a, b); }
        default: { return a + b; }
    }
}

fn identity(op: u32) -> f32 {
    switch op {
        case 2u: { return 1.0; }
        case 3u, 5u: { return -bitcast<f32>(0x7f800000u); }
        case 4u: { return bitcast<f32>(0x7f800000u); }
        default: { return 0.0; }
    }
}

// The value each element contributes in the first pass.
fn term(op: u32, v: f32) -> f32 {
    switch op {
        case 8u, 10u: { return abs(v); }
        case 9u, 13u: { return v * v; }
        default: { return v; }
    }
}

fn element(row_base: u32, r: u32) -> f32 {
    return x[row_base + strided(r, p[4], 22u, 30u)];
}

// Reduces sv over the group with `op`; every thread gets the result.
fn tree(op: u32, tid: u32) -> f32 {
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if tid < s {
            sv[tid] = combine(op, sv[tid], sv[tid + s]);
        }
        workgroupBarrier();
    }
    let r = sv[0];
    workgroupBarrier();
    return r;
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
    let base = strided(row, p[3], 6u, 14u);

    if op == 11u || op == 12u {
        // Arg-max/min: (value, index) pairs; ties keep the first index.
        var best = select(bitcast<f32>(0x7f800000u), -bitcast<f32>(0x7f800000u), op == 11u);
        var best_i = 0xffffffffu;
        for (var r = tid; r < n; r += 256u) {
            let v = element(base, r);
            let better = select((v < best), (v > best), op == 11u);
            if better || best_i == 0xffffffffu {
                best = v;
                best_i = r;
            }
        }
        sv[tid] = best;
        si[tid] = best_i;
        workgroupBarrier();
        for (var s = 128u; s > 0u; s = s >> 1u) {
            if tid < s {
                let v = sv[tid + s];
                let i = si[tid + s];
                if i != 0xffffffffu {
                    let cur = sv[tid];
                    let ci = si[tid];
                    let better = select((v < cur), (v > cur), op == 11u);
                    if ci == 0xffffffffu || better || (v == cur && i < ci) {
                        sv[tid] = v;
                        si[tid] = i;
                    }
                }
            }
            workgroupBarrier();
        }
        if tid == 0u {
            out[row] = f32(si[0]);
        }
        return;
    }

    var first_op = op;
    if op == 1u || op == 6u || op == 7u {
        first_op = 0u;
    }
    var acc = identity(first_op);
    for (var r = tid; r < n; r += 256u) {
        acc = combine(first_op, acc, term(op, element(base, r)));
    }
    sv[tid] = acc;
    workgroupBarrier();
    let total = tree(first_op, tid);

    var result = total;
    switch op {
        case 1u: { result = total / f32(n); }
        case 9u: { result = sqrt(total); }
        case 5u, 6u, 7u: {
            // A second pass: Σ e^(x − max), or Σ (x − mean)².
            var centre = total;
            if op != 5u {
                centre = total / f32(n);
            }
            var acc2 = 0.0;
            if op != 5u || (total > NEG_INF && total < POS_INF) {
                for (var r = tid; r < n; r += 256u) {
                    let d = element(base, r) - centre;
                    if op == 5u {
                        acc2 += exp(d);
                    } else {
                        acc2 += d * d;
                    }
                }
            }
            sv[tid] = acc2;
            workgroupBarrier();
            let second = tree(0u, tid);
            if op == 5u {
                result = select(total, total + log(second), total > NEG_INF && total < POS_INF);
            } else {
                let v = second / max(f32(n) - pf(5u), 0.0);
                result = select(v, sqrt(v), op == 7u);
            }
        }
        default: {}
    }
    if tid == 0u {
        out[row] = result;
    }
}
