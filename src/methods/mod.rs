//! Methods (REFERENCE §5): one file each. So far: CoMM.

pub mod comm;
pub mod optim;
