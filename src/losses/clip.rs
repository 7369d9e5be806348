//! The CLIP loss (REFERENCE §5.2), used by the Cross baseline.

use super::ntxent::l2_normalize;
use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

/// `L = 1/2 [CE(s A B^T, I) + CE(s B A^T, I)]` with `A`, `B` the L2-normalised projections and
/// `s = exp(logit_scale)`; targets are the diagonal. Only cross-modal negatives (N - 1 per
/// anchor), unlike [`super::nt_xent`].
///
/// # Shapes
/// - `a`, `b`: `[N, d]`
/// - `logit_scale`: `[1]` (log of the inverse temperature)
/// - output: `[1]`
pub fn clip_loss(a: Tensor<2>, b: Tensor<2>, logit_scale: Tensor<1>) -> Tensor<1> {
    let (a, b) = (l2_normalize(a), l2_normalize(b));
    let [n, _] = a.dims();
    let eye = Tensor::<2>::eye(n, &a.device()); // [N, N]
    let s = logit_scale.exp().unsqueeze_dim::<2>(1); // [1, 1]
    let logits = a.matmul(b.transpose()) * s; // [N, N]
    let ce = |l: Tensor<2>| (log_softmax(l, 1) * eye.clone()).sum_dim(1).mean().neg();
    (ce(logits.clone()) + ce(logits.transpose())) / 2.0
}

/// The reference's clamp of the logit scale to [0, ln 100].
pub const LOGIT_SCALE_MAX: f64 = 4.605_170_185_988_092;

#[cfg(test)]
mod tests {
    use super::super::ntxent::tests::{A, B, scalar, t};
    use super::*;
    use burn::tensor::Device;

    /* Golden values from an independent plain-Python computation:
    def clip(a, b, scale):
        a = [norm(v) for v in a]; b = [norm(v) for v in b]; s = math.exp(scale)
        L = [[s * dot(a[i], b[j]) for j in range(N)] for i in range(N)]; LT = transpose(L)
        return (ce_rows(L) + ce_rows(LT)) / 2      # ce_rows: mean_i logsumexp(row_i) - row_i[i]
    clip(A, B, log(1/0.07)) = 4.976093824637928e-05, clip(A, B, 0.0) = 0.6015399683906952 */
    #[test]
    fn golden_values() {
        let d = Device::flex();
        let at = |v: f32| Tensor::<1>::from_floats([v], &d);
        let v = scalar(clip_loss(t(&A), t(&B), at(0.0)));
        assert!((v - 0.6015399683906952).abs() < 1e-5, "{v}");
        let v = scalar(clip_loss(t(&A), t(&B), at((1.0f32 / 0.07).ln())));
        assert!((v - 4.976093824637928e-05).abs() < 2e-6, "{v}");
        assert!((LOGIT_SCALE_MAX - 100f64.ln()).abs() < 1e-12);
    }
}
