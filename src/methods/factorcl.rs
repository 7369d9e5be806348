//! FactorCL (REFERENCE §9; Liang et al., NeurIPS 2023) as the CoMM authors ran it on
//! Trifeatures: two AlexNet encoders (flatten + Linear), ten projection heads (one per term and
//! modality), four InfoNCE critics and two NCE-CLUB critics. The main loss updates everything but
//! the CLUB critics; then the CLUB critics alone take one step on their InfoNCE learning loss,
//! with the encoders re-run after the main step (`Method::aux_loss`).
//!
//! Views: x1, x2 weak crops; x1' the full strong pipeline; x2' the strong pipeline without crop.
//! Probe feature: the five heads of each modality, concatenated (10 x d).

use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use crate::augment::Augmentation;
use crate::losses::factorcl::{club_bounds, infonce_lower};
use crate::models::ModelScale;
use crate::models::alexnet::{AlexNet, AlexNetConfig};
use crate::models::critic::{Critic, CriticConfig};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// `Linear(d, d) -> ReLU -> Linear(d, d)`.
#[derive(Module, Debug)]
pub struct Head {
    l1: Linear,
    l2: Linear,
}

impl Head {
    fn new(d: usize, device: &Device) -> Self {
        Head {
            l1: LinearConfig::new(d, d).init(device),
            l2: LinearConfig::new(d, d).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.l2.forward(relu(self.l1.forward(x)))
    }
}

#[derive(Module, Debug)]
pub struct FactorCl {
    enc1: AlexNet,
    enc2: AlexNet,
    /// Shared: `infonce_x1x2` (S) and `club_x1x2_cond` (k), one per modality.
    h_s: [Head; 2],
    h_k: [Head; 2],
    /// Unique: `club_x1x2` (U), `infonce_x1x2_cond` (c), one per modality; `infonce_x1y`,
    /// `infonce_x2y`.
    h_u: [Head; 2],
    h_c: [Head; 2],
    h_y: [Head; 2],
    nce_x1x2: Critic,
    nce_x1y: Critic,
    nce_x2y: Critic,
    nce_cond: Critic,
    club_x1x2: Critic,
    club_cond: Critic,
}

/// Embeddings of the four views: (e1, e2, e1', e2').
type Embeddings = [Tensor<2>; 4];

impl FactorCl {
    fn embed(&self, views: Vec<Tensor<4>>) -> Embeddings {
        let [x1, x2, a1, a2]: [Tensor<4>; 4] = views.try_into().expect("FactorCL takes four views");
        [
            self.enc1.forward_vector(x1),
            self.enc2.forward_vector(x2),
            self.enc1.forward_vector(a1),
            self.enc2.forward_vector(a2),
        ]
    }

    /// Inputs of the two CLUB critics: (h_U1(e1), h_U2(e2)) and the conditional
    /// ([h_k1(e1); h_k1(e1')], [h_k2(e2); h_k2(e2')]).
    fn club_inputs(&self, e: &Embeddings) -> [(Tensor<2>, Tensor<2>); 2] {
        let [e1, e2, a1, a2] = e.clone();
        let k = |h: &Head, x: Tensor<2>, xa: Tensor<2>| {
            Tensor::cat(vec![h.forward(x), h.forward(xa)], 1)
        };
        [
            (
                self.h_u[0].forward(e1.clone()),
                self.h_u[1].forward(e2.clone()),
            ),
            (k(&self.h_k[0], e1, a1), k(&self.h_k[1], e2, a2)),
        ]
    }

    fn nce(critic: &Critic, x: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
        infonce_lower(critic.matched(x.clone(), y.clone()), critic.pairwise(x, y))
    }

    /// CLUB(x, y) with `T0 = f([y_i; x_i])`, `T1[i][j] = f([y_i; x_j])`.
    fn club(critic: &Critic, x: Tensor<2>, y: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
        club_bounds(critic.matched(y.clone(), x.clone()), critic.pairwise(y, x))
    }

    fn modality(&self, e: Tensor<2>, m: usize) -> Tensor<2> {
        // Five heads of modality m, [B, d] each -> [B, 5d].
        Tensor::cat(
            vec![
                self.h_s[m].forward(e.clone()),
                self.h_k[m].forward(e.clone()),
                self.h_y[m].forward(e.clone()),
                self.h_c[m].forward(e.clone()),
                self.h_u[m].forward(e),
            ],
            1,
        )
    }
}

impl Method for FactorCl {
    const AUX: bool = true;

