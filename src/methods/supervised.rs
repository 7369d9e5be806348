//! The supervised baseline: CoMM's architecture (trunks, latent converters, fusion transformer)
//! trained end to end with the labels of the four tasks, one linear classifier per task on the
//! fused representation Z, on weak crops; the loss is the mean of the four cross-entropies. It
//! shows what the architecture can hold when it is told the tasks (an upper reference for the
//! self-supervised methods). Probe feature: Z. (CoMM's projection head is carried but unused.)

use super::comm::{Comm, CommConfig};
use super::{Method, MethodLoss, MethodSettings, ViewSpec};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};

/// Classes of the four tasks.
const CLASSES: [usize; 4] = [10, 10, 10, 2];

#[derive(Module, Debug)]
pub struct Supervised {
    backbone: Comm,
    classifiers: Vec<Linear>,
}

/// Mean cross-entropy of `logits` `[B, K]` against integer `targets`.
///
/// # Shapes
/// - `logits`: `[B, K]`; `targets`: `B` values in `0..K`
/// - output: `[1]`
pub fn cross_entropy(logits: Tensor<2>, targets: &[u8]) -> Tensor<1> {
    let [b, k] = logits.dims();
    let device = logits.device();
    // [B, K] one-hot of the targets
    let mut hot = vec![0.0f32; b * k];
    for (i, &t) in targets.iter().enumerate() {
        hot[i * k + t as usize] = 1.0;
    }
    let onehot = Tensor::<2>::from_data(TensorData::new(hot, [b, k]), &device);
    (log_softmax(logits, 1) * onehot).sum_dim(1).mean().neg()
}

impl Method for Supervised {
    fn init(s: &MethodSettings, device: &Device) -> Self {
        let cfg = CommConfig::from_settings(s);
        let dim = cfg.fusion.dim;
        Supervised {
            backbone: cfg.init(device),
            classifiers: CLASSES
                .iter()
                .map(|&k| LinearConfig::new(dim, k).init(device))
                .collect(),
        }
    }

    fn views(_: &MethodSettings) -> Vec<ViewSpec> {
        ViewSpec::weak_pair()
    }

    fn term_names() -> Vec<&'static str> {
        vec!["ce_share", "ce_unique1", "ce_unique2", "ce_synergy"]
    }

    fn loss(&self, views: Vec<Tensor<4>>, labels: &[[u8; 4]], _: &MethodSettings) -> MethodLoss {
        let [x1, x2]: [Tensor<4>; 2] = views.try_into().expect("supervised takes two views");
        let z = self.backbone.features(x1, x2); // [B, D]
        let terms: Vec<Tensor<1>> = self
            .classifiers
            .iter()
            .enumerate()
            .map(|(t, c)| {
                let y: Vec<u8> = labels.iter().map(|l| l[t]).collect();
                cross_entropy(c.forward(z.clone()), &y)
            })
            .collect();
        let loss = terms
            .iter()
            .cloned()
            .reduce(|a, b| a + b)
            .expect("four tasks")
            / 4.0;
        MethodLoss { loss, terms }
    }

    fn features(&self, x1: Tensor<4>, x2: Tensor<4>) -> Tensor<2> {
        self.backbone.features(x1, x2)
    }

    fn modality_features(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let [z1, z2, _] = self.backbone.embed(x1, x2);
        (z1, z2)
    }

    fn pid_views(&self, x1: Tensor<4>, x2: Tensor<4>) -> (Tensor<2>, Tensor<2>, Option<Tensor<2>>) {
        let [z1, z2, z] = self.backbone.embed(x1, x2);
        (z1, z2, Some(z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::testing::{fixed_batch_losses, settings};
    use crate::models::vector_fusion::FusionKind;

    #[test]
    fn cross_entropy_golden() {
        // logits [[0, ln 3], [0, 0]], targets [1, 0]: CE = (ln(4/3) + ln 2) / 2 = 0.490415.
        let d = Device::flex();
        let l = Tensor::<2>::from_data(
            TensorData::new(vec![0.0f32, 3f32.ln(), 0.0, 0.0], [2, 2]),
            &d,
        );
        let v = cross_entropy(l, &[1, 0])
            .into_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .unwrap()[0];
        assert!(
            (v - ((4.0f64 / 3.0).ln() + 2f64.ln()) / 2.0).abs() < 1e-6,
            "{v}"
        );
    }

    #[test]
    fn loss_decreases_on_a_fixed_batch() {
        let l = fixed_batch_losses::<Supervised>(2, &settings(FusionKind::Transformer));
        assert!(
            l.iter().all(|v| v.is_finite()) && l[5] < l[0] - 0.05,
            "{l:?}"
        );
    }
}
