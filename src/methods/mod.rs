//! Methods (REFERENCE §5), one file each, behind the [`MethodKind`] registry. Each method says
//! which augmented views of a pair it consumes, computes its loss (with every term, for
//! logging) and the probe features of REFERENCE §7.

pub mod comm;
pub mod cross;
pub mod cross_self;
pub mod factorcl;
pub mod optim;
pub mod simclr;
pub mod supervised;

use crate::augment::Augmentation;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MethodKind {
    /// CoMM: 2n+1 NT-Xent terms between unimodal and multimodal embeddings of strong views.
    Comm,
    /// Cross = CLIP: cross-modal InfoNCE on weak crops.
    Cross,
    /// Cross+Self: cross-modal NT-Xent plus SimCLR within each modality.
    CrossSelf,
    /// SimCLR on modality 1 alone (unimodal baseline).
    Simclr,
    /// CoMM's architecture trained with the four tasks' labels (upper reference).
    Supervised,
    /// FactorCL: factorised shared/unique InfoNCE and NCE-CLUB terms (REFERENCE §9).
    #[serde(rename = "factorcl")]
    #[value(name = "factorcl")]
    Factorcl,
}

impl MethodKind {
    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Comm => "comm",
            MethodKind::Cross => "cross",
            MethodKind::CrossSelf => "cross-self",
            MethodKind::Simclr => "simclr",
            MethodKind::Supervised => "supervised",
            MethodKind::Factorcl => "factorcl",
        }
    }
}

/// One view a method consumes: which modality of the pair, which augmentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewSpec {
    pub modality: usize,
    pub augmentation: Augmentation,
}

impl ViewSpec {
    /// One weak crop of each modality (the reference's `img_transform`).
    pub fn weak_pair() -> Vec<ViewSpec> {
        (0..2)
            .map(|m| ViewSpec {
                modality: m,
                augmentation: Augmentation::Weak,
            })
            .collect()
    }
}

/// A loss with its named terms (the terms are logged, the loss is optimised).
pub struct MethodLoss {
    pub loss: Tensor<1>,
    pub terms: Vec<Tensor<1>>,
}

/// Settings a method reads from the preset.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodSettings {
    pub model: crate::models::ModelScale,
    pub temperature: f64,
    pub comm_loss: crate::losses::CommVariant,
    /// Per-modality augmentation of the strong views (CoMM's ablation).
    pub augment: [Augmentation; 2],
    /// CoMM's fusion (the fusion ablation).
    pub fusion: crate::models::vector_fusion::FusionKind,
    /// CoMM's fusion width, overriding the scale's (None: the scale's own).
    pub fusion_dim: Option<usize>,
}

/// What the training loop needs from a method.
pub trait Method: Module + Sized {
    /// Whether [`Method::aux_loss`] is used (a second optimiser with its own checkpoint).
    const AUX: bool = false;
    fn init(s: &MethodSettings, device: &Device) -> Self;
    fn views(s: &MethodSettings) -> Vec<ViewSpec>;
    fn term_names() -> Vec<&'static str>;
    /// `views` in the order of [`Method::views`], each `[B, 3, H, W]`; `labels` are the pairs'
    /// (share, unique1, unique2, synergy) labels, used by the supervised baseline only.
    fn loss(&self, views: Vec<Tensor<4>>, labels: &[[u8; 4]], s: &MethodSettings) -> MethodLoss;
    /// Probe features of the pair (weak crops of both modalities).
    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2>;
    /// One representation per modality (for the PID estimator): CoMM's Z_1 and Z_2 (the fusion
    /// with the other modality's tokens dropped), the other methods' per-modality parts of
    /// their probe feature.
    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>);
    /// The three views the PID estimator reads: the per-modality features and, for a method
    /// whose probe feature fuses the modalities (CoMM), that fused feature; `None` where the
    /// probe feature is the concatenation of the two.
    fn pid_views(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>, Option<Tensor<2>>) {
        let (a, b) = self.modality_features(x1, x2);
        (a, b, None)
    }
    /// Gradients of the main loss for the optimiser (FactorCL drops its CLUB critics' here).
    fn main_grads(&self, loss: Tensor<1>) -> burn::optim::GradientsParams {
        burn::optim::GradientsParams::from_grads(loss.backward(), self)
    }
    /// A second update after the main step, on parameters [`Method::main_grads`] leaves out
    /// (FactorCL's CLUB critics); its graph reaches only those parameters. Gets the same views.
    fn aux_loss(&self, _views: Vec<Tensor<4>>) -> Option<Tensor<1>> {
        None
    }
    /// After each optimiser step (CLIP's logit-scale clamp).
    fn after_step(self) -> Self {
        self
    }
}

/// Helpers shared by the methods' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::losses::CommVariant;
    use crate::methods::optim::adamw;
    use crate::models::vector_fusion::FusionKind;
    use burn::optim::GradientsParams;
    use burn::tensor::Distribution;

    pub fn settings(fusion: FusionKind) -> MethodSettings {
        MethodSettings {
            model: crate::models::ModelScale::Small,
            temperature: 0.1,
            comm_loss: CommVariant::Full,
            augment: [Augmentation::ALL; 2],
            fusion,
            fusion_dim: None,
        }
    }

    /// Six optimiser steps on one fixed batch of 8 random 64 px views; returns the losses.
    pub fn fixed_batch_losses<M: Method>(n_views: usize, s: &MethodSettings) -> Vec<f64> {
        let device = Device::flex().autodiff();
        device.seed(11);
        let mut model = M::init(s, &device);
        let mut optim = adamw(1e-4);
        let views: Vec<Tensor<4>> = (0..n_views)
            .map(|_| Tensor::random([8, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device))
            .collect();
        let mut losses = Vec::new();
        for _ in 0..6 {
            let labels: Vec<[u8; 4]> = (0..8u8)
                .map(|i| [i % 10, (i * 3) % 10, (i * 7) % 10, i % 2])
                .collect();
            let out = model.loss(views.clone(), &labels, s);
            losses.push(crate::train::scalar(out.loss.clone()));
            let grads = GradientsParams::from_grads(out.loss.backward(), &model);
            model = optim.step(3e-4, model, grads).after_step();
        }
        losses
    }
}

#[cfg(test)]
mod pid_view_tests {
    use super::testing::settings;
    use super::*;
    use crate::models::vector_fusion::FusionKind;
    use burn::tensor::Distribution;

    fn max_diff(a: Tensor<2>, b: Tensor<2>) -> f32 {
        let v: Vec<f32> = (a - b)
            .abs()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap();
        v.into_iter().fold(0.0, f32::max)
    }

    /// The PID estimator's joint view is the probe feature: CoMM's fused Z (its views flagged
    /// fused), and for per-modality methods the concatenation of their two parts (flagged none).
    #[test]
    fn pid_views_agree_with_the_probe_feature() {
        let device = Device::flex();
        device.seed(3);
        let x = || Tensor::<4>::random([3, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
        let (x1, x2) = (x(), x());
        let s = settings(FusionKind::Transformer);
        let comm = comm::Comm::init(&s, &device);
        let (_, _, z) = comm.pid_views(x1.clone(), x2.clone());
        assert!(
            max_diff(
                z.expect("CoMM fuses"),
                Method::features(&comm, x1.clone(), x2.clone())
            ) < 1e-6
        );
        let cross = cross::Cross::init(&s, &device);
        let (a, b, z) = cross.pid_views(x1.clone(), x2.clone());
        assert!(z.is_none());
        assert!(max_diff(Tensor::cat(vec![a, b], 1), cross.features(x1, x2)) < 1e-6);
    }
}
