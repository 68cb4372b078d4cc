//! The playground itself: points, a network built from the settings, and training by SGD on
//! binary cross-entropy, step by step, with the readings the page draws.

use crate::points::{PlayError, Point, EXTENT, MAX_POINTS};
use nnautograd::nntensor::{sigmoid, Rng, Tensor};
use nnautograd::Tape;
use nnlayers::{binary_cross_entropy_with_logits, Context, Reduction, Sequential};
use nnoptim::{Optimizer, Sgd};

/// The most hidden layers a playground network has.
pub const MAX_HIDDEN_LAYERS: usize = 4;

/// The most units in one hidden layer.
pub const MAX_UNITS: usize = 32;

/// The most training steps one [`Playground::train`] call runs.
pub const MAX_STEPS_PER_CALL: usize = 10_000;

/// The largest weight magnitude before training counts as diverged: points are in −1…1, so a
/// weight this large means the updates have blown up (with a learning rate of 1e30 the first
/// step gets there), even while the loss on logits stays finite.
pub const MAX_WEIGHT: f32 = 1e12;

/// The largest seed: 2^53, the largest whole number a JavaScript number (the page's) holds
/// exactly, so a seed reads the same in the URL, on the page and here.
pub const MAX_SEED: u64 = 1 << 53;

/// The finest probability grid, in cells per side.
pub const MAX_GRID: usize = 256;

/// The hidden layers' activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
}

impl Activation {
    /// The name used in the URL and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }
    }

    /// The activation called `name`.
    pub fn from_name(name: &str) -> Result<Activation, PlayError> {
        match name {
            "relu" => Ok(Activation::Relu),
            "tanh" => Ok(Activation::Tanh),
            "sigmoid" => Ok(Activation::Sigmoid),
            _ => Err(PlayError::new(format!(
                "no activation called {name:?}: use relu, tanh or sigmoid"
            ))),
        }
    }
}

/// What the playground trains: the network's shape, the learning rate, the batch size and the
/// seed of its initial weights and batch order.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Units per hidden layer; empty for the tutorial's single perceptron.
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// SGD's learning rate: finite and positive (a huge one diverges, and the page says so).
    pub learning_rate: f32,
    /// Points per step (the whole set when it has fewer).
    pub batch_size: usize,
    /// The seed of the initial weights and of the batch order (0 to [`MAX_SEED`]).
    pub seed: u64,
}

impl Default for Settings {
    /// The tutorial's perceptron: no hidden layer, learning rate 0.1, batches of 10, seed 1.
    fn default() -> Settings {
        Settings {
            hidden: Vec::new(),
            activation: Activation::Tanh,
            learning_rate: 0.1,
            batch_size: 10,
            seed: 1,
        }
    }
}

impl Settings {
    /// Checks the settings against the playground's caps.
    pub fn check(&self) -> Result<(), PlayError> {
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(PlayError::new(format!(
                "{} hidden layers asked for; the playground allows at most {MAX_HIDDEN_LAYERS}",
                self.hidden.len()
            )));
        }
        for (i, &units) in self.hidden.iter().enumerate() {
            if units == 0 || units > MAX_UNITS {
                return Err(PlayError::new(format!(
                    "hidden layer {} has {units} units; use 1 to {MAX_UNITS}",
                    i + 1
                )));
            }
        }
        if !self.learning_rate.is_finite() || self.learning_rate <= 0.0 {
            return Err(PlayError::new(format!(
                "learning rate {} must be a finite number above 0 (try 0.1)",
                self.learning_rate
            )));
        }
        if self.seed > MAX_SEED {
            return Err(PlayError::new(format!(
                "seed {} is above 2^53 = {MAX_SEED}, the largest the page can hold exactly",
                self.seed
            )));
        }
        if self.batch_size == 0 || self.batch_size > MAX_POINTS {
            return Err(PlayError::new(format!(
                "batch size {} must be 1 to {MAX_POINTS}",
                self.batch_size
            )));
        }
        Ok(())
    }
}

