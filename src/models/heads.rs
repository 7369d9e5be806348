//! Projection heads (REFERENCE §4.4).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// `Linear(in, hidden) -> BN -> ReLU -> Linear(hidden, hidden) -> BN -> ReLU -> Linear(hidden,
/// out)`; BN with eps 1e-5 and momentum 0.1 (batch statistics in training).
#[derive(Config, Debug)]
pub struct ProjectionHeadConfig {
    pub input: usize,
    pub hidden: usize,
    pub output: usize,
}

impl ProjectionHeadConfig {
    pub fn init(&self, device: &Device) -> ProjectionHead {
        let bn = |n| {
            BatchNormConfig::new(n)
                .with_epsilon(1e-5)
                .with_momentum(0.1)
                .init(device)
        };
        ProjectionHead {
            l1: LinearConfig::new(self.input, self.hidden).init(device),
            bn1: bn(self.hidden),
            l2: LinearConfig::new(self.hidden, self.hidden).init(device),
            bn2: bn(self.hidden),
            l3: LinearConfig::new(self.hidden, self.output).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct ProjectionHead {
    l1: Linear,
    bn1: BatchNorm,
    l2: Linear,
    bn2: BatchNorm,
    l3: Linear,
}

impl ProjectionHead {
    /// Elements of the BatchNorm running statistics (mean and variance of both BNs). burn's
    /// `num_params` counts them; PyTorch (and REFERENCE §4.5) counts them as buffers.
    pub fn num_buffers(&self) -> usize {
        let hidden = self.l1.weight.shape().dims::<2>()[1];
        2 * 2 * hidden
    }

    /// Trainable parameters, as PyTorch counts them.
    pub fn num_trainable(&self) -> usize {
        self.num_params() - self.num_buffers()
    }

    /// `[B, in]` -> `[B, out]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = relu(self.bn1.forward(self.l1.forward(x)));
        let x = relu(self.bn2.forward(self.l2.forward(x)));
        self.l3.forward(x)
    }
}

/// CLIP's projections: `Linear(in, out, no bias)` per modality, N(0, in^-1/2), and a learnable
/// logit scale initialised at ln(1/0.07), clamped at 0 from below before each step.
#[derive(Config, Debug)]
pub struct ClipProjectionConfig {
    pub input: usize,
    pub output: usize,
}

impl ClipProjectionConfig {
    pub fn init(&self, device: &Device) -> ClipProjection {
        let std = (self.input as f64).powf(-0.5);
        let lin = || {
            LinearConfig::new(self.input, self.output)
                .with_bias(false)
                .with_initializer(Initializer::Normal { mean: 0.0, std })
                .init(device)
        };
        ClipProjection {
            proj1: lin(),
            proj2: lin(),
            logit_scale: Param::from_tensor(Tensor::from_floats([(1.0f32 / 0.07).ln()], device)),
        }
    }
}

#[derive(Module, Debug)]
pub struct ClipProjection {
    pub proj1: Linear,
    pub proj2: Linear,
    pub logit_scale: Param<Tensor<1>>,
}
