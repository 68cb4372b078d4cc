//! The playground natively: presets, training to the page's targets, the URL state, caps and
//! bad input.

use nnplay::{
    decode_state, encode_state, quantize, Activation, Playground, Point, Preset, Settings,
    MAX_POINTS,
};

fn trained(
    preset: Preset,
    noise: f32,
    hidden: &[usize],
    lr: f32,
    steps: usize,
    seed: u64,
) -> Playground {
    let settings = Settings {
        hidden: hidden.to_vec(),
        activation: Activation::Tanh,
        learning_rate: lr,
        batch_size: 10,
        seed,
    };
    let mut play = Playground::new(settings).unwrap();
    play.set_points(preset.generate(200, noise, seed).unwrap())
        .unwrap();
    play.train(steps).unwrap();
    play
}

#[test]
fn the_perceptron_separates_cats_from_mice_and_xor_needs_a_hidden_layer() {
    for seed in 1..=5 {
        let perceptron = trained(Preset::CatsMice, 0.1, &[], 0.1, 300, seed);
        assert!(
            perceptron.accuracy() >= 0.95,
            "seed {seed}: perceptron on cats and mice reached {}",
            perceptron.accuracy()
        );
        let xor = trained(Preset::Xor, 0.0, &[8], 0.3, 3000, seed);
        assert_eq!(xor.accuracy(), 1.0, "seed {seed}: XOR with 8 tanh units");
        // A single line cannot do XOR.
        let line = trained(Preset::Xor, 0.0, &[], 0.3, 3000, seed);
        assert!(
            line.accuracy() < 0.8,
            "seed {seed}: a line on XOR got {}",
            line.accuracy()
        );
    }
}

#[test]
fn presets_are_reproducible_balanced_and_inside_the_plane() {
    for preset in Preset::ALL {
        let a = preset.generate(101, 0.5, 9).unwrap();
        assert_eq!(a, preset.generate(101, 0.5, 9).unwrap(), "{preset:?}");
        assert_ne!(
            a,
            preset.generate(101, 0.5, 10).unwrap(),
            "{preset:?}: the seed matters"
        );
        assert_eq!(a.iter().filter(|p| p.class == 1).count(), 50);
        assert!(a.iter().all(|p| p.x.abs() <= 1.0 && p.y.abs() <= 1.0));
        assert_eq!(Preset::from_name(preset.name()).unwrap(), preset);
    }
    assert!(Preset::CatsMice.generate(MAX_POINTS + 1, 0.1, 1).is_err());
    assert!(Preset::CatsMice.generate(10, f32::NAN, 1).is_err());
    assert!(Preset::CatsMice.generate(10, 2.0, 1).is_err());
}

#[test]
fn the_same_seed_trains_the_same_weights() {
    let a = trained(Preset::Circles, 0.1, &[8, 8], 0.1, 500, 4);
    let b = trained(Preset::Circles, 0.1, &[8, 8], 0.1, 500, 4);
    assert_eq!(a.fingerprint(), b.fingerprint());
    let c = trained(Preset::Circles, 0.1, &[8, 8], 0.1, 500, 5);
    assert_ne!(a.fingerprint(), c.fingerprint());
}

#[test]
fn points_are_added_moved_removed_and_capped() {
    let mut play = Playground::new(Settings::default()).unwrap();
    let i = play
        .add_point(Point {
            x: 0.5,
            y: 0.5,
            class: 1,
        })
        .unwrap();
    play.add_point(Point {
        x: -0.5,
        y: -0.5,
        class: 0,
    })
    .unwrap();
    assert_eq!(play.nearest_point(0.52, 0.49, 0.05), Some(i));
    assert_eq!(play.nearest_point(0.0, 0.0, 0.05), None);
    play.move_point(i, 0.1, 0.2).unwrap();
    assert_eq!(
        play.points()[i],
        Point {
            x: 0.1,
            y: 0.2,
            class: 1
        }
    );
    for bad in [(f32::NAN, 0.0), (0.0, f32::INFINITY), (1.5, 0.0)] {
        let e = play.move_point(i, bad.0, bad.1).unwrap_err();
        assert!(e.message().contains("outside the plane"), "{e}");
    }
    assert!(play
        .add_point(Point {
            x: 0.0,
            y: 0.0,
            class: 2
        })
        .is_err());
    assert!(play
        .move_point(9, 0.0, 0.0)
        .unwrap_err()
        .message()
        .contains("no point 9"));
    play.remove_point(0).unwrap();
    assert_eq!(play.points().len(), 1);
    // The cap: a million additions keep 1000 points and refuse the rest.
    let refused = (0..1_000_000)
        .filter(|k| {
            let p = Point {
                x: (k % 1000) as f32 / 1000.0,
                y: 0.0,
                class: (k % 2) as u8,
            };
            play.add_point(p).is_err()
        })
        .count();
    assert_eq!(
        (play.points().len(), refused),
        (MAX_POINTS, 1_000_000 - 999)
    );
    play.train(5).unwrap();
    play.clear_points();
    assert!(play.loss().is_nan() && play.accuracy().is_nan());
    play.train(5).unwrap(); // nothing to train on: a no-op, not a panic
}

