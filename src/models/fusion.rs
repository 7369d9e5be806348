//! The fusion transformer (REFERENCE §4.3): `[CLS; tokens of the present modalities]` through
//! pre-LN residual blocks (multi-head attention with a joint q/k/v projection, then an MLP with
//! QuickGELU), a final LayerNorm, and the CLS output. Dropout is 0, so there is none.
//!
//! Masking a modality drops its tokens: pass only the token sets that are present.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Device, Distribution, Tensor};

#[derive(Config, Debug)]
pub struct FusionConfig {
    /// Width (token dimension).
    pub dim: usize,
    pub heads: usize,
    pub layers: usize,
    /// MLP hidden size (4 x dim in the reference).
    pub mlp_dim: usize,
}

impl FusionConfig {
    pub fn paper() -> Self {
        FusionConfig::new(512, 8, 1, 2048)
    }

    pub fn init(&self, device: &Device) -> Fusion {
        assert!(
            self.dim.is_multiple_of(self.heads),
            "dim must be divisible by heads."
        );
        let d = self.dim as f64;
        // CLIP's initialisation: attention in-projection N(0, d^-1/2), out-projection and MLP
        // output N(0, d^-1/2 (2L)^-1/2), MLP input N(0, (2d)^-1/2); q/k/v and out biases 0; MLP
        // biases keep the Linear default U(+-1/sqrt(fan_in)).
        let attn_std = d.powf(-0.5);
        let proj_std = d.powf(-0.5) * (2.0 * self.layers as f64).powf(-0.5);
        let fc_std = (2.0 * d).powf(-0.5);
        let normal = |i: usize, o: usize, std: f64, zero_bias: bool| {
            let mut l = LinearConfig::new(i, o)
                .with_initializer(Initializer::Normal { mean: 0.0, std })
                .init(device);
            l.bias = Some(Param::from_tensor(if zero_bias {
                Tensor::zeros([o], device)
            } else {
                let b = 1.0 / (i as f64).sqrt();
                Tensor::random([o], Distribution::Uniform(-b, b), device)
            }));
            l
        };
        let blocks = (0..self.layers)
            .map(|_| Block {
                ln1: LayerNormConfig::new(self.dim)
                    .with_epsilon(1e-5)
                    .init(device),
                in_proj: normal(self.dim, 3 * self.dim, attn_std, true),
                out_proj: normal(self.dim, self.dim, proj_std, true),
                ln2: LayerNormConfig::new(self.dim)
                    .with_epsilon(1e-5)
                    .init(device),
                c_fc: normal(self.dim, self.mlp_dim, fc_std, false),
                c_proj: normal(self.mlp_dim, self.dim, proj_std, false),
                heads: self.heads,
            })
            .collect();
        Fusion {
            cls: Param::from_tensor(Tensor::random(
                [1, 1, self.dim],
                Distribution::Normal(0.0, 1.0),
                device,
            )),
            blocks,
            ln_final: LayerNormConfig::new(self.dim)
                .with_epsilon(1e-5)
                .init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct Block {
    ln1: LayerNorm,
    in_proj: Linear,
    out_proj: Linear,
    ln2: LayerNorm,
    c_fc: Linear,
    c_proj: Linear,
    #[module(skip)]
    heads: usize,
}

/// QuickGELU: `x * sigmoid(1.702 x)`.
pub fn quick_gelu(x: Tensor<3>) -> Tensor<3> {
    x.clone() * sigmoid(x * 1.702)
}

impl Block {
    /// Multi-head self-attention, `[B, T, D]` -> `[B, T, D]`.
    fn attention(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let h = self.heads;
        let hd = d / h;
        let qkv = self.in_proj.forward(x);
        // [B, T, 3D] -> three [B, T, D] -> [B, T, H, hd] -> [B, H, T, hd]
        let split = |i: usize| {
            qkv.clone()
                .narrow(2, i * d, d)
                .reshape([b, t, h, hd])
                .swap_dims(1, 2)
        };
        let (q, k, v) = (split(0), split(1), split(2));
        let scores = q.matmul(k.swap_dims(2, 3)) / (hd as f64).sqrt(); // [B, H, T, T]
        let out = softmax(scores, 3).matmul(v); // [B, H, T, hd]
        // [B, H, T, hd] -> [B, T, H, hd] -> [B, T, D]
        self.out_proj
            .forward(out.swap_dims(1, 2).reshape([b, t, d]))
    }

    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = x.clone() + self.attention(self.ln1.forward(x));
        let m = self
            .c_proj
            .forward(quick_gelu(self.c_fc.forward(self.ln2.forward(x.clone()))));
        x + m
    }
}

#[derive(Module, Debug)]
pub struct Fusion {
    pub cls: Param<Tensor<3>>,
    blocks: Vec<Block>,
    ln_final: LayerNorm,
}

impl Fusion {
    /// `tokens`: one `[B, T_m, D]` per present modality -> the CLS embedding `[B, D]`.
    pub fn forward(&self, tokens: &[Tensor<3>]) -> Tensor<2> {
        let [b, _, d] = tokens[0].dims();
        let mut parts = vec![self.cls.val().expand([b, 1, d])];
        parts.extend(tokens.iter().cloned());
        // [B, 1 + sum T_m, D]
        let mut x = Tensor::cat(parts, 1);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.ln_final.forward(x);
        // CLS token: [B, 1, D] -> [B, D]
        x.narrow(1, 0, 1).reshape([b, d])
    }
}
