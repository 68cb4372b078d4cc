//! Scores over a whole set of predictions, beyond the per-batch metrics `fit` streams: the
//! confusion matrix with per-class precision, recall and F1 (and their macro averages), ROC AUC
//! for a binary classifier, and R² for a regression. The definitions and the zero-division rule
//! (a class never predicted has precision 0) are scikit-learn's, and the tests check its
//! documented examples.
//!
//! ```
//! use nntrain::scores::{r2_score, roc_auc, ConfusionMatrix};
//! let cm = ConfusionMatrix::from_labels(&[0, 1, 2, 0, 1, 2], &[0, 2, 1, 0, 0, 1], 3).unwrap();
//! assert_eq!(cm.count(0, 0), 2);
//! assert!((cm.macro_f1() - 0.2667).abs() < 1e-4);
//! assert_eq!(roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap(), 0.75);
//! assert!((r2_score(&[2.5, 0.0, 2.0, 8.0], &[3.0, -0.5, 2.0, 7.0]).unwrap() - 0.9486).abs() < 1e-4);
//! ```

use crate::TrainError;

/// The most classes a confusion matrix takes (its counts grow with the square).
pub const MAX_CLASSES: usize = 1 << 12;

/// Counts of (true class, predicted class) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// Row-major: `counts[truth * classes + predicted]`.
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// The matrix of `truth` against `predicted` class indices, each below `classes`.
    pub fn from_labels(
        truth: &[usize],
        predicted: &[usize],
        classes: usize,
    ) -> Result<ConfusionMatrix, TrainError> {
        if truth.len() != predicted.len() {
            return Err(TrainError::InvalidOption(format!(
                "confusion matrix: {} true labels but {} predictions",
                truth.len(),
                predicted.len()
            )));
        }
        if classes > MAX_CLASSES {
            return Err(TrainError::InvalidOption(format!(
                "confusion matrix: {classes} classes is more than {MAX_CLASSES}"
            )));
        }
        let mut counts = vec![0u64; classes * classes];
        for (i, (&t, &p)) in truth.iter().zip(predicted).enumerate() {
            if t >= classes || p >= classes {
                return Err(TrainError::InvalidOption(format!(
                    "confusion matrix: sample {i} has true class {t} and predicted class {p}, but there are {classes} classes (0 to {})",
                    classes.saturating_sub(1)
                )));
            }
            counts[t * classes + p] += 1;
        }
        Ok(ConfusionMatrix { classes, counts })
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many samples of class `truth` were predicted as `predicted`. Panics for a class
    /// outside `0..classes()`.
    #[track_caller]
    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        assert!(
            truth < self.classes && predicted < self.classes,
            "ConfusionMatrix::count({truth}, {predicted}): there are {} classes",
            self.classes
        );
        self.counts[truth * self.classes + predicted]
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn predicted_as(&self, class: usize) -> u64 {
        (0..self.classes).map(|t| self.count(t, class)).sum()
    }

    fn truly(&self, class: usize) -> u64 {
        (0..self.classes).map(|p| self.count(class, p)).sum()
    }

    /// The fraction of samples predicted correctly (0 for no samples).
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.classes).map(|c| self.count(c, c)).sum();
        ratio(correct, self.total())
    }

    /// Of the samples predicted as `class`, the fraction that are (0 if none was).
    pub fn precision(&self, class: usize) -> f64 {
        ratio(self.count(class, class), self.predicted_as(class))
    }

    /// Of the samples of `class`, the fraction predicted as it (0 if there are none).
    pub fn recall(&self, class: usize) -> f64 {
        ratio(self.count(class, class), self.truly(class))
    }

    /// The harmonic mean of precision and recall for `class` (0 if both are 0).
    pub fn f1(&self, class: usize) -> f64 {
        let (p, r) = (self.precision(class), self.recall(class));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Precision averaged over the classes present, each counting the same.
    pub fn macro_precision(&self) -> f64 {
        self.mean_over_classes(|c| self.precision(c))
    }

    /// Recall averaged over the classes present, each counting the same.
    pub fn macro_recall(&self) -> f64 {
        self.mean_over_classes(|c| self.recall(c))
    }

    /// F1 averaged over the classes present, each counting the same.
    pub fn macro_f1(&self) -> f64 {
        self.mean_over_classes(|c| self.f1(c))
    }

    /// The mean over the classes that occur in the truth or the predictions (scikit-learn's
    /// labels for a macro average: a class absent from both does not count).
    fn mean_over_classes(&self, f: impl Fn(usize) -> f64) -> f64 {
        let present: Vec<usize> = (0..self.classes)
            .filter(|&c| self.truly(c) + self.predicted_as(c) > 0)
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|&c| f(c)).sum::<f64>() / present.len() as f64
    }

    /// The matrix as a table, rows the true classes and columns the predicted ones, followed by
    /// each class's precision, recall and F1; `names` labels the classes (indices if empty).
    pub fn table(&self, names: &[String]) -> String {
        let label = |c: usize| names.get(c).cloned().unwrap_or_else(|| c.to_string());
        let width = (0..self.classes)
            .map(|c| label(c).len())
            .chain(self.counts.iter().map(|n| n.to_string().len()))
            .chain([9])
            .max()
            .unwrap_or(9);
        let mut out = format!("{:>width$}  predicted →\n", "true ↓");
        out.push_str(&format!("{:>width$}", ""));
        for c in 0..self.classes {
            out.push_str(&format!(" {:>width$}", label(c)));
        }
        out.push_str(&format!(
            " {:>9} {:>9} {:>9}\n",
            "precision", "recall", "f1"
        ));
        for t in 0..self.classes {
            out.push_str(&format!("{:>width$}", label(t)));
            for p in 0..self.classes {
                out.push_str(&format!(" {:>width$}", self.count(t, p)));
            }
            out.push_str(&format!(
                " {:>9.4} {:>9.4} {:>9.4}\n",
                self.precision(t),
                self.recall(t),
                self.f1(t)
            ));
        }
        out
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The area under the ROC curve of `scores` (higher means "positive") for the labels `truth`:
/// the probability that a random positive scores above a random negative, ties counting half.
/// An error if either class is absent or a score is NaN.
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> Result<f64, TrainError> {
    if scores.len() != truth.len() {
        return Err(TrainError::InvalidOption(format!(
            "ROC AUC: {} scores but {} labels",
            scores.len(),
            truth.len()
        )));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(TrainError::InvalidOption(format!(
            "ROC AUC: score {i} is NaN"
        )));
    }
    let positives = truth.iter().filter(|&&t| t).count();
    let negatives = truth.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(TrainError::InvalidOption(format!(
            "ROC AUC needs both classes: got {positives} positive and {negatives} negative samples"
        )));
    }
    // Mann-Whitney U from average ranks (ties share the mean of their ranks).
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&k| truth[k]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// The coefficient of determination of `predicted` against `truth`: 1 − residual sum of squares
/// over total sum of squares (1 is perfect, 0 is as good as predicting the mean). An error for
/// fewer than two samples or a constant `truth`.
pub fn r2_score(predicted: &[f32], truth: &[f32]) -> Result<f64, TrainError> {
    if predicted.len() != truth.len() || truth.len() < 2 {
        return Err(TrainError::InvalidOption(format!(
            "R² needs as many predictions as targets, at least two: got {} and {}",
            predicted.len(),
            truth.len()
        )));
    }
    let mean = truth.iter().map(|&t| t as f64).sum::<f64>() / truth.len() as f64;
    let total: f64 = truth.iter().map(|&t| (t as f64 - mean).powi(2)).sum();
    let residual: f64 = predicted
        .iter()
        .zip(truth)
        .map(|(&p, &t)| (t as f64 - p as f64).powi(2))
        .sum();
    if total == 0.0 {
        return Err(TrainError::InvalidOption(
            "R² is undefined when every target is the same".into(),
        ));
    }
    Ok(1.0 - residual / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The examples of scikit-learn's documentation for precision_recall_fscore_support,
    // roc_auc_score and r2_score.
    #[test]
    fn scikit_learns_documented_examples() {
        let cm = ConfusionMatrix::from_labels(&[0, 1, 2, 0, 1, 2], &[0, 2, 1, 0, 0, 1], 3).unwrap();
        assert!((cm.macro_precision() - 0.2222222222).abs() < 1e-9);
        assert!((cm.macro_recall() - 0.3333333333).abs() < 1e-9);
        assert!((cm.macro_f1() - 0.2666666667).abs() < 1e-9);
        assert_eq!((cm.precision(0), cm.recall(0)), (2.0 / 3.0, 1.0));
        assert_eq!((cm.precision(1), cm.f1(2)), (0.0, 0.0));
        assert!((cm.accuracy() - 1.0 / 3.0).abs() < 1e-12);
        // A class in neither the truth nor the predictions does not count (labels = present).
        let wide =
            ConfusionMatrix::from_labels(&[0, 1, 2, 0, 1, 2], &[0, 2, 1, 0, 0, 1], 5).unwrap();
        assert_eq!(wide.macro_f1(), cm.macro_f1());
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap(),
            0.75
        );
        let r2 = r2_score(&[2.5, 0.0, 2.0, 8.0], &[3.0, -0.5, 2.0, 7.0]).unwrap();
        assert!((r2 - 0.9486081370449679).abs() < 1e-6);
    }

    #[test]
    fn ties_count_half_and_bad_input_is_an_error() {
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]).unwrap(), 0.5);
        assert_eq!(roc_auc(&[0.9, 0.1], &[false, true]).unwrap(), 0.0);
        assert!(roc_auc(&[0.1, 0.2], &[true, true])
            .unwrap_err()
            .to_string()
            .contains("needs both classes"));
        assert!(roc_auc(&[f32::NAN, 0.2], &[true, false]).is_err());
        assert!(r2_score(&[1.0, 2.0], &[3.0, 3.0]).is_err());
        let e = ConfusionMatrix::from_labels(&[0, 3], &[0, 1], 3).unwrap_err();
        assert!(e.to_string().contains("sample 1 has true class 3"), "{e}");
    }

    #[test]
    fn the_table_names_the_classes() {
        let cm = ConfusionMatrix::from_labels(&[0, 1, 1], &[0, 1, 0], 2).unwrap();
        let table = cm.table(&["cat".into(), "mouse".into()]);
        assert!(table.contains("cat"), "{table}");
        let mouse_row = table
            .lines()
            .find(|l| l.trim_start().starts_with("mouse") && l.contains("0.5"))
            .unwrap();
        assert!(mouse_row.contains('1'), "{table}");
    }
}
