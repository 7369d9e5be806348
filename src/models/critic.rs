//! FactorCL's concat critic (REFERENCE §9.2): `f([u; v]) = MLP[a+b -> h -> ReLU -> h -> ReLU ->
//! 1]`, evaluated on the matched pairs and on all N² combinations of a batch.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

#[derive(Config, Debug)]
pub struct CriticConfig {
    /// Width of the first input `u`.
    pub a: usize,
    /// Width of the second input `v`.
    pub b: usize,
    pub hidden: usize,
}

impl CriticConfig {
    pub fn init(&self, device: &Device) -> Critic {
        Critic {
            l1: LinearConfig::new(self.a + self.b, self.hidden).init(device),
            l2: LinearConfig::new(self.hidden, self.hidden).init(device),
            l3: LinearConfig::new(self.hidden, 1).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct Critic {
    l1: Linear,
    l2: Linear,
    l3: Linear,
}

impl Critic {
    fn tail(&self, h: Tensor<2>) -> Tensor<2> {
        self.l3.forward(relu(self.l2.forward(relu(h))))
    }

    /// `f([u_i; v_i])` for each row.
    ///
    /// # Shapes
    /// - `u`: `[N, a]`, `v`: `[N, b]`
    /// - output: `[N, 1]`
    pub fn matched(&self, u: Tensor<2>, v: Tensor<2>) -> Tensor<2> {
        self.tail(self.l1.forward(Tensor::cat(vec![u, v], 1)))
    }

    /// `out[i][j] = f([u_i; v_j])` for every combination. The first layer of a concatenation is
    /// the sum of its two blocks, so each row is projected once instead of N times (same
    /// function as concatenating the N² pairs, tested).
    ///
    /// # Shapes
    /// - `u`: `[N, a]`, `v`: `[M, b]`
    /// - output: `[N, M]`
    pub fn pairwise(&self, u: Tensor<2>, v: Tensor<2>) -> Tensor<2> {
        let [n, a] = u.dims();
        let [m, _] = v.dims();
        let w = self.l1.weight.val(); // [a + b, h]
        let [ab, h] = w.dims();
        let hu = u.matmul(w.clone().narrow(0, 0, a)); // [N, h]
        let mut hv = v.matmul(w.narrow(0, a, ab - a)); // [M, h]
        if let Some(bias) = &self.l1.bias {
            hv = hv + bias.val().unsqueeze_dim(0); // [M, h] + [1, h]
        }
        // [N, 1, h] + [1, M, h] -> [N, M, h] -> [N*M, h]
        let grid = (hu.unsqueeze_dim::<3>(1) + hv.unsqueeze_dim::<3>(0)).reshape([n * m, h]);
        // [N*M, 1] -> [N, M]
        self.tail(grid).reshape([n, m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tolerance};

    #[test]
    fn pairwise_equals_concatenating_every_pair() {
        let device = Device::flex();
        device.seed(3);
        let c = CriticConfig::new(3, 2, 8).init(&device);
        let u = Tensor::<2>::random([4, 3], Distribution::Normal(0.0, 1.0), &device);
        let v = Tensor::<2>::random([5, 2], Distribution::Normal(0.0, 1.0), &device);
        let fast = c.pairwise(u.clone(), v.clone()); // [4, 5]
        // Direct: concatenate u_i with v_j for all (i, j), row-major.
        let rows: Vec<Tensor<2>> = (0..4)
            .flat_map(|i| {
                let u = u.clone();
                let v = v.clone();
                (0..5).map(move |j| {
                    Tensor::cat(
                        vec![u.clone().narrow(0, i, 1), v.clone().narrow(0, j, 1)],
                        1,
                    )
                })
            })
            .collect();
        let direct = c.matched_concat(Tensor::cat(rows, 0)).reshape([4, 5]);
        fast.into_data()
            .assert_approx_eq::<f32>(&direct.into_data(), Tolerance::absolute(1e-5));
        // And the diagonal of a square grid is `matched`.
        let v4 = v.narrow(0, 0, 4);
        let grid = c.pairwise(u.clone(), v4.clone());
        let eye = Tensor::<2>::eye(4, &device);
        let diag = (grid * eye).sum_dim(1); // [4, 1]
        diag.into_data()
            .assert_approx_eq::<f32>(&c.matched(u, v4).into_data(), Tolerance::absolute(1e-5));
    }

    impl Critic {
        fn matched_concat(&self, uv: Tensor<2>) -> Tensor<2> {
            self.tail(self.l1.forward(uv))
        }
    }
}

#[cfg(test)]
impl Critic {
    /// The first layer's weights (for tests that check which step moved a critic).
    pub fn l_weights(&self) -> Vec<f32> {
        self.l1
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    }
}
