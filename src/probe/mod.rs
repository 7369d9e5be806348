//! The linear probe (REFERENCE §7): multinomial logistic regression fitted full-batch with
//! L-BFGS (a port of `torch.optim.LBFGS` with its strong-Wolfe line search), the regulariser
//! `(1/C) * 0.5 * ||W||_F` (not squared, zero gradient at 0, bias free), the coarse-then-binary C
//! search on a 60/40 stratified split, a refit on all training pairs, and balanced accuracy on
//! the test pairs (plus accuracy and, for binary tasks, ROC-AUC).
//!
//! Written in plain Rust rather than on burn: the probe is a 10,000 x 512 x 10 problem evaluated
//! ~1,000 times per call, and a fused f32 kernel with fixed-order reductions is both faster than a
//! tensor graph and bit-identical at any thread count.

pub mod lbfgs;
pub mod logistic;
pub mod metrics;
pub mod protocol;

pub use protocol::{ProbeConfig, ProbeResult, linear_probe};

/// Features `[n, d]` (row-major f32) with integer labels.
#[derive(Clone, Debug)]
pub struct Features<'a> {
    pub x: &'a [f32],
    pub d: usize,
    pub y: &'a [u32],
}

impl<'a> Features<'a> {
    pub fn n(&self) -> usize {
        self.y.len()
    }

    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}