    fn init(s: &MethodSettings, device: &Device) -> Self {
        // Paper: latent 512, heads 512, critics hidden 512; small 128; tiny 64.
        let (trunk, d) = match s.model {
            ModelScale::Paper => (AlexNetConfig::paper(512), 512),
            ModelScale::Small => (AlexNetConfig::small(128), 128),
            ModelScale::Tiny => (AlexNetConfig::tiny(64), 64),
        };
        let pair = || [Head::new(d, device), Head::new(d, device)];
        let critic = |a: usize| CriticConfig::new(a, a, d).init(device);
        FactorCl {
            enc1: trunk.init(device),
            enc2: trunk.init(device),
            h_s: pair(),
            h_k: pair(),
            h_u: pair(),
            h_c: pair(),
            h_y: pair(),
            nce_x1x2: critic(d),
            nce_x1y: critic(d),
            nce_x2y: critic(d),
            nce_cond: critic(2 * d),
            club_x1x2: critic(d),
            club_cond: critic(2 * d),
        }
    }

    fn views(_: &MethodSettings) -> Vec<ViewSpec> {
        let v = |modality, augmentation| ViewSpec {
            modality,
            augmentation,
        };
        vec![
            v(0, Augmentation::Weak),
            v(1, Augmentation::Weak),
            v(0, Augmentation::ALL),
            v(1, Augmentation::Strong { crop: None }),
        ]
    }

    fn term_names() -> Vec<&'static str> {
        vec![
            "nce_x1x2",
            "club_x1x2",
            "nce_x1y",
            "nce_x2y",
            "nce_x1x2_cond",
            "club_x1x2_cond",
        ]
    }

    fn loss(&self, views: Vec<Tensor<4>>, _labels: &[[u8; 4]], _s: &MethodSettings) -> MethodLoss {
        let e = self.embed(views);
        let [e1, e2, a1, a2] = e.clone();
        let s_term = Self::nce(
            &self.nce_x1x2,
            self.h_s[0].forward(e1.clone()),
            self.h_s[1].forward(e2.clone()),
        )
        .neg();
        let y1 = Self::nce(
            &self.nce_x1y,
            self.h_y[0].forward(e1.clone()),
            self.h_y[0].forward(a1.clone()),
        )
        .neg();
        let y2 = Self::nce(
            &self.nce_x2y,
            self.h_y[1].forward(e2.clone()),
            self.h_y[1].forward(a2.clone()),
        )
        .neg();
        let cat = |h: &Head, x: Tensor<2>, xa: Tensor<2>| {
            Tensor::cat(vec![h.forward(x), h.forward(xa)], 1)
        };
        let c_term = Self::nce(
            &self.nce_cond,
            cat(&self.h_c[0], e1, a1),
            cat(&self.h_c[1], e2, a2),
        )
        .neg();
        let [(u1, u2), (k1, k2)] = self.club_inputs(&e);
        let u_term = Self::club(&self.club_x1x2, u1, u2).1;
        let k_term = Self::club(&self.club_cond, k1, k2).1;
        let loss = s_term.clone()
            + u_term.clone()
            + y1.clone()
            + y2.clone()
            + c_term.clone()
            + k_term.clone();
        MethodLoss {
            loss,
            terms: vec![s_term, u_term, y1, y2, c_term, k_term],
        }
    }

    /// The reference zeroes the CLUB critics' gradients from the main loss before their own step:
    /// they are dropped here. (Marking the critics `no_grad` instead would leak into the
    /// original module through burn's lazily initialised parameters.)
    fn main_grads(&self, loss: Tensor<1>) -> GradientsParams {
        let mut raw = loss.backward();
        let _ = GradientsParams::from_module(&mut raw, &self.club_x1x2);
        let _ = GradientsParams::from_module(&mut raw, &self.club_cond);
        GradientsParams::from_grads(raw, self)
    }

