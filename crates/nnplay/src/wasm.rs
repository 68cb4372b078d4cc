//! The page's API: [`WebPlayground`], exported to JavaScript with `wasm-bindgen` (built for
//! `wasm32-unknown-unknown` only). Every method that takes input from the page returns a
//! JavaScript error with the playground's message instead of panicking, and every point that
//! enters is rounded to the URL's precision ([`quantize`]) so that a link reproduces it exactly.

use crate::playground::{
    Activation, Playground, Settings, MAX_GRID, MAX_HIDDEN_LAYERS, MAX_SEED, MAX_STEPS_PER_CALL,
    MAX_UNITS,
};
use crate::points::{PlayError, Point, Preset, MAX_POINTS};
use crate::state::{decode_state, encode_state, quantize};
use wasm_bindgen::prelude::*;

fn js(e: PlayError) -> JsError {
    JsError::new(e.message())
}

/// A whole number from JavaScript (a count, an index, a size) in `0..=max`: NaN, fractions,
/// negative and huge numbers are refused rather than wrapped.
fn whole(name: &str, value: f64, max: usize) -> Result<usize, JsError> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= max as f64 {
        Ok(value as usize)
    } else {
        Err(JsError::new(&format!(
            "{name} {value} must be a whole number from 0 to {max}"
        )))
    }
}

/// A seed from JavaScript: a whole number from 0 to 2^53 (a JavaScript number holds those
/// exactly).
fn seed(value: f64) -> Result<u64, JsError> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_SEED as f64 {
        Ok(value as u64)
    } else {
        Err(JsError::new(&format!(
            "seed {value} must be a whole number from 0 to 2^53"
        )))
    }
}

