//! A live dashboard for any native `fit`, like TensorBoard's scalars: the model summary, the
//! epoch's progress and the loss and metric curves for training and validation, streamed to a
//! page over server-sent events (native only).
//!
//! ```no_run
//! use nnplay::Dashboard;
//! use nntrain::FitOptions;
//! let dashboard = Dashboard::serve("127.0.0.1:6006").unwrap();
//! println!("dashboard: {}", dashboard.url());
//! let options = FitOptions { callbacks: vec![Box::new(dashboard.callback())], ..Default::default() };
//! # let _ = options;
//! ```

use nnlayers::Sequential;
use nnplay_server::{header, warn_if_public};
use nntrain::{Callback, Control, EpochEnd, TrainBegin, TrainError};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The default address (TensorBoard's port, this machine only).
pub const DEFAULT_DASHBOARD_ADDRESS: &str = "127.0.0.1:6006";

/// Batch events sent at most this often; the latest batch always reaches the page with the next
/// one or the epoch's end.
const BATCH_EVENT_INTERVAL: Duration = Duration::from_millis(100);

/// Events kept for pages that connect late: beyond this, every other batch event of the older
/// half is dropped, which holds a long run near twice this count (epoch events are all kept).
const MAX_EVENTS: usize = 20_000;

/// Event streams open at once; more are refused with 503.
const MAX_STREAMS: usize = 16;

/// How long a stream waits for an event before sending a keep-alive comment (which also finds
/// pages that have gone away).
const KEEP_ALIVE: Duration = Duration::from_secs(10);

const PAGE: &str = include_str!("../web/dashboard/index.html");
const SCRIPT: &str = include_str!("../web/dashboard/dashboard.js");
const STYLE: &str = include_str!("../web/dashboard/dashboard.css");

/// What the dashboard has seen, as the JSON events the page draws.
#[derive(Default)]
struct Board {
    /// The events kept (each a JSON object), in order: every one, except older batch events
    /// thinned out beyond [`MAX_EVENTS`].
    events: Vec<Event>,
    /// Events ever pushed; the next event's sequence number.
    total: usize,
    /// The length at which the next thinning runs (so that a list with few batch events left to
    /// thin is not scanned on every push).
    thin_at: usize,
    last_batch_sent: Option<Instant>,
    /// The latest batch not yet sent: (epoch, step, loss).
    pending_batch: Option<(usize, usize, f32)>,
}

/// One event: its sequence number (from 0, in push order), its kind (batch events may be
/// thinned) and its JSON.
struct Event {
    seq: usize,
    is_batch: bool,
    json: String,
}

struct Shared {
    board: Mutex<Board>,
    changed: Condvar,
    streams: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Board> {
        // A panic while holding the lock leaves plain data behind: keep serving it.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, board: &mut Board, is_batch: bool, json: String) {
        let seq = board.total;
        board.events.push(Event {
            seq,
            is_batch,
            json,
        });
        board.total += 1;
        if board.events.len() > board.thin_at.max(MAX_EVENTS) {
            // Keep every other batch event of the older half: the curves keep their shape.
            let half = board.events.len() / 2;
            let (mut index, mut batch) = (0, 0);
            board.events.retain(|e| {
                index += 1;
                if index > half || !e.is_batch {
                    return true;
                }
                batch += 1;
                batch % 2 == 0
            });
            // Run again only after another half of MAX_EVENTS: at most one scan per 10,000
            // pushes, however few batch events are left (epoch events are never dropped).
            board.thin_at = board.events.len() + MAX_EVENTS / 2;
        }
        self.changed.notify_all();
    }
}

/// A running dashboard server. Pass [`Dashboard::callback`] to `fit`; the page stays up until
/// this value is dropped.
pub struct Dashboard {
    shared: Arc<Shared>,
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
}

/// Why a dashboard could not start.
#[derive(Debug)]
pub struct DashboardError(String);

impl std::fmt::Display for DashboardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DashboardError {}

impl Dashboard {
    /// Starts the dashboard's server on `address` (`127.0.0.1:6006`, or port 0 for any free
    /// port) on its own threads. An address other machines can reach is served with a warning.
    pub fn serve(address: &str) -> Result<Dashboard, DashboardError> {
        let server = tiny_http::Server::http(address)
            .map_err(|e| DashboardError(format!("dashboard: cannot listen on {address}: {e}")))?;
        let bound = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| DashboardError(format!("dashboard: {address} is not an IP address")))?;
        warn_if_public(&bound);
        let shared = Arc::new(Shared {
            board: Mutex::new(Board::default()),
            changed: Condvar::new(),
            streams: AtomicUsize::new(0),
        });
        let server = Arc::new(server);
        let (accepting, for_requests) = (Arc::clone(&server), Arc::clone(&shared));
        thread::Builder::new()
            .name("nnplay-dashboard".into())
            .spawn(move || {
                for request in accepting.incoming_requests() {
                    let shared = Arc::clone(&for_requests);
                    // One thread per request: an event stream stays open for the whole fit.
                    let spawned = thread::Builder::new()
                        .name("nnplay-dashboard-request".into())
                        .spawn(move || answer(request, &shared));
                    if spawned.is_err() {
                        // Out of threads: this request is dropped, the server goes on.
                        continue;
                    }
                }
            })
            .map_err(|e| DashboardError(format!("dashboard: cannot start its thread: {e}")))?;
        Ok(Dashboard {
            shared,
            server,
            address: bound,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// A callback for `FitOptions::callbacks` that feeds this dashboard (several fits may feed
    /// one dashboard in turn).
    pub fn callback(&self) -> DashboardCallback {
        DashboardCallback {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Every event so far, as a JSON array (what `/events.json` serves).
    pub fn events_json(&self) -> String {
        events_json(&self.shared.lock())
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.server.unblock();
        // Streams waiting for events wake up, find the end and close.
        let mut board = self.shared.lock();
        self.shared
            .push(&mut board, false, "{\"type\":\"closed\"}".into());
    }
}

fn events_json(board: &Board) -> String {
    let mut json = String::from("[");
    for (i, e) in board.events.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&e.json);
    }
    json.push(']');
    json
}

/// The `fit` callback of a [`Dashboard`].
pub struct DashboardCallback {
    shared: Arc<Shared>,
}

impl DashboardCallback {
    /// Sends the pending batch, if any.
    fn flush_batch(&self, board: &mut Board) {
        if let Some((epoch, step, loss)) = board.pending_batch.take() {
            board.last_batch_sent = Some(Instant::now());
            let loss = json_number(f64::from(loss));
            self.shared.push(
                board,
                true,
                format!("{{\"type\":\"batch\",\"epoch\":{epoch},\"step\":{step},\"loss\":{loss}}}"),
            );
        }
    }
}

impl Callback for DashboardCallback {
    fn on_train_begin(&mut self, begin: &TrainBegin) {
        let mut board = self.shared.lock();
        let summary = json_string(begin.summary.as_deref().unwrap_or(""));
        let json = format!(
            "{{\"type\":\"begin\",\"first_epoch\":{},\"epochs\":{},\"steps_per_epoch\":{},\
             \"rows\":{},\"validation\":{},\"summary\":{summary}}}",
            begin.first_epoch, begin.epochs, begin.steps_per_epoch, begin.rows, begin.validation
        );
        self.shared.push(&mut board, false, json);
    }

    fn on_batch_end(&mut self, epoch: usize, step: usize, loss: f32) -> Control {
        // The cheap part runs every batch: one lock and a clock read; an event at most every
        // BATCH_EVENT_INTERVAL.
        let mut board = self.shared.lock();
        board.pending_batch = Some((epoch, step, loss));
        let due = board
            .last_batch_sent
            .is_none_or(|t| t.elapsed() >= BATCH_EVENT_INTERVAL);
        if due {
            self.flush_batch(&mut board);
        }
        Control::Continue
    }

    fn on_epoch_end(&mut self, end: &mut EpochEnd<'_>) -> Result<Control, TrainError> {
        let mut board = self.shared.lock();
        self.flush_batch(&mut board);
        let logs: Vec<String> = end
            .logs
            .iter()
            .map(|(name, value)| format!("{}:{}", json_string(name), json_number(*value)))
            .collect();
        let json = format!(
            "{{\"type\":\"epoch\",\"epoch\":{},\"logs\":{{{}}}}}",
            end.epoch,
            logs.join(",")
        );
        self.shared.push(&mut board, false, json);
        Ok(Control::Continue)
    }

    fn on_train_end(&mut self, _network: &mut Sequential) {
        let mut board = self.shared.lock();
        self.flush_batch(&mut board);
        self.shared
            .push(&mut board, false, "{\"type\":\"end\"}".into());
    }
}

/// A JSON number, or `null` for NaN and infinities (which JSON cannot hold).
fn json_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Answers one request: the page, its script and style, the events as JSON, or the event stream.
fn answer(request: tiny_http::Request, shared: &Shared) {
    let text = |body: &str, kind: &str| {
        tiny_http::Response::from_string(body)
            .with_header(header("Content-Type", kind))
            .with_header(header("Cache-Control", "no-cache"))
    };
    if !matches!(request.method(), tiny_http::Method::Get) {
        let _ = request.respond(text("only GET is served", "text/plain").with_status_code(405));
        return;
    }
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let response = match path.as_str() {
        "/" | "/index.html" => text(PAGE, "text/html; charset=utf-8"),
        "/dashboard.js" => text(SCRIPT, "text/javascript; charset=utf-8"),
        "/dashboard.css" => text(STYLE, "text/css; charset=utf-8"),
        "/events.json" => text(&events_json(&shared.lock()), "application/json"),
        "/events" => {
            stream(request, shared);
            return;
        }
        _ => text("not found", "text/plain").with_status_code(404),
    };
    let _ = request.respond(response);
}

/// The event stream (`text/event-stream`): every event kept so far, then each new one as it
/// comes, until the page goes away or the dashboard is dropped.
///
/// A client that connects and then stops reading blocks this thread in `write_all` (tiny_http's
/// writer has no timeout) and keeps its slot of [`MAX_STREAMS`]; on the default loopback
/// address only local programs can do that.
fn stream(request: tiny_http::Request, shared: &Shared) {
    if shared.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
        shared.streams.fetch_sub(1, Ordering::SeqCst);
        let busy = tiny_http::Response::from_string("too many dashboard pages are open")
            .with_status_code(503);
        let _ = request.respond(busy);
        return;
    }
    let mut writer = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
                Connection: close\r\n\r\n";
    let mut seen = 0;
    let mut ok = writer.write_all(head.as_bytes()).is_ok() && writer.flush().is_ok();
    while ok {
        let mut chunk = String::new();
        let mut closed = false;
        {
            let board = shared.lock();
            let (board, _) = shared
                .changed
                .wait_timeout_while(board, KEEP_ALIVE, |b| b.total <= seen)
                .unwrap_or_else(|e| e.into_inner());
            // The events not sent yet: sequence numbers from `seen` on (some may have been
            // thinned out meanwhile; those are simply not sent).
            let first = board.events.partition_point(|e| e.seq < seen);
            for e in &board.events[first..] {
                chunk.push_str("data: ");
                chunk.push_str(&e.json);
                chunk.push_str("\n\n");
                closed |= e.json == "{\"type\":\"closed\"}";
            }
            seen = board.total;
        }
        if chunk.is_empty() {
            chunk.push_str(": keep-alive\n\n");
        }
        ok = writer.write_all(chunk.as_bytes()).is_ok() && writer.flush().is_ok() && !closed;
    }
    shared.streams.fetch_sub(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared {
            board: Mutex::new(Board::default()),
            changed: Condvar::new(),
            streams: AtomicUsize::new(0),
        }
    }

    #[test]
    fn thinning_keeps_every_epoch_event_and_the_sequence_order() {
        let shared = shared();
        let mut board = shared.lock();
        for i in 0..60_000 {
            let epoch = i % 100 == 0;
            shared.push(&mut board, !epoch, format!("{{\"i\":{i}}}"));
        }
        assert!(
            board.events.len() <= 2 * MAX_EVENTS,
            "{}",
            board.events.len()
        );
        assert_eq!(board.total, 60_000);
        assert!(board.events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(board.events.iter().filter(|e| !e.is_batch).count(), 600);
        // The newest events are all there: what a stream that had seen 59,000 would send next.
        let first = board.events.partition_point(|e| e.seq < 59_000);
        assert_eq!(board.events.len() - first, 1000);
        assert_eq!(board.events[first].json, "{\"i\":59000}");
    }

    #[test]
    fn json_strings_and_numbers_are_escaped_and_never_nan() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(json_number(f64::NAN), "null");
        assert_eq!(json_number(f64::INFINITY), "null");
        assert_eq!(json_number(0.25), "0.25");
    }
}
