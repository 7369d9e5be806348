//! BROJA by a primal-dual interior-point method, for large general pmfs where the alternating
//! solver of [`super::broja`] crawls (its iterations slow down as cells of the optimal q go to
//! zero).
//!
//! `min f(q) = Σ_{x1,x2,y} q ln(q / q(x1,x2))` (minus the conditional entropy H_q(Y|X1,X2)) over
//! q ≥ 0 with p's (x1,y) and (x2,y) marginals. At the optimum whole cells (x1, x2) vanish, never
//! single labels inside a cell that keeps mass (the entropy's slope is infinite at 0), so the
//! inequality that binds is on each cell's mass `m = q(x1,x2) ≥ 0`: the method keeps one slack
//! `s` per cell, with complementarity `m s = μ` (a tenth of the barrier terms of one per
//! variable, and it follows the problem's own geometry). Each iteration is Mehrotra's
//! predictor-corrector on the KKT system `ln(q/m) + Aᵀν - s = 0`, `Aq = b`, `m s = σμ`, with a
//! backtracking line search on `f - σμ Σ ln m` for robustness (the log's nonlinearity defeats a
//! plain Newton step near the boundary). The Hessian `diag(1/q) + (s - 1)/m 11ᵀ` is
//! block-diagonal over cells and inverted in closed form (diagonal plus rank one), so a step
//! solves only the Schur complement `A H⁻¹ Aᵀ` over the marginal constraints ((n1 + n2) ny rows,
//! one redundant row per label dropped), factored once per iteration ([`Schur`]) and solved for
//! the predictor and the corrector. On random dense pmfs this takes 20-35 iterations where the
//! earlier primal barrier method (Newton steps on `t f - Σ ln q`, `t` raised 16x per centring)
//! took 75-110; the few cells whose mass a direction drives far past zero take their own
//! shorter step ([`BLOCKING_SHARE`]) rather than shortening everyone's.
//!
//! **Certificate**, as the alternating solver's: any multipliers ν give dual variables
//! `λ(x1,y) = -ν(x1,y)`, `μ(x2,y) = -ν(x2,y)`, whose weak-duality bound is
//! `g = max_{x1,x2} ln Σ_y e^{λ+μ} - <p(x1,y), λ> - <p(x2,y), μ>`; the bound is tried at the
//! iterate's ν and at full Newton steps from it (valid whatever ν, and the full step is often
//! tighter than the damped one taken). The primal point is the iterate rounded exactly onto the
//! marginals. The gap `g - H` is reported in bits. Where f64 stops the method short of the target
//! (ill-conditioning as μ → 0), alternating sweeps from its mixture close the rest.

use super::broja::{BrojaOptions, BrojaResult, Warm, alternating, result, round_coupling};
use super::pmf::Pmf;
use rayon::prelude::*;
use std::collections::HashMap;
use std::f64::consts::LN_2;

/// Sweeps of the alternating solver that polish a barrier run f64 stopped short of the target.
const POLISH_SWEEPS: usize = 2_000;

/// The problem on its support: variables q_j for (x1, x2, y) with p(x1,y) > 0 and p(x2,y) > 0,
/// grouped by cell (x1, x2).
struct Problem {
    /// Per variable: its source values and label, and its constraint rows (x1, y) and (x2, y)
    /// (`NONE` for the dropped row).
    x1: Vec<u32>,
    x2: Vec<u32>,
    y: Vec<u32>,
    row1: Vec<u32>,
    row2: Vec<u32>,
    /// Variables of cell k: `cell_start[k]..cell_start[k + 1]`; the cell of each variable.
    cell_start: Vec<usize>,
    cell: Vec<u32>,
    /// The variables of row r, in increasing order: `row_var[row_start[r]..row_start[r + 1]]`
    /// (rows summed in parallel, each in the same order as a serial pass).
    row_start: Vec<usize>,
    row_var: Vec<u32>,
    /// The cells of x2, in increasing order: `x2_cell[x2_start[x2]..x2_start[x2 + 1]]`; the
    /// variables of label y, in increasing order: `label_var[label_start[y]..label_start[y + 1]]`
    /// (so D2's blocks and the rounding go value by value in parallel, each summed in the order
    /// of a serial pass over all cells).
    x2_start: Vec<usize>,
    x2_cell: Vec<u32>,
    label_start: Vec<usize>,
    label_var: Vec<u32>,
    /// Right-hand side of each row: p(x1, y) or p(x2, y).
    b: Vec<f64>,

    n_rows: usize,
    /// The (x1, y) rows come first, x1 by x1: those of x1 are `g1_start[x1]..g1_start[x1 + 1]`
    /// (`n1r` in all); the Schur complement's block over them is block-diagonal by x1.
    g1_start: Vec<usize>,
    n1r: usize,
    /// p(y), p(x1, y) and p(x2, y) (row-major by source value).
    py: Vec<f64>,
    px1y: Vec<f64>,
    px2y: Vec<f64>,
    ny: usize,
}

const NONE: u32 = u32::MAX;

mod product;
use product::{Cells, Coupling, product};
#[cfg(test)]
use product::{PANEL, product_panel_any};

/// Items `0..keys.len()` grouped by key (`0..n`), in increasing order within each group: the
/// items of key g are `items[start[g]..start[g + 1]]`.
fn group(n: usize, keys: &[usize]) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n + 1];
    keys.iter().for_each(|&g| start[g + 1] += 1);
    for g in 0..n {
        start[g + 1] += start[g];
    }
    let mut next = start.clone();
    let mut items = vec![0u32; keys.len()];
    for (i, &g) in keys.iter().enumerate() {
        items[next[g]] = i as u32;
        next[g] += 1;
    }
    (start, items)
}

