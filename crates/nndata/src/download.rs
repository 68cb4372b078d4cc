//! Fetching MNIST from a mirror (cargo feature `download`), verified and cached.
//!
//! Each of the four files is fetched from `{mirror}{name}.gz`, decompressed in memory, and its
//! content checked against the SHA-256 every MNIST copy has (the checksum of the *uncompressed*
//! file, so it does not depend on how a mirror gzipped it). Only a file that passes is written
//! to the cache directory, atomically; a failed download leaves nothing behind.

use crate::mnist::{self, Mnist, MnistOptions};
use crate::DataError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The mirror PyTorch's `torchvision` uses (the original site refuses scripted downloads).
pub const DEFAULT_MIRROR: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/// The four MNIST files and the SHA-256 of their uncompressed content.
pub const MNIST_FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
];

/// No MNIST file is larger than this compressed (train images: 9.9 MB).
const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

/// Where MNIST is kept: `$MNIST_DIR` if set, else `nnfacade/mnist` in the platform's cache
/// directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
/// `%LOCALAPPDATA%` on Windows), else `./mnist`.
pub fn default_dir() -> PathBuf {
    // An empty variable counts as unset (as the XDG spec says for XDG_CACHE_HOME).
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = env("MNIST_DIR") {
        return dir;
    }
    let cache = if cfg!(target_os = "windows") {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    };
    cache.map_or_else(
        || PathBuf::from("mnist"),
        |c| c.join("nnfacade").join("mnist"),
    )
}

/// Loads MNIST from `dir`, first fetching from `mirror` whichever of the four files are missing.
///
/// ```no_run
/// use nndata::download::{default_dir, load_or_download, DEFAULT_MIRROR};
/// let mnist = load_or_download(&default_dir(), DEFAULT_MIRROR, Default::default()).unwrap();
/// assert_eq!(mnist.test.len(), 10_000);
/// ```
pub fn load_or_download(
    dir: &Path,
    mirror: &str,
    options: MnistOptions,
) -> Result<Mnist, DataError> {
    download_missing(dir, mirror)?;
    mnist::load_with(dir, options)
}

/// Fetches into `dir` each MNIST file not already there (under any of the common names).
pub fn download_missing(dir: &Path, mirror: &str) -> Result<(), DataError> {
    for (name, sha256) in MNIST_FILES {
        let (split, kind) = split_and_kind(name);
        if mnist::find_file(dir, split, kind).is_ok() {
            continue;
        }
        std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
            path: dir.into(),
            source,
        })?;
        let url = format!(
            "{}{name}.gz",
            if mirror.ends_with('/') {
                mirror.to_string()
            } else {
                format!("{mirror}/")
            }
        );
        let compressed = fetch(&url)?;
        let mut content = Vec::new();
        flate2::read::MultiGzDecoder::new(&compressed[..])
            .take(MAX_DOWNLOAD_BYTES)
            .read_to_end(&mut content)
            .map_err(|e| DataError::Download {
                url: url.clone(),
                reason: format!("the file is not valid gzip ({e})"),
            })?;
        let actual: String = Sha256::digest(&content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if actual != sha256 {
            return Err(DataError::Checksum {
                url,
                expected: sha256.into(),
                actual,
            });
        }
        crate::idx::write_atomically(&dir.join(format!("{name}.gz")), &compressed)?;
    }
    Ok(())
}

fn split_and_kind(name: &str) -> (&'static str, &'static str) {
    let split = if name.starts_with("train") {
        "train"
    } else {
        "t10k"
    };
    let kind = if name.contains("images") {
        "images"
    } else {
        "labels"
    };
    (split, kind)
}

fn fetch(url: &str) -> Result<Vec<u8>, DataError> {
    let fail = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))
}
