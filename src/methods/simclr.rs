//! SimCLR (REFERENCE §5.4), unimodal: `L = NT(h(e(a1)), h(e(a2)))` on two strong views of image 1
//! of each pair (the reference uses it for unimodal Trifeatures only, not in Fig. 4). Encoder as
//! Cross+Self's (flatten + Linear, latent 256 at the paper scale) with a 256-1024-256 head. Probe
//! feature: `e(x1) ++ e(x2)` with the one encoder applied to both images, so the probe tasks stay
//! comparable with the bimodal methods.

use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use crate::losses::nt_xent;
use crate::models::ModelScale;
use crate::models::alexnet::{AlexNet, AlexNetConfig};
use crate::models::heads::{ProjectionHead, ProjectionHeadConfig};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct SimClr {
    enc: AlexNet,
    head: ProjectionHead,
}

impl Method for SimClr {
    fn init(s: &MethodSettings, device: &Device) -> Self {
        let (trunk, hidden, out) = match s.model {
            ModelScale::Paper => (AlexNetConfig::paper(256), 1024, 256),
            ModelScale::Small => (AlexNetConfig::small(128), 512, 128),
            ModelScale::Tiny => (AlexNetConfig::tiny(64), 256, 64),
        };
        SimClr {
            enc: trunk.init(device),
            head: ProjectionHeadConfig::new(trunk.latent_dim, hidden, out).init(device),
        }
    }

    fn views(s: &MethodSettings) -> Vec<ViewSpec> {
        vec![
            ViewSpec {
                modality: 0,
                augmentation: s.augment[0]
            };
            2
        ]
    }

    fn term_names() -> Vec<&'static str> {
        vec!["simclr"]
    }

    fn loss(&self, views: Vec<Tensor<4>>, _labels: &[[u8; 4]], s: &MethodSettings) -> MethodLoss {
        let [a1, a2]: [Tensor<4>; 2] = views.try_into().expect("SimCLR takes two views");
        let h = |x| self.head.forward(self.enc.forward_vector(x));
        let loss = nt_xent(h(a1), h(a2), s.temperature);
        MethodLoss {
            loss: loss.clone(),
            terms: vec![loss],
        }
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        // [B, l] ++ [B, l] -> [B, 2l]
        Tensor::cat(
            vec![self.enc.forward_vector(x1), self.enc.forward_vector(x2)],
            1,
        )
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        (self.enc.forward_vector(x1), self.enc.forward_vector(x2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_decreases_on_a_fixed_batch() {
        let l = crate::methods::testing::fixed_batch_losses::<SimClr>(
            2,
            &crate::methods::testing::settings(
                crate::models::vector_fusion::FusionKind::Transformer,
            ),
        );
        assert!(
            l.iter().all(|v| v.is_finite()) && l[5] < l[0] - 0.05,
            "{l:?}"
        );
    }
}
