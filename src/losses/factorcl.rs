//! FactorCL's mutual-information bounds (REFERENCE §9.3) from critic values.

use burn::tensor::Tensor;

/// Row-wise (`dim` 1) or column-wise (`dim` 0) logsumexp, stabilised by the detached maximum.
fn logsumexp(t: Tensor<2>, dim: usize) -> Tensor<2> {
    let m = t.clone().max_dim(dim).detach();
    (t - m.clone()).exp().sum_dim(dim).log() + m
}

/// InfoNCE lower bound `mean(T0) - (mean_i logsumexp_j T1[j][i] - ln N)`, the reference's
/// `InfoNCE.forward` with `T1[i][j] = f([x_j; y_i])`.
///
/// # Shapes
/// - `t0`: `[N, 1]`, `f([x_i; y_i])`
/// - `grid`: `[N, N]`, `grid[j][i] = f([x_j; y_i])` (`Critic::pairwise(x, y)`)
/// - output: `[1]`
pub fn infonce_lower(t0: Tensor<2>, grid: Tensor<2>) -> Tensor<1> {
    let [n, _] = grid.dims();
    let lse = logsumexp(grid, 0).mean(); // over x for each y_i
    t0.mean() - (lse - (n as f64).ln())
}

/// NCE-CLUB's bounds `(lower, upper)` with `T1[i][j] = f([y_i; x_j])`: the upper bound
/// `mean(T0) - mean(T1)` is the loss term, the InfoNCE lower bound trains the critic.
///
/// # Shapes
/// - `t0`: `[N, 1]`, `f([y_i; x_i])`
/// - `grid`: `[N, N]`, `grid[i][j] = f([y_i; x_j])` (`Critic::pairwise(y, x)`)
/// - output: two `[1]`
pub fn club_bounds(t0: Tensor<2>, grid: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
    let [n, _] = grid.dims();
    let t0m = t0.mean();
    let upper = t0m.clone() - grid.clone().mean();
    let lower = t0m - (logsumexp(grid, 1).mean() - (n as f64).ln());
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn t(v: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(v, shape), &Device::flex())
    }

    fn s(x: Tensor<1>) -> f32 {
        x.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()[0]
    }

    // Golden values from plain Python (math only):
    //   T0 = [0.5, -1.0, 2.0]; G = [[0.5, 1.5, -0.3], [0.2, -1.0, 0.7], [1.1, 0.4, 2.0]]
    //   lse = lambda xs: math.log(sum(math.exp(x) for x in xs))
    //   nce = mean(T0) - (mean(lse(col) for col in zip(*G)) - math.log(3))  -> -0.37956416
    //   club_upper = mean(T0) - mean(all G)                                   -> -0.06666667
    //   club_lower = mean(T0) - (mean(lse(row) for row in G) - math.log(3))   -> -0.29618787
    #[test]
    fn bounds_match_plain_python() {
        let t0 = t(vec![0.5, -1.0, 2.0], [3, 1]);
        let g = t(vec![0.5, 1.5, -0.3, 0.2, -1.0, 0.7, 1.1, 0.4, 2.0], [3, 3]);
        assert!((s(infonce_lower(t0.clone(), g.clone())) - -0.379_564_16).abs() < 1e-5);
        let (lo, up) = club_bounds(t0, g);
        assert!((s(up) - -0.066_666_67).abs() < 1e-5);
        assert!((s(lo) - -0.296_187_87).abs() < 1e-5);
    }
}
