//! BROJA by a primal barrier (interior-point) method, for large general pmfs where the
//! alternating solver of [`super::broja`] crawls (its iterations slow down as cells of the optimal
//! q go to zero).
//!
//! `min f(q) = Σ_{x1,x2,y} q ln(q / q(x1,x2))` (minus the conditional entropy H_q(Y|X1,X2)) over
//! q ≥ 0 with p's (x1,y) and (x2,y) marginals. Newton steps on `t f(q) - Σ ln q` from the product
//! coupling (strictly feasible), `t` raised by [`T_FACTOR`] after each centring. The Hessian is
//! block-diagonal over cells (x1, x2): `t (diag(1/q) - 11ᵀ/m) + diag(1/q²)` per cell, inverted in
//! closed form (diagonal plus rank one), so each Newton step solves only the Schur complement
//! `A H⁻¹ Aᵀ` over the marginal constraints ((n1 + n2) ny rows, one redundant row per label
//! dropped) by a dense Cholesky factorisation.
//!
//! **Certificate**, as the alternating solver's: the Newton multipliers ν give dual variables
//! `λ(x1,y) = -ν(x1,y)/t`, `μ(x2,y) = -ν(x2,y)/t`, whose weak-duality bound is
//! `g = max_{x1,x2} ln Σ_y e^{λ+μ} - <p(x1,y), λ> - <p(x2,y), μ>`; the primal point is the iterate
//! rounded exactly onto the marginals. The gap `g - H` is reported in bits. In f64 it closes to
//! ~1e-8 bits at worst (degenerate optima such as the AND gate; 1e-9 on the random pmfs tested),
//! after which the Hessian's 1/q² terms of the vanishing cells swamp the solve; the alternating
//! solver reaches 1e-9 and below on small pmfs.

use super::broja::{BrojaOptions, BrojaResult, Warm, alternating, result, round_coupling};
use super::pmf::Pmf;
use rayon::prelude::*;
use std::collections::HashMap;

/// Sweeps of the alternating solver that polish a barrier run f64 stopped short of the target.
const POLISH_SWEEPS: usize = 2_000;

/// How much `t` grows after each centring.
const T_FACTOR: f64 = 16.0;

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
    /// Variables of cell k: `cell_start[k]..cell_start[k + 1]`.
    cell_start: Vec<usize>,
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