impl Problem {
    fn new(p: &Pmf) -> Self {
        let ny = p.ny;
        let (px1y, px2y) = (p.p_x1y(), p.p_x2y());
        // Rows: every (x1, y) with mass, x1 by x1, then every (x2, y) with mass but the first x2
        // of each label (redundant: a label's x2 rows sum to its x1 rows).
        let mut row_x1 = vec![NONE; p.n1 * ny];
        let mut row_x2 = vec![NONE; p.n2 * ny];
        let mut b = Vec::new();
        let mut g1_start = vec![0];
        for x in 0..p.n1 {
            for y in 0..ny {
                if px1y[x * ny + y] > 0.0 {
                    row_x1[x * ny + y] = b.len() as u32;
                    b.push(px1y[x * ny + y]);
                }
            }
            g1_start.push(b.len());
        }
        let n1r = b.len();
        // The (x2, y) rows x2 by x2, so that each x2's rows lie together and the reduced
        // system's product ([`product`]) skips whole x2 values above the diagonal.
        let first: Vec<Option<usize>> = (0..ny)
            .map(|y| (0..p.n2).find(|&x| px2y[x * ny + y] > 0.0))
            .collect();
        for x in 0..p.n2 {
            for y in 0..ny {
                if px2y[x * ny + y] > 0.0 && first[y] != Some(x) {
                    row_x2[x * ny + y] = b.len() as u32;
                    b.push(px2y[x * ny + y]);
                }
            }
        }
        let mut cells: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        for y in 0..ny {
            for x1 in (0..p.n1).filter(|&x| px1y[x * ny + y] > 0.0) {
                for x2 in (0..p.n2).filter(|&x| px2y[x * ny + y] > 0.0) {
                    cells
                        .entry((x1 as u32, x2 as u32))
                        .or_default()
                        .push(y as u32);
                }
            }
        }
        let mut keys: Vec<(u32, u32)> = cells.keys().copied().collect();
        keys.sort_unstable();
        let mut pr = Problem {
            x1: vec![],
            x2: vec![],
            y: vec![],
            row1: vec![],
            row2: vec![],
            cell_start: vec![0],
            cell: vec![],
            row_start: vec![],
            row_var: vec![],
            x2_start: vec![],
            x2_cell: vec![],
            label_start: vec![],
            label_var: vec![],
            n_rows: b.len(),
            b,
            g1_start,
            n1r,
            py: p.p_y(),
            px1y,
            px2y,
            ny,
        };
        for (x1, x2) in keys {
            for &y in &cells[&(x1, x2)] {
                let (i1, i2) = (x1 as usize * ny + y as usize, x2 as usize * ny + y as usize);
                pr.x1.push(x1);
                pr.x2.push(x2);
                pr.y.push(y);
                pr.row1.push(row_x1[i1]);
                pr.row2.push(row_x2[i2]);
                pr.cell.push(pr.cell_start.len() as u32 - 1);
            }
            pr.cell_start.push(pr.x1.len());
        }
        pr.index_rows();
        let n2v = pr.px2y.len() / ny;
        let cell_x2: Vec<usize> = (0..pr.cells())
            .map(|k| pr.x2[pr.cell_start[k]] as usize)
            .collect();
        (pr.x2_start, pr.x2_cell) = group(n2v, &cell_x2);
        let var_y: Vec<usize> = pr.y.iter().map(|&y| y as usize).collect();
        (pr.label_start, pr.label_var) = group(ny, &var_y);
        pr
    }

    /// Fill `row_start` and `row_var` from each variable's rows.
    fn index_rows(&mut self) {
        let mut count = vec![0usize; self.n_rows + 1];
        let rows = |j: usize| {
            [self.row1[j], self.row2[j]]
                .into_iter()
                .filter(|&r| r != NONE)
        };
        for j in 0..self.y.len() {
            rows(j).for_each(|r| count[r as usize + 1] += 1);
        }
        for r in 0..self.n_rows {
            count[r + 1] += count[r];
        }
        let mut next = count.clone();
        let mut var = vec![0u32; count[self.n_rows]];
        for j in 0..self.y.len() {
            for r in rows(j) {
                var[next[r as usize]] = j as u32;
                next[r as usize] += 1;
            }
        }
        (self.row_start, self.row_var) = (count, var);
    }

    fn cells(&self) -> usize {
        self.cell_start.len() - 1
    }

    fn p1(&self, j: usize) -> f64 {
        self.px1y[self.x1[j] as usize * self.ny + self.y[j] as usize]
    }

    fn p2(&self, j: usize) -> f64 {
        self.px2y[self.x2[j] as usize * self.ny + self.y[j] as usize]
    }

    /// Per cell: the sum of v over its variables (its mass when v = q).
    fn mass(&self, v: &[f64]) -> Vec<f64> {
        (0..self.cells())
            .into_par_iter()
            .map(|k| v[self.cell_start[k]..self.cell_start[k + 1]].iter().sum())
            .collect()
    }

    /// `(Aᵀ ν)_j`: the multipliers of variable j's two rows.
    fn at(&self, nu: &[f64], j: usize) -> f64 {
        let r2 = self.row2[j];
        nu[self.row1[j] as usize] + if r2 == NONE { 0.0 } else { nu[r2 as usize] }
    }

    /// `A v`: v's (x1, y) and (x2, y) marginals over the kept rows.
    fn a(&self, v: &[f64]) -> Vec<f64> {
        (0..self.n_rows)
            .into_par_iter()
            .map(|r| {
                self.row_var[self.row_start[r]..self.row_start[r + 1]]
                    .iter()
                    .fold(0.0, |acc, &j| acc + v[j as usize])
            })
            .collect()
    }
}

/// Iterations without a better certificate after which f64 is taken to have stalled and the
/// alternating solver polishes.
const STALL_ITERATIONS: usize = 15;

