//! Augmentations (REFERENCE §3), on CPU, seeded per sample.
//!
//! Every draw is a pure function of `(seed, epoch, pair index, view, modality)`
//! ([`AugmentKey`]), so a batch is identical at any thread count and on rerun. Images flow as
//! HWC `f32` in [0, 1] ([`Image`]) and leave as CHW, ImageNet-normalised tensors data.
//!
//! Differences from torchvision/PIL, each a choice for speed or simplicity that keeps the
//! distribution of views: colour operations run in f32 without PIL's uint8 rounding between
//! them; the Gaussian blur is an exact separable Gaussian (PIL approximates it by three box
//! blurs); resizing is PIL's separable triangle-filter resampling ("bilinear" with antialias).

pub mod blur;
pub mod color;
pub mod crop;
pub mod pipeline;

pub use pipeline::{AugmentKey, Augmentation};

/// ImageNet normalisation (torchvision's `Normalize`).
pub const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// An RGB image, HWC, values in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub h: usize,
    pub w: usize,
    pub data: Vec<f32>,
}

impl Image {
    pub fn from_rgb8(img: &image::RgbImage) -> Self {
        Image {
            h: img.height() as usize,
            w: img.width() as usize,
            data: img.as_raw().iter().map(|&v| v as f32 / 255.0).collect(),
        }
    }

    pub fn at(&self, y: usize, x: usize, c: usize) -> f32 {
        self.data[(y * self.w + x) * 3 + c]
    }

    /// CHW, normalised with [`MEAN`] and [`STD`] (`ToTensor` then `Normalize`).
    pub fn to_chw_normalised(&self) -> Vec<f32> {
        let n = self.h * self.w;
        let mut out = vec![0.0; 3 * n];
        for (p, px) in self.data.chunks_exact(3).enumerate() {
            for c in 0..3 {
                out[c * n + p] = (px[c] - MEAN[c]) / STD[c];
            }
        }
        out
    }
}
