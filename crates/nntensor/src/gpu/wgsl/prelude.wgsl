// Shared by every kernel: the parameters (binding 0, 32-bit words; floats bit-cast) and the
// flat thread index of a one-thread-per-element grid of 256-thread work groups.
@group(0) @binding(0) var<storage, read> p: array<u32>;

fn pf(i: u32) -> f32 {
    return bitcast<f32>(p[i]);
}

fn flat(gid: vec3<u32>, nw: vec3<u32>) -> u32 {
    return gid.x + gid.y * nw.x * 256u;
}

// The offset of element `i` of a row-major tensor of `rank` dims (at p[dims]) in a layout with
// the strides at p[strides] (i32, bit-cast; 0 on broadcast axes).
fn strided(i: u32, rank: u32, dims: u32, strides: u32) -> u32 {
    var rest = i;
    var off = 0i;
    for (var k = 0u; k < rank; k++) {
        let axis = rank - 1u - k;
        let d = p[dims + axis];
        off += i32(rest % d) * bitcast<i32>(p[strides + axis]);
        rest = rest / d;
    }
    return u32(off);
}

fn log1p_(u: f32) -> f32 {
    let w = 1.0 + u;
    if w == 1.0 {
        return u;
    }
    return log(w) * u / (w - 1.0);
}

fn expm1_(x: f32) -> f32 {
    if abs(x) < 1e-5 {
        return x + 0.5 * x * x;
    }
    if x < -20.0 {
        return -1.0;
    }
    let u = exp(x);
    return (u - 1.0) * x / log(u);
}

fn sigmoid_(x: f32) -> f32 {
    let e = exp(-abs(x));
    let r = 1.0 / (1.0 + e);
    return select(e * r, r, x >= 0.0);
}

fn tanh_(x: f32) -> f32 {
    return tanh(clamp(x, -15.0, 15.0));
}

// erf: its Maclaurin series near 0, the Numerical Recipes erfc fit (fractional error < 1.2e-7)
// elsewhere.
fn erf_(x: f32) -> f32 {
    let a = abs(x);
    if a < 0.5 {
        let x2 = x * x;
        return x * 1.1283791671 * (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0
            + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0))))));
    }
    let t = 1.0 / (1.0 + 0.5 * a);
    let poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    let r = 1.0 - t * exp(poly);
    return select(-r, r, x >= 0.0);
}

fn powi_(x: f32, n: i32) -> f32 {
    var base = x;
    var e = abs(n);
    var r = 1.0;
    while e > 0 {
        if (e & 1) == 1 {
            r *= base;
        }
        base *= base;
        e = e >> 1u;
    }
    return select(r, 1.0 / r, n < 0);
}

fn powf_(x: f32, y: f32) -> f32 {
    if y == 0.0 {
        return 1.0;
    }
    if x == 0.0 {
        return select(bitcast<f32>(0x7f800000u), 0.0, y > 0.0);
    }
    if x < 0.0 {
        if floor(y) != y {
            return bitcast<f32>(0x7fc00000u);
        }
        let r = pow(-x, y);
        let odd = (abs(y) % 2.0) == 1.0;
        return select(r, -r, odd);
    }
    return pow(x, y);
}
