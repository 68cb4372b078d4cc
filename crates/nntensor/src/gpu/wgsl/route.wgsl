// out[o, k, i] = g[o·inner + i] where k = arg[o·inner + i], else 0: the gradient of a max
// routed to the first maximum of each lane. p: [n, len, inner].
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> arg: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let e = flat(gid, nw);
    if e >= p[0] {
        return;
    }
    let len = p[1];
    let inner = p[2];
    let i = e % inner;
    let k = (e / inner) % len;
    let o = e / (inner * len);
    let lane = o * inner + i;
    out[e] = select(0.0, g[lane], u32(arg[lane]) == k);
}
