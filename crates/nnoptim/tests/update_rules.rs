//! Each optimizer's first three steps against its published update rule, written out here in
//! f64 from the reference's documentation, on the quadratic f(p) = ½·Σ aᵢ(pᵢ − cᵢ)², whose
//! gradient is aᵢ(pᵢ − cᵢ). Then every optimizer must drive that bowl to its minimum.

use nnautograd::nntensor::Tensor;
use nnautograd::{Param, Tape};
use nnoptim::*;

const A: [f64; 3] = [1.0, 4.0, 0.25];
const C: [f64; 3] = [3.0, -1.0, 0.5];
const START: [f64; 3] = [0.5, 0.5, -2.0];

fn grad(p: &[f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| A[i] * (p[i] - C[i]))
}

fn tensor(v: [f64; 3]) -> Tensor {
    Tensor::from_vec(vec![3], v.iter().map(|&x| x as f32).collect()).unwrap()
}

/// One backward pass of the bowl at the parameter's current value.
fn bowl_grads(w: &Param) -> nnautograd::Grads {
    let tape = Tape::new();
    let p = tape.param(w);
    let a = tape.constant(tensor(A));
    let c = tape.constant(tensor(C));
    ((p - c).powi(2) * a * 0.5).sum().backward()
}

/// Runs `steps` steps of `opt` from START and returns each step's parameters.
fn run(opt: &mut dyn Optimizer, steps: usize) -> Vec<[f64; 3]> {
    let mut w = Param::new(tensor(START));
    let mut out = Vec::new();
    for _ in 0..steps {
        let grads = bowl_grads(&w);
        opt.step(&mut [&mut w], &grads);
        let v = w.value();
        out.push([v[0] as f64, v[1] as f64, v[2] as f64]);
    }
    out
}

fn assert_matches(name: &str, got: &[[f64; 3]], want: &[[f64; 3]]) {
    for (step, (g, w)) in got.iter().zip(want).enumerate() {
        for i in 0..3 {
            let tol = 2e-6 * w[i].abs().max(1.0);
            assert!(
                (g[i] - w[i]).abs() <= tol,
                "{name}: step {} element {i}: got {}, want {}",
                step + 1,
                g[i],
                w[i]
            );
        }
    }
}

#[test]
fn sgd_plain_momentum_nesterov_and_weight_decay() {
    let (lr, mu, wd) = (0.1, 0.9, 0.01);
    for (nesterov, name) in [(false, "momentum"), (true, "nesterov")] {
        // PyTorch SGD: g += wd·p; b = g (t=1) else μb + g; step = g + μb (nesterov) or b; p -= lr·step
        let (mut p, mut b, mut want) = (START, [0.0; 3], vec![]);
        for t in 0..3 {
            let g = grad(&p);
            for i in 0..3 {
                let gi = g[i] + wd * p[i];
                b[i] = if t == 0 { gi } else { mu * b[i] + gi };
                let step = if nesterov { gi + mu * b[i] } else { b[i] };
                p[i] -= lr * step;
            }
            want.push(p);
        }
        let base = if nesterov {
            Sgd::nesterov(0.1, 0.9)
        } else {
            Sgd::with_momentum(0.1, 0.9)
        };
        let mut opt = base.with_weight_decay(wd as f32);
        assert_matches(name, &run(&mut opt, 3), &want);
    }
    // Plain SGD: p -= lr·g.
    let (mut p, mut want) = (START, vec![]);
    for _ in 0..3 {
        let g = grad(&p);
        p = [0, 1, 2].map(|i| p[i] - lr * g[i]);
        want.push(p);
    }
    assert_matches("plain", &run(&mut Sgd::new(0.1), 3), &want);
}

