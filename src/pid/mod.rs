//! Partial information decomposition (PID) of a joint pmf p(x1, x2, y) into redundancy R,
//! unique informations U1, U2 and synergy S (bits), with three measures: BROJA (the reference
//! measure, solved with a certificate), Williams-Beer I_min and MMI.

pub mod broja;
pub mod broja_ipm;
pub mod cases;
pub mod estimate;
pub mod mmi;
pub mod pmf;
pub mod probe_estimate;
pub mod simulate;
pub mod tasks;
pub mod wb;

use serde::Serialize;

/// The four atoms, in bits. Any complete decomposition satisfies R + U1 = I(X1;Y),
/// R + U2 = I(X2;Y) and R + U1 + U2 + S = I(X1,X2;Y).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Decomposition {
    pub r: f64,
    pub u1: f64,
    pub u2: f64,
    pub s: f64,
}

impl Decomposition {
    /// The decomposition implied by a redundancy value and the three mutual informations.
    pub fn from_redundancy(r: f64, i1: f64, i2: f64, i12: f64) -> Self {
        let (u1, u2) = (i1 - r, i2 - r);
        Decomposition {
            r,
            u1,
            u2,
            s: i12 - r - u1 - u2,
        }
    }
}

/// A PID measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    Broja,
    Wb,
    Mmi,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Broja, Measure::Wb, Measure::Mmi];

    pub fn name(self) -> &'static str {
        match self {
            Measure::Broja => "BROJA",
            Measure::Wb => "WB",
            Measure::Mmi => "MMI",
        }
    }
}
