//! NT-Xent, the symmetric InfoNCE of SimCLR as the reference's `InfoNCE` computes it.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Tensor};

/// Rows scaled to unit L2 norm (eps 1e-12, as `F.normalize`).
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let n = x
        .clone()
        .powf_scalar(2.0)
        .sum_dim(1)
        .sqrt()
        .clamp_min(1e-12);
    x / n
}

/// `NT(a, b)` at temperature `tau`.
///
/// Both inputs are L2-normalised. For each anchor `a_i` the candidates are `a_i.b_j / tau` for all
/// j and `a_i.a_j / tau` for j != i (the diagonal is removed by subtracting 1e8), the positive is
/// `a_i.b_i`; symmetrically for `b_i`. Returns the mean cross-entropy over the 2N anchors:
/// SimCLR's loss with 2N - 2 negatives. `NT(a, b) = NT(b, a)`.
///
/// # Shapes
/// - `a`, `b`: `[N, d]`
/// - output: `[1]`
pub fn nt_xent(a: Tensor<2>, b: Tensor<2>, tau: f64) -> Tensor<1> {
    let (a, b) = (l2_normalize(a), l2_normalize(b));
    let [n, _] = a.dims();
    let device = a.device();
    let eye = Tensor::<2>::eye(n, &device); // [N, N]
    let diag_mask: Tensor<2, Bool> = eye.clone().equal_elem(1.0);
    let side = |p: Tensor<2>, q: Tensor<2>| -> Tensor<1> {
        let cross = p.clone().matmul(q.transpose()) / tau; // [N, N]
        let own = (p.clone().matmul(p.transpose()) / tau).mask_fill(diag_mask.clone(), -1e8); // [N, N]
        // [N, 2N]: candidates of each anchor; the positive is column i of the first block.
        let logp = log_softmax(Tensor::cat(vec![cross, own], 1), 1);
        let pos = (logp.narrow(1, 0, n) * eye.clone()).sum_dim(1); // [N, 1]
        pos.mean().neg()
    };
    (side(a.clone(), b.clone()) + side(b, a)) / 2.0
}

/// The reference's `ssl_acc`: how often `argmax_j a_i.b_j` is `i`.
///
/// # Shapes
/// - `a`, `b`: `[N, d]`
pub fn ssl_accuracy(a: Tensor<2>, b: Tensor<2>) -> f64 {
    let [n, _] = a.dims();
    let sim = l2_normalize(a).matmul(l2_normalize(b).transpose()); // [N, N]
    let idx: Vec<i64> = sim
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_into_vec::<i64>()
        .expect("argmax indices");
    idx.iter()
        .enumerate()
        .filter(|&(i, &j)| i as i64 == j)
        .count() as f64
        / n as f64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    pub fn t(rows: &[[f32; 3]]) -> Tensor<2> {
        let flat: Vec<f32> = rows.iter().flatten().cloned().collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), 3]), &Device::flex())
    }

    pub fn scalar(x: Tensor<1>) -> f64 {
        x.into_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .unwrap()[0]
    }

    /* Golden values from an independent plain-Python computation (no torch):
    def norm(v): n = math.sqrt(sum(x*x for x in v)); return [x/n for x in v]
    def nt(a, b, tau):
        a = [norm(v) for v in a]; b = [norm(v) for v in b]; N = len(a); tot = 0.0
        for (p, q) in [(a, b), (b, a)]:
            for i in range(N):
                c = [dot(p[i], q[j]) / tau for j in range(N)] + [dot(p[i], p[j]) / tau - (1e8 if j == i else 0) for j in range(N)]
                m = max(c); tot += m + math.log(sum(math.exp(x - m) for x in c)) - c[i]
        return tot / (2 * N)
    nt(A, B, 0.1) = 0.0012174932786521708, nt(A, B, 1.0) = 0.9712092736507755 */
    pub const A: [[f32; 3]; 3] = [[1.0, 0.0, 0.5], [0.2, 1.0, -0.3], [-0.5, 0.4, 1.0]];
    pub const B: [[f32; 3]; 3] = [[0.9, 0.1, 0.4], [0.0, 1.0, 0.0], [-0.3, 0.2, 0.8]];

    #[test]
    fn golden_values_and_symmetry() {
        let v = scalar(nt_xent(t(&A), t(&B), 1.0));
        assert!((v - 0.9712092736507755).abs() < 1e-5, "{v}");
        let v = scalar(nt_xent(t(&A), t(&B), 0.1));
        assert!((v - 0.0012174932786521708).abs() < 1e-5, "{v}");
        let w = scalar(nt_xent(t(&B), t(&A), 0.1));
        assert!((v - w).abs() < 1e-7);
        assert_eq!(ssl_accuracy(t(&A), t(&B)), 1.0);
    }
}
