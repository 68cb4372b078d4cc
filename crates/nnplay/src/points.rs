//! The playground's points and the preset data sets (the tutorial's cats and mice, XOR, two
//! circles, a spiral).

use nnautograd::nntensor::Rng;
use std::fmt;

/// Half the side of the square the points live in: both coordinates are in `-EXTENT..=EXTENT`.
pub const EXTENT: f32 = 1.0;

/// The most points a playground holds (the page says so).
pub const MAX_POINTS: usize = 1000;

/// One labelled point: `x` (height) and `y` (weight), standardised to `-1..=1`, and its class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The first coordinate (the tutorial's height).
    pub x: f32,
    /// The second coordinate (the tutorial's weight).
    pub y: f32,
    /// The class: 1 (cat, orange on the page) or 0 (mouse, blue).
    pub class: u8,
}

impl Point {
    /// A point, checked: finite coordinates inside the square, class 0 or 1.
    ///
    /// ```
    /// use nnplay::Point;
    /// assert!(Point::new(0.5, -0.25, 1).is_ok());
    /// assert!(Point::new(f32::NAN, 0.0, 1).is_err());
    /// ```
    pub fn new(x: f32, y: f32, class: u8) -> Result<Point, PlayError> {
        check_coordinate("x", x)?;
        check_coordinate("y", y)?;
        if class > 1 {
            return Err(PlayError::new(format!(
                "class {class} is not a class here: use 0 (mouse) or 1 (cat)"
            )));
        }
        Ok(Point { x, y, class })
    }
}

/// A coordinate must be a finite number inside the square.
fn check_coordinate(name: &str, value: f32) -> Result<(), PlayError> {
    if !value.is_finite() || value.abs() > EXTENT {
        return Err(PlayError::new(format!(
            "coordinate {name} = {value} is outside the plane: expected a finite number in \
             -{EXTENT}..={EXTENT}"
        )));
    }
    Ok(())
}

/// An input the playground refuses, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayError {
    message: String,
}

impl PlayError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> PlayError {
        PlayError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PlayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PlayError {}

/// The preset data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The perceptron tutorial's animals: small light mice and larger heavier cats, two clouds
    /// a straight line separates.
    CatsMice,
    /// Four quadrants, class 1 where `x·y > 0`: no straight line separates them.
    Xor,
    /// A disc of one class inside a ring of the other.
    Circles,
    /// Two interleaved spirals.
    Spiral,
}

impl Preset {
    /// Every preset, in the page's order.
    pub const ALL: [Preset; 4] = [
        Preset::CatsMice,
        Preset::Xor,
        Preset::Circles,
        Preset::Spiral,
    ];

    /// The name used in the URL and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Preset::CatsMice => "cats-mice",
            Preset::Xor => "xor",
            Preset::Circles => "circles",
            Preset::Spiral => "spiral",
        }
    }

    /// The preset called `name`.
    ///
    /// ```
    /// use nnplay::Preset;
    /// assert_eq!(Preset::from_name("xor").unwrap(), Preset::Xor);
    /// assert!(Preset::from_name("moons").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Preset, PlayError> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                PlayError::new(format!(
                    "no preset called {name:?}: use one of cats-mice, xor, circles, spiral"
                ))
            })
    }

    /// `count` points of this preset (half of each class), scattered by `noise` (0 = clean, 1
    /// = heavily overlapping) and drawn from `seed`: the same arguments give the same points.
    ///
    /// ```
    /// use nnplay::Preset;
    /// let points = Preset::CatsMice.generate(40, 0.2, 7).unwrap();
    /// assert_eq!(points.len(), 40);
    /// assert_eq!(points.iter().filter(|p| p.class == 1).count(), 20);
    /// ```
    pub fn generate(self, count: usize, noise: f32, seed: u64) -> Result<Vec<Point>, PlayError> {
        if count > MAX_POINTS {
            return Err(PlayError::new(format!(
                "{count} points asked for; the playground holds at most {MAX_POINTS}"
            )));
        }
        if !(0.0..=1.0).contains(&noise) {
            return Err(PlayError::new(format!(
                "noise {noise} is outside 0..=1 (0 = clean, 1 = heavily overlapping)"
            )));
        }
        // libm's sine and cosine, not the platform's: the same points natively and in WebAssembly.
        let mut rng = Rng::seed_from(seed);
        let points = (0..count)
            .map(|i| {
                let class = (i % 2) as u8;
                let (x, y) = match self {
                    Preset::CatsMice => {
                        let centre = if class == 1 { 0.45 } else { -0.45 };
                        let spread = 0.1 + 0.3 * noise;
                        (
                            centre + spread * rng.normal(),
                            centre + spread * rng.normal(),
                        )
                    }
                    Preset::Xor => {
                        // A point in a quadrant of its class, kept off the axes, then jittered.
                        let (mut x, mut y) = (rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95));
                        if rng.below(2) == 1 {
                            x = -x;
                            if class == 1 {
                                y = -y;
                            }
                        } else if class == 0 {
                            y = -y;
                        }
                        (
                            x + 0.3 * noise * rng.normal(),
                            y + 0.3 * noise * rng.normal(),
                        )
                    }
                    Preset::Circles => {
                        let radius = if class == 1 {
                            rng.uniform(0.0, 0.35)
                        } else {
                            rng.uniform(0.6, 0.9)
                        };
                        let angle = rng.uniform(0.0, std::f32::consts::TAU);
                        (
                            libm::cosf(angle) * radius + 0.2 * noise * rng.normal(),
                            libm::sinf(angle) * radius + 0.2 * noise * rng.normal(),
                        )
                    }
                    Preset::Spiral => {
                        let t = (i / 2) as f32 / (count / 2).max(1) as f32;
                        let radius = 0.05 + 0.85 * t;
                        let angle = 1.75 * std::f32::consts::TAU * t
                            + if class == 1 {
                                std::f32::consts::PI
                            } else {
                                0.0
                            };
                        (
                            libm::sinf(angle) * radius + 0.15 * noise * rng.normal(),
                            libm::cosf(angle) * radius + 0.15 * noise * rng.normal(),
                        )
                    }
                };
                Point {
                    x: x.clamp(-EXTENT, EXTENT),
                    y: y.clamp(-EXTENT, EXTENT),
                    class,
                }
            })
            .collect();
        Ok(points)
    }
}
