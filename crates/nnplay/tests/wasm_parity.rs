//! The playground's training natively and in WebAssembly (run by Node.js) agree bit for bit.
//!
//! Needs the site built (`cargo run --release -p nnplay-server` once, or `.ci/run`);
//! without it the test says so and passes, unless `NNPLAY_REQUIRE_WASM=1` (CI sets it).

use std::process::Command;

#[test]
fn native_and_webassembly_training_agree_bit_for_bit() {
    let pkg = nnplay_server::site_dir().join("pkg");
    if !pkg.join("nnplay_bg.wasm").is_file() {
        let missing = format!(
            "no WebAssembly bundle in {}: build it with `cargo run --release -p \
             nnplay-server`",
            pkg.display()
        );
        assert!(std::env::var("NNPLAY_REQUIRE_WASM").is_err(), "{missing}");
        eprintln!("skipped: {missing}");
        return;
    }
    let size = std::fs::metadata(pkg.join("nnplay_bg.wasm")).unwrap().len()
        + std::fs::metadata(pkg.join("nnplay.js")).unwrap().len();
    assert!(
        size < 2_000_000,
        "the bundle is {size} bytes; the page must stay under 2 MB"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/parity.mjs");
    let output = Command::new("node")
        .arg(script)
        .arg(&pkg)
        .output()
        .expect("node runs (Node.js is needed for this test)");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let wasm: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let native = nnplay::parity_runs();
    assert_eq!(wasm.len(), native.len(), "one line per run: {stdout}");
    for (run, fields) in native.iter().zip(&wasm) {
        let [name, hash, loss, accuracy] = fields[..] else {
            panic!("a line of four fields: {fields:?}");
        };
        assert_eq!(name, run.name);
        let (loss, accuracy): (f32, f32) = (loss.parse().unwrap(), accuracy.parse().unwrap());
        if run.small_products_only {
            assert_eq!(
                hash,
                format!("{:016x}", run.fingerprint),
                "{name}: the WebAssembly run is not bit-identical to the native one"
            );
            assert_eq!(loss.to_bits(), run.loss.to_bits(), "{name}: loss");
        } else {
            // gemm-f32's products: fused multiply-add natively, none in WebAssembly.
            assert!(
                (loss - run.loss).abs() <= 1e-4 * run.loss.abs().max(1.0),
                "{name}: loss {loss} in WebAssembly, {} natively",
                run.loss
            );
            assert!(
                (accuracy - run.accuracy).abs() <= 0.01,
                "{name}: accuracy {accuracy} in WebAssembly, {} natively",
                run.accuracy
            );
        }
    }
}
