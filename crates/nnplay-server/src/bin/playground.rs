//! Opens the playground: builds the WebAssembly bundle if needed and serves the page.
//!
//! Run: `cargo run --release -p nnplay-server [-- --addr HOST:PORT] [--no-build]
//! [--build-only]`. The address defaults to 127.0.0.1:8123 (this machine only); another host is
//! served with a warning. `--no-build` serves the site already in `target/nnplay-web`;
//! `--build-only` builds it there and exits (to publish it as a static site: docs/playground.md).

use nnplay_server::{build_site, serve_dir, site_dir, DEFAULT_ADDRESS};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut address = DEFAULT_ADDRESS.to_string();
    let mut build = true;
    let mut serve = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => match args.next() {
                Some(a) => address = a,
                None => return usage("--addr needs HOST:PORT"),
            },
            "--no-build" => build = false,
            "--build-only" => serve = false,
            "-h" | "--help" => return usage(""),
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let site = if build {
        match build_site() {
            Ok(site) => site,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        site_dir()
    };
    if !serve {
        println!("site built in {}", site.display());
        return ExitCode::SUCCESS;
    }
    if !site.join("pkg/nnplay_bg.wasm").is_file() {
        eprintln!(
            "error: no WebAssembly bundle in {}: run without --no-build",
            site.display()
        );
        return ExitCode::FAILURE;
    }
    let served = serve_dir(&site, &address, |bound| {
        println!("playground: http://{bound}/ (serving {})", site.display());
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!(
        "usage: playground [--addr HOST:PORT] [--no-build] [--build-only]   (default \
         {DEFAULT_ADDRESS})"
    );
    if problem.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
