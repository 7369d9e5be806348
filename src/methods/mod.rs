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
