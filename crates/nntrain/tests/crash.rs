//! Crash safety, for real: a training child process is killed with SIGKILL at random moments,
//! many times. After every kill the checkpoint on disk is either the previous one or the new
//! one, never torn: it loads, and its epoch count never goes back. Resuming until the run
//! completes gives the same final weights, byte for byte, as a run never interrupted.
//!
//! The test binary re-runs itself as the child (`crash_child`, selected by an environment
//! variable), so no extra program is needed.

use nndata::synthetic;
use nnlayers::Sequential;
use nnoptim::Adam;
use nntrain::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const EPOCHS: usize = 12;
const CHILD_ENV: &str = "NNTRAIN_CRASH_CHILD_DIR";

/// Trains (resuming from `dir/ckpt.nnf` if present), checkpointing every epoch; at the end
/// saves the final network to `dir/final.nnf`.
fn train_in(dir: &Path) {
    let ckpt = dir.join("ckpt.nnf");
    let mut model = if ckpt.exists() {
        Model::resume(&ckpt).expect("a checkpoint left by a killed run must load")
    } else {
        let mut m = Model::new(
            Sequential::new(5)
                .linear(2, 256)
                .relu()
                .dropout(0.1)
                .linear(256, 256)
                .relu()
                .linear(256, 3)
                .softmax(),
        );
        m.compile(
            Adam::new(0.005),
            Loss::SparseCategoricalCrossEntropy,
            &[Metric::Accuracy],
        );
        m
    };
    let data = synthetic::spirals(2000, 3, 0.05, 2);
    let options = FitOptions {
        epochs: EPOCHS,
        batch_size: 32,
        seed: 9,
        verbosity: Verbosity::Silent,
        callbacks: vec![Box::new(ModelCheckpoint::new(&ckpt, 1))],
        ..Default::default()
    };
    // A kill between the last checkpoint and the final save leaves a finished checkpoint.
    if model.epochs_done() < EPOCHS {
        model.fit(&data, options).unwrap();
    }
    model.save(dir.join("final.nnf")).unwrap();
}

#[test]
fn crash_child() {
    // Only does something when started by the parent test below.
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        train_in(Path::new(&dir));
    }
}

fn spawn_child(dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn epochs_in(ckpt: &PathBuf) -> usize {
    Model::resume(ckpt)
        .unwrap_or_else(|e| panic!("torn or unreadable checkpoint after a kill: {e}"))
        .epochs_done()
}

#[test]
fn sigkill_at_random_moments_never_tears_a_checkpoint_and_resumes_exactly() {
    let reference = tempfile::tempdir().unwrap();
    train_in(reference.path());
    let expected = std::fs::read(reference.path().join("final.nnf")).unwrap();

    let mut rng = nnautograd::nntensor::Rng::seed_from(2026);
    let (mut kills, mut completed_rounds, mut seen) = (0, 0, Vec::new());
    while kills < 20 {
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path().join("ckpt.nnf");
        let mut last_epochs = 0;
        loop {
            let mut child = spawn_child(dir.path());
            std::thread::sleep(Duration::from_millis(20 + rng.below(600) as u64));
            let finished = child.try_wait().unwrap().is_some();
            if !finished {
                child.kill().unwrap(); // SIGKILL on Unix
                child.wait().unwrap();
                kills += 1;
            }
            if ckpt.exists() {
                let epochs = epochs_in(&ckpt);
                assert!(
                    epochs >= last_epochs,
                    "a finished epoch was lost: {epochs} < {last_epochs}"
                );
                last_epochs = epochs;
                seen.push(epochs);
            }
            if finished || kills >= 20 {
                break;
            }
        }
        // Let this round finish undisturbed and compare with the uninterrupted run.
        let status = spawn_child(dir.path()).wait().unwrap();
        assert!(status.success());
        let got = std::fs::read(dir.path().join("final.nnf")).unwrap();
        assert!(
            got == expected,
            "the resumed run's final weights differ from the uninterrupted run's"
        );
        completed_rounds += 1;
    }
    eprintln!("{kills} kills over {completed_rounds} rounds; epochs in the checkpoint after each kill: {seen:?}");
    assert!(completed_rounds >= 1 && kills >= 20);
}
