// One side's gradient of a maximum, minimum or power, in the broadcast shape.
// p: [n, op, side (0 = a, 1 = b), rank, dims[8], a_strides[8], b_strides[8]].
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// A tie sends half the gradient each way, as PyTorch does.
fn pick(wins: bool, tie: bool) -> f32 {
    return select(select(0.0, 1.0, wins), 0.5, tie);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let x = a[strided(i, p[3], 4u, 12u)];
    let y = b[strided(i, p[3], 4u, 20u)];
    let gv = g[i];
    let side_a = p[2] == 0u;
    var d = 0.0;
    switch p[1] {
        case 4u: { d = gv * select(pick((y > x), (x == y)), pick((x > y), (x == y)), side_a); }
        case 5u: { d = gv * select(pick((y < x), (x == y)), pick((x < y), (x == y)), side_a); }
        default: {
            if side_a {
                d = select(gv * y * powf_(x, y - 1.0), 0.0, y == 0.0);
            } else {
                d = select(gv * powf_(x, y) * log(x), 0.0, x == 0.0 && y >= 0.0);
            }
        }
    }
    out[i] = d;
}