/// Points, a network and its training state.
///
/// ```
/// use nnplay::{Playground, Point, Preset, Settings};
/// let mut play = Playground::new(Settings::default()).unwrap();
/// play.set_points(Preset::CatsMice.generate(40, 0.1, 3).unwrap()).unwrap();
/// play.train(200).unwrap();
/// assert!(play.accuracy() >= 0.95);
/// let [w1, w2, b] = play.weights()[..] else { panic!("a perceptron has three weights") };
/// assert!(w1 > 0.0 && w2 > 0.0); // cats (class 1) are up and to the right
/// # let _ = b;
/// ```
#[derive(Debug)]
pub struct Playground {
    points: Vec<Point>,
    settings: Settings,
    network: Sequential,
    optimizer: Sgd,
    /// The batch order: a permutation of the points, walked from `cursor`.
    order: Vec<usize>,
    cursor: usize,
    rng: Rng,
    steps: u64,
    loss: f32,
    accuracy: f32,
    diverged: bool,
}

impl Playground {
    /// A playground with no points and a fresh network built from `settings`.
    pub fn new(settings: Settings) -> Result<Playground, PlayError> {
        settings.check()?;
        let mut play = Playground {
            points: Vec::new(),
            network: build_network(&settings),
            optimizer: Sgd::new(settings.learning_rate),
            rng: Rng::seed_from(settings.seed),
            settings,
            order: Vec::new(),
            cursor: 0,
            steps: 0,
            loss: f32::NAN,
            accuracy: f32::NAN,
            diverged: false,
        };
        play.measure();
        Ok(play)
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// New settings: the network is rebuilt from them and training starts over.
    pub fn set_settings(&mut self, settings: Settings) -> Result<(), PlayError> {
        settings.check()?;
        self.settings = settings;
        self.reset();
        Ok(())
    }

    /// A new learning rate, keeping the weights (the optimizer, plain SGD, has no state).
    pub fn set_learning_rate(&mut self, learning_rate: f32) -> Result<(), PlayError> {
        let settings = Settings {
            learning_rate,
            ..self.settings.clone()
        };
        settings.check()?;
        self.settings = settings;
        self.optimizer = Sgd::new(learning_rate);
        Ok(())
    }

    /// A new batch size, keeping the weights.
    pub fn set_batch_size(&mut self, batch_size: usize) -> Result<(), PlayError> {
        let settings = Settings {
            batch_size,
            ..self.settings.clone()
        };
        settings.check()?;
        self.settings = settings;
        Ok(())
    }

    /// The network back to its initial weights (from the seed), the step count to 0.
    pub fn reset(&mut self) {
        self.network = build_network(&self.settings);
        self.optimizer = Sgd::new(self.settings.learning_rate);
        self.rng = Rng::seed_from(self.settings.seed);
        self.order.clear();
        self.cursor = 0;
        self.steps = 0;
        self.diverged = false;
        self.measure();
    }

    /// The points.
    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// Replaces every point (at most [`MAX_POINTS`]).
    pub fn set_points(&mut self, points: Vec<Point>) -> Result<(), PlayError> {
        if points.len() > MAX_POINTS {
            return Err(PlayError::new(format!(
                "{} points given; the playground holds at most {MAX_POINTS}",
                points.len()
            )));
        }
        for p in &points {
            Point::new(p.x, p.y, p.class)?;
        }
        self.points = points;
        self.points_changed();
        Ok(())
    }

    /// Adds a point; returns its index.
    pub fn add_point(&mut self, point: Point) -> Result<usize, PlayError> {
        if self.points.len() >= MAX_POINTS {
            return Err(PlayError::new(format!(
                "the playground holds at most {MAX_POINTS} points: remove some or clear"
            )));
        }
        let point = Point::new(point.x, point.y, point.class)?;
        self.points.push(point);
        self.points_changed();
        Ok(self.points.len() - 1)
    }

    /// Moves point `index` to `(x, y)`.
    pub fn move_point(&mut self, index: usize, x: f32, y: f32) -> Result<(), PlayError> {
        let class = self.point(index)?.class;
        self.points[index] = Point::new(x, y, class)?;
        self.points_changed();
        Ok(())
    }

    /// Removes point `index` (the later points move down by one).
    pub fn remove_point(&mut self, index: usize) -> Result<(), PlayError> {
        self.point(index)?;
        self.points.remove(index);
        self.points_changed();
        Ok(())
    }

    /// Removes every point.
    pub fn clear_points(&mut self) {
        self.points.clear();
        self.points_changed();
    }

    /// The index of the point nearest `(x, y)` within `radius`, if any.
    pub fn nearest_point(&self, x: f32, y: f32, radius: f32) -> Option<usize> {
        self.points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, (p.x - x).powi(2) + (p.y - y).powi(2)))
            .filter(|&(_, d2)| d2 <= radius * radius)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    fn point(&self, index: usize) -> Result<&Point, PlayError> {
        self.points.get(index).ok_or_else(|| {
            PlayError::new(format!(
                "no point {index}: there are {} points",
                self.points.len()
            ))
        })
    }

