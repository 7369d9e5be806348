//! CoMM (REFERENCE §4, §5.1): two trunks, two latent converters, one fusion transformer run three
//! times per view (modality 1 alone, modality 2 alone, both), one projection head applied to each
//! embedding separately, and the CoMM loss.

use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use crate::losses::{CommLossOutput, CommVariant, comm_loss};
use crate::models::ModelScale;
use crate::models::adapter::{Adapter, AdapterConfig};
use crate::models::alexnet::{AlexNet, AlexNetConfig};
use crate::models::fusion::{Fusion, FusionConfig};
use crate::models::heads::{ProjectionHead, ProjectionHeadConfig};
use crate::models::vector_fusion::{FusionKind, VectorFusion, VectorFusionConfig};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Config, Debug)]
pub struct CommConfig {
    pub trunk: AlexNetConfig,
    pub fusion: FusionConfig,
    /// Head hidden and output sizes (512, 256 in the reference).
    pub head_hidden: usize,
    pub head_out: usize,
    /// The fusion ablation: transformer (default), linear or MLP.
    #[config(default = "FusionKind::Transformer")]
    pub fusion_kind: FusionKind,
}

impl CommConfig {
    /// The reference model: AlexNet 256 x 6 x 6 -> 36 tokens of 512 -> 1 block -> head
    /// 512-512-512-256.
    pub fn paper() -> Self {
        CommConfig::new(AlexNetConfig::paper(512), FusionConfig::paper(), 512, 256)
    }

    /// The 64 px model: small trunk (128 x 3 x 3 -> 9 tokens), width 128, 4 heads.
    pub fn small() -> Self {
        CommConfig::new(
            AlexNetConfig::small(128),
            FusionConfig::new(128, 4, 1, 512),
            128,
            64,
        )
    }

    /// The CPU-preset model: tiny trunk (64 x 3 x 3 -> 9 tokens), width 64, 4 heads, MLP 256,
    /// head 64-64-64-32.
    pub fn tiny() -> Self {
        CommConfig::new(
            AlexNetConfig::tiny(64),
            FusionConfig::new(64, 4, 1, 256),
            64,
            32,
        )
    }

    pub fn at(scale: ModelScale) -> Self {
        match scale {
            ModelScale::Paper => CommConfig::paper(),
            ModelScale::Small => CommConfig::small(),
            ModelScale::Tiny => CommConfig::tiny(),
        }
    }

    /// The model a run asks for: the scale's config, its fusion kind and, if set, its fusion width.
    pub fn from_settings(s: &MethodSettings) -> Self {
        let cfg = CommConfig::at(s.model).with_fusion_kind(s.fusion);
        match s.fusion_dim {
            Some(d) => cfg.with_width(d),
            None => cfg,
        }
    }

    /// Fusion width `d` with every size tied to it as at each preset scale (paper 512, small
    /// 128, tiny 64): tokens and transformer `d`, MLP `4d`, head `d-d-d-d/2`. Heads unchanged.
    pub fn with_width(mut self, d: usize) -> Self {
        self.fusion.dim = d;
        self.fusion.mlp_dim = 4 * d;
        self.head_hidden = d;
        self.head_out = d / 2;
        self
    }