#[test]
fn settings_beyond_the_caps_are_refused_and_a_huge_rate_diverges() {
    let mut play = Playground::new(Settings::default()).unwrap();
    for (hidden, lr, batch, what) in [
        (vec![1_000_000_000], 0.1, 10, "units"),
        (vec![8; 5], 0.1, 10, "hidden layers"),
        (vec![0], 0.1, 10, "units"),
        (vec![8], f32::NAN, 10, "learning rate"),
        (vec![8], -1.0, 10, "learning rate"),
        (vec![8], 0.1, 0, "batch size"),
    ] {
        let settings = Settings {
            hidden,
            learning_rate: lr,
            batch_size: batch,
            ..Settings::default()
        };
        let e = play.set_settings(settings).unwrap_err();
        assert!(e.message().contains(what), "{e}");
    }
    assert!(play.train(nnplay::MAX_STEPS_PER_CALL + 1).is_err());
    assert!(play.grid(0).is_err() && play.grid(nnplay::MAX_GRID + 1).is_err());
    let settings = Settings {
        hidden: vec![8],
        learning_rate: 1e30,
        ..Settings::default()
    };
    play.set_settings(settings).unwrap();
    play.set_points(Preset::Spiral.generate(100, 0.1, 1).unwrap())
        .unwrap();
    play.train(100).unwrap();
    assert!(play.diverged(), "a learning rate of 1e30 diverges");
    let steps = play.steps();
    play.train(100).unwrap();
    assert_eq!(play.steps(), steps, "no training after divergence");
    play.reset();
    assert!(!play.diverged() && play.steps() == 0);
}

#[test]
fn the_url_state_round_trips_and_garbage_is_named_not_fatal() {
    let settings = Settings {
        hidden: vec![8, 4],
        activation: Activation::Relu,
        learning_rate: 0.03,
        batch_size: 7,
        seed: 99,
    };
    let points: Vec<Point> = Preset::Spiral
        .generate(50, 0.3, 2)
        .unwrap()
        .into_iter()
        .map(quantize)
        .collect();
    let text = encode_state(&settings, &points);
    let (s, p, warnings) = decode_state(&format!("#{text}"));
    assert_eq!((s, p), (settings, points.clone()));
    assert!(warnings.is_empty(), "{warnings:?}");
    let (s, p, warnings) =
        decode_state("h=abc&a=wat&lr=-5&b=0&s=x&p=1,2,3_zzz_5000,0,1_100,100,1&junk&%00=%ff");
    assert_eq!(s, Settings::default());
    assert_eq!(
        p,
        vec![Point {
            x: 0.1,
            y: 0.1,
            class: 1
        }]
    );
    for field in [
        "h=abc",
        "a=wat",
        "lr=-5",
        "b=0",
        "s=x",
        "skipped 3 points",
        "junk",
        "%00",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(field)),
            "{field} in {warnings:?}"
        );
    }
    let (s, _, warnings) = decode_state("h=1000000000");
    assert!(
        s.hidden.is_empty() && warnings[0].contains("units"),
        "{warnings:?}"
    );
    let (_, p, warnings) = decode_state(&"p=1,1,1_".repeat(10_000));
    assert!(
        p.is_empty() && warnings[0].contains("more than"),
        "{warnings:?}"
    );
    let many: String = (0..1500)
        .map(|i| format!("{},0,{}_", i % 1000, i % 2))
        .collect();
    let (_, p, warnings) = decode_state(&format!("p={many}"));
    assert_eq!(p.len(), MAX_POINTS);
    assert!(warnings[0].contains("skipped 500"), "{warnings:?}");
}