    /// After any change to the points: a new batch order, the readings measured again.
    fn points_changed(&mut self) {
        self.order.clear();
        self.cursor = 0;
        self.measure();
    }

    /// Runs `steps` SGD steps (each on the next `batch_size` points of a shuffled order, a new
    /// order each time the points run out), then measures the loss and accuracy on every point.
    /// Does nothing with no points or once training has diverged.
    pub fn train(&mut self, steps: usize) -> Result<(), PlayError> {
        if steps > MAX_STEPS_PER_CALL {
            return Err(PlayError::new(format!(
                "{steps} steps asked for in one call; at most {MAX_STEPS_PER_CALL}"
            )));
        }
        if self.points.is_empty() || self.diverged {
            return Ok(());
        }
        for _ in 0..steps {
            let batch = self.next_batch();
            let (x, t) = inputs_and_targets(&self.points, &batch);
            let tape = Tape::new();
            let logits = self.network.forward(tape.constant(x), &mut Context::eval());
            let loss = binary_cross_entropy_with_logits(logits, &t, Reduction::Mean);
            let batch_loss = loss.item();
            let grads = loss.backward();
            self.optimizer
                .step(&mut self.network.parameters_mut(), &grads);
            self.steps += 1;
            let blown_up = |w: &f32| !w.is_finite() || w.abs() > MAX_WEIGHT;
            if !batch_loss.is_finite() || self.weights().iter().any(blown_up) {
                self.diverged = true;
                break;
            }
        }
        self.measure();
        Ok(())
    }

    /// The next batch's point indices.
    fn next_batch(&mut self) -> Vec<usize> {
        let size = self.settings.batch_size.min(self.points.len());
        let mut batch = Vec::with_capacity(size);
        while batch.len() < size {
            if self.cursor >= self.order.len() {
                self.order = self.rng.permutation(self.points.len());
                self.cursor = 0;
            }
            let take = (size - batch.len()).min(self.order.len() - self.cursor);
            batch.extend_from_slice(&self.order[self.cursor..self.cursor + take]);
            self.cursor += take;
        }
        batch
    }

    /// The loss and accuracy on every point (NaN with no points).
    fn measure(&mut self) {
        if self.points.is_empty() {
            self.loss = f32::NAN;
            self.accuracy = f32::NAN;
            return;
        }
        let all: Vec<usize> = (0..self.points.len()).collect();
        let (x, t) = inputs_and_targets(&self.points, &all);
        let tape = Tape::new();
        let (loss, correct) = tape.no_grad(|| {
            let logits = self.network.forward(tape.constant(x), &mut Context::eval());
            let correct = logits
                .value()
                .to_vec()
                .iter()
                .zip(&self.points)
                .filter(|(&z, p)| (z >= 0.0) == (p.class == 1))
                .count();
            let loss = binary_cross_entropy_with_logits(logits, &t, Reduction::Mean).item();
            (loss, correct)
        });
        self.loss = loss;
        self.accuracy = correct as f32 / self.points.len() as f32;
        if !self.loss.is_finite() {
            self.diverged = true;
        }
    }

