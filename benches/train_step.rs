//! One CoMM training step (forward with 2 views x 3 fusion passes, backward, AdamW), batch 64,
//! on the CPU `flex` backend:
//! - `small/64px`: the 64 px model of the `quick`/`cpu` presets;
//! - `paper-alexnet/64px`: the paper's model fed 64 px images (the stock AlexNet at 64 px: the
//!   reference PyTorch takes 4.0 s/step for 77 GFLOP on this CPU);
//! - `paper/224px`: the paper's scale (reference PyTorch: 28.0 s/step, 1.34 TFLOP). Slow on CPU:
//!   run it alone with `cargo bench --bench train_step -- paper/224px`.
//!
//! Pairs/s = 64 / time; GFLOP/s = the reference's FLOP per step / time.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};
use rusbench::losses::CommVariant;
use rusbench::methods::comm::{Comm, CommConfig};
use rusbench::methods::optim::adamw;
use rusbench::models::alexnet::AlexNetConfig;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step");
    g.sample_size(10);
    let mut paper64 = CommConfig::paper();
    paper64.trunk = AlexNetConfig {
        image_size: 64,
        ..AlexNetConfig::paper(512)
    };
    for (name, cfg, px) in [
        ("small/64px", CommConfig::small(), 64),
        ("paper-alexnet/64px", paper64, 64),
        ("paper/224px", CommConfig::paper(), 224),
    ] {
        let device = Device::flex().autodiff();
        device.seed(1);
        let mut model: Option<Comm> = Some(cfg.init(&device));
        let mut optim = adamw(1e-4);
        let img = || Tensor::<4>::random([64, 3, px, px], Distribution::Normal(0.0, 1.0), &device);
        let views = (img(), img(), img(), img());
        g.bench_function(name, |b| {
            b.iter(|| {
                let m = model.take().unwrap();
                let out = m.loss(
                    (views.0.clone(), views.1.clone()),
                    (views.2.clone(), views.3.clone()),
                    0.1,
                    CommVariant::Full,
                );
                let grads = GradientsParams::from_grads(out.loss.backward(), &m);
                model = Some(optim.step(3e-4, m, grads));
                black_box(())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
