//! The latent converter `PatchedInputAdapter` (REFERENCE §4.2): a 1x1 convolution from the
//! trunk's channels to `dim` and a fixed 2-D sin-cos positional table, giving g*g tokens
//! flattened row-major (token t = g * row + col).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::{Device, Tensor, TensorData};

#[derive(Config, Debug)]
pub struct AdapterConfig {
    pub in_channels: usize,
    /// Token dimension (divisible by 4).
    pub dim: usize,
    /// Grid side g.
    pub grid: usize,
}

/// The MoCo-v3 2-D sin-cos table as REFERENCE §4.2 states it: token (y, x) gets
/// `[sin(y w), cos(y w), sin(x w), cos(x w)]` with `w_k = 10000^(-k / (dim/4))`.
/// Returns `[g*g, dim]` row-major.
pub fn sincos_2d(grid: usize, dim: usize) -> Vec<f32> {
    let q = dim / 4;
    let mut out = Vec::with_capacity(grid * grid * dim);
    for y in 0..grid {
        for x in 0..grid {
            for (pos, f) in [(y, 0), (y, 1), (x, 0), (x, 1)] {
                for k in 0..q {
                    let w = 10000f64.powf(-(k as f64) / q as f64);
                    let a = pos as f64 * w;
                    out.push(if f == 0 { a.sin() } else { a.cos() } as f32);
                }
            }
        }
    }
    out
}

impl AdapterConfig {
    pub fn init(&self, device: &Device) -> Adapter {
        assert!(
            self.dim.is_multiple_of(4),
            "adapter dim must be divisible by 4."
        );
        let table = sincos_2d(self.grid, self.dim);
        Adapter {
            proj: Conv2dConfig::new([self.in_channels, self.dim], [1, 1])
                .with_bias(true)
                .init(device),
            // A constant tensor: not a parameter, never trained.
            pos: Tensor::<2>::from_data(
                TensorData::new(table, [self.grid * self.grid, self.dim]),
                device,
            )
            .unsqueeze_dim::<3>(0),
        }
    }
}

#[derive(Module, Debug)]
pub struct Adapter {
    proj: Conv2d,
    pos: Tensor<3>,
}

impl Adapter {
    /// `[B, C, g, g]` -> `[B, g*g, dim]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<3> {
        let x = self.proj.forward(x);
        let [b, d, h, w] = x.dims();
        // [B, dim, g, g] -> [B, dim, g*g] -> [B, g*g, dim]
        let t = x.reshape([b, d, h * w]).swap_dims(1, 2);
        t + self.pos.clone()
    }
}
