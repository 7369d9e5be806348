//! Data: the Trifeatures generator and the bimodal pair builder.

pub mod pairs;
pub mod trifeatures;
