//! rusbench: a benchmark and analysis suite for multimodal contrastive learning on the synthetic
//! bimodal **Trifeatures** dataset (CoMM, ICLR 2025), with controlled Redundancy, Uniqueness and
//! Synergy.
//!
//! Module map (folders mirror the pipeline):
//! - [`data::trifeatures`]: the image generator (shapes, textures, colours, rendering, split,
//!   recipes, on-disk datasets, the preview sheet).
//! - [`data::pairs`]: the R/U/S pair builder and the four downstream tasks.
//! - [`augment`]: the weak and strong (SimCLR) augmentations and their ablation variants, seeded
//!   per (seed, epoch, pair, view, modality).
//! - [`pid`]: partial information decomposition (BROJA with a certificate, WB, MMI), task PIDs.
//! - [`device`]: the backend a run trains on (CPU `flex` by default; GPU features).
//! - [`rng`]: portable, per-item seeding so every output is independent of the thread count.

pub mod augment;
pub mod cli;
pub mod data;
pub mod device;
pub mod figures;
pub mod losses;
pub mod methods;
pub mod models;
pub mod pid;
pub mod probe;
pub mod reproduce;
pub mod rng;
pub mod train;
