//! The dashboard over real sockets: what it serves, what it refuses, and that malformed requests
//! do not stop it (the playground's static server is tested in nnplay-server).

use nnplay::Dashboard;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
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
        if response.windows(4).any(|w| w == b"\r\n\r\n") && !request.starts_with(b"GET /events ") {
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

/// A tiny fit (XOR) with the dashboard's callback.
fn fit_with(dashboard: &Dashboard, epochs: usize) {
    use nnautograd::nntensor::Tensor;
    use nnlayers::Sequential;
    use nntrain::{FitOptions, Loss, Metric, Model, Verbosity};
    let x = Tensor::from_vec([4, 2], vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]).unwrap();
    let y = Tensor::from_vec([4, 1], vec![0.0, 1.0, 1.0, 0.0]).unwrap();
    let mut model = Model::new(
        Sequential::new(1)
            .linear(2, 4)
            .tanh()
            .linear(4, 1)
            .sigmoid(),
    );
    model.compile(
        nnoptim::Sgd::new(0.5),
        Loss::BinaryCrossEntropy,
        &[Metric::Accuracy],
    );
    let options = FitOptions {
        epochs,
        batch_size: 4,
        verbosity: Verbosity::Silent,
        callbacks: vec![Box::new(dashboard.callback())],
        ..Default::default()
    };
    model.fit_arrays(&x, &y, options).unwrap();
}

#[test]
fn the_dashboard_serves_fit_events_as_json_and_as_a_stream() {
    let dashboard = Dashboard::serve("127.0.0.1:0").unwrap();
    let address = dashboard.address();
    assert!(address.ip().is_loopback());
    // A page that connects before fit starts gets every event as it comes.
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    fit_with(&dashboard, 3);
    let mut events = Vec::new();
    for line in reader.by_ref().lines() {
        let line = line.unwrap();
        if let Some(data) = line.strip_prefix("data: ") {
            events.push(data.to_string());
            if data == "{\"type\":\"end\"}" {
                break;
            }
        }
    }
    assert!(
        events[0].starts_with(
            "{\"type\":\"begin\",\"first_epoch\":0,\"epochs\":3,\"steps_per_epoch\":1"
        ),
        "{}",
        events[0]
    );
    let epochs: Vec<&String> = events
        .iter()
        .filter(|e| e.contains("\"type\":\"epoch\""))
        .collect();
    assert_eq!(epochs.len(), 3, "{events:?}");
    assert!(
        epochs[2].contains("\"epoch\":3") && epochs[2].contains("\"accuracy\":"),
        "{}",
        epochs[2]
    );
    assert!(events.iter().any(|e| e.contains("\"type\":\"batch\"")));
    // The same events as one JSON array, for a page that connects late.
    let json = get(address, "/events.json");
    assert!(json.contains("application/json"), "{json}");
    assert_eq!(json.matches("\"type\":\"epoch\"").count(), 3);
    assert_eq!(
        dashboard.events_json().matches("\"type\":").count(),
        events.len()
    );
    let page = get(address, "/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("dashboard.js"));
    assert!(get(address, "/dashboard.js").contains("EventSource"));
    assert!(get(address, "/nope").starts_with("HTTP/1.1 404"));
    let post = raw(
        address,
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    let _ = raw(address, b"\xff\xfe junk\r\n\r\n");
    assert!(
        get(address, "/").starts_with("HTTP/1.1 200"),
        "still serving after junk"
    );
}

#[test]
fn the_dashboard_caps_open_streams() {
    let dashboard = Dashboard::serve("127.0.0.1:0").unwrap();
    let address = dashboard.address();
    let mut open = Vec::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        open.push(s);
    }
    let refused = get(address, "/events");
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    drop(open);
}