    pub fn init(&self, device: &Device) -> Comm {
        let transformer = self.fusion_kind == FusionKind::Transformer;
        let adapter = || {
            AdapterConfig::new(
                self.trunk.out_channels(),
                self.fusion.dim,
                self.trunk.grid(),
            )
            .init(device)
        };
        let mlp = self.fusion_kind == FusionKind::Mlp;
        Comm {
            enc1: self.trunk.init(device),
            enc2: self.trunk.init(device),
            ad1: transformer.then(adapter),
            ad2: transformer.then(adapter),
            fusion: transformer.then(|| self.fusion.init(device)),
            vector: (!transformer).then(|| {
                VectorFusionConfig::new(self.trunk.latent_dim, self.fusion.dim, mlp).init(device)
            }),
            head: ProjectionHeadConfig::new(self.fusion.dim, self.head_hidden, self.head_out)
                .init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct Comm {
    enc1: AlexNet,
    enc2: AlexNet,
    ad1: Option<Adapter>,
    ad2: Option<Adapter>,
    fusion: Option<Fusion>,
    vector: Option<VectorFusion>,
    head: ProjectionHead,
}

impl Comm {
    /// `[Z_1, Z_2, Z]` before the head, each `[B, D]`, from images `[B, 3, H, W]`.
    pub fn embed(&self, x1: Tensor<4>, x2: Tensor<4>) -> [Tensor<2>; 3] {
        match (&self.fusion, &self.ad1, &self.ad2, &self.vector) {
            (Some(f), Some(a1), Some(a2), _) => {
                let t1 = a1.forward(self.enc1.forward(x1)); // [B, g*g, D]
                let t2 = a2.forward(self.enc2.forward(x2)); // [B, g*g, D]
                [
                    f.forward(std::slice::from_ref(&t1)),
                    f.forward(std::slice::from_ref(&t2)),
                    f.forward(&[t1, t2]),
                ]
            }
            (_, _, _, Some(v)) => {
                v.forward(self.enc1.forward_vector(x1), self.enc2.forward_vector(x2))
            }
            _ => unreachable!("a CoMM model has a transformer or a vector fusion"),
        }
    }

    /// The probe feature: Z, the fused embedding of both modalities.
    pub fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        match (&self.fusion, &self.ad1, &self.ad2, &self.vector) {
            (Some(f), Some(a1), Some(a2), _) => {
                let t1 = a1.forward(self.enc1.forward(x1));
                let t2 = a2.forward(self.enc2.forward(x2));
                f.forward(&[t1, t2])
            }
            (_, _, _, Some(v)) => {
                v.fuse(self.enc1.forward_vector(x1), self.enc2.forward_vector(x2))
            }
            _ => unreachable!("a CoMM model has a transformer or a vector fusion"),
        }
    }

    /// The CoMM loss of two views `(x1, x2)`; the head runs on each embedding separately (so
    /// BatchNorm statistics are per call, as in the reference).
    pub fn loss(
        &self,
        view1: (Tensor<4>, Tensor<4>),
        view2: (Tensor<4>, Tensor<4>),
        tau: f64,
        variant: CommVariant,
    ) -> CommLossOutput {
        let project = |e: [Tensor<2>; 3]| e.map(|z| self.head.forward(z));
        let a = project(self.embed(view1.0, view1.1));
        let b = project(self.embed(view2.0, view2.1));
        comm_loss(a, b, tau, variant)
    }
}

impl Method for Comm {
    fn init(s: &MethodSettings, device: &Device) -> Self {
        CommConfig::from_settings(s).init(device)
    }

    /// Two strong views per modality: X'_1, X'_2, X''_1, X''_2.
    fn views(s: &MethodSettings) -> Vec<ViewSpec> {
        (0..2)
            .flat_map(|_| {
                (0..2).map(|m| ViewSpec {
                    modality: m,
                    augmentation: s.augment[m],
                })
            })
            .collect()
    }

    fn term_names() -> Vec<&'static str> {
        vec!["term1", "term2", "term12"]
    }

    fn loss(&self, views: Vec<Tensor<4>>, _labels: &[[u8; 4]], s: &MethodSettings) -> MethodLoss {
        let [a1, a2, b1, b2]: [Tensor<4>; 4] = views.try_into().expect("CoMM takes four views");
        let out = Comm::loss(self, (a1, a2), (b1, b2), s.temperature, s.comm_loss);
        MethodLoss {
            loss: out.loss,
            terms: vec![out.term1, out.term2, out.term12],
        }
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        Comm::features(self, x1, x2)
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let [z1, z2, _] = self.embed(x1, x2);
        (z1, z2)
    }

    fn pid_views(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>, Option<Tensor<2>>) {
        let [z1, z2, z] = self.embed(x1, x2);
        (z1, z2, Some(z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::testing::{fixed_batch_losses, settings};

    #[test]
    fn loss_decreases_for_every_fusion() {
        for kind in [FusionKind::Transformer, FusionKind::Linear, FusionKind::Mlp] {
            let l = fixed_batch_losses::<Comm>(4, &settings(kind));
            assert!(
                l.iter().all(|v| v.is_finite()) && l[5] < l[0] - 0.05,
                "{kind:?}: {l:?}"
            );
        }
    }

    /// The run's settings reach the model: the fusion ablation's kind and the fusion width.
    #[test]
    fn settings_choose_the_fusion_and_its_width() {
        let device = Device::flex();
        let x = || Tensor::<4>::zeros([2, 3, 64, 64], &device);
        let mut counts = Vec::new();
        for kind in [FusionKind::Transformer, FusionKind::Linear, FusionKind::Mlp] {
            let m = <Comm as Method>::init(&settings(kind), &device);
            assert_eq!(
                m.fusion.is_some(),
                kind == FusionKind::Transformer,
                "{kind:?}"
            );
            assert_eq!(
                m.vector.is_some(),
                kind != FusionKind::Transformer,
                "{kind:?}"
            );
            counts.push(m.num_params());
        }
        assert!(
            counts[0] != counts[1] && counts[1] != counts[2],
            "{counts:?}"
        );
        let mut s = settings(FusionKind::Transformer);
        s.fusion_dim = Some(256);
        let m = <Comm as Method>::init(&s, &device);
        assert_eq!(Comm::features(&m, x(), x()).dims(), [2, 256]);
        let [z1, _, _] = m.embed(x(), x());
        // The head maps d -> d/2.
        assert_eq!(m.head.forward(z1).dims(), [2, 128]);
    }

    #[test]
    fn features_and_the_paper_count() {
        let device = Device::flex();
        let x = || Tensor::<4>::zeros([2, 3, 64, 64], &device);
        for kind in [FusionKind::Transformer, FusionKind::Linear, FusionKind::Mlp] {
            let m = CommConfig::small().with_fusion_kind(kind).init(&device);
            assert_eq!(Comm::features(&m, x(), x()).dims(), [2, 128]);
            let [z1, z2, z] = m.embed(x(), x());
            assert_eq!(
                (z1.dims(), z2.dims(), z.dims()),
                ([2, 128], [2, 128], [2, 128])
            );
        }
        // The transformer variant still has exactly the paper's parameters (Options are empty).
        let paper = CommConfig::paper().init(&device);
        let fc = 2 * 4_719_104; // the two unused Linear(9216 -> 512)
        // burn also counts the head's BatchNorm running mean and variance (2 x 2 x 512).
        assert_eq!(paper.num_params() - fc - 2 * 2 * 512, 9_015_168);
    }
}