/// Solve BROJA for `p` (already lumped if wanted) by the primal-dual method; `max_iter` counts
/// iterations (one factorisation each). Called by [`super::broja::broja`] with `solver = Ipm`.
pub fn broja_ipm(p: &Pmf, opts: &BrojaOptions) -> BrojaResult {
    let pr = Problem::new(p);
    let mut it = Iterate::start(&pr);
    let mut schur = Schur::new(&pr);
    let mut cert = Bounds::default();
    let (mut iterations, mut converged, mut last_gain) = (0, false, 0);
    let spinner = if opts.progress {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    while iterations < opts.max_iter {
        iterations += 1;
        let lin = Linearisation::at(&pr, &it);
        let before = cert.gap_bits();
        cert.primal(&pr, &it, &lin);
        cert.dual(&pr, &it.nu, None);
        spinner.set_message(format!(
            "BROJA (interior point) on {} cells, {} constraints: iteration {iterations}, gap {:.2e} bits (target {:.0e})",
            pr.y.len(),
            pr.n_rows,
            cert.gap_bits(),
            opts.tol_bits
        ));
        spinner.tick();
        if cert.gap_bits() <= opts.tol_bits {
            converged = true;
            break;
        }
        // Below this μ the central path has nothing left to give in f64.
        if lin.mu * pr.cells() as f64 <= 1e-3 * opts.tol_bits * LN_2 {
            break;
        }
        if !schur.factor(&pr, &it.q, &lin.beta) {
            break;
        }
        let step = mehrotra(&pr, &it, &lin, &schur, &mut cert);
        if cert.gap_bits() <= opts.tol_bits {
            converged = true;
            break;
        }
        if cert.gap_bits() < before {
            last_gain = iterations;
        } else if iterations - last_gain > STALL_ITERATIONS {
            break;
        }
        if !it.advance(&pr, step) {
            break;
        }
    }
    spinner.finish_and_clear();
    if !converged {
        // f64 stopped the method short of the target: polish with the alternating solver from
        // the iterate's mixture, whose vanishing cells it then needs no sweeps to find. Both
        // solvers' bounds stay valid, so the better of each is kept.
        let q = round_all(&pr, &it.q);
        let mut r: HashMap<(u32, u32), f64> = HashMap::new();
        for j in 0..q.len() {
            *r.entry((pr.x1[j], pr.x2[j])).or_insert(0.0) += q[j];
        }
        let warm = Warm {
            r,
            h: cert.h,
            g: cert.g,
            iterations,
        };
        let polish = BrojaOptions {
            max_iter: iterations + POLISH_SWEEPS,
            ..opts.clone()
        };
        return alternating(p, &polish, Some(warm));
    }
    result(p, (cert.h, cert.g), iterations, converged, pr.y.len())
}

/// The primal point q (> 0, on the marginals up to rounding), the multipliers ν of the
/// marginals and one slack s (> 0) per cell.
struct Iterate {
    q: Vec<f64>,
    nu: Vec<f64>,
    s: Vec<f64>,
}

impl Iterate {
    /// The product coupling p(x1, y) p(x2, y) / p(y) (strictly inside and feasible), ν = 0, and
    /// slacks with every m s equal to 1 / cells (so s is of order one).
    fn start(pr: &Problem) -> Self {
        let q: Vec<f64> = (0..pr.y.len())
            .map(|j| pr.p1(j) * pr.p2(j) / pr.py[pr.y[j] as usize])
            .collect();
        let nc = pr.cells() as f64;
        let s = pr.mass(&q).iter().map(|&m| 1.0 / (nc * m)).collect();
        Iterate {
            q,
            nu: vec![0.0; pr.n_rows],
            s,
        }
    }

    /// Take `step`: q and ν by the longest fraction-to-boundary step that decreases the merit
    /// `f - μ_t Σ ln m + ρ |Aq - b|₁` enough (Armijo), s by its own fraction-to-boundary step.
    /// In both, the few cells ([`BLOCKING_SHARE`]) whose mass (or slack) the direction drives
    /// past zero soonest take their own shorter step instead of holding every other cell back.
    /// False if no step could be taken.
    fn advance(&mut self, pr: &Problem, step: Step) -> bool {
        let Step {
            dq,
            dnu,
            ds,
            mu_target,
            slope,
        } = step;
        // Cells that stopped short leave the iterate off the marginals; the next direction
        // restores them (A Δq = -rp), which may cost f, so the merit then weighs the
        // infeasibility with a ρ that makes the direction one of descent.
        let infeasibility =
            |q: &[f64]| -> f64 { pr.a(q).iter().zip(&pr.b).map(|(a, b)| (a - b).abs()).sum() };
        let r0 = infeasibility(&self.q);
        let rho = if slope >= 0.0 && r0 > 1e-12 {
            2.0 * slope / r0
        } else {
            0.0
        };
        let slope = slope - rho * r0;
        let merit = |q: &[f64]| -> f64 {
            let barrier = mu_target * pr.mass(q).iter().map(|m| m.ln()).sum::<f64>();
            let penalty = if rho > 0.0 {
                rho * infeasibility(q)
            } else {
                0.0
            };
            -cond_entropy(pr, q) - barrier + penalty
        };
        let f0 = merit(&self.q);
        let cap = cell_steps(pr, &self.q, &dq);
        let mut a = shared_step(&cap);
        let trial = loop {
            let t: Vec<f64> = (0..self.q.len())
                .into_par_iter()
                .map(|j| self.q[j] + a.min(0.9 * cap[pr.cell[j] as usize]) * dq[j])
                .collect();
            if merit(&t) <= f0 + 1e-4 * a * slope {
                break t;
            }
            a *= 0.5;
            if a < 1e-12 {
                return false;
            }
        };
        self.q = trial;
        self.nu.iter_mut().zip(&dnu).for_each(|(v, d)| *v += a * d);
        let steps = slack_steps(&self.s, &ds);
        self.s
            .iter_mut()
            .zip(&ds)
            .zip(&steps)
            .for_each(|((v, d), a)| *v += a * d);
        true
    }
}

/// The share of cells allowed to take a shorter step than the rest. On random dense pmfs one
/// to three cells in ten thousand, whose mass the direction drives far past zero, would
/// otherwise cut every other step to ~1e-3 (half the iterations of a 300 x 300 x 10 solve);
/// letting 1 % of them stop short takes 300 x 300 x 10 from 41 iterations to 33 and
/// 100 x 100 x 10 from 31 to 19. The slacks follow the same rule: a uniform slack step was
/// cut to 0.02-0.3 by the slacks of a few cells, which left μ falling ~1.4x per iteration;
/// with per-cell slack steps 300 x 300 x 10 (seed 1) takes 25 iterations instead of 33, and
/// 200 x 200 x 10 (seed 3), where the uniform step stalled short of 1e-7 bits, 24.
const BLOCKING_SHARE: f64 = 0.01;

/// The step shared by all cells but the blocking share, from per-cell caps (the largest step
/// that keeps each cell feasible): 0.995 of the cap below which only [`BLOCKING_SHARE`] of the
/// cells lie, at most 1. A cell with 0.9 of its cap below it takes 0.9 of its cap instead, so
/// cells whose caps lie up to 11 % above the step stop short too (late in a solve most of the
/// vanishing cells); stopping only those below the quantile took more iterations (README).
fn shared_step(cap: &[f64]) -> f64 {
    let mut sorted = cap.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let blocking = (BLOCKING_SHARE * cap.len() as f64) as usize;
    (0.995 * sorted[blocking.min(cap.len() - 1)]).min(1.0)
}

/// Per cell: the step its slack takes along `ds`, by the rule of [`shared_step`] on the caps
/// `s + a ds ≥ 0`.
fn slack_steps(s: &[f64], ds: &[f64]) -> Vec<f64> {
    let cap: Vec<f64> = s
        .iter()
        .zip(ds)
        .map(|(s, d)| if *d < 0.0 { -s / d } else { f64::INFINITY })
        .collect();
    let shared = shared_step(&cap);
    cap.iter().map(|c| shared.min(0.9 * c)).collect()
}

/// Per cell: the largest step `a` with `q + a dq ≥ 0` on all its variables.
fn cell_steps(pr: &Problem, q: &[f64], dq: &[f64]) -> Vec<f64> {
    (0..pr.cells())
        .into_par_iter()
        .map(|k| {
            let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
            max_step(&q[s..e], &dq[s..e])
        })
        .collect()
}

/// What an iteration needs at the current iterate: cell masses, the gradient of f, the dual
/// and primal residuals, the duality measure μ, and the Hessian's rank-one weight per cell
/// (`H⁻¹ = diag(q) + β q qᵀ`).
struct Linearisation {
    m: Vec<f64>,
    grad: Vec<f64>,
    rd: Vec<f64>,
    rp: Vec<f64>,
    mu: f64,
    beta: Vec<f64>,
}

impl Linearisation {
    fn at(pr: &Problem, it: &Iterate) -> Self {
        let m = pr.mass(&it.q);
        let grad: Vec<f64> = (0..it.q.len())
            .into_par_iter()
            .map(|j| (it.q[j] / m[pr.cell[j] as usize]).ln())
            .collect();
        let rd = (0..it.q.len())
            .into_par_iter()
            .map(|j| grad[j] + pr.at(&it.nu, j) - it.s[pr.cell[j] as usize])
            .collect();
        let rp = pr.a(&it.q).iter().zip(&pr.b).map(|(a, b)| a - b).collect();
        let mu = m.iter().zip(&it.s).map(|(a, b)| a * b).sum::<f64>() / m.len() as f64;
        // H = diag(1/q) + (s - 1)/m 11ᵀ per cell; Sherman-Morrison gives β = (1 - s) / (m s).
        let beta = m
            .iter()
            .zip(&it.s)
            .map(|(m, s)| (1.0 - s) / (m * s))
            .collect();
        Linearisation {
            m,
            grad,
            rd,
            rp,
            mu,
            beta,
        }
    }
}

/// A search direction, the complementarity target it aims at, and the merit's slope along dq.
struct Step {
    dq: Vec<f64>,
    dnu: Vec<f64>,
    ds: Vec<f64>,
    mu_target: f64,
    slope: f64,
}

/// Mehrotra's predictor-corrector direction from one factorisation; falls back to the pure
/// centring direction where the corrector is no descent direction of the merit. Tries the full
/// steps in ν on the certificate as it goes.
fn mehrotra(
    pr: &Problem,
    it: &Iterate,
    lin: &Linearisation,
    schur: &Schur,
    cert: &mut Bounds,
) -> Step {
    let nc = pr.cells();
    let dir = |rc: &[f64]| direction(pr, it, lin, schur, rc);
    // Predictor: aim at m s = 0.
    let rc: Vec<f64> = (0..nc).map(|k| lin.m[k] * it.s[k]).collect();
    let (dqa, dnua, dsa) = dir(&rc);
    cert.dual(pr, &it.nu, Some((&dnua, 1.0)));
    let dma = pr.mass(&dqa);
    // The predictor's complementarity after its step: q by one step for all (a per-cell step
    // here took 300 x 300 x 10 from 25 iterations to 34), the slacks as `advance` moves them.
    let ap = max_step(&it.q, &dqa).min(1.0);
    let ad = slack_steps(&it.s, &dsa);
    let mu_aff = (0..nc)
        .map(|k| (lin.m[k] + ap * dma[k]) * (it.s[k] + ad[k] * dsa[k]))
        .sum::<f64>()
        / nc as f64;
    let mu_target = (mu_aff / lin.mu).powi(3).clamp(0.0, 1.0) * lin.mu;
    // Corrector: the centring target and the predictor's second-order term.
    let rc: Vec<f64> = (0..nc)
        .map(|k| lin.m[k] * it.s[k] - mu_target + dma[k] * dsa[k])
        .collect();
    let (mut dq, mut dnu, mut ds) = dir(&rc);
    for f in [1.0, 0.5, 2.0] {
        cert.dual(pr, &it.nu, Some((&dnu, f)));
    }
    let slope_of = |dq: &[f64]| -> f64 {
        let dm = pr.mass(dq);
        let df: f64 = lin.grad.iter().zip(dq).map(|(g, d)| g * d).sum();
        df - (0..nc).map(|k| mu_target / lin.m[k] * dm[k]).sum::<f64>()
    };
    let mut slope = slope_of(&dq);
    if !(slope < 0.0) {
        let rc: Vec<f64> = (0..nc).map(|k| lin.m[k] * it.s[k] - mu_target).collect();
        (dq, dnu, ds) = dir(&rc);
        slope = slope_of(&dq);
    }
    Step {
        dq,
        dnu,
        ds,
        mu_target,
        slope,
    }
}

/// The Newton direction `(Δq, Δν, Δs)` of the KKT system for the complementarity residual `rc`
/// (`m s` minus its target, per cell): `H Δq + AᵀΔν - E Δs = -rd`, `A Δq = -rp`,
/// `s Δm + m Δs = -rc`, with Δs eliminated and H inverted per cell.
fn direction(
    pr: &Problem,
    it: &Iterate,
    lin: &Linearisation,
    schur: &Schur,
    rc: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = it.q.len();
    let cell = |j: usize| pr.cell[j] as usize;
    let r: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|j| lin.rd[j] + rc[cell(j)] / lin.m[cell(j)])
        .collect();
    let hinv = |v: &[f64]| -> Vec<f64> {
        let qv: Vec<f64> = (0..pr.cells())
            .into_par_iter()
            .map(|k| {
                (pr.cell_start[k]..pr.cell_start[k + 1])
                    .map(|j| it.q[j] * v[j])
                    .sum()
            })
            .collect();
        (0..n)
            .into_par_iter()
            .map(|j| it.q[j] * (v[j] + lin.beta[cell(j)] * qv[cell(j)]))
            .collect()
    };
    let ahr = pr.a(&hinv(&r));
    let dnu = schur.solve(lin.rp.iter().zip(&ahr).map(|(p, a)| p - a).collect());
    let u: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|j| r[j] + pr.at(&dnu, j))
        .collect();
    let dq: Vec<f64> = hinv(&u).into_iter().map(|v| -v).collect();
    let dm = pr.mass(&dq);
    let ds = (0..pr.cells())
        .map(|k| -(rc[k] + it.s[k] * dm[k]) / lin.m[k])
        .collect();
    (dq, dnu, ds)
}

