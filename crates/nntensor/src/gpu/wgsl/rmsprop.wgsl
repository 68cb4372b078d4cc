// RMSprop (nntensor::RmsPropStep), PyTorch's or Keras's rule, with the centred average and the
// momentum buffer when present. p: [n, lr, rho, eps, wd, momentum, keras, centred, with_buffer].
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> sq: array<f32>;
@group(0) @binding(4) var<storage, read_write> avg: array<f32>;
@group(0) @binding(5) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    let lr = pf(1u);
    let rho = pf(2u);
    let eps = pf(3u);
    let keras = p[6] == 1u;
    let gv = g[i] + pf(4u) * w[i];
    let s = rho * sq[i] + (1.0 - rho) * gv * gv;
    sq[i] = s;
    var mean_square = s;
    if p[7] == 1u {
        let a = rho * avg[i] + (1.0 - rho) * gv;
        avg[i] = a;
        mean_square -= a * a;
    }
    var scaled = gv / (sqrt(mean_square) + eps);
    if keras {
        scaled = gv / sqrt(mean_square + eps);
    }
    if p[8] == 1u {
        if keras {
            let b = pf(5u) * buf[i] + lr * scaled;
            buf[i] = b;
            w[i] -= b;
        } else {
            let b = pf(5u) * buf[i] + scaled;
            buf[i] = b;
            w[i] -= lr * b;
        }
    } else {
        w[i] -= lr * scaled;
    }
}
