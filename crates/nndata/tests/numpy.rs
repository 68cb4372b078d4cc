//! NumPy files: fixtures written by NumPy (tests/fixtures/numpy/make_fixtures.py) read here with
//! NumPy's own float32 conversion, bit for bit; damaged files refused with a clear error; our
//! files read back by NumPy (when Python and numpy are installed; `.ci/run` installs them and
//! sets NNFACADE_REQUIRE_NUMPY=1 so a missing numpy fails there instead of skipping).

use nndata::numpy::{
    dataset_from_npy, dataset_from_npz, read_npy, read_npz, read_npz_array, write_npy, write_npz,
};
use nntensor::Tensor;
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/numpy")
        .join(name)
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}

#[test]
fn every_float_and_integer_dtype_reads_as_numpy_converts_it() {
    for name in [
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "bool",
        "float16_special",
        "big_endian_float32",
        "big_endian_int32",
        "big_endian_float16",
        "fortran_float64",
        "fortran_float16",
        "scalar",
        "empty",
        "three_d",
    ] {
        let got = read_npy(fixture(&format!("{name}.npy"))).unwrap_or_else(|e| panic!("{e}"));
        let want = read_npy(fixture(&format!("expected_{name}.npy"))).unwrap();
        assert_eq!(got.shape(), want.shape(), "{name}");
        assert_eq!(bits(&got), bits(&want), "{name}");
    }
}

#[test]
fn values_and_layouts_are_the_ones_numpy_saved() {
    // Against literals too, so a reader wrong for float32 itself cannot pass.
    let floats = read_npy(fixture("float32.npy")).unwrap();
    assert_eq!(floats.shape(), [2, 3]);
    assert_eq!(floats.to_vec(), [0.0, -1.5, 2.25, -3.0, 4.5, 1e-3]);
    let signed = read_npy(fixture("int64.npy")).unwrap();
    assert_eq!(signed.to_vec(), [0.0, -1.0, 2.0, -3.0, 4.0, -5.0]);
    let fortran = read_npy(fixture("fortran_float64.npy")).unwrap();
    assert_eq!(fortran.shape(), [3, 4]);
    assert_eq!(
        fortran.to_vec(),
        (0..12).map(|v| v as f32).collect::<Vec<_>>()
    );
    let half = read_npy(fixture("float16_special.npy")).unwrap().to_vec();
    assert_eq!(half[1].to_bits(), (-0.0f32).to_bits());
    assert_eq!(half[4], 65504.0);
    assert_eq!(half[5], f32::INFINITY);
    assert_eq!(
        read_npy(fixture("scalar.npy")).unwrap().shape(),
        [] as [usize; 0]
    );
}

#[test]
fn npz_archives_plain_and_compressed_make_datasets() {
    let x = read_npy(fixture("x.npy")).unwrap();
    let y = read_npy(fixture("y.npy")).unwrap();
    for archive in ["dataset.npz", "dataset_compressed.npz"] {
        let arrays = read_npz(fixture(archive)).unwrap();
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x_train", "y_train"], "{archive}");
        assert_eq!(arrays[0].1, x);
        assert_eq!(read_npz_array(fixture(archive), "y_train").unwrap(), y);
        let data = dataset_from_npz(fixture(archive), "x_train", "y_train").unwrap();
        assert_eq!((data.len(), data.inputs().shape()), (4, &[4, 3][..]));
    }
    let data = dataset_from_npy(fixture("x.npy"), fixture("y.npy")).unwrap();
    assert_eq!(data.targets().to_vec(), [0.0, 2.0, 1.0, 2.0]);
}

#[test]
fn damaged_and_unconvertible_files_are_errors_naming_the_file_and_the_fix() {
    for (name, says) in [
        (
            "truncated.npy",
            "truncated: the header describes 24 bytes of data",
        ),
        ("trailing.npy", "too long"),
        ("bad_magic.npy", "not a .npy array"),
        (
            "header_cut.npy",
            "truncated: the file ends inside the header",
        ),
        (
            "terabytes.npy",
            "truncated: the header describes 4000000000000 bytes",
        ),
        ("huge_header.npy", "more than the 65536 accepted"),
        ("nested_header.npy", "nested deeper"),
        (
            "int64_too_large.npy",
            "element 1 (1099511627777) cannot be held exactly by f32",
        ),
        ("float64_too_large.npy", "element 1"),
        ("complex64.npy", "dtype `<c8` cannot become f32"),
        ("strings.npy", "dtype `<U5` cannot become f32"),
        ("structured.npy", "a structured dtype"),
        ("empty_name.npy", "No such file"),
    ] {
        let e = read_npy(fixture(name)).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(says), "{name}: {e}");
    }
    let e = read_npz(fixture("not_a_zip.npz")).unwrap_err().to_string();
    assert!(e.contains("not_a_zip.npz: not a readable .npz"), "{e}");
    let e = read_npz_array(fixture("dataset.npz"), "x_test")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no array `x_test`") && e.contains("x_train"),
        "{e}"
    );
    let e = dataset_from_npy(fixture("x.npy"), fixture("int8.npy"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("4 inputs and 2 targets"), "{e}");
}

#[test]
fn a_shape_with_a_zero_and_a_huge_axis_is_an_error_not_a_panic() {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 9223372036854775807), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    let path = std::env::temp_dir().join(format!("nndata-zero-huge-{}.npy", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let e = read_npy(&path).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(e.contains("larger than any array can be"), "{e}");
}

/// Whether `python3 -c 'import numpy'` works; panics if not and NNFACADE_REQUIRE_NUMPY is set.
fn numpy_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("NNFACADE_REQUIRE_NUMPY").is_none(),
            "NNFACADE_REQUIRE_NUMPY is set but python3 cannot import numpy (pip install numpy)"
        );
        eprintln!("skipped: python3 with numpy not found");
    }
    ok
}

#[test]
fn numpy_reads_our_files_with_identical_values() {
    if !numpy_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("nndata-numpy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let x = Tensor::from_vec(
        [2, 3],
        vec![0.0, -1.5, 1e-3, f32::MAX, f32::MIN_POSITIVE, -0.0],
    )
    .unwrap();
    let y = Tensor::from_vec([2], vec![1.0, 0.0]).unwrap();
    write_npy(dir.join("x.npy"), &x).unwrap();
    write_npz(dir.join("d.npz"), &[("x", &x), ("y", &y)], false).unwrap();
    write_npz(dir.join("c.npz"), &[("x", &x), ("y", &y)], true).unwrap();
    let expected: Vec<String> = x.to_vec().iter().map(|v| v.to_bits().to_string()).collect();
    let script = format!(
        "import numpy as np, sys\n\
         d = sys.argv[1]\n\
         want = np.array([{}], dtype=np.uint32).view(np.float32).reshape(2, 3)\n\
         for a in [np.load(d + '/x.npy'), np.load(d + '/d.npz')['x'], np.load(d + '/c.npz')['x']]:\n\
         \x20   assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)\n\
         \x20   assert (a.view(np.uint32) == want.view(np.uint32)).all(), a\n\
         assert list(np.load(d + '/d.npz')['y']) == [1.0, 0.0]\n\
         assert sorted(np.load(d + '/c.npz').files) == ['x', 'y']\n",
        expected.join(", ")
    );
    let out = Command::new("python3")
        .args(["-c", &script, dir.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "numpy could not read our files: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And ours read back.
}