    /// The mean binary cross-entropy over every point (NaN with no points).
    pub fn loss(&self) -> f32 {
        self.loss
    }

    /// The fraction of points on the right side of the boundary (NaN with no points).
    pub fn accuracy(&self) -> f32 {
        self.accuracy
    }

    /// Steps trained since the last reset.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether training blew up (the loss is no longer finite or a weight is beyond
    /// [`MAX_WEIGHT`]): reset to go on.
    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// Every weight, layer by layer (each layer's `(inputs, outputs)` matrix row by row, then
    /// its bias). The perceptron's are `[w1, w2, b]`: its boundary is `w1·x + w2·y + b = 0`.
    pub fn weights(&self) -> Vec<f32> {
        self.network
            .parameters()
            .iter()
            .flat_map(|p| p.value().to_vec())
            .collect()
    }

    /// The probability of class 1 (cat) at the centres of a `resolution × resolution` grid over
    /// the plane, row by row from the top (`y = 1`) down, each row from left (`x = −1`).
    pub fn grid(&self, resolution: usize) -> Result<Vec<f32>, PlayError> {
        if resolution == 0 || resolution > MAX_GRID {
            return Err(PlayError::new(format!(
                "grid resolution {resolution} must be 1 to {MAX_GRID}"
            )));
        }
        let cell = 2.0 * EXTENT / resolution as f32;
        let mut xy = Vec::with_capacity(2 * resolution * resolution);
        for row in 0..resolution {
            let y = EXTENT - (row as f32 + 0.5) * cell;
            for col in 0..resolution {
                xy.push(-EXTENT + (col as f32 + 0.5) * cell);
                xy.push(y);
            }
        }
        let x = Tensor::from_vec(vec![resolution * resolution, 2], xy).expect("two per cell");
        let tape = Tape::new();
        let logits = tape.no_grad(|| {
            self.network
                .forward(tape.constant(x), &mut Context::eval())
                .value()
                .clone()
        });
        Ok(sigmoid(&logits).to_vec())
    }

    /// A 64-bit FNV-1a hash of every weight's bits, the loss's and the accuracy's: equal
    /// fingerprints mean bit-identical training (the native and the WebAssembly runs compare
    /// them).
    pub fn fingerprint(&self) -> u64 {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let values = self.weights().into_iter().chain([self.loss, self.accuracy]);
        for v in values {
            for byte in v.to_bits().to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }
}

/// The network for `settings`: `2 → hidden… → 1` with the activation after each hidden layer and
/// a logit out.
fn build_network(settings: &Settings) -> Sequential {
    let mut network = Sequential::new(settings.seed);
    let mut inputs = 2;
    for &units in &settings.hidden {
        network = network.linear(inputs, units);
        network = match settings.activation {
            Activation::Relu => network.relu(),
            Activation::Tanh => network.tanh(),
            Activation::Sigmoid => network.sigmoid(),
        };
        inputs = units;
    }
    network.linear(inputs, 1)
}

/// The points `indices` as an `(n, 2)` input and an `(n, 1)` target.
fn inputs_and_targets(points: &[Point], indices: &[usize]) -> (Tensor, Tensor) {
    let n = indices.len();
    let xy = indices
        .iter()
        .flat_map(|&i| [points[i].x, points[i].y])
        .collect();
    let t = indices
        .iter()
        .map(|&i| f32::from(points[i].class))
        .collect();
    (
        Tensor::from_vec(vec![n, 2], xy).expect("two per point"),
        Tensor::from_vec(vec![n, 1], t).expect("one per point"),
    )
}
