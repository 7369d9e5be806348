//! Cross = CLIP (REFERENCE §4.4, §5.2): two AlexNet encoders with the flatten + Linear output
//! (`global_pool = "avg"`, latent 256 at the paper scale), two bias-free projections, the CLIP loss
//! on weak crops, and the logit scale clamped to [0, ln 100] after each step. Probe feature: the
//! concatenated projections (1024 dims at the paper scale).

use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use crate::losses::clip::{LOGIT_SCALE_MAX, clip_loss};
use crate::models::ModelScale;
use crate::models::alexnet::{AlexNet, AlexNetConfig};
use crate::models::heads::{ClipProjection, ClipProjectionConfig};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct Cross {
    enc1: AlexNet,
    enc2: AlexNet,
    proj: ClipProjection,
}

impl Cross {
    fn projections(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let a = self.proj.proj1.forward(self.enc1.forward_vector(x1));
        let b = self.proj.proj2.forward(self.enc2.forward_vector(x2));
        (a, b)
    }
}

impl Method for Cross {
    fn init(s: &MethodSettings, device: &Device) -> Self {
        // Paper: latent 256 -> projection 512; small: 128 -> 256; tiny: 64 -> 128.
        let (trunk, out) = match s.model {
            ModelScale::Paper => (AlexNetConfig::paper(256), 512),
            ModelScale::Small => (AlexNetConfig::small(128), 256),
            ModelScale::Tiny => (AlexNetConfig::tiny(64), 128),
        };
        Cross {
            enc1: trunk.init(device),
            enc2: trunk.init(device),
            proj: ClipProjectionConfig::new(trunk.latent_dim, out).init(device),
        }
    }

    fn views(_: &MethodSettings) -> Vec<ViewSpec> {
        ViewSpec::weak_pair()
    }

    fn term_names() -> Vec<&'static str> {
        vec!["clip"]
    }

    fn loss(&self, views: Vec<Tensor<4>>, _labels: &[[u8; 4]], _: &MethodSettings) -> MethodLoss {
        let [x1, x2]: [Tensor<4>; 2] = views.try_into().expect("Cross takes two views");
        let (a, b) = self.projections(x1, x2);
        let loss = clip_loss(a, b, self.proj.logit_scale.val());
        MethodLoss {
            loss: loss.clone(),
            terms: vec![loss],
        }
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        let (a, b) = self.projections(x1, x2);
        // [B, p] ++ [B, p] -> [B, 2p]
        Tensor::cat(vec![a, b], 1)
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        self.projections(x1, x2)
    }

    fn after_step(mut self) -> Self {
        // A fresh leaf: the clamp must not link the parameter to the consumed graph.
        self.proj.logit_scale = self.proj.logit_scale.map(|t| {
            let c = t.clamp(0.0, LOGIT_SCALE_MAX).detach();
            if c.device().is_autodiff() {
                c.require_grad()
            } else {
                c
            }
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::testing::{fixed_batch_losses, settings};
    use crate::models::vector_fusion::FusionKind;

    #[test]
    fn loss_decreases_and_logit_scale_stays_clamped() {
        let l = fixed_batch_losses::<Cross>(2, &settings(FusionKind::Transformer));
        assert!(
            l.iter().all(|v| v.is_finite()) && l[5] < l[0] - 0.01,
            "{l:?}"
        );
        let device = Device::flex();
        let mut m = Cross::init(&settings(FusionKind::Transformer), &device);
        m.proj.logit_scale = m.proj.logit_scale.map(|t| t * 10.0);
        let m = m.after_step();
        let v = m
            .proj
            .logit_scale
            .val()
            .into_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .unwrap()[0];
        assert!((v - LOGIT_SCALE_MAX).abs() < 1e-5, "{v}");
    }
}
