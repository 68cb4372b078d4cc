//! The playground's static server over real sockets: what it serves, what it refuses, and that
//! malformed requests do not stop it.

use nnplay_server::{resolve, serve_dir};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Sends `request` raw and returns the whole response (the servers close or answer once).
fn raw(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the server closes or goes quiet.
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        if response.windows(4).any(|w| w == b"\r\n\r\n") {
            // Headers are in; the body of these small responses follows at once.
            stream
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

fn get(address: SocketAddr, path: &str) -> String {
    raw(
        address,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

#[test]
fn resolve_keeps_requests_inside_the_site() {
    let root = Path::new("/site");
    assert_eq!(resolve(root, "/").unwrap(), root.join("index.html"));
    assert_eq!(
        resolve(root, "/pkg/nnplay.js?v=1#x").unwrap(),
        root.join("pkg/nnplay.js")
    );
    for bad in [
        "/../Cargo.toml",
        "//etc/passwd",
        "/pkg/../../x",
        "",
        "index.html",
    ] {
        assert_eq!(resolve(root, bad), None, "{bad:?}");
    }
}

#[test]
fn the_static_server_serves_files_and_refuses_the_rest() {
    let dir = std::env::temp_dir().join(format!("nnplay-site-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html>hello").unwrap();
    std::fs::write(dir.join("pkg/a.wasm"), [0u8, 97, 115, 109]).unwrap();
    let (tx, rx) = mpsc::channel();
    let root = dir.clone();
    std::thread::spawn(move || {
        serve_dir(&root, "127.0.0.1:0", |bound| tx.send(bound).unwrap()).unwrap();
    });
    let address = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let page = get(address, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("text/html") && page.ends_with("hello"),
        "{page}"
    );
    assert!(get(address, "/pkg/a.wasm").contains("application/wasm"));
    assert!(get(address, "/missing.js").starts_with("HTTP/1.1 404"));
    assert!(get(address, "/../Cargo.toml").starts_with("HTTP/1.1 404"));
    let post = raw(
        address,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    // Garbage, a request line with no version, a header line of 100 KB: answered or dropped,
    // and the server still serves the next request.
    let _ = raw(address, b"\x00\x01\x02 garbage\r\n\r\n");
    let _ = raw(address, b"GET /\r\n\r\n");
    let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(100_000));
    let _ = raw(address, long.as_bytes());
    assert!(get(address, "/").starts_with("HTTP/1.1 200"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_page_source_is_found_in_the_nnplay_crate() {
    let page = nnplay_server::page_source_dir();
    for file in ["index.html", "play.js", "style.css"] {
        assert!(
            page.join(file).is_file(),
            "{} has no {file}",
            page.display()
        );
    }
}
