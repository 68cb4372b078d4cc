// out = op(a, b) with broadcasting. p: [n, op, strided, rank, dims[8], a_strides[8], b_strides[8]].
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn mask(c: bool) -> f32 {
    return select(0.0, 1.0, c);
}

fn apply(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: { return select(y, x, x > y); }
        case 5u: { return select(y, x, x < y); }
        case 6u: { return powf_(x, y); }
        case 7u: { return mask(x == y); }
        case 8u: { return mask(x != y); }
        case 9u: { return mask(x < y); }
        case 10u: { return mask(x <= y); }
        case 11u: { return mask(x > y); }
        case 12u: { return mask(x >= y); }
        default: { return 0.0; }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    var ia = i;
    var ib = i;
    if p[2] == 1u {
        ia = strided(i, p[3], 4u, 12u);
        ib = strided(i, p[3], 4u, 20u);
    }
    out[i] = apply(p[1], a[ia], b[ib]);
}
