//! A finite joint pmf p(x1, x2, y) stored on its support, with the information quantities every
//! PID measure needs. All informations are returned in bits.

use std::collections::HashMap;

/// Tolerance on the total mass of a pmf read from a file.
pub const SUM_TOLERANCE: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PmfError {
    #[error("pmf is empty")]
    Empty,
    #[error("pmf_dense is not a rectangular [x1][x2][y] array ({0})")]
    Ragged(String),
    #[error("pmf has a non-finite entry at [{0}][{1}][{2}]")]
    NonFinite(usize, usize, usize),
    #[error("pmf has a negative entry {3} at [{0}][{1}][{2}]")]
    Negative(usize, usize, usize, f64),
    #[error("pmf sums to {0}, not 1")]
    NotNormalised(f64),
}

/// One support cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    pub x1: u32,
    pub x2: u32,
    pub y: u32,
    pub p: f64,
}

/// A joint pmf on `[0, n1) x [0, n2) x [0, ny)`, zero outside `cells`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pmf {
    pub n1: usize,
    pub n2: usize,
    pub ny: usize,
    pub cells: Vec<Cell>,
}

fn xlogx_sum<'a>(it: impl Iterator<Item = &'a f64>) -> f64 {
    // -sum p log2 p
    -it.filter(|&&p| p > 0.0).map(|&p| p * p.log2()).sum::<f64>()
}

impl Pmf {
    /// From `pmf_dense[x1][x2][y]`, validated: rectangular, finite, non-negative, summing to 1
    /// within [`SUM_TOLERANCE`] (then renormalised exactly).
    pub fn from_dense(d: &[Vec<Vec<f64>>]) -> Result<Self, PmfError> {
        let n1 = d.len();
        let n2 = d.first().map_or(0, |r| r.len());
        let ny = d.first().and_then(|r| r.first()).map_or(0, |r| r.len());
        if n1 == 0 || n2 == 0 || ny == 0 {
            return Err(PmfError::Empty);
        }
        let mut cells = Vec::new();
        for (i, row) in d.iter().enumerate() {
            if row.len() != n2 {
                return Err(PmfError::Ragged(format!(
                    "x1 = {i} has {} x2 values, expected {n2}",
                    row.len()
                )));
            }
            for (j, ys) in row.iter().enumerate() {
                if ys.len() != ny {
                    return Err(PmfError::Ragged(format!(
                        "[{i}][{j}] has {} y values, expected {ny}",
                        ys.len()
                    )));
                }
                for (k, &p) in ys.iter().enumerate() {
                    if !p.is_finite() {
                        return Err(PmfError::NonFinite(i, j, k));
                    }
                    if p < 0.0 {
                        return Err(PmfError::Negative(i, j, k, p));
                    }
                    if p > 0.0 {
                        cells.push(Cell {
                            x1: i as u32,
                            x2: j as u32,
                            y: k as u32,
                            p,
                        });
                    }
                }
            }
        }
        Self::from_cells(n1, n2, ny, cells)
    }