impl Problem {
    fn new(p: &Pmf) -> Self {
        let ny = p.ny;
        let (px1y, px2y) = (p.p_x1y(), p.p_x2y());
        // Rows: every (x1, y) with mass, x1 by x1, then every (x2, y) with mass but the first of
        // each label (redundant: a label's x2 rows sum to its x1 rows).
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
        for y in 0..ny {
            for x in (0..p.n2).filter(|&x| px2y[x * ny + y] > 0.0).skip(1) {
                row_x2[x * ny + y] = b.len() as u32;
                b.push(px2y[x * ny + y]);
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
            }
            pr.cell_start.push(pr.x1.len());
        }
        pr
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
}

/// Solve BROJA for `p` (already lumped if wanted) by the barrier method; `max_iter` counts Newton
/// steps. Called by [`super::broja::broja`] with `solver = Ipm`.
pub fn broja_ipm(p: &Pmf, opts: &BrojaOptions) -> BrojaResult {
    let pr = Problem::new(p);
    // Start: the product coupling p(x1, y) p(x2, y) / p(y), strictly inside.
    let mut q: Vec<f64> = (0..pr.y.len())
        .map(|j| pr.p1(j) * pr.p2(j) / pr.py[pr.y[j] as usize])
        .collect();
    let mut t = 1.0;
    let mut best_h = f64::NEG_INFINITY;
    let mut best_g = f64::INFINITY;
    let mut iterations = 0;
    let mut converged = false;
    let mut nu = vec![0.0; pr.n_rows];
    let spinner = if opts.progress {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    'outer: while iterations < opts.max_iter {
        // Centre at this t.
        for _ in 0..60 {
            iterations += 1;
            let (dq, new_nu, decrement) = newton_step(&pr, &q, t);
            nu = new_nu;
            if !(decrement.is_finite()) {
                break 'outer;
            }
            if decrement / 2.0 < 1e-10 {
                break;
            }
            // Backtracking on the barrier objective, staying strictly positive.
            let mut s = 1.0f64;
            for (qj, dj) in q.iter().zip(&dq) {
                if *dj < 0.0 {
                    s = s.min(-0.99 * qj / dj);
                }
            }
            // The barrier divided by t: f(q) - Σ ln q / t, whose differences stay resolvable
            // in f64 at large t.
            let f0 = barrier(&pr, &q, t);
            let slope = -decrement / t;
            let accepted = loop {
                let trial: Vec<f64> = q.iter().zip(&dq).map(|(a, d)| a + s * d).collect();
                if barrier(&pr, &trial, t) <= f0 + 0.25 * s * slope {
                    q = trial;
                    break true;
                }
                s *= 0.5;
                if s < 1e-10 {
                    break false;
                }
            };
            if !accepted {
                break; // centred as well as f64 allows at this t
            }
            if iterations >= opts.max_iter {
                break 'outer;
            }
        }
        let (h, g) = certificate(&pr, &q, &nu, t);
        best_h = best_h.max(h);
        best_g = best_g.min(g);
        spinner.set_message(format!(
            "BROJA (interior point) on {} cells, {} constraints: Newton step {iterations}, gap {:.2e} bits (target {:.0e})",
            pr.y.len(),
            pr.n_rows,
            (best_g - best_h) / std::f64::consts::LN_2,
            opts.tol_bits
        ));
        spinner.tick();
        if (best_g - best_h) / std::f64::consts::LN_2 <= opts.tol_bits {
            converged = true;
            break;
        }
        // The central path's own gap is (variables) / t; inexact centring leaves more, so t may
        // go on to a thousandth of the target, no further (beyond, only f64 can fail).
        if pr.y.len() as f64 / t < 1e-3 * opts.tol_bits * std::f64::consts::LN_2 {
            break;
        }
        t *= T_FACTOR;
    }
    spinner.finish_and_clear();
    if !converged {
        // f64 stopped the barrier short of the target: polish with the alternating solver from
        // the barrier's mixture, whose vanishing cells it then needs no sweeps to find. Both
        // solvers' bounds stay valid, so the better of each is kept.
        let q = round_all(&pr, &q);
        let mut r: HashMap<(u32, u32), f64> = HashMap::new();
        for j in 0..q.len() {
            *r.entry((pr.x1[j], pr.x2[j])).or_insert(0.0) += q[j];
        }
        let warm = Warm {
            r,
            h: best_h,
            g: best_g,
            iterations,
        };
        let polish = BrojaOptions {
            max_iter: iterations + POLISH_SWEEPS,
            ..opts.clone()
        };
        return alternating(p, &polish, Some(warm));
    }
    result(p, (best_h, best_g), iterations, converged, pr.y.len())
}

/// `f(q) - Σ ln q / t` (the barrier objective over t).
fn barrier(pr: &Problem, q: &[f64], t: f64) -> f64 {
    (0..pr.cells())
        .into_par_iter()
        .map(|k| {
            let v = &q[pr.cell_start[k]..pr.cell_start[k + 1]];
            let m: f64 = v.iter().sum();
            v.iter()
                .map(|&x| x * (x / m).ln() - x.ln() / t)
                .sum::<f64>()
        })
        .sum()
}

/// One Newton step at `q`: (direction, multipliers ν, Newton decrement λ²).
fn newton_step(pr: &Problem, q: &[f64], t: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let n = pr.n_rows;
    let nc = pr.cells();
    // Per variable: gradient g and w = 1/D; per cell: β.
    let mut g = vec![0.0; q.len()];
    let mut w = vec![0.0; q.len()];
    let mut beta = vec![0.0; nc];
    for k in 0..nc {
        let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
        let m: f64 = q[s..e].iter().sum();
        let mut sw = 0.0;
        for j in s..e {
            g[j] = t * (q[j] / m).ln() - 1.0 / q[j];
            w[j] = 1.0 / (t / q[j] + 1.0 / (q[j] * q[j]));
            sw += w[j];
        }
        let sigma = t / m;
        beta[k] = sigma / (1.0 - sigma * sw);
    }
    // H⁻¹ v per cell: w ∘ v + β w (wᵀ v).
    let hinv = |v: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; v.len()];
        for k in 0..nc {
            let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
            let wv: f64 = (s..e).map(|j| w[j] * v[j]).sum();
            for j in s..e {
                out[j] = w[j] * v[j] + beta[k] * w[j] * wv;
            }
        }
        out
    };
    // rhs = -A H⁻¹ g.
    let hg = hinv(&g);
    let mut rhs = vec![0.0; n];
    for j in 0..q.len() {
        rhs[pr.row1[j] as usize] -= hg[j];
        if pr.row2[j] != NONE {
            rhs[pr.row2[j] as usize] -= hg[j];
        }
    }
    let nu = solve_schur(pr, &w, &beta, rhs);
    // Δ = -H⁻¹ (g + Aᵀ ν).
    let u: Vec<f64> = (0..q.len())
        .map(|j| {
            let r2 = if pr.row2[j] == NONE {
                0.0
            } else {
                nu[pr.row2[j] as usize]
            };
            g[j] + nu[pr.row1[j] as usize] + r2
        })
        .collect();
    let dq: Vec<f64> = hinv(&u).into_iter().map(|v| -v).collect();
    let decrement = -g.iter().zip(&dq).map(|(a, b)| a * b).sum::<f64>();
    (dq, nu, decrement)
}