/// The largest step `a` with `x + a dx ≥ 0` (infinite if dx ≥ 0).
fn max_step(x: &[f64], dx: &[f64]) -> f64 {
    x.iter()
        .zip(dx)
        .filter(|(_, d)| **d < 0.0)
        .map(|(a, d)| -a / d)
        .fold(f64::INFINITY, f64::min)
}

/// The best certified bounds so far (nats): `h` the largest H(Y|X1,X2) of a feasible point,
/// `g` the smallest dual bound.
struct Bounds {
    h: f64,
    g: f64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            h: f64::NEG_INFINITY,
            g: f64::INFINITY,
        }
    }
}

impl Bounds {
    fn gap_bits(&self) -> f64 {
        (self.g - self.h) / LN_2
    }

    /// The iterate rounded onto the marginals; also with the cells it is driving to zero
    /// (mass far below the centring scale √μ relative to their slack) set to zero first, since
    /// near the end the optimum's zeros are what keep the rounded point from the last bits.
    fn primal(&mut self, pr: &Problem, it: &Iterate, lin: &Linearisation) {
        let cut = 1e-3 * lin.mu.sqrt();
        let purified: Vec<f64> = (0..it.q.len())
            .into_par_iter()
            .map(|j| {
                let k = pr.cell[j] as usize;
                if lin.m[k] < cut * it.s[k] {
                    0.0
                } else {
                    it.q[j]
                }
            })
            .collect();
        let (a, b) = rayon::join(
            || cond_entropy(pr, &round_all(pr, &it.q)),
            || cond_entropy(pr, &round_all(pr, &purified)),
        );
        let h = a.max(b);
        self.h = self.h.max(h);
    }

    /// The weak-duality bound at ν (+ f Δν when given).
    fn dual(&mut self, pr: &Problem, nu: &[f64], step: Option<(&[f64], f64)>) {
        let nu: Vec<f64> = match step {
            Some((d, f)) => nu.iter().zip(d).map(|(v, d)| v + f * d).collect(),
            None => nu.to_vec(),
        };
        self.g = self.g.min(dual_bound(pr, &nu));
    }
}

