//! Losses (REFERENCE §5): free functions on embeddings, documented with their shapes.

pub mod clip;
pub mod comm;
pub mod factorcl;
pub mod ntxent;

pub use clip::clip_loss;
pub use comm::{CommLossOutput, CommVariant, comm_loss};
pub use ntxent::{nt_xent, ssl_accuracy};