/// Solve `S ν = b` for the Schur complement `S = A H⁻¹ Aᵀ`, where `H⁻¹ = diag(w) + β w wᵀ` per
/// cell. Ordered as (x1, y) rows then (x2, y) rows, `S = [[D1, C], [Cᵀ, D2]]` with `D1`
/// block-diagonal (one `ny x ny` block per x1: only cells of that x1 touch its rows), so `D1` is
/// eliminated block by block and only the reduced `D2 - Cᵀ D1⁻¹ C` over the (x2, y) rows is
/// factored densely: half the rows, about half the flops of factoring all of `S`.
fn solve_schur(pr: &Problem, w: &[f64], beta: &[f64], b: Vec<f64>) -> Vec<f64> {
    let (n, n1) = (pr.n_rows, pr.n1r);
    let n2 = n - n1;
    let groups = pr.g1_start.len() - 1;
    // Offsets of each x1 block (m x m, row-major) in `d1`.
    let mut off = vec![0usize; groups + 1];
    for x in 0..groups {
        let m = pr.g1_start[x + 1] - pr.g1_start[x];
        off[x + 1] = off[x] + m * m;
    }
    let mut d1 = vec![0.0; off[groups]];
    // C (n1 x n2) and the reduced matrix R (n2 x n2), column-major.
    let mut c = vec![0.0; n1 * n2];
    let mut r = vec![0.0; n2 * n2];
    for k in 0..pr.cells() {
        let (s, e) = (pr.cell_start[k], pr.cell_start[k + 1]);
        let x1 = pr.x1[s] as usize;
        let (g0, m) = (pr.g1_start[x1], pr.g1_start[x1 + 1] - pr.g1_start[x1]);
        let blk = &mut d1[off[x1]..off[x1 + 1]];
        for j in s..e {
            let (a1, a2) = (pr.row1[j] as usize, pr.row2[j]);
            blk[(a1 - g0) * (m + 1)] += w[j];
            if a2 != NONE {
                let a2 = a2 as usize - n1;
                c[a1 + a2 * n1] += w[j];
                r[a2 * (n2 + 1)] += w[j];
            }
            for jj in s..e {
                let v = beta[k] * w[j] * w[jj];
                let (b1, b2) = (pr.row1[jj] as usize, pr.row2[jj]);
                blk[(a1 - g0) * m + b1 - g0] += v;
                if b2 != NONE {
                    let b2 = b2 as usize - n1;
                    c[a1 + b2 * n1] += v;
                    if a2 != NONE {
                        r[a2 as usize - n1 + b2 * n2] += v;
                    }
                }
            }
        }
    }
    // D1 = L Lᵀ block by block; C becomes M = L⁻¹ C (column by column, in parallel) and b1
    // becomes y1 = L⁻¹ b1.
    for x in 0..groups {
        if !small_cholesky(
            &mut d1[off[x]..off[x + 1]],
            pr.g1_start[x + 1] - pr.g1_start[x],
        ) {
            return vec![f64::NAN; n];
        }
    }
    let forward = |v: &mut [f64]| {
        for x in 0..groups {
            let (g0, m) = (pr.g1_start[x], pr.g1_start[x + 1] - pr.g1_start[x]);
            let l = &d1[off[x]..off[x + 1]];
            let v = &mut v[g0..g0 + m];
            for i in 0..m {
                let acc = v[i] - (0..i).map(|k| l[i * m + k] * v[k]).sum::<f64>();
                v[i] = acc / l[i * m + i];
            }
        }
    };
    if n1 > 0 {
        c.par_chunks_mut(n1).for_each(forward);
    }
    let mut b = b;
    forward(&mut b[..n1]);
    // Reduced system: (D2 - Mᵀ M) ν2 = b2 - Mᵀ y1 (lower triangle by the product, mirrored).
    let cm = faer::MatRef::from_column_major_slice(&c, n1, n2);
    use faer::linalg::matmul::triangular::{BlockStructure, matmul};
    matmul(
        faer::MatMut::from_column_major_slice_mut(&mut r, n2, n2),
        BlockStructure::TriangularLower,
        faer::Accum::Add,
        cm.transpose(),
        BlockStructure::Rectangular,
        cm,
        BlockStructure::Rectangular,
        -1.0,
        faer::get_global_parallelism(),
    );
    let (y1, b2) = b.split_at(n1);
    let rhs2: Vec<f64> = (0..n2)
        .into_par_iter()
        .map(|col| {
            b2[col]
                - c[col * n1..(col + 1) * n1]
                    .iter()
                    .zip(y1)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
        })
        .collect();
    let nu2 = solve_spd(&r, rhs2);
    // ν1 = L⁻ᵀ (y1 - M ν2), block by block.
    let mut nu = y1.to_vec();
    for (col, &v) in nu2.iter().enumerate() {
        for (x, cc) in nu.iter_mut().zip(&c[col * n1..(col + 1) * n1]) {
            *x -= cc * v;
        }
    }
    for x in 0..groups {
        let (g0, m) = (pr.g1_start[x], pr.g1_start[x + 1] - pr.g1_start[x]);
        let l = &d1[off[x]..off[x + 1]];
        for i in (0..m).rev() {
            let v = nu[g0 + i] - (i + 1..m).map(|k| l[k * m + i] * nu[g0 + k]).sum::<f64>();
            nu[g0 + i] = v / l[i * m + i];
        }
    }
    nu.extend(nu2);
    nu
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

/// Solve `S x = b` for a symmetric positive definite `S` (column-major) whose lower triangle is
/// filled, by faer's Cholesky; if rounding made `S` indefinite, again with the diagonal raised by
/// a relative 1e-12.
fn solve_spd(s: &[f64], b: Vec<f64>) -> Vec<f64> {
    use faer::linalg::solvers::Solve;
    let n = b.len();
    if n == 0 {
        return b;
    }
    let mut rhs = faer::Mat::<f64>::from_fn(n, 1, |i, _| b[i]);
    let llt = |shift: f64| {
        faer::Mat::<f64>::from_fn(n, n, |i, j| {
            let v = if i >= j { s[i + j * n] } else { s[j + i * n] };
            v + if i == j { shift * v.abs() } else { 0.0 }
        })
        .llt(faer::Side::Lower)
    };
    match llt(0.0).or_else(|_| llt(1e-12)) {
        Ok(f) => {
            f.solve_in_place(rhs.as_mut());
            (0..n).map(|i| rhs[(i, 0)]).collect()
        }
        Err(_) => vec![f64::NAN; n],
    }
}

/// (primal H of the rounded iterate, dual bound g), in nats.
fn certificate(pr: &Problem, q: &[f64], nu: &[f64], t: f64) -> (f64, f64) {
    // Dual: θ_j = λ(row1) + μ(row2) with λ, μ = -ν / t (0 on the dropped rows).
    let lam = |r: u32| if r == NONE { 0.0 } else { -nu[r as usize] / t };
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
    let g = max_lse - lin;
    // Primal: each label's coupling rounded onto its marginals, then H(Y | X1, X2); also with
    // the cells the barrier is driving to zero set to zero first (near the end the optimum's
    // zeros are what keep the rounded point from the last bits).
    let h_of = |q: &[f64]| -> f64 {
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
            .sum()
    };
    let purified: Vec<f64> = q
        .iter()
        .map(|&x| if x * t < 1e-3 { 0.0 } else { x })
        .collect();
    let h = h_of(&round_all(pr, q)).max(h_of(&round_all(pr, &purified)));
    (h, g)
}

/// The iterate made exactly feasible, label by label ([`round_coupling`] of each label's
/// `A_y x B_y` block, whose every cell is a variable).
fn round_all(pr: &Problem, q: &[f64]) -> Vec<f64> {
    let ny = pr.ny;
    let (n1, n2) = (pr.px1y.len() / ny, pr.px2y.len() / ny);
    let mut out = vec![0.0; q.len()];
    for y in 0..ny {
        let a_idx: Vec<usize> = (0..n1).filter(|&x| pr.px1y[x * ny + y] > 0.0).collect();
        let b_idx: Vec<usize> = (0..n2).filter(|&x| pr.px2y[x * ny + y] > 0.0).collect();
        if a_idx.is_empty() || b_idx.is_empty() {
            continue;
        }
        let (mut pos1, mut pos2) = (vec![usize::MAX; n1], vec![usize::MAX; n2]);
        a_idx.iter().enumerate().for_each(|(i, &x)| pos1[x] = i);
        b_idx.iter().enumerate().for_each(|(i, &x)| pos2[x] = i);
        let nb = b_idx.len();
        let mut x = vec![0.0; a_idx.len() * nb];
        let mut where_: Vec<(usize, usize)> = Vec::new();
        for j in (0..q.len()).filter(|&j| pr.y[j] as usize == y) {
            let c = pos1[pr.x1[j] as usize] * nb + pos2[pr.x2[j] as usize];
            x[c] = q[j];
            where_.push((j, c));
        }
        let a: Vec<f64> = a_idx.iter().map(|&v| pr.px1y[v * ny + y]).collect();
        let b: Vec<f64> = b_idx.iter().map(|&v| pr.px2y[v * ny + y]).collect();
        let x = round_coupling(x, &a, &b);
        for (j, c) in where_ {
            out[j] = x[c];
        }
    }
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