    /// From support cells (zero cells may be omitted; duplicates are added up).
    pub fn from_cells(n1: usize, n2: usize, ny: usize, cells: Vec<Cell>) -> Result<Self, PmfError> {
        let mut merged: HashMap<(u32, u32, u32), f64> = HashMap::with_capacity(cells.len());
        for c in &cells {
            if !c.p.is_finite() {
                return Err(PmfError::NonFinite(
                    c.x1 as usize,
                    c.x2 as usize,
                    c.y as usize,
                ));
            }
            if c.p < 0.0 {
                return Err(PmfError::Negative(
                    c.x1 as usize,
                    c.x2 as usize,
                    c.y as usize,
                    c.p,
                ));
            }
            if c.x1 as usize >= n1 || c.x2 as usize >= n2 || c.y as usize >= ny {
                return Err(PmfError::Ragged(format!(
                    "cell ({}, {}, {}) outside {n1} x {n2} x {ny}",
                    c.x1, c.x2, c.y
                )));
            }
            *merged.entry((c.x1, c.x2, c.y)).or_default() += c.p;
        }
        // Summed in cell order, not the map's (random per process): the same pmf must give the
        // same bits in every run.
        let mut merged: Vec<((u32, u32, u32), f64)> = merged.into_iter().collect();
        merged.sort_unstable_by_key(|e| e.0);
        let total: f64 = merged.iter().map(|e| e.1).sum();
        if merged.is_empty() || total == 0.0 {
            return Err(PmfError::Empty);
        }
        if (total - 1.0).abs() > SUM_TOLERANCE {
            return Err(PmfError::NotNormalised(total));
        }
        let mut cells: Vec<Cell> = merged
            .into_iter()
            .filter(|&(_, p)| p > 0.0)
            .map(|((x1, x2, y), p)| Cell {
                x1,
                x2,
                y,
                p: p / total,
            })
            .collect();
        cells.sort_by_key(|c| (c.x1, c.x2, c.y));
        Ok(Pmf { n1, n2, ny, cells })
    }

    /// The empirical pmf of observed triples.
    pub fn from_samples(
        n1: usize,
        n2: usize,
        ny: usize,
        samples: impl IntoIterator<Item = (u32, u32, u32)>,
    ) -> Result<Self, PmfError> {
        let mut counts: HashMap<(u32, u32, u32), f64> = HashMap::new();
        let mut n = 0.0;
        for s in samples {
            *counts.entry(s).or_default() += 1.0;
            n += 1.0;
        }
        let cells = counts
            .into_iter()
            .map(|((x1, x2, y), c)| Cell {
                x1,
                x2,
                y,
                p: c / n,
            })
            .collect();
        Self::from_cells(n1, n2, ny, cells)
    }

    /// A dense random pmf for solver benchmarks: every cell's weight uniform in (0, 1] from
    /// a keyed hash of the seed, normalised; a pure function of the seed on every machine.
    pub fn random_dense(n1: usize, n2: usize, ny: usize, seed: u64) -> Pmf {
        let mut h = seed;
        let mut cells = Vec::with_capacity(n1 * n2 * ny);
        for x1 in 0..n1 as u32 {
            for x2 in 0..n2 as u32 {
                for y in 0..ny as u32 {
                    h = crate::rng::mix64(h.wrapping_add(0x9e37_79b9));
                    cells.push(Cell {
                        x1,
                        x2,
                        y,
                        p: ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64,
                    });
                }
            }
        }
        let total: f64 = cells.iter().map(|c| c.p).sum();
        cells.iter_mut().for_each(|c| c.p /= total);
        Pmf { n1, n2, ny, cells }
    }

    /// Swap the two sources.
    pub fn swapped(&self) -> Pmf {
        let mut cells: Vec<Cell> = self
            .cells
            .iter()
            .map(|c| Cell {
                x1: c.x2,
                x2: c.x1,
                ..*c
            })
            .collect();
        cells.sort_by_key(|c| (c.x1, c.x2, c.y));
        Pmf {
            n1: self.n2,
            n2: self.n1,
            ny: self.ny,
            cells,
        }
    }