    /// The CLUB critics' learning loss (negated InfoNCE lower bounds) on detached embeddings of
    /// the re-run encoders, so only the two critics receive gradients.
    fn aux_loss(&self, views: Vec<Tensor<4>>) -> Option<Tensor<1>> {
        let e = self.embed(views).map(|t| t.detach());
        let [(u1, u2), (k1, k2)] = self.club_inputs(&e).map(|(a, b)| (a.detach(), b.detach()));
        let lu = Self::club(&self.club_x1x2, u1, u2).0;
        let lk = Self::club(&self.club_cond, k1, k2).0;
        Some((lu + lk).neg())
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        let (a, b) = self.modality_features(x1, x2);
        // [B, 5d] ++ [B, 5d] -> [B, 10d]
        Tensor::cat(vec![a, b], 1)
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        (
            self.modality(self.enc1.forward_vector(x1), 0),
            self.modality(self.enc2.forward_vector(x2), 1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::optim::adamw;
    use burn::tensor::Distribution;

    fn settings() -> MethodSettings {
        let mut s = crate::methods::testing::settings(
            crate::models::vector_fusion::FusionKind::Transformer,
        );
        s.model = ModelScale::Tiny;
        s
    }

    /// At initialisation every critic is nearly constant, so each bound starts at ~0; training
    /// on one batch must make the InfoNCE lower bounds positive (the loss negative).
    #[test]
    fn loss_decreases_on_a_fixed_batch() {
        let device = Device::flex().autodiff();
        device.seed(11);
        let s = settings();
        let mut model = FactorCl::init(&s, &device);
        let mut optim = adamw(0.0);
        // Pure noise images all look alike to a pooled trunk; give each pair its own level
        // (per-sample offsets 0..8) shared by its four views, plus view noise.
        let level = Tensor::<1, burn::tensor::Int>::arange(0..8, &device)
            .float()
            .reshape([8, 1, 1, 1]); // [8] -> [8, 1, 1, 1]
        let views: Vec<Tensor<4>> = (0..4)
            .map(|_| {
                Tensor::random([8, 3, 64, 64], Distribution::Normal(0.0, 0.3), &device)
                    + level.clone()
            })
            .collect();
        let mut losses = Vec::new();
        for _ in 0..15 {
            let out = model.loss(views.clone(), &[], &s);
            losses.push(crate::train::scalar(out.loss.clone()));
            let grads = model.main_grads(out.loss);
            model = optim.step(1e-3, model, grads);
            let aux = model.aux_loss(views.clone()).unwrap();
            let grads = GradientsParams::from_grads(aux.backward(), &model);
            model = optim.step(1e-3, model, grads);
        }
        assert!(
            losses.iter().all(|v| v.is_finite()) && losses[14] < losses[0] - 0.5,
            "{losses:?}"
        );
    }

    /// The main step leaves the CLUB critics unchanged; the auxiliary step changes only them.
    #[test]
    fn club_critics_update_only_in_their_own_step() {
        let device = Device::flex().autodiff();
        device.seed(5);
        let s = settings();
        let model = FactorCl::init(&s, &device);
        let views: Vec<Tensor<4>> = (0..4)
            .map(|_| Tensor::random([6, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device))
            .collect();
        let flat = |m: &FactorCl| -> (Vec<f32>, Vec<f32>) {
            let club = m.club_x1x2.l_weights();
            let enc = m.h_s[0]
                .l1
                .weight
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            (club, enc)
        };
        let before = flat(&model);
        let out = model.loss(views.clone(), &[], &s);
        let grads = model.main_grads(out.loss);
        let model = adamw(0.0).step(1e-3, model, grads);
        let mid = flat(&model);
        assert_eq!(before.0, mid.0, "main step moved a CLUB critic");
        assert_ne!(before.1, mid.1, "main step did not move the heads");
        let aux = model.aux_loss(views).unwrap();
        let grads = GradientsParams::from_grads(aux.backward(), &model);
        let model = adamw(0.0).step(1e-3, model, grads);
        let after = flat(&model);
        assert_ne!(mid.0, after.0, "aux step did not move the CLUB critic");
        assert_eq!(mid.1, after.1, "aux step moved a head");
    }

    #[test]
    fn probe_feature_is_ten_heads_wide() {
        let device = Device::flex();
        let m = FactorCl::init(&settings(), &device);
        let x = Tensor::<4>::zeros([3, 3, 64, 64], &device);
        assert_eq!(m.features(x.clone(), x).dims(), [3, 640]);
    }
}