#[test]
fn rmsprop_pytorch_and_keras_rules() {
    // PyTorch: s = ρs + (1−ρ)g²; p -= lr·g/(√s + ε)
    let (lr, rho, eps) = (0.01, 0.99, 1e-8);
    let (mut p, mut s, mut want) = (START, [0.0; 3], vec![]);
    for _ in 0..3 {
        let g = grad(&p);
        for i in 0..3 {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (s[i].sqrt() + eps);
        }
        want.push(p);
    }
    assert_matches("rmsprop/pytorch", &run(&mut RmsProp::new(0.01), 3), &want);

    // Keras: s = ρs + (1−ρ)g²; p -= lr·g/√(s + ε), lr 1e-3, ρ 0.9, ε 1e-7
    let (lr, rho, eps) = (1e-3, 0.9, 1e-7);
    let (mut p, mut s, mut want) = (START, [0.0; 3], vec![]);
    for _ in 0..3 {
        let g = grad(&p);
        for i in 0..3 {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (s[i] + eps).sqrt();
        }
        want.push(p);
    }
    assert_matches("rmsprop/keras", &run(&mut RmsProp::keras(), 3), &want);

    // Keras, centered with momentum: a = ρa + (1−ρ)g; m = μm + lr·g/√(s − a² + ε); p -= m
    let mu = 0.5;
    let (mut p, mut s, mut a, mut m, mut want) = (START, [0.0; 3], [0.0; 3], [0.0; 3], vec![]);
    for _ in 0..3 {
        let g = grad(&p);
        for i in 0..3 {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            a[i] = rho * a[i] + (1.0 - rho) * g[i];
            m[i] = mu * m[i] + lr * g[i] / (s[i] - a[i] * a[i] + eps).sqrt();
            p[i] -= m[i];
        }
        want.push(p);
    }
    let mut opt = RmsProp::keras().with_centered(true).with_momentum(0.5);
    assert_matches("rmsprop/keras centered momentum", &run(&mut opt, 3), &want);

    // PyTorch, centered with momentum: b = μb + g/(√(s − a²) + ε); p -= lr·b
    let (lr, rho, eps) = (0.01, 0.99, 1e-8);
    let (mut p, mut s, mut a, mut b, mut want) = (START, [0.0; 3], [0.0; 3], [0.0; 3], vec![]);
    for _ in 0..3 {
        let g = grad(&p);
        for i in 0..3 {
            s[i] = rho * s[i] + (1.0 - rho) * g[i] * g[i];
            a[i] = rho * a[i] + (1.0 - rho) * g[i];
            b[i] = mu * b[i] + g[i] / ((s[i] - a[i] * a[i]).sqrt() + eps);
            p[i] -= lr * b[i];
        }
        want.push(p);
    }
    let mut opt = RmsProp::new(0.01).with_centered(true).with_momentum(0.5);
    assert_matches(
        "rmsprop/pytorch centered momentum",
        &run(&mut opt, 3),
        &want,
    );
}

