//! Learning-rate schedules. The reference trains at a constant lr (REFERENCE §6), and the `paper`
//! preset keeps it; the CPU presets may use a linear warm-up then a cosine decay, which learns
//! more in a short budget (README, "Calibration").

use serde::{Deserialize, Serialize};

/// How the lr moves over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The preset's lr at every step (the reference).
    #[default]
    Constant,
    /// Linear warm-up from lr / warm-up steps to lr over `warmup_epochs`, then half a cosine
    /// from lr down to 0 at the last step (per step, as `timm`'s cosine scheduler).
    Cosine,
}

impl LrSchedule {
    pub fn is_constant(&self) -> bool {
        *self == LrSchedule::Constant
    }

    /// The lr of step `step` (0-based) of a run of `total` steps with `warmup` warm-up steps.
    pub fn lr(self, base: f64, step: usize, total: usize, warmup: usize) -> f64 {
        match self {
            LrSchedule::Constant => base,
            LrSchedule::Cosine => {
                if step < warmup {
                    return base * (step + 1) as f64 / warmup as f64;
                }
                let span = total.saturating_sub(warmup).max(1) as f64;
                let t = ((step - warmup) as f64 / span).min(1.0);
                0.5 * base * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_is_flat_and_cosine_warms_then_decays() {
        assert_eq!(LrSchedule::Constant.lr(0.1, 7, 10, 3), 0.1);
        let c = LrSchedule::Cosine;
        // Warm-up 4 steps of 20: 1/4, 2/4, 3/4, 4/4 of the lr.
        let lrs: Vec<f64> = (0..20).map(|s| c.lr(2.0, s, 20, 4)).collect();
        assert_eq!(&lrs[..4], &[0.5, 1.0, 1.5, 2.0]);
        // Then cos from the top: step 4 is at t = 0 (full lr), step 12 at t = 1/2 (half),
        // the last step at t = 15/16: 0.5 * 2 * (1 + cos(15 pi / 16)) = 1 - 0.98079 = 0.01921.
        assert!((lrs[4] - 2.0).abs() < 1e-12);
        assert!((lrs[12] - 1.0).abs() < 1e-12);
        assert!((lrs[19] - 0.019215).abs() < 1e-5, "{}", lrs[19]);
        assert!(lrs[4..].windows(2).all(|w| w[1] < w[0]));
        // No warm-up.
        assert_eq!(c.lr(1.0, 0, 10, 0), 1.0);
    }
}
