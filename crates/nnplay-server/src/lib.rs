//! # nnplay-server
//!
//! Builds `nnplay`'s browser playground and serves it: the `nnplay` crate
//! compiled for `wasm32-unknown-unknown` (profile `wasm-site`), `wasm-bindgen`'s bindings, the
//! page's files, and a small static server on `127.0.0.1`. The `playground` binary runs both:
//! `cargo run --release -p nnplay-server`.
//!
//! It depends on no ML crate, so the command compiles only this crate and `tiny_http` natively;
//! the ML crates are compiled once, for wasm32, by the site build. `nnplay`'s live dashboard
//! uses [`header`] and [`warn_if_public`] for its own server.
//!
//! ```
//! use nnplay_server::{content_type, public_warning, resolve};
//! use std::path::Path;
//! assert_eq!(resolve(Path::new("/site"), "/"), Some(Path::new("/site/index.html").into()));
//! assert_eq!(resolve(Path::new("/site"), "/../secret"), None);
//! assert_eq!(content_type(Path::new("nnplay_bg.wasm")), "application/wasm");
//! assert!(public_warning(&"127.0.0.1:8123".parse().unwrap()).is_none());
//! ```

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// The `wasm-bindgen` CLI version that matches the crate the page's bindings are made with.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// The default address of the playground's server.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8123";

/// The profile of the site build: release code without debug lines or cross-unit LTO (see the
/// workspace's `Cargo.toml`; a cold build of the bundle 49 -> 37 s, results unchanged).
pub const WASM_PROFILE: &str = "wasm-site";

/// The page's source files (HTML, CSS, JavaScript), kept in the `nnplay` crate next to the
/// bindings they call.
pub fn page_source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/nnplay-server is inside crates/")
        .join("nnplay/web")
}

/// The workspace's `target` folder (`CARGO_TARGET_DIR` when set, made absolute from the current
/// folder as cargo does).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| PathBuf::from(dir)),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("crates/nnplay-server is two folders below the workspace")
            .join("target"),
    }
}

/// Where [`build_site`] puts the complete site: the page's files and `pkg/` (the bindings and
/// the `.wasm`).
pub fn site_dir() -> PathBuf {
    target_dir().join("nnplay-web")
}

/// A step of building the site that failed, with what to do about it.
#[derive(Debug)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

/// Builds the site into [`site_dir`]: the `nnplay` crate for `wasm32-unknown-unknown` in the
/// [`WASM_PROFILE`] profile (cargo skips it when nothing changed), `wasm-bindgen --target web`
/// when the `.wasm` is newer than its bindings, and the page's files copied next to them.
/// Returns the site's folder. It builds the `nnplay` crate of this workspace (and its page from
/// `crates/nnplay/web/`), so it runs from a checkout of the repository.
pub fn build_site() -> Result<PathBuf, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args([
            "build",
            "--profile",
            WASM_PROFILE,
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "nnplay",
            "--lib",
            "--target-dir",
        ])
        .arg(target_dir())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|e| BuildError(format!("could not run {cargo}: {e}")))?;
    if !status.success() {
        return Err(BuildError(
            "building nnplay for wasm32-unknown-unknown failed (see above); if the target is \
             missing: rustup target add wasm32-unknown-unknown"
                .into(),
        ));
    }
    let wasm = target_dir()
        .join("wasm32-unknown-unknown")
        .join(WASM_PROFILE)
        .join("nnplay.wasm");
    let site = site_dir();
    let pkg = site.join("pkg");
    let bindings = pkg.join("nnplay_bg.wasm");
    if is_newer(&wasm, &bindings) {
        check_wasm_bindgen()?;
        let status = Command::new("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(&pkg)
            .arg(&wasm)
            .status()
            .map_err(|e| BuildError(format!("could not run wasm-bindgen: {e}")))?;
        if !status.success() {
            return Err(BuildError("wasm-bindgen failed (see above)".into()));
        }
    }
    copy_page(&page_source_dir(), &site)
        .map_err(|e| BuildError(format!("copying the page into {}: {e}", site.display())))?;
    Ok(site)
}

/// Whether `a` was modified after `b` (or `b` is missing).
fn is_newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a > b,
        _ => true,
    }
}

/// Checks that `wasm-bindgen` is installed at [`WASM_BINDGEN_VERSION`].
fn check_wasm_bindgen() -> Result<(), BuildError> {
    let install = format!("cargo install wasm-bindgen-cli --version {WASM_BINDGEN_VERSION}");
    let output = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map_err(|_| BuildError(format!("wasm-bindgen is not installed: {install}")))?;
    let version = String::from_utf8_lossy(&output.stdout);
    if !version.contains(WASM_BINDGEN_VERSION) {
        return Err(BuildError(format!(
            "wasm-bindgen {WASM_BINDGEN_VERSION} is needed (it must match the crate), found {}: \
             {install}",
            version.trim()
        )));
    }
    Ok(())
}

/// Copies the page's files (one folder, no subfolders) into `site`.
fn copy_page(source: &Path, site: &Path) -> io::Result<()> {
    fs::create_dir_all(site)?;
    for entry in fs::read_dir(source)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::copy(entry.path(), site.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// The `Content-Type` of a file served by [`serve_dir`].
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that a request's URL names, if it is a plain path inside `root` (no
/// `..`, no absolute path, query and fragment dropped); `/` is `index.html`.
pub fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = path.strip_prefix('/')?;
    let path = if path.is_empty() { "index.html" } else { path };
    let relative = Path::new(path);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The warning for an address that is not a loopback address (the server then answers anyone
/// who can reach this machine), or `None` for 127.0.0.1 and ::1.
///
/// ```
/// use nnplay_server::public_warning;
/// assert!(public_warning(&"127.0.0.1:8123".parse().unwrap()).is_none());
/// assert!(public_warning(&"0.0.0.0:8123".parse().unwrap()).unwrap().contains("other machines"));
/// ```
pub fn public_warning(address: &SocketAddr) -> Option<String> {
    (!address.ip().is_loopback()).then(|| {
        format!(
            "warning: serving on {address}, which other machines can reach; the default is \
             127.0.0.1 (this machine only)"
        )
    })
}

/// Prints [`public_warning`] to stderr, if any.
pub fn warn_if_public(address: &SocketAddr) {
    if let Some(warning) = public_warning(address) {
        eprintln!("{warning}");
    }
}

/// Serves the files under `root` on `address` until the process ends: GET and HEAD only, every
/// other method 405, paths outside `root` or missing 404. `ready` is called with the bound
/// address once the server listens (port 0 picks a free port).
pub fn serve_dir(
    root: &Path,
    address: &str,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let server =
        tiny_http::Server::http(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or("the server is not on an IP address")?;
    warn_if_public(&bound);
    ready(bound);
    for request in server.incoming_requests() {
        let response = match request.method() {
            tiny_http::Method::Get | tiny_http::Method::Head => {
                match resolve(root, request.url()).and_then(|p| fs::read(&p).ok().map(|b| (p, b))) {
                    Some((path, bytes)) => tiny_http::Response::from_data(bytes)
                        .with_header(header("Content-Type", content_type(&path))),
                    None => tiny_http::Response::from_string("not found").with_status_code(404),
                }
            }
            _ => tiny_http::Response::from_string("only GET and HEAD are served")
                .with_status_code(405),
        };
        let response = response.with_header(header("Cache-Control", "no-cache"));
        // A client that went away mid-response is not the server's problem.
        let _ = request.respond(response);
    }
    Ok(())
}

/// A response header; panics unless `name` and `value` are ASCII (callers pass fixed strings).
pub fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("an ASCII header")
}
