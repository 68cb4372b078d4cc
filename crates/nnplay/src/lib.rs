//! # nnplay
//!
//! A playground in the browser that trains with nnfacade's own crates compiled to WebAssembly:
//! points of two classes on a plane (the perceptron tutorial's cats and mice, or XOR, circles, a
//! spiral), a network of your choosing, and its probability field redrawn while it learns.
//!
//! - [`Playground`]: points, a network built from [`Settings`], SGD steps, the loss, accuracy,
//!   weights and probability grid. Plain Rust: the same code runs natively (tests) and in the
//!   page, with bit-identical results for the same seed ([`parity_runs`]).
//! - [`Preset`]: the preset data sets; [`encode_state`] / [`decode_state`]: the state in the URL.
//! - `WebPlayground` (wasm32 only): the page's bindings, made with `wasm-bindgen`.
//! - The page itself lives in `web/`; the `nnplay-server` crate builds this crate for wasm32 and
//!   serves the page on 127.0.0.1 (`cargo run --release -p nnplay-server`).
//! - [`Dashboard`] (native): a live page for any `fit`, with the model summary, the epoch's
//!   progress and the loss and metric curves, streamed over server-sent events.
//!
//! ```
//! use nnplay::{Activation, Playground, Preset, Settings};
//! let settings = Settings { hidden: vec![8], activation: Activation::Tanh, learning_rate: 0.3, ..Settings::default() };
//! let mut play = Playground::new(settings).unwrap();
//! play.set_points(Preset::Xor.generate(100, 0.0, 2).unwrap()).unwrap();
//! play.train(2000).unwrap();
//! assert_eq!(play.accuracy(), 1.0);
//! ```

mod parity;
mod playground;
mod points;
mod state;

#[cfg(not(target_arch = "wasm32"))]
mod dashboard;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(not(target_arch = "wasm32"))]
pub use dashboard::{Dashboard, DashboardCallback, DashboardError, DEFAULT_DASHBOARD_ADDRESS};
pub use parity::{parity_runs, ParityRun};
pub use playground::{
    Activation, Playground, Settings, MAX_GRID, MAX_HIDDEN_LAYERS, MAX_SEED, MAX_STEPS_PER_CALL,
    MAX_UNITS, MAX_WEIGHT,
};
pub use points::{PlayError, Point, Preset, EXTENT, MAX_POINTS};
pub use state::{decode_state, encode_state, quantize, MAX_STATE_LEN};
#[cfg(target_arch = "wasm32")]
pub use wasm::{parity_fingerprints, WebPlayground};
