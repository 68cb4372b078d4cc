//! Plots as SVG: learning curves from a `History`, and a 2-D classifier's decision boundary.

use crate::{History, Model, TrainError};
use nnautograd::nntensor::Tensor;
use nndata::Dataset;
use plotters::prelude::*;
use std::path::Path;

fn plot_error(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Io {
        path: path.into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// `(min, max)` of finite values, padded so a flat series still gets a visible range.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

impl History {
    /// Draws the learning curves as an SVG: losses on the left, other metrics on the right,
    /// training solid and validation dashed-colour-matched, one point per epoch.
    pub fn plot_svg(&self, path: impl AsRef<Path>, title: &str) -> Result<(), TrainError> {
        let path = path.as_ref();
        let err = |e: &dyn std::fmt::Display| plot_error(path, e);
        let root = SVGBackend::new(path, (960, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let root = root
            .titled(title, ("sans-serif", 20))
            .map_err(|e| err(&e))?;
        let (left, right) = root.split_horizontally(480);
        let losses: Vec<&(String, Vec<f64>)> = self
            .series
            .iter()
            .filter(|(n, _)| n.ends_with("loss"))
            .collect();
        let others: Vec<&(String, Vec<f64>)> = self
            .series
            .iter()
            .filter(|(n, _)| !n.ends_with("loss"))
            .collect();
        for (area, group, label) in [(&left, losses, "loss"), (&right, others, "metric")] {
            if group.is_empty() {
                continue;
            }
            let first = *self.epochs.first().unwrap_or(&1) as f64;
            let last = (*self.epochs.last().unwrap_or(&1) as f64).max(first + 1.0);
            let (lo, hi) = range(group.iter().flat_map(|(_, v)| v.iter().copied()));
            let mut chart = ChartBuilder::on(area)
                .margin(15)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d(first..last, lo..hi)
                .map_err(|e| err(&e))?;
            let ticks = self.epochs.len().clamp(2, 10);
            chart
                .configure_mesh()
                .x_labels(ticks)
                .x_label_formatter(&|e| format!("{e:.0}"))
                .x_desc("epoch")
                .y_desc(label)
                .draw()
                .map_err(|e| err(&e))?;
            for (i, (name, values)) in group.iter().enumerate() {
                let base = name.trim_start_matches("val_");
                let slot = self.series.iter().position(|(n, _)| n == base).unwrap_or(i);
                let color = COLORS[slot % COLORS.len()];
                let style = if name.starts_with("val_") {
                    color.mix(0.6).stroke_width(2)
                } else {
                    color.stroke_width(2)
                };
                let points: Vec<(f64, f64)> = self
                    .epochs
                    .iter()
                    .zip(values.iter())
                    .filter(|(_, v)| v.is_finite())
                    .map(|(&e, &v)| (e as f64, v))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(|e| err(&e))?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))
    }
}

/// Draws a 2-D classifier's decision regions (shaded by predicted class) with the data points
/// on top, as an SVG. `data` has 2 input features; its targets are 0/1 (one output) or class
/// indices. The model must map 2 features to one probability or to class scores.
pub fn plot_decision_boundary(
    model: &Model,
    data: &Dataset,
    path: impl AsRef<Path>,
    title: &str,
) -> Result<(), TrainError> {
    let path = path.as_ref();
    let err = |e: &dyn std::fmt::Display| plot_error(path, e);
    let x = data.inputs();
    if x.ndim() != 2 || x.shape()[1] != 2 {
        return Err(TrainError::InvalidOption(format!(
            "plot_decision_boundary needs 2 input features, the data has shape {:?}",
            x.shape()
        )));
    }
    let (x0, x1) = range((0..data.len()).map(|i| x[[i, 0]] as f64));
    let (y0, y1) = range((0..data.len()).map(|i| x[[i, 1]] as f64));
    const CELLS: usize = 120;
    let cells: Vec<f32> = (0..CELLS * CELLS)
        .flat_map(|i| {
            let (row, col) = (i / CELLS, i % CELLS);
            [
                (x0 + (x1 - x0) * (col as f64 + 0.5) / CELLS as f64) as f32,
                (y0 + (y1 - y0) * (row as f64 + 0.5) / CELLS as f64) as f32,
            ]
        })
        .collect();
    let grid = Tensor::from_vec([CELLS * CELLS, 2], cells).expect("two values per cell");
    let predicted = model.predict(&grid)?;
    let predicted_values = predicted.values();
    let width = predicted.shape().get(1).copied().unwrap_or(1);
    let class_of = |row: usize| -> usize {
        let scores = &predicted_values[row * width..(row + 1) * width];
        if scores.len() == 1 {
            let threshold = if model.loss() == Some(crate::Loss::BinaryCrossEntropyWithLogits) {
                0.0
            } else {
                0.5
            };
            (scores[0] > threshold) as usize
        } else {
            scores
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (c, &s)| {
                    if s > best.1 {
                        (c, s)
                    } else {
                        best
                    }
                })
                .0
        }
    };
    let root = SVGBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("feature 1")
        .y_desc("feature 2")
        .draw()
        .map_err(|e| err(&e))?;
    let (dx, dy) = ((x1 - x0) / CELLS as f64, (y1 - y0) / CELLS as f64);
    chart
        .draw_series((0..CELLS * CELLS).map(|i| {
            let (row, col) = (i / CELLS, i % CELLS);
            let (cx, cy) = (x0 + dx * col as f64, y0 + dy * row as f64);
            Rectangle::new(
                [(cx, cy), (cx + dx, cy + dy)],
                COLORS[class_of(i) % COLORS.len()].mix(0.2).filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    let targets = data.targets().values();
    let target_width = data.targets().shape().get(1).copied().unwrap_or(1);
    let label = |i: usize| -> usize {
        let t = &targets[i * target_width..(i + 1) * target_width];
        if t.len() == 1 {
            t.iter().next().map_or(0, |&v| v.round().max(0.0) as usize)
        } else {
            t.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (c, &v)| if v > b.1 { (c, v) } else { b },
                )
                .0
        }
    };
    chart
        .draw_series((0..data.len()).map(|i| {
            Circle::new(
                (x[[i, 0]] as f64, x[[i, 1]] as f64),
                3,
                COLORS[label(i) % COLORS.len()].filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