#[test]
fn adam_adamw_and_keras_epsilon() {
    let (b1, b2) = (0.9f64, 0.999f64);
    // rule: (lr, eps, weight decay, decoupled, keras epsilon)
    // ε = 0.5 makes the two ε placements differ by far more than the tolerance.
    let rules: [(&str, Adam, f64, f64, f64, bool, bool); 6] = [
        ("adam", Adam::new(0.1), 0.1, 1e-8, 0.0, false, false),
        (
            "adam+l2",
            Adam::new(0.1).with_weight_decay(0.05),
            0.1,
            1e-8,
            0.05,
            false,
            false,
        ),
        (
            "adamw",
            Adam::adamw(0.1, 0.05),
            0.1,
            1e-8,
            0.05,
            true,
            false,
        ),
        ("adam/keras", Adam::keras(), 1e-3, 1e-7, 0.0, false, true),
        (
            "adam/keras eps 0.5",
            Adam::keras().with_eps(0.5),
            1e-3,
            0.5,
            0.0,
            false,
            true,
        ),
        (
            "adam eps 0.5",
            Adam::new(0.1).with_eps(0.5),
            0.1,
            0.5,
            0.0,
            false,
            false,
        ),
    ];
    for (name, mut opt, lr, eps, wd, decoupled, keras) in rules {
        let (mut p, mut m, mut v, mut want) = (START, [0.0; 3], [0.0; 3], vec![]);
        for t in 1..=3 {
            let g = grad(&p);
            for i in 0..3 {
                let gi = if decoupled {
                    p[i] *= 1.0 - lr * wd;
                    g[i]
                } else {
                    g[i] + wd * p[i]
                };
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let (bc1, bc2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
                p[i] -= if keras {
                    lr * bc2.sqrt() / bc1 * m[i] / (v[i].sqrt() + eps)
                } else {
                    lr / bc1 * m[i] / (v[i].sqrt() / bc2.sqrt() + eps)
                };
            }
            want.push(p);
        }
        assert_matches(name, &run(&mut opt, 3), &want);
    }
}

#[test]
fn every_optimizer_reaches_the_bottom_of_the_bowl() {
    let optimizers: Vec<(&str, Box<dyn Optimizer>, usize)> = vec![
        ("sgd", Box::new(Sgd::new(0.2)), 300),
        ("sgd momentum", Box::new(Sgd::with_momentum(0.05, 0.9)), 300),
        ("sgd nesterov", Box::new(Sgd::nesterov(0.05, 0.9)), 300),
        ("rmsprop", Box::new(RmsProp::new(0.01)), 2000),
        (
            "rmsprop keras",
            Box::new(RmsProp::keras().with_lr(0.01)),
            2000,
        ),
        ("adam", Box::new(Adam::new(0.05)), 2000),
        ("adamw (no decay)", Box::new(Adam::adamw(0.05, 0.0)), 2000),
    ];
    for (name, mut opt, steps) in optimizers {
        let last = *run(opt.as_mut(), steps).last().unwrap();
        for i in 0..3 {
            assert!(
                (last[i] - C[i]).abs() < 2e-2,
                "{name}: element {i} ended at {}, minimum at {}",
                last[i],
                C[i]
            );
        }
    }
}

#[test]
fn state_round_trips_and_refuses_another_optimizer() {
    let mut adam = Adam::new(0.1);
    let _ = run(&mut adam, 2);
    let saved = adam.state_dict();
    let mut restored = Adam::new(0.5);
    restored.load_state_dict(&saved).unwrap();
    assert_eq!(restored.state_dict(), saved);
    assert_eq!(restored.steps(), 2);
    let err = Sgd::new(0.1).load_state_dict(&saved).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the saved optimizer state does not belong to a `sgd` optimizer"
    );
}

#[test]
fn a_parameter_without_a_gradient_is_left_alone() {
    let mut used = Param::new(tensor(START));
    let mut unused = Param::new(tensor(START));
    let grads = bowl_grads(&used);
    let mut opt = Adam::new(0.1);
    opt.step(&mut [&mut used, &mut unused], &grads);
    assert_eq!(unused.value(), &tensor(START));
    assert_ne!(used.value(), &tensor(START));
}

