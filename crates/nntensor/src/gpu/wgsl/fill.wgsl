// dst[i] = value. p: [n, value].
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    dst[i] = pf(1u);
}
