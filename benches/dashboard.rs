//! What nnplay's dashboard costs `fit` per training step: one `on_batch_end` call (a lock and a
//! clock read; an event formatted at most every 100 ms), beside a W1 step (about 200 µs:
//! docs/playground.md).
//!
//! Run: `cargo bench --bench dashboard`.

use criterion::{criterion_group, criterion_main, Criterion};
use nnfacade::train::Callback;
use std::hint::black_box;

fn on_batch_end(c: &mut Criterion) {
    let dashboard = nnplay::Dashboard::serve("127.0.0.1:0").expect("a free port");
    let mut callback = dashboard.callback();
    let mut step = 0;
    c.bench_function("dashboard/on_batch_end", |b| {
        b.iter(|| {
            step += 1;
            callback.on_batch_end(1, black_box(step), black_box(0.5))
        })
    });
}

criterion_group!(benches, on_batch_end);
criterion_main!(benches);
