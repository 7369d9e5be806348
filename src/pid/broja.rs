//! The BROJA decomposition (Bertschinger, Rauh, Olbrich, Jost, Ay 2014) with a duality-gap
//! certificate.
//!
//! `min_{q in Δ_p} I_q(X1,X2; Y)`, where Δ_p holds the pmfs with p's (x1,y) and (x2,y) marginals,
//! fixes all four atoms. Writing `q(x1,x2,y) = p(y) π_y(x1,x2)` with `π_y` a coupling of
//! `p(x1|y)` and `p(x2|y)`, the objective is `min_{π, r} Σ_y p(y) D(π_y || r)` (the minimising `r`
//! is the mixture `Σ_y p(y) π_y`), which we minimise by alternation as the admUI algorithm of
//! Banerjee et al. (2018) does, with one warm-started Sinkhorn sweep per outer iteration:
//!
//! - Sinkhorn: `π_y = u_y(x1) v_y(x2) r(x1,x2)`, one update of `u_y` then `v_y`;
//! - mixture: `r <- r · s` with `s(x1,x2) = Σ_y p(y) u_y(x1) v_y(x2)` (a Blahut-Arimoto step).
//!
//! **Certificate.** The problem is `max H_q(Y|X1,X2)` over Δ_p. For multipliers built from the
//! current scalings, `θ(x1,x2,y) = ln p(y) + ln u_y(x1) + ln v_y(x2)`, weak duality gives
//! `max H <= g = max_{(x1,x2)} ln Σ_y e^θ - Σ p(x1,y)(ln p(y) + ln u_y(x1)) - Σ p(x2,y) ln v_y(x2)`
//! (the first term is `max ln s`). A primal point comes from rounding each `π_y` onto its
//! coupling polytope exactly (Altschuler, Weed, Rigollet 2017), whose `H` is a lower bound. The
//! reported gap is `g - H` in bits; the atoms come from the rounded, feasible point, so they are
//! exact up to that gap.
//!
//! Only cells with `p(x1,y) > 0` and `p(x2,y) > 0` can carry mass in q; the solver works on that
//! support, block by block (one block `A_y x B_y` per label).

use super::Decomposition;
use super::pmf::Pmf;
use rayon::prelude::*;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct BrojaOptions {
    /// Stop once the certified gap is below this many bits.
    pub tol_bits: f64,
    pub max_iter: usize,
    /// Compute the certificate every this many iterations.
    pub check_every: usize,
    /// Refuse supports larger than this many cells (memory guard).
    pub max_support: usize,
    /// Merge equivalent source values first ([`Pmf::lumped`]); exact, and much faster on
    /// structured joints.
    pub lump: bool,
    /// Show a spinner with the iteration and the current gap on stderr (a terminal only).
    pub progress: bool,
    /// Which algorithm: the alternating one (the library's default, which every committed
    /// number was made with) or the interior-point one ([`super::broja_ipm`], much faster on
    /// large general pmfs; `pid pmf`'s default). Both certify their gap.
    pub solver: BrojaSolver,
}

/// The BROJA algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BrojaSolver {
    /// Sinkhorn sweeps alternating with mixture updates (admUI-style); `max_iter` counts sweeps.
    #[default]
    Alternating,
    /// Primal-dual interior point (Mehrotra predictor-corrector), one factorisation of the
    /// marginal constraints' Schur complement per iteration; dense in those constraints, so
    /// pmfs with more than 8,000 of them (IPM_MAX_ROWS) fall back to the alternating solver.
    /// `max_iter` counts iterations.
    // Plain text, not doc links: clap prints these lines as the `--solver` help.
    Ipm,
    /// The alternating solver up to 5,000 support cells (AUTO_IPM_SUPPORT; fast there, and it
    /// closes gaps below 1e-9), the interior-point one above.
    Auto,
}

/// Support cells above which `Auto` uses the interior-point solver.
pub const AUTO_IPM_SUPPORT: usize = 5_000;

