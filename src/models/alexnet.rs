//! The AlexNet encoder (REFERENCE §4.1): five convolutions with ReLU and three max-pools, then
//! either the feature map (CoMM, `global_pool = ""`) or flatten + Linear(C*g*g -> latent)
//! (`global_pool = "avg"`, which is not an average pooling in the reference).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::module::unfold4d;
use burn::tensor::ops::UnfoldOptions;
use burn::tensor::{Device, Tensor};

#[derive(Config, Debug)]
pub struct AlexNetConfig {
    /// Output channels of the five convolutions.
    pub channels: [usize; 5],
    /// Kernel, stride and padding of the first convolution (the others are fixed: k5 p2, then
    /// three k3 p1).
    pub first_kernel: usize,
    pub first_stride: usize,
    pub first_padding: usize,
    /// Input image side.
    pub image_size: usize,
    /// Output dimension of the flatten + Linear projection.
    pub latent_dim: usize,
}

impl AlexNetConfig {
    /// The reference trunk: 224 px in, 256 x 6 x 6 out.
    pub fn paper(latent_dim: usize) -> Self {
        AlexNetConfig::new([64, 192, 384, 256, 256], 11, 4, 2, 224, latent_dim)
    }

    /// A trunk for 64 px canvases: first conv k5 s2 p2, widths halved; 128 x 3 x 3 out.
    pub fn small(latent_dim: usize) -> Self {
        AlexNetConfig::new([32, 96, 192, 128, 128], 5, 2, 2, 64, latent_dim)
    }

    /// The CPU-preset trunk for 64 px canvases: as `small` with about a third of the widths
    /// (5x fewer multiply-adds); 64 x 3 x 3 out.
    pub fn tiny(latent_dim: usize) -> Self {
        AlexNetConfig::new([16, 48, 96, 64, 64], 5, 2, 2, 64, latent_dim)
    }

    /// Side of the output grid: conv1, pool, pool, pool (convs 2-5 keep the size).
    pub fn grid(&self) -> usize {
        let conv1 =
            (self.image_size + 2 * self.first_padding - self.first_kernel) / self.first_stride + 1;
        let pool = |s: usize| (s - 3) / 2 + 1;
        pool(pool(pool(conv1)))
    }

    /// Multiply-adds of one image through the five convolutions (the feature map), and of the
    /// flatten + Linear on top: `(conv, fc)`. A training step costs about 3x the forward.
    pub fn macs_per_image(&self) -> (u64, u64) {
        let c = self.channels;
        let conv1 =
            (self.image_size + 2 * self.first_padding - self.first_kernel) / self.first_stride + 1;
        let pool = |s: usize| (s - 3) / 2 + 1;
        let (s1, s2) = (conv1, pool(conv1));
        let s3 = pool(s2);
        let k1 = self.first_kernel * self.first_kernel;
        let macs = s1 * s1 * c[0] * 3 * k1
            + s2 * s2 * c[1] * c[0] * 25
            + s3 * s3 * 9 * (c[2] * c[1] + c[3] * c[2] + c[4] * c[3]);
        let g = self.grid();
        (macs as u64, (c[4] * g * g * self.latent_dim) as u64)
    }

    pub fn out_channels(&self) -> usize {
        self.channels[4]
    }

    pub fn init(&self, device: &Device) -> AlexNet {
        let c = self.channels;
        let p = |n: usize| PaddingConfig2d::Explicit(n, n, n, n);
        let conv = |i: usize, o: usize, k: usize, s: usize, pad: usize| {
            Conv2dConfig::new([i, o], [k, k])
                .with_stride([s, s])
                .with_padding(p(pad))
                .with_bias(true)
                .init(device)
        };
        let g = self.grid();
        AlexNet {
            conv1: conv(
                3,
                c[0],
                self.first_kernel,
                self.first_stride,
                self.first_padding,
            ),
            conv2: conv(c[0], c[1], 5, 1, 2),
            conv3: conv(c[1], c[2], 3, 1, 1),
            conv4: conv(c[2], c[3], 3, 1, 1),
            conv5: conv(c[3], c[4], 3, 1, 1),
            pool: MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init(),
            fc: LinearConfig::new(c[4] * g * g, self.latent_dim).init(device),
        }
    }
}

#[derive(Module, Debug)]
pub struct AlexNet {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    conv4: Conv2d,
    conv5: Conv2d,
    pool: MaxPool2d,
    /// Used only by [`AlexNet::forward_vector`]; exists in every configuration, as in the
    /// reference (it counts in the parameter totals).
    pub fc: Linear,
}

