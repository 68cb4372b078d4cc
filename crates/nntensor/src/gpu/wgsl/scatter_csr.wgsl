// out[i] = base[i] + Σ src[sources[k]] for k in starts[i]..starts[i + 1]: a scatter-add grouped
// by destination on the host, so each output sums its sources in their original order (no
// atomics; the same result on every run). p: [n, has_base].
@group(0) @binding(1) var<storage, read> base: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> starts: array<u32>;
@group(0) @binding(4) var<storage, read> sources: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = flat(gid, nw);
    if i >= p[0] {
        return;
    }
    var acc = 0.0;
    if p[1] == 1u {
        acc = base[i];
    }
    for (var k = starts[i]; k < starts[i + 1u]; k++) {
        acc += src[sources[k]];
    }
    out[i] = acc;
}
