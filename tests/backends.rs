//! A GPU backend computes the same function as the CPU one: the same CoMM weights and views give
//! the same loss and features, and one AdamW step moves both the same way. Built only with a GPU
//! feature (`cargo test --release --features wgpu --test backends`; `RUSBENCH_DEVICE` picks the
//! backend when several are built in). CI builds the CPU backend only, so this file is empty there.
#![cfg(any(feature = "cuda", feature = "wgpu", feature = "vulkan"))]

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use rusbench::augment::Augmentation;
use rusbench::device::Backend;
use rusbench::losses::CommVariant;
use rusbench::methods::comm::Comm;
use rusbench::methods::optim::adamw;
use rusbench::methods::{Method, MethodSettings};
use rusbench::models::ModelScale;
use rusbench::models::vector_fusion::FusionKind;

fn gpu() -> Backend {
    match Backend::from_env().unwrap() {
        Backend::Cpu => Backend::ALL
            .into_iter()
            .find(|b| !b.is_cpu() && b.compiled())
            .unwrap(),
        b => b,
    }
}

fn values<const D: usize>(x: Tensor<D>) -> Vec<f64> {
    x.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap()
}

#[test]
fn comm_matches_the_cpu_on_a_gpu_backend() {
    let s = MethodSettings {
        model: ModelScale::Tiny,
        temperature: 0.1,
        comm_loss: CommVariant::Full,
        augment: [Augmentation::ALL; 2],
        fusion: FusionKind::Transformer,
        fusion_dim: None,
    };
    let cpu = Device::flex().autodiff();
    cpu.seed(5);
    let model = Comm::init(&s, &cpu);
    let views: Vec<Tensor<4>> = (0..4)
        .map(|_| Tensor::random([16, 3, 64, 64], Distribution::Normal(0.0, 1.0), &cpu))
        .collect();
    let labels = vec![[0u8; 4]; 16];
    let dev = gpu().device().unwrap().autodiff();
    let on_gpu = |m: &Comm, v: &[Tensor<4>]| {
        (
            m.clone().fork(&dev), // fork, not to_device: the copy must stay trainable
            v.iter()
                .map(|x| x.clone().to_device(&dev))
                .collect::<Vec<_>>(),
        )
    };

    // Features of the same weights and images: f32 rounding apart, equal.
    let (mg, vg) = on_gpu(&model, &views);
    let fc = values(model.valid().features(
        views[0].clone().without_autodiff(),
        views[1].clone().without_autodiff(),
    ));
    let fg = values(mg.valid().features(
        vg[0].clone().without_autodiff(),
        vg[1].clone().without_autodiff(),
    ));
    let worst = fc
        .iter()
        .zip(&fg)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "features differ by {worst}");

    // Loss, then one AdamW step on each backend, then the loss again.
    let step = |m: Comm, v: Vec<Tensor<4>>| {
        let out = Method::loss(&m, v.clone(), &labels, &s);
        let before = values(out.loss.clone())[0];
        let grads = m.main_grads(out.loss);
        let m = adamw(1e-4).step(1e-3, m, grads).after_step();
        (before, values(Method::loss(&m, v, &labels, &s).loss)[0])
    };
    let (c0, c1) = step(model, views);
    let (g0, g1) = step(mg, vg);
    eprintln!("features max |diff| {worst:.2e}; loss cpu {c0} -> {c1}, gpu {g0} -> {g1}");
    assert!((c0 - g0).abs() < 1e-4 * c0.abs(), "loss {c0} (cpu) vs {g0}");
    assert!(
        c1 < c0 && g1 < g0,
        "a step lowers the loss: {c0}->{c1}, {g0}->{g1}"
    );
    assert!(
        (c1 - g1).abs() < 1e-3 * c1.abs(),
        "after a step {c1} vs {g1}"
    );
}
