//! Architectures (REFERENCE §4): `Config` -> `init(device)` -> module, one per file.
//!
//! - [`alexnet`]: the AlexNet trunk of the `paper` preset and a scaled trunk for small canvases;
//! - [`adapter`]: the latent converter (1x1 conv to tokens + fixed 2-D sin-cos positions);
//! - [`fusion`]: the pre-LN fusion transformer with a CLS token (a modality is masked by
//!   dropping its tokens);
//! - [`heads`]: projection heads with BatchNorm and the CLIP projections.

pub mod adapter;
pub mod alexnet;
pub mod critic;
pub mod fusion;
pub mod heads;
pub mod vector_fusion;

use alexnet::AlexNetConfig;
use serde::{Deserialize, Serialize};

/// Model scale of a preset: `paper` is the reference (224 px); `small` and `tiny` are trunks for
/// the 64 px canvas (widths halved, and quartered-ish for the CPU presets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ModelScale {
    Tiny,
    Small,
    Paper,
}

impl ModelScale {
    /// The canvas the trunk expects.
    pub fn canvas(self) -> usize {
        match self {
            ModelScale::Paper => 224,
            ModelScale::Small | ModelScale::Tiny => 64,
        }
    }

    /// The AlexNet-shaped trunk at this scale.
    pub fn trunk(self, latent_dim: usize) -> AlexNetConfig {
        match self {
            ModelScale::Paper => AlexNetConfig::paper(latent_dim),
            ModelScale::Small => AlexNetConfig::small(latent_dim),
            ModelScale::Tiny => AlexNetConfig::tiny(latent_dim),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ModelScale::Tiny => "tiny",
            ModelScale::Small => "small",
            ModelScale::Paper => "paper",
        }
    }
}
