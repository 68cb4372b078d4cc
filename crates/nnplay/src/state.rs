//! A playground's state (settings and points) as the text of a URL fragment, so that a link
//! reproduces a playground: `h=8,8&a=tanh&lr=0.1&b=10&s=1&p=450,-120,1_-300,200,0`.
//!
//! Coordinates are kept in thousandths (see [`quantize`]), so a state read back is the state
//! written. Reading never fails: each field that cannot be read is named in a warning and left at
//! its default, each point that cannot be read is skipped and counted.

use crate::playground::{Activation, Settings, MAX_SEED};
use crate::points::{Point, MAX_POINTS};

/// The longest state text read (a full playground needs about 16 KB).
pub const MAX_STATE_LEN: usize = 64 * 1024;

/// `p` with both coordinates rounded to thousandths, the URL's precision.
///
/// ```
/// use nnplay::{quantize, Point};
/// assert_eq!(quantize(Point { x: 0.12345, y: -0.5, class: 1 }).x, 0.123);
/// ```
pub fn quantize(p: Point) -> Point {
    Point {
        x: thousandths(p.x) as f32 / 1000.0,
        y: thousandths(p.y) as f32 / 1000.0,
        class: p.class,
    }
}

fn thousandths(v: f32) -> i32 {
    (v * 1000.0).round() as i32
}

/// The state text of `settings` and `points`.
///
/// ```
/// use nnplay::{decode_state, encode_state, Point, Settings};
/// let points = vec![Point { x: 0.5, y: -0.25, class: 1 }];
/// let text = encode_state(&Settings::default(), &points);
/// let (settings, read, warnings) = decode_state(&text);
/// assert_eq!((settings, read), (Settings::default(), points));
/// assert!(warnings.is_empty());
/// ```
pub fn encode_state(settings: &Settings, points: &[Point]) -> String {
    let hidden: Vec<String> = settings.hidden.iter().map(usize::to_string).collect();
    let points: Vec<String> = points
        .iter()
        .map(|p| format!("{},{},{}", thousandths(p.x), thousandths(p.y), p.class))
        .collect();
    format!(
        "h={}&a={}&lr={}&b={}&s={}&p={}",
        hidden.join(","),
        settings.activation.name(),
        settings.learning_rate,
        settings.batch_size,
        settings.seed,
        points.join("_")
    )
}

/// The settings and points in `text` (a URL fragment, with or without its `#`), and a warning
/// for each part that could not be read.
pub fn decode_state(text: &str) -> (Settings, Vec<Point>, Vec<String>) {
    let mut settings = Settings::default();
    let mut points = Vec::new();
    let mut warnings = Vec::new();
    if text.len() > MAX_STATE_LEN {
        warnings.push(format!(
            "the link's state is {} bytes, more than the {MAX_STATE_LEN} read: ignored",
            text.len()
        ));
        return (settings, points, warnings);
    }
    let text = text.strip_prefix('#').unwrap_or(text);
    for field in text.split('&').filter(|f| !f.is_empty()) {
        let (key, value) = field.split_once('=').unwrap_or((field, ""));
        let mut bad = |what: &str| {
            warnings.push(format!(
                "ignored {key}={}: {what}",
                value.chars().take(40).collect::<String>()
            ))
        };
        match key {
            "h" => match parse_hidden(value) {
                Some(hidden) => settings.hidden = hidden,
                None => bad("expected layer sizes like 8,8"),
            },
            "a" => match Activation::from_name(value) {
                Ok(a) => settings.activation = a,
                Err(_) => bad("expected relu, tanh or sigmoid"),
            },
            "lr" => match value.parse::<f32>() {
                Ok(lr) if lr.is_finite() && lr > 0.0 => settings.learning_rate = lr,
                _ => bad("expected a learning rate above 0"),
            },
            "b" => match value.parse::<usize>() {
                Ok(b) if (1..=MAX_POINTS).contains(&b) => settings.batch_size = b,
                _ => bad(&format!("expected a batch size of 1 to {MAX_POINTS}")),
            },
            "s" => match value.parse::<u64>() {
                Ok(s) if s <= MAX_SEED => settings.seed = s,
                _ => bad("expected a seed: a whole number from 0 to 2^53"),
            },
            "p" => {
                let mut skipped = 0;
                for item in value.split('_').filter(|i| !i.is_empty()) {
                    match parse_point(item) {
                        Some(p) if points.len() < MAX_POINTS => points.push(p),
                        _ => skipped += 1,
                    }
                }
                if skipped > 0 {
                    warnings.push(format!(
                        "skipped {skipped} points of the link that were not x,y,class in \
                         thousandths inside the plane (at most {MAX_POINTS} points)"
                    ));
                }
            }
            _ => bad("unknown field"),
        }
    }
    if let Err(e) = settings.check() {
        warnings.push(format!("ignored the link's model: {e}"));
        settings.hidden = Vec::new();
    }
    (settings, points, warnings)
}

/// `8,8` → `[8, 8]`; empty → the perceptron.
fn parse_hidden(value: &str) -> Option<Vec<usize>> {
    if value.is_empty() {
        return Some(Vec::new());
    }
    value.split(',').map(|v| v.parse().ok()).collect()
}

/// `450,-120,1` → the point (0.45, −0.12) of class 1.
fn parse_point(item: &str) -> Option<Point> {
    let mut parts = item.split(',');
    let x: i32 = parts.next()?.parse().ok()?;
    let y: i32 = parts.next()?.parse().ok()?;
    let class: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Point::new(x as f32 / 1000.0, y as f32 / 1000.0, class).ok()
}
