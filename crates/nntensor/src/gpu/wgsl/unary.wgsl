// y = op(x), elementwise. p: [n, op, a, b].
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const SQRT_2_OVER_PI: f32 = 0.7978845608;
const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

fn apply(op: u32, v: f32, a: f32, b: f32) -> f32 {
    switch op {
        case 0u: { return -v; }
        case 1u: { return exp(v); }
        case 2u: { return log(v); }
        case 3u: { return sqrt(v); }
        case 4u: { return abs(v); }
        case 5u: { return sigmoid_(v); }
        case 6u: { return tanh_(v); }
        case 7u: { return max(v, 0.0); }
        case 8u: { return max(v, 0.0) + log1p_(exp(-abs(v))); }
        case 9u: { return select(a * v, v, v > 0.0); }
        case 10u: { return clamp(v, a, b); }
        case 11u: { return powi_(v, i32(a)); }
        case 12u: { return powf_(v, a); }
        case 13u: { return v + a; }
        case 14u: { return v * a; }
        case 15u: { return v / a; }
        case 16u: { return sin(v); }
        case 17u: { return cos(v); }
        case 18u: { return log1p_(v); }
        case 19u: { return expm1_(v); }
        case 20u: { return 1.0 / sqrt(v); }
        case 21u: { return 1.0 / v; }
        case 22u: { return v * v; }
        case 23u: { return select(select(v * 0.0, -1.0, (v < 0.0)), 1.0, (v > 0.0)); }
        case 24u: { return erf_(v); }
        case 25u: { return 0.5 * v * (1.0 + erf_(v * 0.7071067812)); }
        case 26u: { return 0.5 * v * (1.0 + tanh_(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); }
        case 27u: { return v * sigmoid_(v); }
        case 28u: { return select(a * expm1_(v), v, v > 0.0); }
        case 29u: { return SELU_SCALE * select(SELU_ALPHA * expm1_(v), v, v > 0.0); }
        case 30u: { return v / (1.0 + abs(v)); }
        case 31u: { return min(v, 0.0) - log1p_(exp(-abs(v))); }
        case 32u: { return clamp(v, a, b); }
        default: { return v; }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    y[i] = apply(p[1], x[i], pf(2u), pf(3u));
}