#[test]
fn clipping_by_norm_and_value() {
    let w = Param::new(tensor(START));
    let mut grads = bowl_grads(&w);
    let g = grad(&START);
    let norm = (g.iter().map(|x| x * x).sum::<f64>()).sqrt();
    let reported = clip_grad_norm(&mut grads, 1.0);
    assert!((reported as f64 - norm).abs() < 1e-5);
    let clipped: f64 = grads
        .get(&w)
        .unwrap()
        .values()
        .iter()
        .map(|&x| (x as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((clipped - 1.0).abs() < 1e-5, "{clipped}");
    clip_grad_value(&mut grads, 0.1);
    assert!(grads
        .get(&w)
        .unwrap()
        .values()
        .iter()
        .all(|x| x.abs() <= 0.1));
}

#[test]
fn rmsprop_epsilon_placement_and_weight_decay() {
    // ε = 0.5 and an L2 weight decay of 0.1: p -= lr·g/√(s + ε) (Keras) vs lr·g/(√s + ε) (PyTorch).
    for (keras, name) in [(true, "keras"), (false, "pytorch")] {
        let (lr, rho, eps, wd) = if keras {
            (1e-3, 0.9, 0.5, 0.1)
        } else {
            (0.01, 0.99, 0.5, 0.1)
        };
        let (mut p, mut s, mut want) = (START, [0.0; 3], vec![]);
        for _ in 0..3 {
            let g = grad(&p);
            for i in 0..3 {
                let gi = g[i] + wd * p[i];
                s[i] = rho * s[i] + (1.0 - rho) * gi * gi;
                p[i] -= if keras {
                    lr * gi / (s[i] + eps).sqrt()
                } else {
                    lr * gi / (s[i].sqrt() + eps)
                };
            }
            want.push(p);
        }
        let base = if keras {
            RmsProp::keras()
        } else {
            RmsProp::new(0.01)
        };
        let mut opt = base.with_eps(0.5).with_weight_decay(0.1);
        assert_matches(name, &run(&mut opt, 3), &want);
    }
}

#[test]
fn sgd_dampening() {
    // b = g (first step), then b = μb + (1 − d)g; p -= lr·b
    let (lr, mu, d) = (0.1, 0.9, 0.3);
    let (mut p, mut b, mut want) = (START, [0.0; 3], vec![]);
    for t in 0..3 {
        let g = grad(&p);
        for i in 0..3 {
            b[i] = if t == 0 {
                g[i]
            } else {
                mu * b[i] + (1.0 - d) * g[i]
            };
            p[i] -= lr * b[i];
        }
        want.push(p);
    }
    assert_matches(
        "dampening",
        &run(&mut Sgd::with_momentum(0.1, 0.9).with_dampening(0.3), 3),
        &want,
    );
}

#[test]
fn adam_counts_steps_per_parameter() {
    // A parameter first updated at step 3 gets the bias correction of its own first step:
    // its first move is lr·sign(g), exactly as if it were the optimizer's first step.
    let mut early = Param::new(tensor(START));
    let mut late = Param::new(tensor(START));
    let mut adam = Adam::new(0.1);
    for _ in 0..2 {
        let grads = bowl_grads(&early);
        adam.step(&mut [&mut early, &mut late], &grads);
    }
    let grads = {
        let tape = Tape::new();
        ((tape.param(&late) - 10.0).powi(2)).sum().backward()
    };
    adam.step(&mut [&mut early, &mut late], &grads);
    for (got, start) in late.value().values().iter().zip(START) {
        assert!(
            (*got as f64 - (start + 0.1)).abs() < 1e-6,
            "{got} vs {}",
            start + 0.1
        );
    }
}

#[test]
fn hostile_states_are_errors_and_leave_the_optimizer_unchanged() {
    let mut w = Param::new(tensor(START));
    let mut adam = Adam::new(0.1);
    let grads = bowl_grads(&w);
    adam.step(&mut [&mut w], &grads);
    let good = adam.state_dict();
    for bad_name in [
        "exp_avg.99999999999",
        "exp_avg.+0",
        "exp_avg.01",
        "exp_avg.x",
    ] {
        let mut bad = good.clone();
        bad.tensors
            .push((bad_name.to_string(), Tensor::zeros(vec![3])));
        let mut target = Adam::new(0.7);
        let err = target.load_state_dict(&bad).unwrap_err();
        assert!(err.to_string().contains("invalid"), "{bad_name}: {err}");
        assert_eq!(
            target.lr, 0.7,
            "a failed load must not change the optimizer"
        );
    }
    let mut dup = good.clone();
    dup.tensors
        .push(("exp_avg.0".to_string(), Tensor::zeros(vec![3])));
    assert!(Adam::new(0.1).load_state_dict(&dup).is_err());
    let other = Param::new(Tensor::zeros(vec![4]));
    assert!(check_state_shapes(&good, &[&other])
        .unwrap_err()
        .to_string()
        .contains("shape [3] but parameter 0 has shape [4]"));
    assert!(check_state_shapes(&good, &[]).is_err());
}

#[test]
#[should_panic(expected = "Nesterov momentum needs momentum > 0")]
fn nesterov_without_momentum_is_refused() {
    let _ = Sgd::nesterov(0.1, 0.0);
}