/// `max_{x1,x2} ln Σ_y e^{λ+μ} - <p(x1,y), λ> - <p(x2,y), μ>` for λ, μ = -ν (0 on the dropped
/// rows): an upper bound on max H(Y|X1,X2) whatever ν.
fn dual_bound(pr: &Problem, nu: &[f64]) -> f64 {
    let lam = |r: u32| if r == NONE { 0.0 } else { -nu[r as usize] };
    let max_lse = (0..pr.cells())
        .into_par_iter()
        .map(|k| {
            let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
            let th: Vec<f64> = (s..e).map(|j| lam(pr.row1[j]) + lam(pr.row2[j])).collect();
            let mx = th.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            mx + th.iter().map(|v| (v - mx).exp()).sum::<f64>().ln()
        })
        .reduce(|| f64::NEG_INFINITY, f64::max);
    let lin: f64 = (0..pr.n_rows).map(|r| pr.b[r] * lam(r as u32)).sum();
    max_lse - lin
}

/// H(Y | X1, X2) of a nonnegative q (not necessarily normalised), nats.
fn cond_entropy(pr: &Problem, q: &[f64]) -> f64 {
    (0..pr.cells())
        .into_par_iter()
        .map(|k| {
            let v = &q[pr.cell_start[k]..pr.cell_start[k + 1]];
            let m: f64 = v.iter().sum();
            -v.iter()
                .filter(|&&x| x > 0.0)
                .map(|&x| x * (x / m).ln())
                .sum::<f64>()
        })
        // Summed in cell order: rayon's own sum splits where threads steal, so its rounding
        // (and the certificate's last bits) would change from run to run.
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// The Schur complement `S = A H⁻¹ Aᵀ` (`H⁻¹ = diag(w) + β w wᵀ` per cell), factored once and
/// solved for several right-hand sides. Ordered as (x1, y) rows then (x2, y) rows,
/// `S = [[D1, C], [Cᵀ, D2]]` with `D1` and `D2` block-diagonal (one `ny x ny` block per x1, per
/// x2: only cells of that value touch its rows), so `D1` is eliminated block by block and only
/// the reduced `D2 - Cᵀ D1⁻¹ C` over the (x2, y) rows is factored densely: half the rows, about
/// half the flops of factoring all of `S`. `C` is kept row-major, so each x1's rows are one
/// contiguous panel: assembled, and multiplied by its block's inverse factor, in parallel.
struct Schur {
    /// Cholesky factors of D1's blocks (row-major, block x at `off[x]..off[x + 1]`).
    l1: Vec<f64>,
    off: Vec<usize>,
    g1_start: Vec<usize>,
    /// `M = L1⁻¹ C`, n1 x n2 row-major.
    m: Vec<f64>,
    n1: usize,
    n2: usize,
    /// The product's view of the cells: [`Cells`].
    cells: Cells,
    /// The reduced system, n2 x n2 column-major; its lower triangle is overwritten by its
    /// Cholesky factor, its upper one holds stale products.
    red: Vec<f64>,
    scratch: faer::dyn_stack::MemBuffer,
}

impl Schur {
    /// Storage for the problem's factorisations, allocated once per solve and reused by every
    /// iteration: a fresh allocation of M and the reduced system (70 MB each at 300 x 300 x 10)
    /// is mapped anew by the system, and faulting those pages in every iteration took a third
    /// of a solve.
    fn new(pr: &Problem) -> Self {
        let (n1, n2) = (pr.n1r, pr.n_rows - pr.n1r);
        let mut off = vec![0usize];
        for x in 0..pr.g1_start.len() - 1 {
            let m = pr.g1_start[x + 1] - pr.g1_start[x];
            off.push(off[x] + m * m);
        }
        let par = faer::get_global_parallelism();
        let req = faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
            n2,
            par,
            Default::default(),
        );
        Schur {
            l1: vec![0.0; off[off.len() - 1]],
            off,
            g1_start: pr.g1_start.clone(),
            m: vec![0.0; n1 * n2],
            n1,
            n2,
            cells: Cells::new(pr),
            red: vec![0.0; n2 * n2],
            scratch: faer::dyn_stack::MemBuffer::new(req),
        }
    }

    /// Factor S at the weights w (`H⁻¹ = diag(w) + β w wᵀ` per cell); false if rounding made
    /// a block indefinite even after a relative 1e-6 shift of the reduced system.
    fn factor(&mut self, pr: &Problem, w: &[f64], beta: &[f64]) -> bool {
        if !panels(pr, w, beta, &mut self.l1, &mut self.m) {
            return false;
        }
        let d2 = d2_entries(pr, w, beta);
        self.cells.weigh(w, beta);
        // Shifts up to 1e-6 relative: a direction from a slightly shifted system is still one
        // of descent for the line search, and the certificate does not depend on it. One pmf
        // in 72 of the tests (30 x 30 x 8, seed 5) needed 1e-9 near μ = 1e-10 and stalled into
        // the alternating polish (161 iterations) when 1e-12 was the last try.
        [0.0, 1e-12, 1e-9, 1e-6]
            .iter()
            .any(|&shift| self.reduce(pr, &d2, shift))
    }

    /// The reduced system `D2 - Cᵀ Z` (lower triangle: the product, then D2's blocks), its
    /// diagonal raised by `shift` relative, factored in place; false if it is not positive
    /// definite.
    fn reduce(&mut self, pr: &Problem, d2: &[(usize, usize, f64)], shift: f64) -> bool {
        let n2 = self.n2;
        if n2 == 0 {
            return true;
        }
        let coupling = Coupling {
            pr,
            cells: &self.cells,
            l1: &self.l1,
            off: &self.off,
            m: &self.m,
            n2,
        };
        product(&coupling, &mut self.red);
        for &(i, j, v) in d2 {
            self.red[i.min(j) * n2 + i.max(j)] += v;
        }
        if shift > 0.0 {
            (0..n2).for_each(|i| self.red[i * n2 + i] += shift * self.red[i * n2 + i].abs());
        }
        let par = faer::get_global_parallelism();
        faer::linalg::cholesky::llt::factor::cholesky_in_place(
            faer::MatMut::from_column_major_slice_mut(&mut self.red, n2, n2),
            Default::default(),
            par,
            faer::dyn_stack::MemStack::new(&mut self.scratch),
            Default::default(),
        )
        .is_ok()
    }

    /// `v ← L1⁻¹ v` over the (x1, y) rows, block by block.
    fn forward(&self, v: &mut [f64]) {
        for x in 0..self.g1_start.len() - 1 {
            let (g0, m) = (self.g1_start[x], self.g1_start[x + 1] - self.g1_start[x]);
            let l = &self.l1[self.off[x]..self.off[x + 1]];
            let v = &mut v[g0..g0 + m];
            for i in 0..m {
                let acc = v[i] - (0..i).map(|k| l[i * m + k] * v[k]).sum::<f64>();
                v[i] = acc / l[i * m + i];
            }
        }
    }

    /// `v ← L1⁻ᵀ v` over the (x1, y) rows, block by block.
    fn backward(&self, v: &mut [f64]) {
        for x in 0..self.g1_start.len() - 1 {
            let (g0, m) = (self.g1_start[x], self.g1_start[x + 1] - self.g1_start[x]);
            let l = &self.l1[self.off[x]..self.off[x + 1]];
            for i in (0..m).rev() {
                let s = v[g0 + i] - (i + 1..m).map(|k| l[k * m + i] * v[g0 + k]).sum::<f64>();
                v[g0 + i] = s / l[i * m + i];
            }
        }
    }

    /// Solve `S ν = b`.
    fn solve(&self, mut b: Vec<f64>) -> Vec<f64> {
        let n1 = self.n1;
        self.forward(&mut b[..n1]);
        let (y1, b2) = b.split_at(n1);
        let n2 = b2.len();
        // Reduced right-hand side b2 - Mᵀ y1 (row by row, columns split across threads), then
        // ν2 from the dense factor.
        let mut nu2 = b2.to_vec();
        nu2.par_chunks_mut(512).enumerate().for_each(|(c, out)| {
            let c0 = c * 512;
            for (i, &y) in y1.iter().enumerate() {
                let row = &self.m[i * n2 + c0..i * n2 + c0 + out.len()];
                out.iter_mut().zip(row).for_each(|(o, m)| *o -= m * y);
            }
        });
        if n2 > 0 {
            // Reads only the factor's lower triangle (the upper holds stale products).
            let rhs = faer::MatMut::from_column_major_slice_mut(&mut nu2, n2, 1);
            faer::linalg::cholesky::llt::solve::solve_in_place(
                faer::MatRef::from_column_major_slice(&self.red, n2, n2),
                rhs,
                faer::get_global_parallelism(),
                faer::dyn_stack::MemStack::new(&mut []),
            );
        }
        // ν1 = L1⁻ᵀ (y1 - M ν2).
        let mut nu: Vec<f64> = (0..n1)
            .into_par_iter()
            .map(|i| {
                let row = &self.m[i * n2..(i + 1) * n2];
                y1[i] - row.iter().zip(&nu2).map(|(m, v)| m * v).sum::<f64>()
            })
            .collect();
        self.backward(&mut nu);
        nu.extend(nu2);
        nu
    }
}

