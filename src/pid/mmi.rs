//! Minimum mutual information (Barrett 2015): `R = min(I(X1;Y), I(X2;Y))`.

use super::Decomposition;
use super::pmf::Pmf;

pub fn mmi(p: &Pmf) -> Decomposition {
    let (i1, i2) = (p.i_x1_y(), p.i_x2_y());
    Decomposition::from_redundancy(i1.min(i2), i1, i2, p.i_x12_y())
}
