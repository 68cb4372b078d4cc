// Softmax cross-entropy, one thread per row: the row's loss −Σ t·log_softmax(x), and (grad = 1)
// its gradient (softmax·Σt − t)/n. Targets are rows of probabilities (sparse = 0) or class
// indices (sparse = 1, as u32 words). p: [rows, classes, sparse, grad, inv_n].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let row = flat(gid, nw);
    if row >= p[0] {
        return;
    }
    let c = p[1];
    let base = row * c;
    let sparse = p[2] == 1u;
    var m = -bitcast<f32>(0x7f800000u);
    for (var k = 0u; k < c; k++) {
        m = max(m, x[base + k]);
    }
    var sum = 0.0;
    for (var k = 0u; k < c; k++) {
        sum += exp(x[base + k] - m);
    }
    let shift = m + log(sum);
    var loss = 0.0;
    var target_sum = 0.0;
    let label = bitcast<u32>(t[select(base, row, sparse)]);
    for (var k = 0u; k < c; k++) {
        var tk = 0.0;
        if sparse {
            tk = select(0.0, 1.0, k == label);
        } else {
            tk = t[base + k];
        }
        if tk != 0.0 {
            loss -= tk * (x[base + k] - shift);
        }
        target_sum += tk;
    }
    row_loss[row] = loss;
    if p[3] == 1u {
        let inv_n = pf(4u);
        let scale = target_sum * inv_n / sum;
        for (var k = 0u; k < c; k++) {
            var tk = 0.0;
            if sparse {
                tk = select(0.0, 1.0, k == label);
            } else {
                tk = t[base + k];
            }
            d[base + k] = exp(x[base + k] - m) * scale - tk * inv_n;
        }
    }
}
