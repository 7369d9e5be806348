//! `rusbench pid simulate`: embeddings with a known PID, and every estimator's error on them.
//!
//! Each scenario draws ideal Trifeatures pairs (shared shape, the other attributes uniform, or
//! the biased pre-training joint where colour 2 = σ(texture 1)) and encodes them as three views:
//! `Z1`, `Z2` hold modality i's attributes (one-hot, or a random linear mixture of the one-hots),
//! the fused `Z12` holds both plus the one-hot of (texture 1, colour 2), so that every task's
//! posterior is a linear-softmax function of every view: the information a linear read-out can
//! use equals Shannon's, and the truth is one number for every estimator.
//!
//! The truth is BROJA on the exact population pmf of the task-relevant attributes as the views
//! hold them (after corruption): the attributes left out are independent of the task and of the
//! attributes kept, and appending such a variable to a source leaves the BROJA PID unchanged
//! (its optimal q factorises). Without corruption it equals the closed forms of
//! [`super::tasks::closed_form`] (tested).

use super::Decomposition;
use super::broja::{BrojaOptions, broja};
use super::estimate::{EstimateError, clustered_pid, kmeans};
use super::pmf::Pmf;
use super::probe_estimate::{Matrix, ProbePidConfig, ViewSet, probe_pid_crossfit};
use crate::data::pairs::{PairRules, Task};
use crate::data::trifeatures::attributes::Attrs;
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The pair rules of the datasets' canonical seed (42): the synergy mapping the simulations use.
pub fn canonical_rules() -> PairRules {
    PairRules::new(crate::data::trifeatures::recipe::PairRecipe::default(), 42)
}

/// Values per attribute.
const K: usize = 10;
/// Gaussian noise added to every feature.
const SIGMA: f32 = 0.05;
/// Amplitude of the fused view's (texture 1, colour 2) code: a linear read-out of the synergy
/// label sums 10 of its 100 noisy dimensions, so the code must stand well above that noise.
const PAIR_CODE: f32 = 2.0;
/// Width of each modality's mixed features (a well-conditioned mixture of the 30 one-hot dims).
const MIXED_DIM: usize = 64;

/// A family of synthetic embeddings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Noisy one-hot copies of all three attributes of each image.
    Copies,
    /// A random linear mixture of those one-hots (the attributes are not axis-aligned).
    Mixed,
    /// Copies in which every attribute is replaced by a uniform draw with probability 0.3.
    Corrupted,
    /// Copies on the biased pre-training joint (colour 2 = σ(texture 1)).
    Biased,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Copies,
        Scenario::Mixed,
        Scenario::Corrupted,
        Scenario::Biased,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Copies => "copies",
            Scenario::Mixed => "mixed",
            Scenario::Corrupted => "corrupted",
            Scenario::Biased => "biased",
        }
    }

    /// Probability that an attribute is replaced by a uniform value.
    fn corruption(self) -> f64 {
        if self == Scenario::Corrupted {
            0.3
        } else {
            0.0
        }
    }
}

/// The three views of `n` pairs and the labels of the four tasks.
pub struct Sample {
    pub z1: Vec<f32>,
    pub z2: Vec<f32>,
    pub z12: Vec<f32>,
    pub d1: usize,
    pub d2: usize,
    pub d12: usize,
    pub labels: Vec<[u8; 4]>,
}

impl Sample {
    /// The views with the labels of task `t`, written into `y`.
    pub fn views<'a>(&'a self, y: &'a [u32]) -> ViewSet<'a> {
        ViewSet {
            z1: Matrix {
                x: &self.z1,
                d: self.d1,
            },
            z2: Matrix {
                x: &self.z2,
                d: self.d2,
            },
            z12: Some(Matrix {
                x: &self.z12,
                d: self.d12,
            }),
            y,
        }
    }

    pub fn task_labels(&self, t: usize) -> Vec<u32> {
        self.labels.iter().map(|l| l[t] as u32).collect()
    }
}

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    // Box-Muller.
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

/// The true attributes of one pair.
fn draw_pair(rules: &PairRules, biased: bool, rng: &mut ChaCha8Rng) -> (Attrs, Attrs) {
    let mut a1 = [0u8; 3];
    let mut a2 = [0u8; 3];
    for v in a1.iter_mut().chain(a2.iter_mut()) {
        *v = rng.random_range(0..K as u8);
    }
    let r = &rules.recipe;
    a2[r.share.index()] = a1[r.share.index()];
    if biased {
        a2[r.synergy[1].index()] = rules.mapping[a1[r.synergy[0].index()] as usize];
    }
    (a1, a2)
}