/// The fixed training runs of `nnplay::parity_runs`, one line each: name, fingerprint (16 hex
/// digits), loss and accuracy: the test compares them with the native build's.
#[wasm_bindgen]
pub fn parity_fingerprints() -> String {
    crate::parity::parity_runs()
        .into_iter()
        .map(|run| {
            format!(
                "{} {:016x} {} {}",
                run.name, run.fingerprint, run.loss, run.accuracy
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A coordinate from JavaScript (an f64) as the f32 the playground keeps; NaN and infinities
/// stay what they are and are refused by the playground's checks.
fn coordinate(v: f64) -> f32 {
    v as f32
}

/// The playground as the page sees it.
#[wasm_bindgen]
pub struct WebPlayground {
    inner: Playground,
    warnings: Vec<String>,
}

#[wasm_bindgen]
impl WebPlayground {
    /// A playground from a URL fragment (empty for the defaults); see `warnings()` for the parts
    /// of it that were ignored.
    #[wasm_bindgen(constructor)]
    pub fn new(state: &str) -> WebPlayground {
        let (settings, points, warnings) = decode_state(state);
        let mut inner = Playground::new(settings).expect("decode_state returns checked settings");
        inner
            .set_points(points)
            .expect("decode_state returns checked points");
        WebPlayground { inner, warnings }
    }

    /// What the URL fragment given to the constructor had that could not be used, one message
    /// per line (empty if nothing).
    pub fn warnings(&self) -> String {
        self.warnings.join("\n")
    }

    /// The state as a URL fragment (without the `#`).
    pub fn state(&self) -> String {
        encode_state(self.inner.settings(), self.inner.points())
    }

    /// The settings as JSON: `{"hidden":"8,8","activation":"tanh","learning_rate":0.1,
    /// "batch_size":10,"seed":1}`.
    pub fn settings(&self) -> String {
        let s = self.inner.settings();
        let hidden: Vec<String> = s.hidden.iter().map(usize::to_string).collect();
        format!(
            "{{\"hidden\":\"{}\",\"activation\":\"{}\",\"learning_rate\":{},\"batch_size\":{},\"seed\":{}}}",
            hidden.join(","),
            s.activation.name(),
            s.learning_rate,
            s.batch_size,
            s.seed
        )
    }

    /// The caps the page states: `{"points":…,"layers":…,"units":…,"steps":…,"grid":…}`.
    pub fn caps() -> String {
        format!(
            "{{\"points\":{MAX_POINTS},\"layers\":{MAX_HIDDEN_LAYERS},\"units\":{MAX_UNITS},\
             \"steps\":{MAX_STEPS_PER_CALL},\"grid\":{MAX_GRID}}}"
        )
    }

    /// Adds a point of `class` (0 mouse, 1 cat) at `(x, y)`; returns its index.
    pub fn add_point(&mut self, x: f64, y: f64, class: f64) -> Result<usize, JsError> {
        let class = whole("class", class, 1)? as u8;
        let point = Point::new(coordinate(x), coordinate(y), class).map_err(js)?;
        self.inner.add_point(quantize(point)).map_err(js)
    }

    /// Moves point `index` to `(x, y)`.
    pub fn move_point(&mut self, index: f64, x: f64, y: f64) -> Result<(), JsError> {
        let index = whole("point index", index, MAX_POINTS)?;
        // Checked before rounding (rounding would turn NaN into 0); the class is the point's own.
        let p = quantize(Point::new(coordinate(x), coordinate(y), 0).map_err(js)?);
        self.inner.move_point(index, p.x, p.y).map_err(js)
    }

    /// Removes point `index`.
    pub fn remove_point(&mut self, index: f64) -> Result<(), JsError> {
        let index = whole("point index", index, MAX_POINTS)?;
        self.inner.remove_point(index).map_err(js)
    }

    /// The point nearest `(x, y)` within `radius`, or −1.
    pub fn nearest_point(&self, x: f64, y: f64, radius: f64) -> i32 {
        self.inner
            .nearest_point(coordinate(x), coordinate(y), coordinate(radius))
            .map_or(-1, |i| i as i32)
    }

    /// Removes every point.
    pub fn clear_points(&mut self) {
        self.inner.clear_points();
    }

    /// Replaces the points with `count` of the preset `name`, scattered by `noise` (0–1) and
    /// drawn from `seed`.
    pub fn load_preset(
        &mut self,
        name: &str,
        count: f64,
        noise: f64,
        seed_value: f64,
    ) -> Result<(), JsError> {
        let count = whole("point count", count, MAX_POINTS)?;
        let preset = Preset::from_name(name).map_err(js)?;
        let points = preset
            .generate(count, noise as f32, seed(seed_value)?)
            .map_err(js)?;
        self.inner
            .set_points(points.into_iter().map(quantize).collect())
            .map_err(js)
    }

    /// The points as `[x, y, class, x, y, class, …]`.
    pub fn points(&self) -> Vec<f32> {
        self.inner
            .points()
            .iter()
            .flat_map(|p| [p.x, p.y, f32::from(p.class)])
            .collect()
    }

    /// A new network: hidden layer sizes like `"8,8"` (empty for the perceptron), the
    /// activation's name, learning rate, batch size and seed. Training starts over.
    pub fn set_model(
        &mut self,
        hidden: &str,
        activation: &str,
        learning_rate: f64,
        batch_size: f64,
        seed_value: f64,
    ) -> Result<(), JsError> {
        let batch_size = whole("batch size", batch_size, MAX_POINTS)?;
        let hidden = if hidden.trim().is_empty() {
            Vec::new()
        } else {
            hidden
                .split(',')
                .map(|v| {
                    v.trim().parse::<usize>().map_err(|_| {
                        JsError::new(&format!(
                            "hidden layer size {v:?} is not a whole number (write sizes like 8,8)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let settings = Settings {
            hidden,
            activation: Activation::from_name(activation).map_err(js)?,
            learning_rate: learning_rate as f32,
            batch_size,
            seed: seed(seed_value)?,
        };
        self.inner.set_settings(settings).map_err(js)
    }

    /// A new learning rate, keeping the weights.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), JsError> {
        self.inner
            .set_learning_rate(learning_rate as f32)
            .map_err(js)
    }

    /// A new batch size, keeping the weights.
    pub fn set_batch_size(&mut self, batch_size: f64) -> Result<(), JsError> {
        let batch_size = whole("batch size", batch_size, MAX_POINTS)?;
        self.inner.set_batch_size(batch_size).map_err(js)
    }

    /// The weights back to their initial values.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Trains `steps` SGD steps.
    pub fn train(&mut self, steps: f64) -> Result<(), JsError> {
        let steps = whole("steps", steps, MAX_STEPS_PER_CALL)?;
        self.inner.train(steps).map_err(js)
    }

    /// The mean loss over every point (NaN with none).
    pub fn loss(&self) -> f32 {
        self.inner.loss()
    }

    /// The accuracy over every point (NaN with none).
    pub fn accuracy(&self) -> f32 {
        self.inner.accuracy()
    }

    /// Steps since the last reset.
    pub fn steps(&self) -> f64 {
        self.inner.steps() as f64
    }

    /// Whether training diverged.
    pub fn diverged(&self) -> bool {
        self.inner.diverged()
    }

    /// Every weight, layer by layer (the perceptron's: `[w1, w2, b]`).
    pub fn weights(&self) -> Vec<f32> {
        self.inner.weights()
    }

    /// The probability of a cat over a `resolution²` grid, rows from the top.
    pub fn grid(&self, resolution: f64) -> Result<Vec<f32>, JsError> {
        let resolution = whole("grid resolution", resolution, MAX_GRID)?;
        self.inner.grid(resolution).map_err(js)
    }

    /// The training fingerprint as 16 hex digits (see `Playground::fingerprint`).
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.inner.fingerprint())
    }
}
