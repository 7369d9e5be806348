//! Williams-Beer I_min (2010): `R = Σ_y p(y) min_i I(Y=y; X_i)` with the specific information
//! `I(Y=y; X_i) = Σ_x p(x|y) log(p(y|x) / p(y))`. Known to over-state redundancy (COPY gets
//! R = 1).

use super::Decomposition;
use super::pmf::{Pmf, marginals};

/// Specific informations `I(Y=y; X)` in bits from a dense `nx x ny` joint.
fn specific(pxy: &[f64], nx: usize, ny: usize) -> Vec<f64> {
    let (px, py) = marginals(pxy, nx, ny);
    (0..ny)
        .map(|y| {
            if py[y] <= 0.0 {
                return 0.0;
            }
            (0..nx)
                .filter(|&x| pxy[x * ny + y] > 0.0)
                .map(|x| {
                    let p = pxy[x * ny + y];
                    // p(x|y) log2(p(y|x) / p(y))
                    (p / py[y]) * ((p / px[x]) / py[y]).log2()
                })
                .sum()
        })
        .collect()
}

pub fn wb(p: &Pmf) -> Decomposition {
    let py = p.p_y();
    let s1 = specific(&p.p_x1y(), p.n1, p.ny);
    let s2 = specific(&p.p_x2y(), p.n2, p.ny);
    let r: f64 = (0..p.ny).map(|y| py[y] * s1[y].min(s2[y])).sum();
    Decomposition::from_redundancy(r, p.i_x1_y(), p.i_x2_y(), p.i_x12_y())
}
