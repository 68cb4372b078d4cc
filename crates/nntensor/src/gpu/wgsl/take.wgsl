// out[o, j, i] = x[o, idx[j], i]: index_select along an axis (rows of a batch when the axis is
// the first). p: [n_out, inner, n_idx, axis_len].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let inner = p[1];
    let n_idx = p[2];
    let i = e % inner;
    let j = (e / inner) % n_idx;
    let o = e / (inner * n_idx);
    out[e] = x[(o * p[3] + idx[j]) * inner + i];
}