    pub fn p_y(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.ny];
        self.cells.iter().for_each(|c| v[c.y as usize] += c.p);
        v
    }

    /// p(x1, y) as a dense `n1 x ny` array.
    pub fn p_x1y(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.n1 * self.ny];
        self.cells
            .iter()
            .for_each(|c| v[c.x1 as usize * self.ny + c.y as usize] += c.p);
        v
    }

    /// p(x2, y) as a dense `n2 x ny` array.
    pub fn p_x2y(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.n2 * self.ny];
        self.cells
            .iter()
            .for_each(|c| v[c.x2 as usize * self.ny + c.y as usize] += c.p);
        v
    }

    /// H(Y) in bits.
    pub fn h_y(&self) -> f64 {
        xlogx_sum(self.p_y().iter())
    }

    /// I(X1; Y) in bits.
    pub fn i_x1_y(&self) -> f64 {
        mi_from_joint(&self.p_x1y(), self.n1, self.ny)
    }

    /// I(X2; Y) in bits.
    pub fn i_x2_y(&self) -> f64 {
        mi_from_joint(&self.p_x2y(), self.n2, self.ny)
    }

    /// I(X1, X2; Y) in bits.
    pub fn i_x12_y(&self) -> f64 {
        let mut pxx: HashMap<(u32, u32), f64> = HashMap::new();
        self.cells
            .iter()
            .for_each(|c| *pxx.entry((c.x1, c.x2)).or_default() += c.p);
        let py = self.p_y();
        self.cells
            .iter()
            .map(|c| c.p * (c.p / (pxx[&(c.x1, c.x2)] * py[c.y as usize])).log2())
            .sum::<f64>()
            .max(0.0)
    }
}

impl Pmf {
    /// Merge source values that carry the same information: values of X1 whose conditional
    /// `p(x2, y | x1)` are identical become one value (likewise for X2). X1 -> lumped X1 is then a
    /// sufficient statistic of X1 for (X2, Y), which leaves every BROJA, WB and MMI atom
    /// unchanged (the optimal q of the lumped problem lifts back with `p(x1 | lumped x1)`) while
    /// shrinking the problem, e.g. the ideal synergy task from 1000 x 1000 to 100 x 100 sources.
    pub fn lumped(&self) -> Pmf {
        let (m1, n1) = Self::groups(&self.cells, self.n1, |c| (c.x1, c.x2));
        let (m2, n2) = Self::groups(&self.swapped().cells, self.n2, |c| (c.x1, c.x2));
        let cells = self
            .cells
            .iter()
            .map(|c| Cell {
                x1: m1[c.x1 as usize],
                x2: m2[c.x2 as usize],
                ..*c
            })
            .collect();
        Pmf::from_cells(n1, n2, self.ny, cells).expect("lumping keeps a valid pmf")
    }

    /// Group ids of the first coordinate by its exact conditional row over (other, y).
    fn groups(cells: &[Cell], n: usize, key: impl Fn(&Cell) -> (u32, u32)) -> (Vec<u32>, usize) {
        let mut rows: Vec<Vec<(u32, u32, u64)>> = vec![Vec::new(); n];
        let mut mass = vec![0.0; n];
        for c in cells {
            mass[key(c).0 as usize] += c.p;
        }
        for c in cells {
            let (x, other) = key(c);
            // Conditionals quantised to 2^-40 (~1e-12) so that summation-order ulps do not split
            // groups; merging rows that differ by that little moves the atoms by ~1e-12 bits.
            let q = (c.p / mass[x as usize] * (1u64 << 40) as f64).round() as u64;
            rows[x as usize].push((other, c.y, q));
        }
        let mut ids: HashMap<Vec<(u32, u32, u64)>, u32> = HashMap::new();
        let map = rows
            .into_iter()
            .map(|mut r| {
                r.sort_unstable();
                let k = ids.len() as u32;
                *ids.entry(r).or_insert(k)
            })
            .collect();
        (map, ids.len())
    }
}

/// Marginals `(p(x), p(y))` of a dense `nx x ny` joint.
pub fn marginals(pxy: &[f64], nx: usize, ny: usize) -> (Vec<f64>, Vec<f64>) {
    let mut px = vec![0.0; nx];
    let mut py = vec![0.0; ny];
    for x in 0..nx {
        for y in 0..ny {
            px[x] += pxy[x * ny + y];
            py[y] += pxy[x * ny + y];
        }
    }
    (px, py)
}

