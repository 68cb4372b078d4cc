//! Datasets: splitting, seeded shuffling, batching, scaling, and the synthetic generators.

use nndata::synthetic;
use nndata::*;
use nntensor::Tensor;

fn numbered(n: usize) -> Dataset {
    let x = Tensor::from_shape_fn(vec![n, 3], |i| (i[0] * 10 + i[1]) as f32);
    let y = Tensor::from_shape_fn(vec![n], |i| i[0] as f32);
    Dataset::new(x, y).unwrap()
}

#[test]
fn shuffled_batches_cover_every_sample_once_and_keep_rows_together() {
    let data = numbered(103);
    let mut seen: Vec<usize> = Vec::new();
    for batch in data.batches(10, Some(5), false) {
        for (row, &label) in batch
            .x
            .values()
            .chunks(batch.x.shape()[1])
            .zip(batch.y.values().iter())
        {
            assert_eq!(row[0], label * 10.0, "inputs and targets must stay paired");
            seen.push(label as usize);
        }
    }
    assert_ne!(seen, (0..103).collect::<Vec<_>>(), "shuffled order");
    seen.sort_unstable();
    assert_eq!(seen, (0..103).collect::<Vec<_>>());
}

#[test]
fn shuffling_differs_across_epochs_as_fit_seeds_it() {
    // `fit` draws a new shuffle seed each epoch; different seeds give different orders.
    let data = numbered(200);
    let orders: Vec<Vec<f32>> = (0..5u64)
        .map(|epoch| {
            data.batches(32, Some(epoch), false)
                .flat_map(|b| b.y.into_vec())
                .collect()
        })
        .collect();
    for i in 0..orders.len() {
        for j in i + 1..orders.len() {
            assert_ne!(
                orders[i], orders[j],
                "epochs {i} and {j} visited the samples in the same order"
            );
        }
    }
}

#[test]
fn same_seed_same_order_other_seed_other_order() {
    let data = numbered(50);
    let order = |seed| {
        data.batches(7, Some(seed), false)
            .flat_map(|b| b.y.into_vec())
            .collect::<Vec<f32>>()
    };
    assert_eq!(order(1), order(1));
    assert_ne!(order(1), order(2));
}

#[test]
fn last_partial_batch_kept_or_dropped() {
    let data = numbered(10);
    assert_eq!(
        data.batches(4, None, false)
            .map(|b| b.len())
            .collect::<Vec<_>>(),
        [4, 4, 2]
    );
    assert_eq!(
        data.batches(4, None, true)
            .map(|b| b.len())
            .collect::<Vec<_>>(),
        [4, 4]
    );
    assert_eq!(data.batches(4, None, true).count_total(), 2);
}

#[test]
fn splits_are_seeded_disjoint_and_complete() {
    let data = numbered(100);
    let (a, b) = data.split(0.25, 3).unwrap();
    assert_eq!((a.len(), b.len()), (75, 25));
    let mut all: Vec<f32> = a
        .targets()
        .values()
        .iter()
        .chain(b.targets().values().iter())
        .copied()
        .collect();
    all.sort_by(f32::total_cmp);
    assert_eq!(all, (0..100).map(|i| i as f32).collect::<Vec<_>>());
    assert_eq!(data.split(0.25, 3).unwrap().1, b);
    let (head, tail) = data.split_last(0.1).unwrap();
    assert_eq!(tail.targets()[0], 90.0);
    assert_eq!(head.len(), 90);
    assert!(data.split(1.5, 0).is_err());
    // Keras's rounding: keep floor(n·(1 − f)) samples.
    let ten = numbered(10);
    assert_eq!(ten.split_last(0.22).unwrap().1.len(), 3);
    assert_eq!(ten.split_last(0.2).unwrap().1.len(), 2);
}

#[test]
fn mismatched_lengths_are_an_error() {
    let err = Dataset::new(Tensor::zeros(vec![5, 2]), Tensor::zeros(vec![4])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a dataset needs as many targets as inputs: got 5 inputs and 4 targets"
    );
}

