// C[b] = A[b]·B[b] (+ bias per column), tiled: a 16×16 work group computes a 64×64 tile of C,
// 4×4 values per thread, through 64×16 and 16×64 tiles of A and B in shared memory. A and B are
// read through strides, so a transposed operand is not copied; a stride of 0 repeats a batch.
// p: [M, N, K, batches, a_row, a_col, a_batch, b_row, b_col, b_batch, bias, tiles_m].
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const KT: u32 = 16u;

var<workgroup> ta: array<array<f32, 64>, 16>;
var<workgroup> tb: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) tid: u32) {
    let m = p[0];
    let n = p[1];
    let k = p[2];
    let tiles_m = p[11];
    let batch = wid.y / tiles_m;
    let row0 = (wid.y % tiles_m) * TILE;
    let col0 = wid.x * TILE;
    let a_base = batch * p[6];
    let b_base = batch * p[9];
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < k; k0 += KT) {
        // 1024 values of each tile, 4 per thread.
        for (var q = 0u; q < 4u; q++) {
            let e = tid + q * 256u;
            // A: e → (row r, depth d), d fastest when A's columns are contiguous.
            let ar = e / KT;
            let ad = e % KT;
            let gr = row0 + ar;
            let gk = k0 + ad;
            var va = 0.0;
            if gr < m && gk < k {
                va = a[a_base + gr * p[4] + gk * p[5]];
            }
            ta[ad][ar] = va;
            // B: e → (depth d, column j).
            let bd = e / TILE;
            let bj = e % TILE;
            let bk = k0 + bd;
            let gc = col0 + bj;
            var vb = 0.0;
            if bk < k && gc < n {
                vb = b[b_base + bk * p[7] + gc * p[8]];
            }
            tb[bd][bj] = vb;
        }
        workgroupBarrier();
        for (var d = 0u; d < KT; d++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = ta[d][lid.y + 16u * i];
                bv[i] = tb[d][lid.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    let c_base = batch * m * n;
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x + 16u * j;
            if r < m && col < n {
                var v = acc[i * 4u + j];
                if p[10] == 1u {
                    v += bias[col];
                }
                c[c_base + r * n + col] = v;
            }
        }
    }
}