/// `n` pairs of `scenario`, seeded.
pub fn sample(scenario: Scenario, rules: &PairRules, n: usize, seed: u64) -> Sample {
    let mut rng = item_rng(seed, Stream::Render, &[0x51, scenario as u64]);
    // Mixing matrices [MIXED_DIM, 3K] per modality, entries N(0, 1/(3K)): one fixed encoder
    // for every seed (the seed draws samples, not the representation).
    let mut mix = item_rng(0, Stream::Render, &[0x52, scenario as u64]);
    let scale = 1.0 / ((3 * K) as f32).sqrt();
    let mixing: Vec<Vec<f32>> = (0..2)
        .map(|_| {
            (0..MIXED_DIM * 3 * K)
                .map(|_| gauss(&mut mix) * scale)
                .collect()
        })
        .collect();
    let d = if scenario == Scenario::Mixed {
        MIXED_DIM
    } else {
        3 * K
    };
    let d12 = 2 * d + K * K;
    let mut s = Sample {
        z1: Vec::with_capacity(n * d),
        z2: Vec::with_capacity(n * d),
        z12: Vec::with_capacity(n * d12),
        d1: d,
        d2: d,
        d12,
        labels: Vec::with_capacity(n),
    };
    let eps = scenario.corruption();
    let syn = rules.recipe.synergy;
    for _ in 0..n {
        let (a1, a2) = draw_pair(rules, scenario == Scenario::Biased, &mut rng);
        s.labels.push(rules.labels(&a1, &a2));
        let mut seen = [a1, a2];
        for v in seen.iter_mut().flatten() {
            if rng.random::<f64>() < eps {
                *v = rng.random_range(0..K as u8);
            }
        }
        let mut codes = [vec![0f32; 3 * K], vec![0f32; 3 * K]];
        for (code, a) in codes.iter_mut().zip(&seen) {
            for (j, &v) in a.iter().enumerate() {
                code[j * K + v as usize] = 1.0;
            }
        }
        let start = s.z12.len();
        for (m, code) in codes.iter().enumerate() {
            let z: Vec<f32> = if scenario == Scenario::Mixed {
                (0..MIXED_DIM)
                    .map(|r| {
                        (0..3 * K)
                            .map(|c| mixing[m][r * 3 * K + c] * code[c])
                            .sum::<f32>()
                    })
                    .collect()
            } else {
                code.clone()
            };
            let z: Vec<f32> = z.into_iter().map(|v| v + SIGMA * gauss(&mut rng)).collect();
            s.z12.extend_from_slice(&z);
            if m == 0 {
                s.z1.extend(z)
            } else {
                s.z2.extend(z)
            }
        }
        let pair = seen[0][syn[0].index()] as usize * K + seen[1][syn[1].index()] as usize;
        s.z12.extend(
            (0..K * K).map(|c| (c == pair) as u8 as f32 * PAIR_CODE + SIGMA * gauss(&mut rng)),
        );
        debug_assert_eq!(s.z12.len() - start, d12);
    }
    s
}

/// The true PID of task `t` in `scenario` (bits).
pub fn truth(
    scenario: Scenario,
    rules: &PairRules,
    t: usize,
) -> Result<Decomposition, EstimateError> {
    let r = &rules.recipe;
    // (image, attribute) each source keeps for this task; None: nothing the task depends on.
    let (share, unique, syn) = (r.share.index(), r.unique.index(), r.synergy);
    let kept: [Option<(usize, usize)>; 2] = match t {
        0 => [Some((0, share)), Some((1, share))],
        1 => [Some((0, unique)), Some((1, syn[1].index()))],
        2 => [None, Some((1, unique))],
        _ => [Some((0, syn[0].index())), Some((1, syn[1].index()))],
    };
    let eps = scenario.corruption();
    let channel = |seen: usize, true_v: u8| {
        (if seen == true_v as usize {
            1.0 - eps
        } else {
            0.0
        }) + eps / K as f64
    };
    let ny = Task::ALL[t].n_classes();
    let mut dense = vec![vec![vec![0.0f64; ny]; K]; K];
    // Every pair of the ideal distribution once (uniform over the free attributes).
    let mut pairs = Vec::new();
    for code in 0..K.pow(6) {
        let digit = |i: u32| (code / K.pow(i) % K) as u8;
        let a1 = [digit(0), digit(1), digit(2)];
        let a2 = [digit(3), digit(4), digit(5)];
        let biased_ok = a2[syn[1].index()] == rules.mapping[a1[syn[0].index()] as usize];
        if a2[share] != a1[share] || (scenario == Scenario::Biased && !biased_ok) {
            continue;
        }
        pairs.push((a1, a2));
    }
    let w = 1.0 / pairs.len() as f64;
    for (a1, a2) in &pairs {
        let y = rules.labels(a1, a2)[t] as usize;
        let a = [a1, a2];
        let true_of = |s: usize| kept[s].map(|(img, at)| a[img][at]);
        for x1 in 0..K {
            let p1 = true_of(0).map_or(if x1 == 0 { 1.0 } else { 0.0 }, |v| channel(x1, v));
            if p1 == 0.0 {
                continue;
            }
            for x2 in 0..K {
                let p2 = true_of(1).map_or(if x2 == 0 { 1.0 } else { 0.0 }, |v| channel(x2, v));
                dense[x1][x2][y] += w * p1 * p2;
            }
        }
    }
    let p = Pmf::from_dense(&dense)?;
    Ok(broja(&p, &BrojaOptions::default())?.pid)
}