/// I(X; Y) in bits from a dense `nx x ny` joint.
pub fn mi_from_joint(pxy: &[f64], nx: usize, ny: usize) -> f64 {
    let (px, py) = marginals(pxy, nx, ny);
    let mut mi = 0.0;
    for x in 0..nx {
        for y in 0..ny {
            let p = pxy[x * ny + y];
            if p > 0.0 {
                mi += p * (p / (px[x] * py[y])).log2();
            }
        }
    }
    mi.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_cells_in_any_order_give_the_same_bits() {
        // 300 cells with awkward weights: the normaliser's sum depends on its order, so it must
        // not follow the hash map's per-process order (bits differed in the 16th digit).
        let cells: Vec<Cell> = (0..300u32)
            .map(|i| Cell {
                x1: i % 7,
                x2: i / 7 % 9,
                y: i / 63,
                p: 1.0 / (3.0 + i as f64).powf(1.3),
            })
            .collect();
        let total: f64 = cells.iter().map(|c| c.p).sum();
        let cells: Vec<Cell> = cells
            .into_iter()
            .map(|c| Cell {
                p: c.p / total,
                ..c
            })
            .collect();
        let a = Pmf::from_cells(7, 9, 5, cells.clone()).unwrap();
        for shift in [1, 17, 150] {
            let mut c = cells.clone();
            c.rotate_left(shift);
            assert_eq!(Pmf::from_cells(7, 9, 5, c).unwrap(), a);
        }
    }

    fn xor() -> Pmf {
        Pmf::from_dense(&[
            vec![vec![0.25, 0.0], vec![0.0, 0.25]],
            vec![vec![0.0, 0.25], vec![0.25, 0.0]],
        ])
        .unwrap()
    }

    #[test]
    fn xor_informations() {
        let p = xor();
        assert!((p.h_y() - 1.0).abs() < 1e-15);
        assert!(p.i_x1_y().abs() < 1e-15 && p.i_x2_y().abs() < 1e-15);
        assert!((p.i_x12_y() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn bad_pmfs_are_refused() {
        assert_eq!(Pmf::from_dense(&[]), Err(PmfError::Empty));
        assert!(matches!(
            Pmf::from_dense(&[vec![vec![0.5, 0.5], vec![0.0]]]),
            Err(PmfError::Ragged(_))
        ));
        assert!(matches!(
            Pmf::from_dense(&[vec![vec![1.5, -0.5]]]),
            Err(PmfError::Negative(..))
        ));
        assert!(matches!(
            Pmf::from_dense(&[vec![vec![0.5, f64::NAN]]]),
            Err(PmfError::NonFinite(..))
        ));
        assert!(matches!(
            Pmf::from_dense(&[vec![vec![0.5, 0.4]]]),
            Err(PmfError::NotNormalised(_))
        ));
        assert_eq!(
            Pmf::from_dense(&[vec![vec![0.0, 0.0]]]),
            Err(PmfError::Empty)
        );
    }

    #[test]
    fn lumping_merges_equivalent_values_only() {
        // X1 = (a, c) with c an independent fair coin: lumps to a. Y = a xor b.
        let mut cells = Vec::new();
        for a in 0..2u32 {
            for c in 0..2u32 {
                for b in 0..2u32 {
                    cells.push(Cell {
                        x1: 2 * a + c,
                        x2: b,
                        y: a ^ b,
                        p: 0.125,
                    });
                }
            }
        }
        let p = Pmf::from_cells(4, 2, 2, cells).unwrap();
        let l = p.lumped();
        assert_eq!((l.n1, l.n2), (2, 2));
        assert!((l.i_x12_y() - p.i_x12_y()).abs() < 1e-12);
        // XOR itself has nothing to merge.
        assert_eq!(xor().lumped().n1, 2);
    }

    #[test]
    fn samples_make_an_empirical_pmf() {
        let p = Pmf::from_samples(2, 2, 2, [(0, 0, 0), (0, 0, 0), (1, 1, 1), (1, 0, 1)]).unwrap();
        assert_eq!(p.cells.len(), 3);
        assert!((p.cells[0].p - 0.5).abs() < 1e-15);
        // Y = X1 here: I(X1;Y) = H(Y) = 1 bit.
        assert!((p.i_x1_y() - 1.0).abs() < 1e-12);
    }
}
