//! The Trifeatures generator (REFERENCE §1): shapes x textures x colours, rendered with the
//! reference's rules, split by combination and written as a dataset directory.

pub mod attributes;
pub mod dataset;
pub mod preview;
pub mod recipe;
pub mod render;
pub mod shapes;
pub mod split;
pub mod textures;

pub use attributes::{Attribute, Attrs};
pub use dataset::{Dataset, GenerateOptions, Manifest, Outcome, generate};
pub use recipe::Recipe;
