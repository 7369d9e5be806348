//! The reduced system's product `Cᵀ D1⁻¹ C` of [`super::Schur`], from the cells instead of a
//! dense `MᵀM` (`M = L1⁻¹ C`).
//!
//! The cell (x1, x2) contributes `diag(w) + β w wᵀ` to C's block of x1's and x2's rows, so with
//! `Z = D1⁻¹ C = L1⁻ᵀ M`, for each variable j of the cell on row r of x2,
//! `(Cᵀ Z)[r, ·] += w_j (Z[row1(j), ·] + β Σ_i w_i Z[row1(i), ·])` (i over the cell): about
//! 3 ny multiply-adds per cell and column where `MᵀM` spends n1 ny. At 300 x 300 x 10 that is
//! ~0.7e10 flops an iteration instead of 2.7e10 (rows skip the columns above the diagonal), at
//! ~35 GFLOP/s against the dense GEMM's ~80 on the Intel Xeon: ~0.19 s an iteration against
//! 0.33 s (README, PID section).

use super::{NONE, Problem};
use rayon::prelude::*;

/// Columns of the reduced system's product computed together: [`product`] keeps Z's rows over
/// this many columns (n1 x 32 x 8 bytes, 0.77 MB at 300 x 300 x 10: in L2) while it streams
/// over the cells.
pub(super) const PANEL: usize = 32;

/// x2 values whose rows [`product`] accumulates together, so that each x1's rows of Z, read
/// once from L2, serve that many cells.
const X2_BLOCK: usize = 8;

/// The cells as the product reads them: block by block of [`X2_BLOCK`] x2 values, x1 by x1
/// within a block (so each block streams from contiguous memory, in the order its sums run):
/// per variable its (x1, y) row and its (x2, y) row within those rows, `row1 << 16 | row2`
/// (`0xffff` for a dropped row; every row is below [`crate::pid::broja::IPM_MAX_ROWS`]), and per
/// iteration the weights in that order.
pub(super) struct Cells {
    at: Vec<u32>,
    /// Each variable's index in the problem, and each cell's, to gather the weights.
    var: Vec<u32>,
    cell: Vec<u32>,
    /// Variables of the cell at position i: `start[i]..start[i + 1]`; cells of block b:
    /// positions `block[b]..block[b + 1]`.
    start: Vec<usize>,
    block: Vec<usize>,
    /// Each block's lowest and highest (x2, y) row (`NONE` if it has none).
    rows: Vec<(u32, u32)>,
    w: Vec<f64>,
    beta: Vec<f64>,
}

const NO_ROW: u32 = 0xffff;

impl Cells {
    pub(super) fn new(pr: &Problem) -> Self {
        assert!(
            pr.n_rows < NO_ROW as usize,
            "IPM_MAX_ROWS keeps rows in 16 bits"
        );
        let n1 = pr.n1r as u32;
        let blocks = (pr.x2_start.len() - 1).div_ceil(X2_BLOCK);
        // Cells are sorted by (x1, x2), and grouping keeps that order within each block.
        let keys: Vec<usize> = (0..pr.cells())
            .map(|k| pr.x2[pr.cell_start[k]] as usize / X2_BLOCK)
            .collect();
        let (block, cell) = super::group(blocks, &keys);
        let mut c = Cells {
            at: Vec::with_capacity(pr.y.len()),
            var: Vec::with_capacity(pr.y.len()),
            cell,
            start: vec![0],
            block,
            rows: vec![(NONE, NONE); blocks],
            w: vec![0.0; pr.y.len()],
            beta: vec![0.0; pr.cells()],
        };
        for &k in &c.cell {
            let k = k as usize;
            for j in pr.cell_start[k]..pr.cell_start[k + 1] {
                let r2 = if pr.row2[j] == NONE {
                    NO_ROW
                } else {
                    pr.row2[j] - n1
                };
                c.at.push(pr.row1[j] << 16 | r2);
                c.var.push(j as u32);
            }
            c.start.push(c.at.len());
        }
        for j in (0..pr.y.len()).filter(|&j| pr.row2[j] != NONE) {
            let (r, b) = (pr.row2[j] - n1, pr.x2[j] as usize / X2_BLOCK);
            let (lo, hi) = &mut c.rows[b];
            (*lo, *hi) = if *lo == NONE {
                (r, r)
            } else {
                ((*lo).min(r), (*hi).max(r))
            };
        }
        c
    }

    /// The iteration's weights in the cells' order.
    pub(super) fn weigh(&mut self, w: &[f64], beta: &[f64]) {
        self.w
            .par_iter_mut()
            .zip(&self.var)
            .for_each(|(o, &j)| *o = w[j as usize]);
        self.beta
            .par_iter_mut()
            .zip(&self.cell)
            .for_each(|(o, &k)| *o = beta[k as usize]);
    }
}

/// What the product `Cᵀ Z` reads: the cells and their weights (`H⁻¹ = diag(w) + β w wᵀ`), D1's
/// factor and `M = L1⁻¹ C` (so `Z = D1⁻¹ C = L1⁻ᵀ M`).
pub(super) struct Coupling<'a> {
    pub(super) pr: &'a Problem,
    pub(super) cells: &'a Cells,
    pub(super) l1: &'a [f64],
    pub(super) off: &'a [usize],
    pub(super) m: &'a [f64],
    pub(super) n2: usize,
}