/// One row of `pid simulate`'s CSV.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SimRow {
    pub estimator: String,
    pub n: usize,
    /// Values per discretised source: the task's classes (probe), clusters (k-means).
    pub k: usize,
    /// `scenario/task`.
    pub task: String,
    pub atom: String,
    pub truth: f64,
    pub estimate: f64,
    pub error_bits: f64,
    pub seed: u64,
}

/// The estimators compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    /// [`super::probe_estimate`] (the default).
    Probe,
    /// k-means per modality + BROJA (Liang et al.'s CVX estimator), `k` clusters.
    Kmeans(usize),
}

impl Estimator {
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Probe => "probe",
            Estimator::Kmeans(_) => "kmeans",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimOptions {
    pub ns: Vec<usize>,
    pub seeds: Vec<u64>,
    pub scenarios: Vec<Scenario>,
    pub estimators: Vec<Estimator>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            ns: vec![1_000, 10_000],
            seeds: vec![0, 1, 2],
            scenarios: Scenario::ALL.to_vec(),
            estimators: vec![
                Estimator::Probe,
                Estimator::Kmeans(super::estimate::DEFAULT_CLUSTERS),
            ],
        }
    }
}

fn atoms(d: &Decomposition) -> [(&'static str, f64); 4] {
    [("R", d.r), ("U1", d.u1), ("U2", d.u2), ("S", d.s)]
}

/// Every estimator on every scenario, task, sample size and seed. `tick` is called once per
/// (scenario, n, seed) finished.
pub fn simulate(
    opts: &SimOptions,
    rules: &PairRules,
    mut tick: impl FnMut(),
) -> Result<Vec<SimRow>, EstimateError> {
    let mut rows = Vec::new();
    for &scenario in &opts.scenarios {
        let truths: Vec<Decomposition> = (0..4)
            .map(|t| truth(scenario, rules, t))
            .collect::<Result<_, _>>()?;
        for &n in &opts.ns {
            for &seed in &opts.seeds {
                let s = sample(scenario, rules, n, seed);
                for &est in &opts.estimators {
                    let clusters = match est {
                        Estimator::Kmeans(k) => Some((
                            k,
                            kmeans(&s.z1, s.d1, k, seed, 100),
                            kmeans(&s.z2, s.d2, k, seed + 1, 100),
                        )),
                        Estimator::Probe => None,
                    };
                    for (t, task) in Task::ALL.iter().enumerate() {
                        let ny = Task::ALL[t].n_classes();
                        let y = s.task_labels(t);
                        let (k, got) = match &clusters {
                            Some((k, c1, c2)) => (*k, clustered_pid(c1, c2, &y, *k, ny)?.pid),
                            None => (
                                ny,
                                probe_pid_crossfit(&s.views(&y), ny, &ProbePidConfig::default())?
                                    .pid,
                            ),
                        };
                        for ((atom, truth), (_, estimate)) in
                            atoms(&truths[t]).into_iter().zip(atoms(&got))
                        {
                            rows.push(SimRow {
                                estimator: est.name().into(),
                                n,
                                k,
                                task: format!("{}/{}", scenario.name(), task.name()),
                                atom: atom.into(),
                                truth,
                                estimate,
                                error_bits: estimate - truth,
                                seed,
                            });
                        }
                    }
                }
                tick();
            }
        }
    }
    Ok(rows)
}

/// Mean and sample standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64;
    (m, var.sqrt())
}