/// Marginal constraints (≈ (n1 + n2) ny) up to which the interior-point solver is used: its
/// Schur complement is a dense square of this side (8,000: 512 MB).
pub const IPM_MAX_ROWS: usize = 8_000;

impl Default for BrojaOptions {
    fn default() -> Self {
        BrojaOptions {
            tol_bits: 1e-9,
            max_iter: 200_000,
            check_every: 10,
            max_support: 50_000_000,
            lump: true,
            progress: false,
            solver: BrojaSolver::Alternating,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrojaResult {
    pub pid: Decomposition,
    /// Certified duality gap (bits): the true min of I_q(X1,X2;Y) lies within it.
    pub gap_bits: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Cells of the optimisation support.
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrojaError {
    #[error("BROJA support has {0} cells, above the limit of {1}; coarsen the variables")]
    SupportTooLarge(usize, usize),
}

/// One label's block `A_y x B_y`.
struct Block {
    py: f64,
    /// p(x1, y) and p(x1 | y) over A_y.
    pa: Vec<f64>,
    a: Vec<f64>,
    pb: Vec<f64>,
    b: Vec<f64>,
    /// Pair id of cell (i, j), row-major `[|A_y|, |B_y|]`.
    rid: Vec<u32>,
    u: Vec<f64>,
    v: Vec<f64>,
}

impl Block {
    fn na(&self) -> usize {
        self.a.len()
    }
    fn nb(&self) -> usize {
        self.b.len()
    }

    /// One Sinkhorn sweep of `π = u v r` towards marginals (a, b); ends exact on b.
    fn sweep(&mut self, r: &[f64]) {
        let (na, nb) = (self.na(), self.nb());
        for i in 0..na {
            let row = &self.rid[i * nb..(i + 1) * nb];
            let den: f64 = row
                .iter()
                .zip(&self.v)
                .map(|(&k, &v)| r[k as usize] * v)
                .sum();
            if den > 0.0 {
                self.u[i] = self.a[i] / den;
            }
        }
        let mut col = vec![0.0; nb];
        for i in 0..na {
            let ui = self.u[i];
            let row = &self.rid[i * nb..(i + 1) * nb];
            for (c, &k) in col.iter_mut().zip(row) {
                *c += r[k as usize] * ui;
            }
        }
        for ((v, &b), &c) in self.v.iter_mut().zip(&self.b).zip(&col) {
            if c > 0.0 {
                *v = b / c;
            }
        }
    }

    /// `π` rounded onto the coupling polytope of (a, b), row-major.
    fn rounded(&self, r: &[f64]) -> Vec<f64> {
        let nb = self.nb();
        let x: Vec<f64> = (0..self.na() * nb)
            .map(|c| self.u[c / nb] * self.v[c % nb] * r[self.rid[c] as usize])
            .collect();
        round_coupling(x, &self.a, &self.b)
    }
}

/// A nonnegative `|a| x |b|` matrix (row-major) rounded exactly onto the couplings of (a, b)
/// (Altschuler, Weed, Rigollet 2017): rows, then columns scaled down to their marginals, then the
/// missing mass added as the outer product of the row and column deficits.
pub(super) fn round_coupling(mut x: Vec<f64>, a: &[f64], b: &[f64]) -> Vec<f64> {
    let (na, nb) = (a.len(), b.len());
    for i in 0..na {
        let row = &mut x[i * nb..(i + 1) * nb];
        let s: f64 = row.iter().sum();
        if s > a[i] {
            let f = a[i] / s;
            row.iter_mut().for_each(|v| *v *= f);
        }
    }
    let col_sums = |x: &[f64]| {
        let mut col = vec![0.0; nb];
        for i in 0..na {
            for j in 0..nb {
                col[j] += x[i * nb + j];
            }
        }
        col
    };
    let col = col_sums(&x);
    for j in 0..nb {
        if col[j] > b[j] {
            let f = b[j] / col[j];
            for i in 0..na {
                x[i * nb + j] *= f;
            }
        }
    }
    let err_r: Vec<f64> = (0..na)
        .map(|i| (a[i] - x[i * nb..(i + 1) * nb].iter().sum::<f64>()).max(0.0))
        .collect();
    let col = col_sums(&x);
    let err_c: Vec<f64> = (0..nb).map(|j| (b[j] - col[j]).max(0.0)).collect();
    let e: f64 = err_r.iter().sum();
    if e > 0.0 {
        for i in 0..na {
            if err_r[i] > 0.0 {
                for j in 0..nb {
                    x[i * nb + j] += err_r[i] * err_c[j] / e;
                }
            }
        }
    }
    x
}

/// Solve BROJA for `p`.
pub fn broja(p: &Pmf, opts: &BrojaOptions) -> Result<BrojaResult, BrojaError> {
    let lumped;
    let p = if opts.lump {
        lumped = p.lumped();
        &lumped
    } else {
        p
    };
    let sides = block_sides(p);
    let support: usize = sides.iter().map(|(a, b)| a * b).sum();
    if support > opts.max_support {
        return Err(BrojaError::SupportTooLarge(support, opts.max_support));
    }
    let ipm = match opts.solver {
        BrojaSolver::Alternating => false,
        BrojaSolver::Ipm => true,
        BrojaSolver::Auto => support > AUTO_IPM_SUPPORT,
    };
    let rows: usize = sides.iter().map(|(a, b)| a + b.saturating_sub(1)).sum();
    if ipm && rows <= IPM_MAX_ROWS {
        return Ok(super::broja_ipm::broja_ipm(p, opts));
    }
    Ok(alternating(p, opts, None))
}

/// Per label: the x1 and x2 values with mass, `(|A_y|, |B_y|)`.
fn block_sides(p: &Pmf) -> Vec<(usize, usize)> {
    let (ny, px1y, px2y) = (p.ny, p.p_x1y(), p.p_x2y());
    (0..ny)
        .map(|y| {
            let na = (0..p.n1).filter(|&x| px1y[x * ny + y] > 0.0).count();
            let nb = (0..p.n2).filter(|&x| px2y[x * ny + y] > 0.0).count();
            (na, nb)
        })
        .collect()
}

/// Where a previous solver stopped: the mixture q(x1, x2) to start from, its certified bounds
/// (nats; they stay valid) and the iterations spent.
pub(super) struct Warm {
    pub r: HashMap<(u32, u32), f64>,
    pub h: f64,
    pub g: f64,
    pub iterations: usize,
}

/// The alternating solver on `p` (lumped already if wanted), from the mixture of the
/// independent couplings or from `warm`.
pub(super) fn alternating(p: &Pmf, opts: &BrojaOptions, warm: Option<Warm>) -> BrojaResult {
    let ny = p.ny;
    let py = p.p_y();
    let px1y = p.p_x1y();
    let px2y = p.p_x2y();
    let support: usize = block_sides(p).iter().map(|(a, b)| a * b).sum();
    let mut ids: HashMap<(u32, u32), u32> = HashMap::new();
    let mut blocks = Vec::new();
    for y in 0..ny {
        if py[y] <= 0.0 {
            continue;
        }
        let ai: Vec<u32> = (0..p.n1 as u32)
            .filter(|&x| px1y[x as usize * ny + y] > 0.0)
            .collect();
        let bi: Vec<u32> = (0..p.n2 as u32)
            .filter(|&x| px2y[x as usize * ny + y] > 0.0)
            .collect();
        let pa: Vec<f64> = ai.iter().map(|&x| px1y[x as usize * ny + y]).collect();
        let pb: Vec<f64> = bi.iter().map(|&x| px2y[x as usize * ny + y]).collect();
        let mut rid = Vec::with_capacity(ai.len() * bi.len());
        for &x1 in &ai {
            for &x2 in &bi {
                let n = ids.len() as u32;
                rid.push(*ids.entry((x1, x2)).or_insert(n));
            }
        }
        blocks.push(Block {
            py: py[y],
            a: pa.iter().map(|v| v / py[y]).collect(),
            b: pb.iter().map(|v| v / py[y]).collect(),
            u: vec![1.0; ai.len()],
            v: vec![1.0; bi.len()],
            pa,
            pb,
            rid,
        });
    }
    let n_pairs = ids.len();

    // Start from the mixture of the independent couplings, or from where another solver stopped.
    let mut r = vec![0.0; n_pairs];
    match &warm {
        Some(w) => {
            for (cell, &k) in &ids {
                r[k as usize] = w.r.get(cell).copied().unwrap_or(0.0).max(1e-300);
            }
        }
        None => {
            for bl in &blocks {
                let nb = bl.nb();
                for (c, &k) in bl.rid.iter().enumerate() {
                    r[k as usize] += bl.py * bl.a[c / nb] * bl.b[c % nb];
                }
            }
        }
    }
    drop(ids);

    // Best primal H_q(Y|X1X2) and dual bound, nats.
    let (mut best_h, mut best_g) = match &warm {
        Some(w) => (w.h, w.g),
        None => (f64::NEG_INFINITY, f64::INFINITY),
    };
    let mut s = vec![0.0; n_pairs];
    let mut iterations = warm.as_ref().map_or(0, |w| w.iterations);
    let mut converged = false;
    let spinner = if opts.progress {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    while iterations < opts.max_iter {
        iterations += 1;
        blocks.par_iter_mut().for_each(|bl| bl.sweep(&r));
        s.iter_mut().for_each(|v| *v = 0.0);
        for bl in &blocks {
            let nb = bl.nb();
            for (c, &k) in bl.rid.iter().enumerate() {
                s[k as usize] += bl.py * bl.u[c / nb] * bl.v[c % nb];
            }
        }
        if iterations % opts.check_every == 1 || opts.check_every == 1 {
            let (h, g) = certificate(&blocks, &r, &s, n_pairs);
            best_h = best_h.max(h);
            best_g = best_g.min(g);
            spinner.set_message(format!(
                "BROJA on {support} cells: iteration {iterations}/{}, gap {:.2e} bits (target {:.0e})",
                opts.max_iter,
                (best_g - best_h) / std::f64::consts::LN_2,
                opts.tol_bits
            ));
            spinner.tick();
            if (best_g - best_h) / std::f64::consts::LN_2 <= opts.tol_bits {
                converged = true;
                break;
            }
        }
        for (rv, sv) in r.iter_mut().zip(&s) {
            *rv *= sv;
        }
    }
    spinner.finish_and_clear();
    result(p, (best_h, best_g), iterations, converged, support)
}

/// The atoms from the best feasible point's H(Y|X1,X2) and the certified gap, both bounds in nats.
pub(super) fn result(
    p: &Pmf,
    (best_h, best_g): (f64, f64),
    iterations: usize,
    converged: bool,
    support: usize,
) -> BrojaResult {
    // H(Y) in nats, as the bounds.
    let h_y: f64 = -p
        .p_y()
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| v * v.ln())
        .sum::<f64>();
    let i_min = ((h_y - best_h) / std::f64::consts::LN_2).max(0.0);
    let (i1, i2, i12) = (p.i_x1_y(), p.i_x2_y(), p.i_x12_y());
    // The feasible point's I can exceed I(X1,X2;Y) only by rounding noise.
    let i_min = i_min.min(i12);
    BrojaResult {
        pid: Decomposition {
            r: i1 + i2 - i_min,
            u1: i_min - i2,
            u2: i_min - i1,
            s: i12 - i_min,
        },
        gap_bits: ((best_g - best_h) / std::f64::consts::LN_2).max(0.0),
        iterations,
        converged,
        support,
    }
}

/// (primal H of the rounded point, dual bound g), both in nats.
fn certificate(blocks: &[Block], r: &[f64], s: &[f64], n_pairs: usize) -> (f64, f64) {
    let max_ln_s = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max).ln();
    let lin: f64 = blocks
        .iter()
        .map(|bl| {
            let lp = bl.py.ln();
            bl.pa
                .iter()
                .zip(&bl.u)
                .map(|(&pa, &u)| pa * (lp + u.ln()))
                .sum::<f64>()
                + bl.pb
                    .iter()
                    .zip(&bl.v)
                    .map(|(&pb, &v)| pb * v.ln())
                    .sum::<f64>()
        })
        .sum();
    let g = max_ln_s - lin;

    let xs: Vec<Vec<f64>> = blocks.par_iter().map(|bl| bl.rounded(r)).collect();
    let mut qxx = vec![0.0; n_pairs];
    for (bl, x) in blocks.iter().zip(&xs) {
        for (&k, &v) in bl.rid.iter().zip(x) {
            qxx[k as usize] += bl.py * v;
        }
    }
    let mut h = 0.0;
    for (bl, x) in blocks.iter().zip(&xs) {
        for (&k, &v) in bl.rid.iter().zip(x) {
            let q = bl.py * v;
            if q > 0.0 {
                h -= q * (q / qxx[k as usize]).ln();
            }
        }
    }
    (h, g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::pmf::Cell;

    /// Uniform pmf over the listed (x1, x2, y) outcomes.
    fn uniform(n: (usize, usize, usize), outcomes: &[(u32, u32, u32)]) -> Pmf {
        let p = 1.0 / outcomes.len() as f64;
        let cells = outcomes
            .iter()
            .map(|&(x1, x2, y)| Cell { x1, x2, y, p })
            .collect();
        Pmf::from_cells(n.0, n.1, n.2, cells).unwrap()
    }

    fn bits2(f: impl Fn(u32, u32) -> u32, ny: usize) -> Pmf {
        let o: Vec<_> = (0..2)
            .flat_map(|a| (0..2).map(move |b| (a, b)))
            .map(|(a, b)| (a, b, f(a, b)))
            .collect();
        uniform((2, 2, ny), &o)
    }

    /// Both solvers, certified to 1e-9 bits (alternating) and 5e-8 (interior point, whose floor
    /// in f64 is ~1e-8 on these degenerate optima), and agreeing within the looser gap.
    fn solve(p: &Pmf) -> Decomposition {
        let r = broja(p, &BrojaOptions::default()).unwrap();
        assert!(r.converged && r.gap_bits <= 1e-9, "gap {}", r.gap_bits);
        let ipm = broja(
            p,
            &BrojaOptions {
                solver: BrojaSolver::Ipm,
                tol_bits: 5e-8,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            ipm.converged && ipm.gap_bits <= 5e-8,
            "interior point: {ipm:?}"
        );
        let (a, b) = (r.pid, ipm.pid);
        for (u, v) in [(a.r, b.r), (a.u1, b.u1), (a.u2, b.u2), (a.s, b.s)] {
            assert!((u - v).abs() < 5.1e-8, "{a:?} vs interior point {b:?}");
        }
        r.pid
    }

    fn assert_pid(d: Decomposition, want: [f64; 4], what: &str) {
        let got = [d.r, d.u1, d.u2, d.s];
        for k in 0..4 {
            assert!(
                (got[k] - want[k]).abs() < 1e-6,
                "{what}: {got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn canonical_gates() {
        // Values from PID.md's table (dit 2.3 cone solver and an independent certified solver);
        // AND: R = I(X1;Y) = h(1/4) - h(1/2)/2 = 0.311278 bits.
        let and_r = -0.25 * 0.25f64.log2() - 0.75 * 0.75f64.log2() - 0.5;
        assert!((and_r - 0.311278).abs() < 1e-6);
        assert_pid(solve(&bits2(|a, b| a ^ b, 2)), [0.0, 0.0, 0.0, 1.0], "XOR");
        assert_pid(
            solve(&bits2(|a, b| a & b, 2)),
            [and_r, 0.0, 0.0, 0.5],
            "AND",
        );
        assert_pid(solve(&bits2(|a, b| a | b, 2)), [and_r, 0.0, 0.0, 0.5], "OR");
        assert_pid(
            solve(&uniform((2, 2, 2), &[(0, 0, 0), (1, 1, 1)])),
            [1.0, 0.0, 0.0, 0.0],
            "RDN",
        );
        assert_pid(solve(&bits2(|a, _| a, 2)), [0.0, 1.0, 0.0, 0.0], "UNQ1");
        assert_pid(
            solve(&bits2(|a, b| 2 * a + b, 4)),
            [0.0, 1.0, 1.0, 0.0],
            "COPY",
        );
        assert_pid(solve(&bits2(|a, b| a + b, 3)), [0.5, 0.0, 0.0, 1.0], "SUM");
        // RDNXOR: X1 = (r, a), X2 = (r, b), Y = (r, a xor b).
        let o: Vec<_> = (0..8u32)
            .map(|k| {
                let (r, a, b) = (k >> 2, (k >> 1) & 1, k & 1);
                (2 * r + a, 2 * r + b, 2 * r + (a ^ b))
            })
            .collect();
        assert_pid(
            solve(&uniform((4, 4, 4), &o)),
            [1.0, 0.0, 0.0, 1.0],
            "RDNXOR",
        );
    }

    #[test]
    fn invariant_under_relabelling_and_swapping() {
        // A random-looking pmf on 3 x 4 x 3 with some zeros.
        let mut cells = Vec::new();
        let mut h = 7u64;
        for x1 in 0..3 {
            for x2 in 0..4 {
                for y in 0..3 {
                    h = crate::rng::mix64(h);
                    if !h.is_multiple_of(5) {
                        cells.push(Cell {
                            x1,
                            x2,
                            y,
                            p: (h % 1000) as f64 + 1.0,
                        });
                    }
                }
            }
        }
        let total: f64 = cells.iter().map(|c| c.p).sum();
        cells.iter_mut().for_each(|c| c.p /= total);
        let p = Pmf::from_cells(3, 4, 3, cells.clone()).unwrap();
        let base = solve(&p);
        for v in [base.r, base.u1, base.u2, base.s] {
            assert!(v > -1e-9);
        }

        let (s1, s2, sy) = ([2u32, 0, 1], [3u32, 1, 0, 2], [1u32, 2, 0]);
        let relabelled: Vec<Cell> = cells
            .iter()
            .map(|c| Cell {
                x1: s1[c.x1 as usize],
                x2: s2[c.x2 as usize],
                y: sy[c.y as usize],
                p: c.p,
            })
            .collect();
        let q = solve(&Pmf::from_cells(3, 4, 3, relabelled).unwrap());
        assert_pid(q, [base.r, base.u1, base.u2, base.s], "relabelled");

        let sw = solve(&p.swapped());
        assert_pid(sw, [base.r, base.u2, base.u1, base.s], "swapped");
    }

    #[test]
    fn support_guard() {
        let p = bits2(|a, b| a ^ b, 2);
        let opts = BrojaOptions {
            max_support: 3,
            ..Default::default()
        };
        assert!(matches!(
            broja(&p, &opts),
            Err(BrojaError::SupportTooLarge(8, 3))
        ));
    }

    #[test]
    fn solver_help_states_the_thresholds_in_force() {
        // The `--solver` help is these variants' doc text, so it carries the numbers by hand.
        use clap::ValueEnum;
        let help = |s: BrojaSolver| {
            s.to_possible_value()
                .unwrap()
                .get_help()
                .unwrap()
                .to_string()
        };
        let thousands = |n: usize| format!("{},{:03}", n / 1000, n % 1000);
        assert!(help(BrojaSolver::Ipm).contains(&thousands(IPM_MAX_ROWS)));
        assert!(help(BrojaSolver::Auto).contains(&thousands(AUTO_IPM_SUPPORT)));
        assert!(!help(BrojaSolver::Ipm).contains("[`"));
    }
}