#[test]
fn scalers_fit_on_train_and_apply_to_test() {
    let train = Tensor::from_vec(vec![3, 2], vec![0.0, 5.0, 2.0, 5.0, 4.0, 5.0]).unwrap();
    let s = Standardizer::fit(&train).unwrap();
    let z = s.transform(&train);
    assert!(column_mean(&z, 0).abs() < 1e-6);
    assert!(
        z.values().iter().skip(1).step_by(2).all(|&v| v == 0.0),
        "a constant feature maps to 0"
    );
    let m = MinMaxScaler::fit(&train).unwrap();
    let test = Tensor::from_vec(vec![1, 2], vec![2.0, 5.0]).unwrap();
    assert_eq!(m.transform(&test).as_slice().unwrap(), &[0.5, 0.0]);
    // inverse_transform undoes transform (the constant feature comes back too).
    assert_eq!(m.inverse_transform(&m.transform(&test)), test);
    let back = s.inverse_transform(&z).to_vec();
    assert!(
        back.iter()
            .zip(train.to_vec())
            .all(|(a, b)| (a - b).abs() < 1e-6),
        "{back:?}"
    );
}

#[test]
fn scalers_refuse_no_samples_and_name_a_feature_mismatch() {
    let empty = Tensor::zeros(vec![0, 4]);
    let e = Standardizer::fit(&empty).unwrap_err().to_string();
    assert!(
        e.contains("Standardizer::fit needs at least one sample, got shape [0, 4]"),
        "{e}"
    );
    assert!(MinMaxScaler::fit(&empty).is_err());
    let s = Standardizer::fit(&Tensor::ones(vec![2, 3])).unwrap();
    let wrong = std::panic::catch_unwind(|| s.transform(&Tensor::ones(vec![2, 4])));
    let message = wrong.unwrap_err();
    let text = message.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("do not have the [3] features it was fitted on"),
        "{text}"
    );
}

fn column_mean(t: &Tensor, c: usize) -> f32 {
    let n = t.shape()[0];
    (0..n).map(|r| t[[r, c]]).sum::<f32>() / n as f32
}

#[test]
fn synthetic_sets() {
    let fifteen = synthetic::is_fifteen();
    assert_eq!(
        fifteen.inputs().as_slice().unwrap(),
        &[15., 72., 15., 31., 15., 1002., 15., 32., 15., 16.]
    );
    let xor = synthetic::xor(200, 1);
    for (x, y) in xor
        .inputs()
        .values()
        .chunks(2)
        .zip(xor.targets().values().iter())
    {
        assert_eq!(*y, ((x[0] as u8) ^ (x[1] as u8)) as f32);
    }
    assert_eq!(synthetic::xor(200, 1), xor);
    let line = synthetic::line(2.0, 1.0, 10_000, 100, 0.0, 0);
    assert_eq!(line.inputs()[[9_999, 0]], 99.0);
    let noisy = synthetic::line(2.0, 1.0, 1_000, 100, 0.5, 3);
    let residual: f32 = noisy
        .inputs()
        .values()
        .iter()
        .zip(noisy.targets().values().iter())
        .map(|(x, y)| y - (2.0 * x + 1.0))
        .sum::<f32>()
        / 1000.0;
    assert!(residual.abs() < 0.1);
    // Well separated clouds: the diagonal x + y = 0 splits them almost perfectly.
    let cats = synthetic::two_classes(500, 8.0, 4);
    let correct = cats
        .inputs()
        .values()
        .chunks(2)
        .zip(cats.targets().values().iter())
        .filter(|(x, &y)| ((x[0] + x[1] > 0.0) as u8 as f32) == y)
        .count();
    assert!(correct >= 995, "{correct}");
    let overlapping = synthetic::two_classes(500, 1.0, 4);
    let correct = overlapping
        .inputs()
        .values()
        .chunks(2)
        .zip(overlapping.targets().values().iter())
        .filter(|(x, &y)| ((x[0] + x[1] > 0.0) as u8 as f32) == y)
        .count();
    assert!(correct < 900, "{correct}");
    assert_eq!(synthetic::spirals(50, 3, 0.1, 1).len(), 150);
    assert_eq!(synthetic::moons(50, 0.1, 1).targets().shape(), &[100, 1]);
}
