//! Cross+Self (REFERENCE §4.4, §5.3): encoders with the flatten + Linear output (latent 256), one
//! projection head per modality (256-1024-256 with BN) used for both terms;
//! `L = NT(h1(e1(x1)), h2(e2(x2))) + 1/2 [NT(h1(e1(a11)), h1(e1(a12))) + NT(h2(e2(a21)), h2(e2(a22)))]`
//! with x the weak crops and a the strong views. Probe feature: `e1(x1) ++ e2(x2)` (512 dims).

use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use crate::augment::Augmentation;
use crate::losses::nt_xent;
use crate::models::ModelScale;
use crate::models::alexnet::{AlexNet, AlexNetConfig};
use crate::models::heads::{ProjectionHead, ProjectionHeadConfig};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct CrossSelf {
    enc1: AlexNet,
    enc2: AlexNet,
    head1: ProjectionHead,
    head2: ProjectionHead,
}

impl Method for CrossSelf {
    fn init(s: &MethodSettings, device: &Device) -> Self {
        let (trunk, hidden, out) = match s.model {
            ModelScale::Paper => (AlexNetConfig::paper(256), 1024, 256),
            ModelScale::Small => (AlexNetConfig::small(128), 512, 128),
            ModelScale::Tiny => (AlexNetConfig::tiny(64), 256, 64),
        };
        let head = || ProjectionHeadConfig::new(trunk.latent_dim, hidden, out).init(device);
        CrossSelf {
            enc1: trunk.init(device),
            enc2: trunk.init(device),
            head1: head(),
            head2: head(),
        }
    }

    /// x1, x2 (weak), a11, a12 (strong, modality 1), a21, a22 (strong, modality 2).
    fn views(s: &MethodSettings) -> Vec<ViewSpec> {
        let weak = |m| ViewSpec {
            modality: m,
            augmentation: Augmentation::Weak,
        };
        let strong = |m: usize| ViewSpec {
            modality: m,
            augmentation: s.augment[m],
        };
        vec![weak(0), weak(1), strong(0), strong(0), strong(1), strong(1)]
    }

    fn term_names() -> Vec<&'static str> {
        vec!["cross", "self1", "self2"]
    }

    fn loss(&self, views: Vec<Tensor<4>>, _labels: &[[u8; 4]], s: &MethodSettings) -> MethodLoss {
        let [x1, x2, a11, a12, a21, a22]: [Tensor<4>; 6] =
            views.try_into().expect("Cross+Self takes six views");
        let h1 = |x| self.head1.forward(self.enc1.forward_vector(x));
        let h2 = |x| self.head2.forward(self.enc2.forward_vector(x));
        let tau = s.temperature;
        let cross = nt_xent(h1(x1), h2(x2), tau);
        let self1 = nt_xent(h1(a11), h1(a12), tau);
        let self2 = nt_xent(h2(a21), h2(a22), tau);
        let loss = cross.clone() + (self1.clone() + self2.clone()) / 2.0;
        MethodLoss {
            loss,
            terms: vec![cross, self1, self2],
        }
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        // [B, l] ++ [B, l] -> [B, 2l]
        Tensor::cat(
            vec![self.enc1.forward_vector(x1), self.enc2.forward_vector(x2)],
            1,
        )
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        (self.enc1.forward_vector(x1), self.enc2.forward_vector(x2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_decreases_on_a_fixed_batch() {
        let l = crate::methods::testing::fixed_batch_losses::<CrossSelf>(
            6,
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