/// A markdown table: per estimator and n, the largest and mean |error| over every (task, atom,
/// seed), and the cell whose mean error over seeds (bias) is largest, with its spread (std).
pub fn summary_lines(rows: &[SimRow]) -> Vec<String> {
    let mut keys: Vec<(String, usize)> = rows.iter().map(|r| (r.estimator.clone(), r.n)).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    let mut out = vec![
        "| estimator | n | max abs error | mean abs error | largest bias: cell, mean ± std over seeds |".into(),
        "|---|---|---|---|---|".into(),
    ];
    for (est, n) in keys {
        let sel: Vec<&SimRow> = rows
            .iter()
            .filter(|r| r.estimator == est && r.n == n)
            .collect();
        let abs: Vec<f64> = sel.iter().map(|r| r.error_bits.abs()).collect();
        let mut cells: Vec<(String, f64, f64)> = Vec::new();
        let mut names: Vec<(String, String)> = sel
            .iter()
            .map(|r| (r.task.clone(), r.atom.clone()))
            .collect();
        names.sort();
        names.dedup();
        for (task, atom) in names {
            let e: Vec<f64> = sel
                .iter()
                .filter(|r| r.task == task && r.atom == atom)
                .map(|r| r.error_bits)
                .collect();
            let (m, sd) = mean_std(&e);
            cells.push((format!("{task} {atom}"), m, sd));
        }
        let worst = cells
            .iter()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .cloned()
            .unwrap_or_default();
        out.push(format!(
            "| {est} | {n} | {:.3} | {:.3} | {} {:+.3} ± {:.3} |",
            abs.iter().cloned().fold(0.0, f64::max),
            abs.iter().sum::<f64>() / abs.len().max(1) as f64,
            worst.0,
            worst.1,
            worst.2
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::tasks::closed_form;

    fn rules() -> PairRules {
        canonical_rules()
    }

    #[test]
    fn uncorrupted_truths_are_the_closed_forms() {
        for s in [Scenario::Copies, Scenario::Mixed] {
            for t in 0..4 {
                let (got, want) = (truth(s, &rules(), t).unwrap(), closed_form(t, K, 0.1));
                for (a, b) in atoms(&got).iter().zip(atoms(&want)) {
                    assert!(
                        (a.1 - b.1).abs() < 1e-6,
                        "{s:?} task {t}: {got:?} vs {want:?}"
                    );
                }
            }
        }
        // Biased joint (π = 1): texture 1 is redundant with colour 2; the synergy label is constant.
        let b = truth(Scenario::Biased, &rules(), 1).unwrap();
        assert!(
            (b.r - 10f64.log2()).abs() < 1e-6 && b.u1.abs() < 1e-6,
            "{b:?}"
        );
        let b = truth(Scenario::Biased, &rules(), 3).unwrap();
        assert!(atoms(&b).iter().all(|a| a.1.abs() < 1e-9), "{b:?}");
    }

    #[test]
    fn corrupted_share_truth_matches_an_independent_computation() {
        // Two copies of Y (uniform over 10) through the symmetric channel "keep w.p. 0.7, else
        // uniform": P(x = y) = 0.73. I(X;Y) = log2 10 − H(0.73, 0.03 x 9) = 1.6245837 and
        // I(X1,X2;Y) = 2.3773791 (plain Python over the 10 x 10 x 10 joint). The sources are
        // exchangeable, so U1 = U2, R + U1 = I(X;Y) and R + U1 + U2 + S = I(X1,X2;Y).
        let d = truth(Scenario::Corrupted, &rules(), 0).unwrap();
        assert!((d.r + d.u1 - 1.6245837).abs() < 1e-6, "{d:?}");
        assert!((d.r + d.u1 + d.u2 + d.s - 2.3773791).abs() < 1e-6, "{d:?}");
        assert!((d.u1 - d.u2).abs() < 1e-6 && d.s > 0.0, "{d:?}");
    }

    #[test]
    fn samples_are_seeded_and_shaped() {
        let r = rules();
        let a = sample(Scenario::Mixed, &r, 50, 3);
        let b = sample(Scenario::Mixed, &r, 50, 3);
        assert_eq!(
            (a.z1.clone(), a.z12.clone(), a.labels.clone()),
            (b.z1, b.z12, b.labels)
        );
        assert_eq!((a.d1, a.d12), (MIXED_DIM, 2 * MIXED_DIM + 100));
        assert_eq!(a.z12.len(), 50 * a.d12);
        assert_ne!(sample(Scenario::Mixed, &r, 50, 4).z1, a.z1);
        // Biased pairs: every synergy label is 1.
        assert!(
            sample(Scenario::Biased, &r, 200, 1)
                .labels
                .iter()
                .all(|l| l[3] == 1)
        );
    }
}
