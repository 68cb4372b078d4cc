// dst[dst_off + Σ i·dst_strides] = src[src_off + Σ i·src_strides] over a `dims` grid: permutes,
// slices, flips (negative strides), broadcasts (stride 0), and writes into part of a tensor.
// p: [n, rank, src_off, dst_off, dims[8], src_strides[8], dst_strides[8]].
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let rank = p[1];
    let s = p[2] + strided(i, rank, 4u, 12u);
    let d = p[3] + strided(i, rank, 4u, 20u);
    dst[d] = src[s];
}
