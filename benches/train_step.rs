//! One training step (forward, backward, AdamW; FactorCL also its CLUB-critic step) of every
//! Fig. 4 method at batch 64, through the same `Method` trait as
//! training (random views, so no augmentation cost):
//! - `<method>/tiny`: the `quick`/`cpu` presets' 64 px trunk;
//! - `<method>/small`: the 64 px trunk of the earlier presets;
//! - `comm/tiny-f128`, `comm/tiny-f256`: the tiny trunk with a wider fusion (`fusion_dim`);
//! - `comm/paper-alexnet-64px`: the paper's model fed 64 px images (the reference PyTorch takes
//!   4.0 s/step on this CPU);
//! - `comm/paper`: the paper's scale, 224 px (reference PyTorch: 28.0 s/step). Slow on CPU: run it
//!   alone with `cargo bench --bench train_step -- comm/paper$`.
//!
//! Backend: CPU `flex` unless `RUSBENCH_DEVICE` names another (cuda, wgpu, vulkan; build with its
//! feature, e.g. `RUSBENCH_DEVICE=cuda cargo bench --features cuda --bench train_step -- comm/paper$`).
//! Every step ends with a device sync, so a GPU's queued work is inside the timing.
//!
//! Pairs/s = 64 / time. GFLOP per step (printed first) counts the trunk's convolutions and
//! flatten-Linear: 3x the forward for trained passes, 1x for FactorCL's re-run forward passes;
//! fusion, heads and critics are left out (about 10 % for CoMM at the tiny scale).

use burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};
use rusbench::device::Backend;
use rusbench::methods::comm::{Comm, CommConfig};
use rusbench::methods::cross::Cross;
use rusbench::methods::cross_self::CrossSelf;
use rusbench::methods::factorcl::FactorCl;
use rusbench::methods::optim::adamw;
use rusbench::methods::{Method, MethodSettings};
use rusbench::models::ModelScale;
use rusbench::models::alexnet::AlexNetConfig;
use std::hint::black_box;

fn settings(model: ModelScale) -> MethodSettings {
    MethodSettings {
        model,
        temperature: 0.1,
        comm_loss: rusbench::losses::CommVariant::Full,
        augment: [rusbench::augment::Augmentation::ALL; 2],
        fusion: rusbench::models::vector_fusion::FusionKind::Transformer,
        fusion_dim: None,
    }
}

/// Trunk GFLOP of one step of batch `b`: (trained passes, forward-only passes) x trunk.
fn gflop(trunk: &AlexNetConfig, trained: u64, forward_only: u64, b: u64) -> f64 {
    let (conv, fc) = trunk.macs_per_image();
    2.0 * (conv + fc) as f64 * b as f64 * (3 * trained + forward_only) as f64 / 1e9
}

fn bench_method<M: Method>(
    c: &mut Criterion,
    name: &str,
    s: &MethodSettings,
    px: usize,
    flop: f64,
) {
    bench_model::<M>(c, name, s, px, flop, &|d| M::init(s, d));
}

fn bench_model<M: Method>(
    c: &mut Criterion,
    name: &str,
    s: &MethodSettings,
    px: usize,
    flop: f64,
    init: &dyn Fn(&Device) -> M,
) {
    rusbench::device::prepare_process();
    let device = Backend::from_env()
        .and_then(|b| b.device())
        .unwrap_or_else(|e| panic!("{e:#}"))
        .autodiff();
    device.seed(1);
    let mut model: Option<M> = Some(init(&device));
    let mut optim = adamw(1e-4);
    let mut aux = adamw(0.0);
    let views: Vec<Tensor<4>> = M::views(s)
        .iter()
        .map(|_| Tensor::random([64, 3, px, px], Distribution::Normal(0.0, 1.0), &device))
        .collect();
    let labels: Vec<[u8; 4]> = (0..64u8).map(|i| [i % 10, i % 7, i % 3, i % 2]).collect();
    eprintln!("{name}: {flop:.1} GFLOP per step (trunk)");
    let mut g = c.benchmark_group("train_step");
    g.sample_size(10);
    g.bench_function(name, |b| {
        b.iter(|| {
            let m = model.take().unwrap();
            let out = m.loss(views.clone(), &labels, s);
            let grads = m.main_grads(out.loss);
            let mut m = optim.step(3e-4, m, grads).after_step();
            if let Some(l) = m.aux_loss(views.clone()) {
                let grads = burn::optim::GradientsParams::from_grads(l.backward(), &m);
                m = aux.step(1e-4, m, grads);
            }
            model = Some(m);
            device.sync().expect("device sync");
            black_box(())
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    for scale in [ModelScale::Tiny, ModelScale::Small] {
        let s = settings(scale);
        let n = scale.name();
        let lat = |l| scale.trunk(l);
        let (l_comm, l_cross, l_fcl) = match scale {
            ModelScale::Tiny => (64, 64, 64),
            _ => (128, 128, 128),
        };
        // CoMM feeds the feature map to the adapter: its trunk Linear is unused.
        let comm_trunk = AlexNetConfig {
            latent_dim: 0,
            ..lat(l_comm)
        };
        bench_method::<Comm>(
            c,
            &format!("comm/{n}"),
            &s,
            64,
            gflop(&comm_trunk, 4, 0, 64),
        );
        bench_method::<Cross>(
            c,
            &format!("cross/{n}"),
            &s,
            64,
            gflop(&lat(l_cross), 2, 0, 64),
        );
        bench_method::<CrossSelf>(
            c,
            &format!("cross-self/{n}"),
            &s,
            64,
            gflop(&lat(l_cross), 6, 0, 64),
        );
        bench_method::<FactorCl>(
            c,
            &format!("factorcl/{n}"),
            &s,
            64,
            gflop(&lat(l_fcl), 4, 4, 64),
        );
    }
    // The calibration's wider CoMM fusion at the tiny scale (preset key `fusion_dim`).
    for d in [128, 256] {
        let mut s = settings(ModelScale::Tiny);
        s.fusion_dim = Some(d);
        let trunk = AlexNetConfig {
            latent_dim: 0,
            ..ModelScale::Tiny.trunk(64)
        };
        bench_method::<Comm>(
            c,
            &format!("comm/tiny-f{d}"),
            &s,
            64,
            gflop(&trunk, 4, 0, 64),
        );
    }
    let paper = settings(ModelScale::Paper);
    let comm_paper = AlexNetConfig {
        latent_dim: 0,
        ..AlexNetConfig::paper(512)
    };
    // The stock AlexNet at 64 px: 256 x 1 x 1 features, one token.
    let a64 = AlexNetConfig {
        image_size: 64,
        ..comm_paper.clone()
    };
    let mut cfg64 = CommConfig::paper();
    cfg64.trunk.image_size = 64;
    bench_model::<Comm>(
        c,
        "comm/paper-alexnet-64px",
        &paper,
        64,
        gflop(&a64, 4, 0, 64),
        &|d| cfg64.init(d),
    );
    bench_method::<Comm>(c, "comm/paper", &paper, 224, gflop(&comm_paper, 4, 0, 64));
}

criterion_group!(benches, bench);
criterion_main!(benches);