impl AlexNet {
    /// `[B, 3, H, W]` -> `[B, C, g, g]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.pool.forward(relu(self.first_conv(x)));
        let x = self.pool.forward(relu(self.conv2.forward(x)));
        let x = relu(self.conv3.forward(x));
        let x = relu(self.conv4.forward(x));
        self.pool.forward(relu(self.conv5.forward(x)))
    }

    /// conv1: the same function as `self.conv1.forward(x)`, up to rounding. burn-flex runs a
    /// convolution of at most 4 input and 16 output channels (the tiny trunk's conv1) on a
    /// direct small-channel kernel that reached ~4 GFLOP/s, a fifth of the tiny CoMM step; here
    /// it is an explicit im2col (`unfold4d`: a one-hot convolution, so each pixel is copied
    /// exactly) and one GEMM, 13 % off the step (README, Benchmarks). The image needs no gradient,
    /// so the backward is the GEMM's alone. Wider first layers (`small`, `paper`) already take
    /// flex's im2col path and keep the plain call.
    fn first_conv(&self, x: Tensor<4>) -> Tensor<4> {
        let conv = &self.conv1;
        let [o, i, kh, kw] = conv.weight.dims();
        let PaddingConfig2d::Explicit(top, left, bottom, right) = conv.padding else {
            return conv.forward(x);
        };
        let plain = conv.groups != 1 || conv.dilation != [1, 1];
        if i > 4 || o > 16 || top != bottom || left != right || plain {
            return conv.forward(x);
        }
        let [b, _, h, w] = x.dims();
        let [sh, sw] = conv.stride;
        let out = |n: usize, k: usize, s: usize, p: usize| (n + 2 * p - k) / s + 1;
        let (oh, ow) = (out(h, kh, sh, top), out(w, kw, sw, left));
        let opts = UnfoldOptions::new(conv.stride, [top, left], [1, 1]);
        // [B, i*kh*kw, oh*ow], rows ordered (channel, row, column) as the weight's flattening.
        let cols = unfold4d(x, [kh, kw], opts);
        let mut y = conv.weight.val().reshape([1, o, i * kh * kw]).matmul(cols);
        if let Some(bias) = &conv.bias {
            y = y + bias.val().reshape([1, o, 1]);
        }
        y.reshape([b, o, oh, ow])
    }

    /// `[B, 3, H, W]` -> `[B, latent]`: flatten then Linear (the reference's `global_pool="avg"`).
    pub fn forward_vector(&self, x: Tensor<4>) -> Tensor<2> {
        let f = self.forward(x);
        let [b, c, h, w] = f.dims();
        // [B, C, g, g] -> [B, C*g*g], channel-major as torch's flatten.
        self.fc.forward(f.reshape([b, c * h * w]))
    }

    /// Parameters of the five convolutions (without the Linear).
    pub fn num_conv_params(&self) -> usize {
        self.num_params() - self.fc.num_params()
    }
}

#[cfg(test)]
mod first_conv_tests {
    use super::*;
    use burn::tensor::Distribution;

    /// The im2col conv1 computes flex's convolution: the same output and the same weight and
    /// bias gradients, to f32 rounding (sums of 75 products in another order).
    #[test]
    fn the_im2col_conv1_equals_the_convolution_with_its_gradients() {
        let device = Device::flex().autodiff();
        device.seed(7);
        let net = AlexNetConfig::tiny(8).init(&device);
        let x = Tensor::<4>::random([3, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
        let r = Tensor::<4>::random([3, 16, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        let (ours, flex) = (net.first_conv(x.clone()), net.conv1.forward(x));
        assert_eq!(ours.dims(), [3, 16, 32, 32]);
        let close = |a: Tensor<4>, b: Tensor<4>, what: &str| {
            let err: f32 = (a - b).abs().max().into_scalar();
            assert!(err < 1e-5, "{what}: max |diff| {err}");
        };
        close(ours.clone(), flex.clone(), "output");
        let g_ours = (ours * r.clone()).sum().backward();
        let g_flex = (flex * r).sum().backward();
        let w = &net.conv1.weight;
        let (wo, wf) = (w.grad(&g_ours).unwrap(), w.grad(&g_flex).unwrap());
        let scale: f32 = wf.clone().abs().max().into_scalar();
        let err: f32 = (wo - wf).abs().max().into_scalar();
        assert!(
            scale > 1.0 && err < 1e-5 * scale,
            "weight grad: {err} of {scale}"
        );
        let b = net.conv1.bias.as_ref().unwrap();
        let (bo, bf) = (b.grad(&g_ours).unwrap(), b.grad(&g_flex).unwrap());
        let scale: f32 = bf.clone().abs().max().into_scalar();
        let err: f32 = (bo - bf).abs().max().into_scalar();
        assert!(err < 1e-5 * scale.max(1.0), "bias grad: {err} of {scale}");
    }
}
