//! Keras-style progress output: `Epoch 3/5`, then a bar and the epoch's numbers.

use crate::Verbosity;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const BAR_WIDTH: usize = 30;

/// Draws progress on stdout: redrawn in place on a terminal, one line per epoch otherwise.
pub(crate) struct Progress {
    verbosity: Verbosity,
    tty: bool,
    steps: usize,
    started: Instant,
    last_draw: Option<Instant>,
}

/// `loss: 0.2710 - accuracy: 0.9221`.
pub(crate) fn format_logs(logs: &[(String, f64)]) -> String {
    logs.iter()
        .map(|(n, v)| format!("{n}: {v:.4}"))
        .collect::<Vec<_>>()
        .join(" - ")
}

/// `[=========>....................]`.
fn bar(step: usize, steps: usize) -> String {
    let done = (BAR_WIDTH * step) / steps.max(1);
    let mut s = String::with_capacity(BAR_WIDTH + 2);
    s.push('[');
    for i in 0..BAR_WIDTH {
        s.push(if i < done || step == steps {
            '='
        } else if i == done {
            '>'
        } else {
            '.'
        });
    }
    s.push(']');
    s
}

/// `1s 2ms/step`, or `0s 741us/step`.
fn timing(elapsed: Duration, steps: usize) -> String {
    let per_step = elapsed.as_secs_f64() / steps.max(1) as f64;
    let step = if per_step >= 1e-3 {
        format!("{:.0}ms/step", per_step * 1e3)
    } else {
        format!("{:.0}us/step", per_step * 1e6)
    };
    format!("{:.0}s {step}", elapsed.as_secs_f64().floor())
}

impl Progress {
    pub(crate) fn new(verbosity: Verbosity, steps: usize) -> Self {
        Progress {
            verbosity,
            tty: std::io::stdout().is_terminal(),
            steps,
            started: Instant::now(),
            last_draw: None,
        }
    }

    pub(crate) fn begin_epoch(&mut self, epoch: usize, epochs: usize) {
        self.started = Instant::now();
        self.last_draw = None;
        if self.verbosity != Verbosity::Silent {
            println!("Epoch {epoch}/{epochs}");
        }
    }

    /// Redraws the bar on a terminal, at most every 50 ms.
    pub(crate) fn batch(&mut self, step: usize, logs: &[(String, f64)]) {
        if self.verbosity != Verbosity::ProgressBar || !self.tty || step == self.steps {
            return;
        }
        if self
            .last_draw
            .is_some_and(|t| t.elapsed() < Duration::from_millis(50))
        {
            return;
        }
        self.last_draw = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = elapsed / step as f64 * (self.steps - step) as f64;
        let width = self.steps.to_string().len();
        print!(
            "\r{step:>width$}/{} {} - ETA: {:.0}s - {}\x1b[K",
            self.steps,
            bar(step, self.steps),
            eta,
            format_logs(logs)
        );
        let _ = std::io::stdout().flush();
    }

    pub(crate) fn end_epoch(&mut self, logs: &[(String, f64)]) {
        let elapsed = self.started.elapsed();
        match self.verbosity {
            Verbosity::Silent => {}
            Verbosity::ProgressBar => {
                let lead = if self.tty { "\r" } else { "" };
                println!(
                    "{lead}{}/{} {} - {} - {}{}",
                    self.steps,
                    self.steps,
                    bar(self.steps, self.steps),
                    timing(elapsed, self.steps),
                    format_logs(logs),
                    if self.tty { "\x1b[K" } else { "" }
                );
            }
            Verbosity::OneLinePerEpoch => {
                println!(
                    "{}/{} - {} - {}",
                    self.steps,
                    self.steps,
                    timing(elapsed, self.steps),
                    format_logs(logs)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_and_line_look_like_keras() {
        assert_eq!(bar(469, 469), format!("[{}]", "=".repeat(30)));
        assert_eq!(bar(0, 10), format!("[>{}]", ".".repeat(29)));
        assert_eq!(timing(Duration::from_millis(1200), 469), "1s 3ms/step");
        assert_eq!(timing(Duration::from_millis(300), 469), "0s 640us/step");
        let logs = vec![
            ("loss".to_string(), 0.27104),
            ("accuracy".to_string(), 0.92211),
        ];
        assert_eq!(format_logs(&logs), "loss: 0.2710 - accuracy: 0.9221");
    }
}