/// D1's blocks into `d1`, Cholesky-factored (row-major, one x1 block after another), and
/// `M = L1⁻¹ C` into `c` (n1 x n2 row-major), x1 by x1 in parallel: the cells of one x1 are
/// contiguous and touch only its block and its panel of C. False if a block is indefinite
/// even after a shift.
fn panels(pr: &Problem, w: &[f64], beta: &[f64], d1: &mut [f64], c: &mut [f64]) -> bool {
    let (n1, n2) = (pr.n1r, pr.n_rows - pr.n1r);
    let groups = pr.g1_start.len() - 1;
    // Cells of x1: cells_of[x1]..cells_of[x1 + 1] (sorted by (x1, x2)).
    let mut cells_of = vec![0usize; groups + 1];
    for k in 0..pr.cells() {
        cells_of[pr.x1[pr.cell_start[k]] as usize + 1] = k + 1;
    }
    for x in 1..=groups {
        cells_of[x] = cells_of[x].max(cells_of[x - 1]);
    }
    let mut d1_parts: Vec<&mut [f64]> = Vec::with_capacity(groups);
    let mut c_parts: Vec<&mut [f64]> = Vec::with_capacity(groups);
    let (mut d1_rest, mut c_rest) = (d1, c);
    for x in 0..groups {
        let m = pr.g1_start[x + 1] - pr.g1_start[x];
        let (a, b) = std::mem::take(&mut d1_rest).split_at_mut(m * m);
        let (e, f) = std::mem::take(&mut c_rest).split_at_mut(m * n2);
        d1_parts.push(a);
        c_parts.push(e);
        (d1_rest, c_rest) = (b, f);
    }
    let ok = d1_parts
        .into_par_iter()
        .zip(c_parts)
        .enumerate()
        .all(|(x, (blk, panel))| {
            let (g0, m) = (pr.g1_start[x], pr.g1_start[x + 1] - pr.g1_start[x]);
            blk.fill(0.0);
            panel.fill(0.0);
            for k in cells_of[x]..cells_of[x + 1] {
                let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
                for j in s..e {
                    let a1 = pr.row1[j] as usize - g0;
                    blk[a1 * (m + 1)] += w[j];
                    let a2 = pr.row2[j];
                    if a2 != NONE {
                        panel[a1 * n2 + a2 as usize - n1] += w[j];
                    }
                    for jj in s..e {
                        let v = beta[k] * w[j] * w[jj];
                        blk[a1 * m + pr.row1[jj] as usize - g0] += v;
                        if pr.row2[jj] != NONE {
                            panel[a1 * n2 + pr.row2[jj] as usize - n1] += v;
                        }
                    }
                }
            }
            if !small_cholesky(blk, m) {
                return false;
            }
            // Panel ← L⁻¹ panel, row by row.
            for i in 0..m {
                let (done, rest) = panel.split_at_mut(i * n2);
                let row = &mut rest[..n2];
                for k in 0..i {
                    let l = blk[i * m + k];
                    row.iter_mut()
                        .zip(&done[k * n2..(k + 1) * n2])
                        .for_each(|(r, d)| *r -= l * d);
                }
                let d = blk[i * m + i];
                row.iter_mut().for_each(|r| *r /= d);
            }
            true
        });
    ok
}

/// D2's entries `(i, j, v)` (indices within the (x2, y) rows, both triangles), one x2 block
/// at a time in parallel: the cells of one x2 are spread over all x1, so each block is summed
/// (in cell order) in a small dense array indexed by labels before it is listed.
fn d2_entries(pr: &Problem, w: &[f64], beta: &[f64]) -> Vec<(usize, usize, f64)> {
    let (ny, n1) = (pr.ny, pr.n1r);
    let blocks: Vec<Vec<(usize, usize, f64)>> = (0..pr.x2_start.len() - 1)
        .into_par_iter()
        .map(|x2| {
            let mut blk = vec![0.0; ny * ny];
            let mut row_of = vec![NONE; ny];
            for &k in &pr.x2_cell[pr.x2_start[x2]..pr.x2_start[x2 + 1]] {
                let k = k as usize;
                let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
                for j in (s..e).filter(|&j| pr.row2[j] != NONE) {
                    let y = pr.y[j] as usize;
                    row_of[y] = pr.row2[j];
                    blk[y * (ny + 1)] += w[j];
                    for jj in (s..e).filter(|&jj| pr.row2[jj] != NONE) {
                        blk[y * ny + pr.y[jj] as usize] += beta[k] * w[j] * w[jj];
                    }
                }
            }
            let mut out = Vec::new();
            for y in 0..ny {
                for y2 in 0..ny {
                    let (a, b) = (row_of[y], row_of[y2]);
                    if a != NONE && b != NONE && a >= b {
                        out.push((a as usize - n1, b as usize - n1, blk[y * ny + y2]));
                    }
                }
            }
            out
        })
        .collect();
    blocks.concat()
}

