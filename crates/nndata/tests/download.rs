//! Fetching MNIST for real, over HTTP from a small server on 127.0.0.1 that serves the MNIST
//! files in `$MNIST_DIR` (CI sets it): a good download, a corrupted one, an unreachable mirror.
//! Needs `--features download`; skipped when `MNIST_DIR` is unset.
#![cfg(feature = "download")]

use flate2::{read::GzDecoder, write::GzEncoder};
use nndata::download::{download_missing, load_or_download, MNIST_FILES};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Serves `files` (URL path → body) on 127.0.0.1 for at most `max_requests` requests or 60 s,
/// then stops. Returns the base URL.
fn serve(files: HashMap<String, Vec<u8>>, max_requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/mnist/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut served = 0;
        while served < max_requests && started.elapsed() < Duration::from_secs(60) {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            served += 1;
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = match files.get(&path) {
                Some(body) => ("200 OK", body.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&body));
        }
    });
    url
}

fn shared_files() -> Option<HashMap<String, Vec<u8>>> {
    let dir = PathBuf::from(std::env::var_os("MNIST_DIR")?);
    Some(
        MNIST_FILES
            .iter()
            .map(|(name, _)| {
                (
                    format!("/mnist/{name}.gz"),
                    std::fs::read(dir.join(format!("{name}.gz"))).unwrap(),
                )
            })
            .collect(),
    )
}

#[test]
fn downloads_verifies_caches_and_then_stays_offline() {
    let Some(files) = shared_files() else {
        eprintln!("MNIST_DIR is not set: skipping the download test");
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let mirror = serve(files, 4);
    let mnist = load_or_download(cache.path(), &mirror, Default::default()).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    // The server has stopped after its 4 requests: loading again must not need the network.
    let again = load_or_download(cache.path(), "http://127.0.0.1:1/", Default::default()).unwrap();
    assert_eq!(again.test.targets(), mnist.test.targets());
}

#[test]
fn a_corrupted_download_is_rejected_and_nothing_is_cached() {
    let Some(mut files) = shared_files() else {
        eprintln!("MNIST_DIR is not set: skipping the download test");
        return;
    };
    // Valid gzip, wrong content: one label changed.
    let key = "/mnist/t10k-labels-idx1-ubyte.gz".to_string();
    let mut content = Vec::new();
    GzDecoder::new(&files[&key][..])
        .read_to_end(&mut content)
        .unwrap();
    content[100] = (content[100] + 1) % 10;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&content).unwrap();
    files.insert(key, gz.finish().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let mirror = serve(files, 4);
    let err = download_missing(cache.path(), &mirror)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte.gz: checksum mismatch")
            && err.contains("Nothing was saved"),
        "{err}"
    );
    let left: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.iter().any(|n| n.starts_with("t10k-labels")),
        "the corrupted file must not be cached: {left:?}"
    );
    assert!(
        !left.iter().any(|n| n.contains(".tmp")),
        "no temporary file left: {left:?}"
    );
}

#[test]
fn an_unreachable_mirror_is_a_clear_error() {
    let cache = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let err = download_missing(cache.path(), "http://127.0.0.1:1/mnist/")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("could not download http://127.0.0.1:1/mnist/train-images-idx3-ubyte.gz"),
        "{err}"
    );
    assert!(err.contains("try another mirror"), "{err}");
}