/// `red ← -Cᵀ Z` on and below the diagonal (`red` n2 x n2 column-major, [`PANEL`] columns at a
/// time in parallel; the formula in the module's doc). Each entry is summed over x1 in order,
/// whatever the threads.
pub(super) fn product(c: &Coupling, red: &mut [f64]) {
    let n2 = c.n2;
    // One Z panel per worker, reused: a fresh 0.8 MB per panel faulted its pages in anew.
    red.par_chunks_mut(n2 * PANEL).enumerate().for_each_init(
        || vec![[0.0f64; PANEL]; c.pr.n1r],
        |z, (i, cols)| product_panel(c, i * PANEL, cols, z),
    );
}

/// The product's columns `c0..c0 + cols.len() / n2`, by the widest vector unit the CPU has
/// (the same arithmetic on each: `mul_add` rounds once everywhere).
fn product_panel(c: &Coupling, c0: usize, cols: &mut [f64], z: &mut [[f64; PANEL]]) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { product_panel_avx512(c, c0, cols, z) };
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { product_panel_avx2(c, c0, cols, z) };
        }
    }
    product_panel_any(c, c0, cols, z)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn product_panel_avx512(c: &Coupling, c0: usize, cols: &mut [f64], z: &mut [[f64; PANEL]]) {
    product_panel_any(c, c0, cols, z)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn product_panel_avx2(c: &Coupling, c0: usize, cols: &mut [f64], z: &mut [[f64; PANEL]]) {
    product_panel_any(c, c0, cols, z)
}

/// Z's columns `c0..c0 + width` (zero beyond), row by row: x1 by x1, `L⁻ᵀ` of M's rows.
/// (Plain loops here and below: a closure would not inherit the caller's target features.)
#[inline(always)]
fn z_panel(c: &Coupling, c0: usize, width: usize, z: &mut [[f64; PANEL]]) {
    let (pr, n2) = (c.pr, c.n2);
    for x in 0..pr.g1_start.len() - 1 {
        let (g0, m) = (pr.g1_start[x], pr.g1_start[x + 1] - pr.g1_start[x]);
        let l = &c.l1[c.off[x]..c.off[x + 1]];
        for i in (0..m).rev() {
            let mut row = [0.0f64; PANEL];
            row[..width].copy_from_slice(&c.m[(g0 + i) * n2 + c0..][..width]);
            for k in i + 1..m {
                let (lk, done) = (l[k * m + i], &z[g0 + k]);
                for t in 0..PANEL {
                    row[t] -= lk * done[t];
                }
            }
            let d = l[i * m + i];
            for v in row.iter_mut() {
                *v /= d;
            }
            z[g0 + i] = row;
        }
    }
}

#[inline(always)]
pub(super) fn product_panel_any(c: &Coupling, c0: usize, cols: &mut [f64], z: &mut [[f64; PANEL]]) {
    let (n2, cl) = (c.n2, c.cells);
    let width = cols.len() / n2;
    z_panel(c, c0, width, z);
    let z = &*z;
    let mut acc: Vec<[f64; PANEL]> = Vec::new();
    for blk in 0..cl.rows.len() {
        let (lo, hi) = cl.rows[blk];
        if lo == NONE || (hi as usize) < c0 {
            continue;
        }
        let lo = lo as usize;
        acc.clear();
        acc.resize(hi as usize + 1 - lo, [0.0; PANEL]);
        for i in cl.block[blk]..cl.block[blk + 1] {
            let (s, e) = (cl.start[i], cl.start[i + 1]);
            cell_into(z, &cl.at[s..e], &cl.w[s..e], cl.beta[i], c0, lo, &mut acc);
        }
        for (i, a) in acc.iter().enumerate() {
            if lo + i >= c0 {
                for t in 0..width {
                    cols[t * n2 + lo + i] = -a[t];
                }
            }
        }
    }
}

/// One cell's contribution to the product's rows `lo..` (those at or below the diagonal of the
/// columns from `c0`): `acc[row2(j) - lo] += w_j (Z[row1(j)] + β Σ_i w_i Z[row1(i)])`.
#[inline(always)]
fn cell_into(
    z: &[[f64; PANEL]],
    at: &[u32],
    w: &[f64],
    beta: f64,
    c0: usize,
    lo: usize,
    acc: &mut [[f64; PANEL]],
) {
    // Two partial sums, so that consecutive multiply-adds do not wait on each other.
    let (mut p, mut q) = ([0.0f64; PANEL], [0.0f64; PANEL]);
    let n = at.len();
    let mut j = 0;
    while j + 1 < n {
        let (z0, z1) = (&z[(at[j] >> 16) as usize], &z[(at[j + 1] >> 16) as usize]);
        let (w0, w1) = (w[j], w[j + 1]);
        for t in 0..PANEL {
            p[t] = w0.mul_add(z0[t], p[t]);
            q[t] = w1.mul_add(z1[t], q[t]);
        }
        j += 2;
    }
    if j < n {
        let (z0, w0) = (&z[(at[j] >> 16) as usize], w[j]);
        for t in 0..PANEL {
            p[t] = w0.mul_add(z0[t], p[t]);
        }
    }
    for t in 0..PANEL {
        p[t] = (p[t] + q[t]) * beta;
    }
    for j in 0..n {
        let r = (at[j] & NO_ROW) as usize;
        if r == NO_ROW as usize || r < c0 {
            continue;
        }
        let (zr, wj, a) = (&z[(at[j] >> 16) as usize], w[j], &mut acc[r - lo]);
        for t in 0..PANEL {
            a[t] = wj.mul_add(zr[t] + p[t], a[t]);
        }
    }
}