/// In-place lower Cholesky factor of the `m x m` row-major `a` (its lower triangle is read); if
/// rounding made it indefinite, again with the diagonal raised by a relative 1e-12.
fn small_cholesky(a: &mut [f64], m: usize) -> bool {
    let orig = a.to_vec();
    for shift in [0.0, 1e-12] {
        a.copy_from_slice(&orig);
        for i in 0..m {
            a[i * m + i] += shift * orig[i * m + i].abs();
        }
        let mut ok = true;
        'rows: for i in 0..m {
            for j in 0..=i {
                let v = a[i * m + j] - (0..j).map(|k| a[i * m + k] * a[j * m + k]).sum::<f64>();
                if i == j {
                    if !(v > 0.0) {
                        ok = false;
                        break 'rows;
                    }
                    a[i * m + i] = v.sqrt();
                } else {
                    a[i * m + j] = v / a[j * m + j];
                }
            }
        }
        if ok {
            return true;
        }
    }
    false
}

/// The iterate made exactly feasible, label by label in parallel ([`round_coupling`] of each
/// label's `A_y x B_y` block, whose every cell is a variable).
fn round_all(pr: &Problem, q: &[f64]) -> Vec<f64> {
    let ny = pr.ny;
    let (n1, n2) = (pr.px1y.len() / ny, pr.px2y.len() / ny);
    let rounded: Vec<Vec<(usize, f64)>> = (0..ny)
        .into_par_iter()
        .map(|y| {
            let a_idx: Vec<usize> = (0..n1).filter(|&x| pr.px1y[x * ny + y] > 0.0).collect();
            let b_idx: Vec<usize> = (0..n2).filter(|&x| pr.px2y[x * ny + y] > 0.0).collect();
            if a_idx.is_empty() || b_idx.is_empty() {
                return vec![];
            }
            let (mut pos1, mut pos2) = (vec![usize::MAX; n1], vec![usize::MAX; n2]);
            a_idx.iter().enumerate().for_each(|(i, &x)| pos1[x] = i);
            b_idx.iter().enumerate().for_each(|(i, &x)| pos2[x] = i);
            let nb = b_idx.len();
            let mut x = vec![0.0; a_idx.len() * nb];
            let vars = &pr.label_var[pr.label_start[y]..pr.label_start[y + 1]];
            let at: Vec<(usize, usize)> = vars
                .iter()
                .map(|&j| {
                    let j = j as usize;
                    (j, pos1[pr.x1[j] as usize] * nb + pos2[pr.x2[j] as usize])
                })
                .collect();
            at.iter().for_each(|&(j, c)| x[c] = q[j]);
            let a: Vec<f64> = a_idx.iter().map(|&v| pr.px1y[v * ny + y]).collect();
            let b: Vec<f64> = b_idx.iter().map(|&v| pr.px2y[v * ny + y]).collect();
            let x = round_coupling(x, &a, &b);
            at.into_iter().map(|(j, c)| (j, x[c])).collect()
        })
        .collect();
    let mut out = vec![0.0; q.len()];
    rounded.into_iter().flatten().for_each(|(j, v)| out[j] = v);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::broja::{BrojaSolver, broja};
    use crate::pid::pmf::Cell;

    /// A dense pmf with weights from a hash, some cells zero.
    fn random(n: (usize, usize, usize), seed: u64, zeros: bool) -> Pmf {
        let mut h = seed;
        let mut cells = Vec::new();
        for x1 in 0..n.0 as u32 {
            for x2 in 0..n.1 as u32 {
                for y in 0..n.2 as u32 {
                    h = crate::rng::mix64(h.wrapping_add(1));
                    if !(zeros && h.is_multiple_of(4)) {
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
        Pmf::from_cells(n.0, n.1, n.2, cells).unwrap()
    }

    fn solve(p: &Pmf, solver: BrojaSolver) -> BrojaResult {
        broja(
            p,
            &BrojaOptions {
                solver,
                tol_bits: 1e-8,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn agrees_with_the_alternating_solver_where_both_converge() {
        for (n, seed, zeros) in [
            ((3, 4, 3), 7, true),
            ((2, 5, 2), 3, false),
            ((4, 4, 4), 11, true),
        ] {
            let p = random(n, seed, zeros);
            let (a, b) = (
                solve(&p, BrojaSolver::Alternating),
                solve(&p, BrojaSolver::Ipm),
            );
            assert!(a.converged && b.converged, "{n:?}: {a:?} {b:?}");
            let (x, y) = (a.pid, b.pid);
            for (u, v) in [(x.r, y.r), (x.u1, y.u1), (x.u2, y.u2), (x.s, y.s)] {
                assert!((u - v).abs() < 2e-8, "{n:?}: {x:?} vs {y:?}");
            }
        }
    }

    /// `S = A H⁻¹ Aᵀ` entry by entry from the variables' rows, with `H⁻¹ = diag(w) + β w wᵀ`
    /// per cell: the independent computation the Schur tests compare with.
    fn dense_s(pr: &Problem, w: &[f64], beta: &[f64]) -> Vec<Vec<f64>> {
        let n = pr.y.len();
        let mut s = vec![vec![0.0; pr.n_rows]; pr.n_rows];
        for j in 0..n {
            for jj in (0..n).filter(|&jj| pr.cell[jj] == pr.cell[j]) {
                let k = pr.cell[j] as usize;
                let h = beta[k] * w[j] * w[jj] + if j == jj { w[j] } else { 0.0 };
                for r in [pr.row1[j], pr.row2[j]].into_iter().filter(|&r| r != NONE) {
                    for rr in [pr.row1[jj], pr.row2[jj]]
                        .into_iter()
                        .filter(|&r| r != NONE)
                    {
                        s[r as usize][rr as usize] += h;
                    }
                }
            }
        }
        s
    }

    #[test]
    fn d2_blocks_and_rounding_match_their_definitions() {
        // Independent computation: S = A H⁻¹ Aᵀ entry by entry ([`dense_s`]); D2 is S over the
        // (x2, y) rows. Zeros give cells of one to three labels and dropped rows.
        let p = random((4, 5, 3), 5, true);
        let pr = Problem::new(&p);
        let n = pr.y.len();
        let w: Vec<f64> = (0..n).map(|j| 0.1 + (j % 7) as f64 / 9.0).collect();
        let beta: Vec<f64> = (0..pr.cells())
            .map(|k| 0.3 - (k % 5) as f64 / 7.0)
            .collect();
        let s = dense_s(&pr, &w, &beta);
        let n2 = pr.n_rows - pr.n1r;
        let mut d2 = vec![vec![0.0; n2]; n2];
        for (i, j, v) in d2_entries(&pr, &w, &beta) {
            d2[i][j] += v;
            if i != j {
                d2[j][i] += v;
            }
        }
        for i in 0..n2 {
            for j in 0..n2 {
                // S over the (x2, y) rows is D2 itself: a cell touches one x2.
                let want = s[i + pr.n1r][j + pr.n1r];
                assert!(
                    (d2[i][j] - want).abs() < 1e-12,
                    "({i}, {j}): {} vs {want}",
                    d2[i][j]
                );
            }
        }
        // Rounding lands on the marginals, and keeps a point already on them.
        let q: Vec<f64> = (0..n).map(|j| 1e-3 * (1.0 + (j % 5) as f64)).collect();
        let r = round_all(&pr, &q);
        assert!(r.iter().all(|&v| v >= 0.0));
        for (a, b) in pr.a(&r).iter().zip(&pr.b) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
        let again = round_all(&pr, &r);
        assert!(r.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-15));
    }

    #[test]
    fn the_cell_product_is_the_dense_schur_complement() {
        // Independent computation: S = A H⁻¹ Aᵀ entry by entry ([`dense_s`]), then its (x1, y)
        // rows eliminated by dense Gaussian elimination; what is left on the (x2, y) rows is
        // D2 - Cᵀ D1⁻¹ C. Zeros give cells of one to four labels and dropped rows; 6 x 37 x 4
        // spans several column panels and x2 blocks.
        for (n, seed) in [((4, 5, 3), 5), ((6, 37, 4), 2)] {
            let p = random(n, seed, true);
            let pr = Problem::new(&p);
            let nv = pr.y.len();
            let w: Vec<f64> = (0..nv).map(|j| 0.1 + (j % 7) as f64 / 9.0).collect();
            let beta: Vec<f64> = (0..pr.cells())
                .map(|k| 0.05 + (k % 5) as f64 / 7.0)
                .collect();
            let mut s = dense_s(&pr, &w, &beta);
            for k in 0..pr.n1r {
                for i in k + 1..pr.n_rows {
                    let f = s[i][k] / s[k][k];
                    for j in k..pr.n_rows {
                        s[i][j] -= f * s[k][j];
                    }
                }
            }
            let mut schur = Schur::new(&pr);
            assert!(panels(&pr, &w, &beta, &mut schur.l1, &mut schur.m));
            let n2 = schur.n2;
            let mut d2 = vec![0.0; n2 * n2];
            for (i, j, v) in d2_entries(&pr, &w, &beta) {
                d2[j * n2 + i] += v;
            }
            schur.cells.weigh(&w, &beta);
            let c = Coupling {
                pr: &pr,
                cells: &schur.cells,
                l1: &schur.l1,
                off: &schur.off,
                m: &schur.m,
                n2,
            };
            let mut red = vec![f64::NAN; n2 * n2];
            product(&c, &mut red);
            // The portable path, panel by panel, gives the same bits as the vector one.
            let mut any = vec![f64::NAN; n2 * n2];
            let mut z = vec![[0.0; PANEL]; pr.n1r];
            for (i, cols) in any.chunks_mut(n2 * PANEL).enumerate() {
                product_panel_any(&c, i * PANEL, cols, &mut z);
            }
            for i in 0..n2 {
                for j in 0..=i {
                    let (got, want) = (red[j * n2 + i] + d2[j * n2 + i], s[pr.n1r + i][pr.n1r + j]);
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{n:?} ({i}, {j}): {got} vs {want}"
                    );
                    assert_eq!(red[j * n2 + i].to_bits(), any[j * n2 + i].to_bits());
                }
            }
        }
    }

    /// The primal-dual solver alone, to a 1e-7-bit gap within `max_iter` iterations.
    fn ipm_to_1e7(p: &Pmf, max_iter: usize) -> BrojaResult {
        let opts = BrojaOptions {
            tol_bits: 1e-7,
            max_iter,
            ..Default::default()
        };
        broja_ipm(p, &opts)
    }

    #[test]
    fn per_cell_slack_steps_certify_where_a_shared_slack_step_stalled() {
        // With one slack step for all cells, a few cells' slacks cut every step to 0.02-0.3 and
        // this pmf stalled at a 1.1e-5-bit gap (2,032 iterations with the alternating polish,
        // not converged); per-cell slack steps certify it in 22 iterations.
        let p = Pmf::random_dense(150, 150, 10, 3);
        let r = ipm_to_1e7(&p, 30);
        assert!(
            r.converged && r.gap_bits <= 1e-7 && r.iterations <= 30,
            "{r:?}"
        );
    }

    #[test]
    fn the_primal_dual_method_certifies_in_a_few_dozen_iterations() {
        // 30 x 30 x 8, dense: the primal barrier method it replaced took ~75 Newton steps on
        // pmfs of this kind; predictor-corrector steps on the cell masses take 20-40.
        let p = random((30, 30, 8), 5, false);
        let r = ipm_to_1e7(&p, 45);
        assert!(
            r.converged && r.gap_bits <= 1e-7 && r.iterations <= 45,
            "{r:?}"
        );
        let alt = solve(&p, BrojaSolver::Alternating);
        assert!((r.pid.s - alt.pid.s).abs() <= r.gap_bits + alt.gap_bits + 1e-9);
    }

    #[test]
    fn a_few_blocking_cells_do_not_shorten_every_step() {
        // 60 x 60 x 10 dense: with one step length for all cells, one to three cells whose mass
        // the direction drives past zero cut about half the steps to ~1e-3, and the solve took
        // 39 iterations; letting them stop short alone takes 20.
        let p = Pmf::random_dense(60, 60, 10, 1);
        let r = ipm_to_1e7(&p, 200);
        assert!(r.converged && r.iterations <= 26, "{r:?}");
    }

    #[test]
    fn reruns_and_reused_storage_give_the_same_bits() {
        // Solves in one process (later ones on storage the allocator hands back from earlier
        // ones), four of them side by side: every atom and the gap to the last bit. rayon's own
        // parallel sum in the certificate varied with where threads stole work (this failed
        // one run in three).
        let p = Pmf::random_dense(60, 60, 10, 3);
        let a = ipm_to_1e7(&p, 200);
        let reruns: Vec<BrojaResult> = (0..4)
            .into_par_iter()
            .map(|_| ipm_to_1e7(&p, 200))
            .collect();
        for r in &reruns {
            assert_eq!(a.gap_bits.to_bits(), r.gap_bits.to_bits());
            assert_eq!(a.iterations, r.iterations);
            let bits = |r: &BrojaResult| [r.pid.r, r.pid.u1, r.pid.u2, r.pid.s].map(f64::to_bits);
            assert_eq!(bits(&a), bits(r));
        }
    }

    #[test]
    fn certifies_a_pmf_the_alternating_solver_cannot_close_in_its_budget() {
        // 20 x 20 x 5, dense: 20,000 sweeps of the alternating solver stop at a ~3e-5-bit gap;
        // the barrier method certifies 1e-7 in under a hundred Newton steps.
        let p = random((20, 20, 5), 1, false);
        let opts = |solver| BrojaOptions {
            solver,
            tol_bits: 1e-7,
            max_iter: 20_000,
            ..Default::default()
        };
        let alt = broja(&p, &opts(BrojaSolver::Alternating)).unwrap();
        let ipm = broja(&p, &opts(BrojaSolver::Ipm)).unwrap();
        assert!(!alt.converged && alt.gap_bits > 1e-6, "{alt:?}");
        assert!(
            ipm.converged && ipm.gap_bits <= 1e-7 && ipm.iterations < 200,
            "{ipm:?}"
        );
        // Both bracket the same optimum: the alternating solver's feasible point is no better.
        let d = ipm.pid.s - alt.pid.s;
        assert!(
            d >= -1e-7 && d <= alt.gap_bits + 1e-7,
            "{} vs {}",
            ipm.pid.s,
            alt.pid.s
        );
    }
}
