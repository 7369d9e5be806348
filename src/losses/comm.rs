//! The CoMM loss (REFERENCE §5.1) and its ablation variants (Fig. 5).

use super::ntxent::nt_xent;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

/// Which terms are optimised (the logged terms are always all three).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommVariant {
    /// `L_CoMM`: the mean of the three term-losses.
    Full,
    /// `L`: the multimodal term NT(Z', Z'') only.
    MultimodalOnly,
    /// `sum L_i`: the two unimodal terms only (their mean).
    UnimodalOnly,
}

/// The loss and every term, for logging.
pub struct CommLossOutput {
    pub loss: Tensor<1>,
    /// `1/2 (NT(Z'_1, Z'') + NT(Z''_1, Z'))`
    pub term1: Tensor<1>,
    /// `1/2 (NT(Z'_2, Z'') + NT(Z''_2, Z'))`
    pub term2: Tensor<1>,
    /// `NT(Z', Z'')`
    pub term12: Tensor<1>,
}

/// `L_CoMM = 1/3 [ 1/2 (NT(Z'_1, Z'') + NT(Z''_1, Z')) + 1/2 (NT(Z'_2, Z'') + NT(Z''_2, Z')) + NT(Z', Z'') ]`,
/// where `Z_i` embeds modality i alone (the other's tokens dropped) and `Z`
/// both, for the two augmented views ' and ''.
///
/// # Shapes
/// - `view1 = [Z'_1, Z'_2, Z']`, `view2 = [Z''_1, Z''_2, Z'']`: each `[N, d]`
/// - outputs: `[1]`
pub fn comm_loss(
    view1: [Tensor<2>; 3],
    view2: [Tensor<2>; 3],
    tau: f64,
    variant: CommVariant,
) -> CommLossOutput {
    let [z1a, z2a, za] = view1;
    let [z1b, z2b, zb] = view2;
    let term1 = (nt_xent(z1a, zb.clone(), tau) + nt_xent(z1b, za.clone(), tau)) / 2.0;
    let term2 = (nt_xent(z2a, zb.clone(), tau) + nt_xent(z2b, za.clone(), tau)) / 2.0;
    let term12 = nt_xent(za, zb, tau);
    let loss = match variant {
        CommVariant::Full => (term1.clone() + term2.clone() + term12.clone()) / 3.0,
        CommVariant::MultimodalOnly => term12.clone(),
        CommVariant::UnimodalOnly => (term1.clone() + term2.clone()) / 2.0,
    };
    CommLossOutput {
        loss,
        term1,
        term2,
        term12,
    }
}

#[cfg(test)]
mod tests {
    use super::super::ntxent::tests::{A, B, scalar, t};
    use super::*;

    /* Golden values from the plain-Python `nt` of ntxent.rs's tests:
    t1 = 0.5 * (nt(Z1a, Zb) + nt(Z1b, Za)); t2 = 0.5 * (nt(Z2a, Zb) + nt(Z2b, Za)); t3 = nt(Za, Zb)
    -> 0.0021476409042914626, 2.4368084277955595, 0.0020883767388273355; (t1+t2+t3)/3 = 0.8136814818128927 */
    #[test]
    fn golden_terms_and_variants() {
        let z2a = [[0.3, -0.2, 1.0], [1.0, 1.0, 0.0], [0.0, -1.0, 0.5]];
        let z1b = [[0.8, 0.2, 0.6], [0.1, 0.9, -0.2], [-0.6, 0.3, 0.9]];
        let z2b = [[0.2, -0.1, 0.9], [0.9, 1.1, 0.1], [0.1, -0.8, 0.4]];
        let zb = [[1.0, 0.0, 0.3], [0.1, 1.0, 0.1], [-0.2, 0.3, 0.9]];
        let run = |v| comm_loss([t(&A), t(&z2a), t(&B)], [t(&z1b), t(&z2b), t(&zb)], 0.1, v);
        let full = run(CommVariant::Full);
        let (t1, t2, t12) = (scalar(full.term1), scalar(full.term2), scalar(full.term12));
        assert!((t1 - 0.0021476409042914626).abs() < 1e-5, "{t1}");
        assert!((t2 - 2.4368084277955595).abs() < 1e-4, "{t2}");
        assert!((t12 - 0.0020883767388273355).abs() < 1e-5, "{t12}");
        assert!((scalar(full.loss) - 0.8136814818128927).abs() < 1e-4);
        assert!((scalar(run(CommVariant::MultimodalOnly).loss) - t12).abs() < 1e-7);
        assert!((scalar(run(CommVariant::UnimodalOnly).loss) - (t1 + t2) / 2.0).abs() < 1e-6);
    }
}
