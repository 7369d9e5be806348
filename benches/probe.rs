//! One reference-protocol probe call on 10,000 x 512 train and 4,094 x 512 test features with 10
//! classes (the reference: 15-18 s per call in torch on CPU). Features: class means in 512-D plus
//! unit Gaussian noise, so the task is learnable but not separable.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::RngExt;
use rusbench::probe::{Features, ProbeConfig, linear_probe};
use rusbench::rng::{Stream, item_rng};

pub fn synthetic(n: usize, d: usize, k: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut means = item_rng(1, Stream::Render, &[77]);
    let mu: Vec<f32> = (0..k * d)
        .map(|_| means.random_range(-0.15f32..0.15))
        .collect();
    let mut rng = item_rng(seed, Stream::Render, &[78]);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        y.push(c as u32);
        for j in 0..d {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
            let g = ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32;
            x.push(mu[c * d + j] + g);
        }
    }
    (x, y)
}

fn bench(c: &mut Criterion) {
    let (xa, ya) = synthetic(10_000, 512, 10, 1);
    let (xb, yb) = synthetic(4094, 512, 10, 2);
    let (tr, te) = (
        Features {
            x: &xa,
            d: 512,
            y: &ya,
        },
        Features {
            x: &xb,
            d: 512,
            y: &yb,
        },
    );
    let r = linear_probe(&tr, &te, &ProbeConfig::default());
    eprintln!(
        "probe: balanced accuracy {:.4}, C {}, {} fits, {} objective evaluations",
        r.balanced_accuracy,
        r.best_c,
        r.visited.len() + 7,
        r.evaluations
    );
    let mut g = c.benchmark_group("probe");
    g.sample_size(10);
    g.bench_function("reference_protocol/10000x512x10", |b| {
        b.iter(|| linear_probe(&tr, &te, &ProbeConfig::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
