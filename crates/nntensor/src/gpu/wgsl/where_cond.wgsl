// out = cond != 0 ? t : f, all broadcast. p: [n, rank, dims[8], c_strides[8], t_strides[8], f_strides[8]].
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read> f: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let rank = p[1];
    let cv = c[strided(i, rank, 2u, 10u)];
    out[i] = select(f[strided(i, rank, 2u, 26u)], t[strided(i, rank, 2u, 18u)], cv != 0.0);
}
