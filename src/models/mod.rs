//! Architectures (REFERENCE §4): `Config` -> `init(device)` -> module, one per file.
//!
//! - [`alexnet`]: the AlexNet trunk of the `paper` preset and a scaled trunk for small canvases;
//! - [`adapter`]: the latent converter (1x1 conv to tokens + fixed 2-D sin-cos positions);
//! - [`fusion`]: the pre-LN fusion transformer with a CLS token (a modality is masked by
//!   dropping its tokens);
//! - [`heads`]: projection heads with BatchNorm and the CLIP projections.

pub mod adapter;
pub mod alexnet;
pub mod fusion;
pub mod heads;
pub mod vector_fusion;
