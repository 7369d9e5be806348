//! The fusion-ablation alternatives to the transformer (REFERENCE §4.3, `LinearFusion` and
//! `MLPFusion`): they take vector encoders (flatten + Linear); a single modality goes through its
//! own projector to the embedding size, both modalities concatenated go through a head. With
//! `Mlp` each of these is `Linear -> ReLU -> Linear` with hidden size = embedding size (the
//! reference's hidden size could not be read; this is our choice).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// Which fusion a CoMM model uses.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum FusionKind {
    /// The latent converter + fusion transformer (the paper's CoMM).
    Transformer,
    /// Linear projectors and a linear head.
    Linear,
    /// Two-layer MLP projectors and head.
    Mlp,
}

#[derive(Module, Debug)]
pub struct Projector {
    layers: Vec<Linear>,
}

impl Projector {
    fn new(input: usize, out: usize, mlp: bool, device: &Device) -> Self {
        let layers = if mlp {
            vec![
                LinearConfig::new(input, out).init(device),
                LinearConfig::new(out, out).init(device),
            ]
        } else {
            vec![LinearConfig::new(input, out).init(device)]
        };
        Projector { layers }
    }

    /// `[B, in]` -> `[B, out]`, ReLU between layers.
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 {
                x = relu(x);
            }
            x = l.forward(x);
        }
        x
    }
}

#[derive(Config, Debug)]
pub struct VectorFusionConfig {
    /// Encoder output size.
    pub latent: usize,
    /// Embedding size.
    pub dim: usize,
    pub mlp: bool,
}

impl VectorFusionConfig {
    pub fn init(&self, device: &Device) -> VectorFusion {
        VectorFusion {
            p1: Projector::new(self.latent, self.dim, self.mlp, device),
            p2: Projector::new(self.latent, self.dim, self.mlp, device),
            head: Projector::new(2 * self.latent, self.dim, self.mlp, device),
        }
    }
}

#[derive(Module, Debug)]
pub struct VectorFusion {
    p1: Projector,
    p2: Projector,
    head: Projector,
}

impl VectorFusion {
    /// `[Z_1, Z_2, Z]` from encoder vectors `e1`, `e2` (`[B, latent]` each).
    pub fn forward(&self, e1: Tensor<2>, e2: Tensor<2>) -> [Tensor<2>; 3] {
        // [B, L] ++ [B, L] -> [B, 2L]
        let both = Tensor::cat(vec![e1.clone(), e2.clone()], 1);
        [
            self.p1.forward(e1),
            self.p2.forward(e2),
            self.head.forward(both),
        ]
    }

    /// Z only.
    pub fn fuse(&self, e1: Tensor<2>, e2: Tensor<2>) -> Tensor<2> {
        self.head.forward(Tensor::cat(vec![e1, e2], 1))
    }
}
