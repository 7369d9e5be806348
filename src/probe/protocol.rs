//! The reference probe protocol (REFERENCE §7): stratified 60/40 split, coarse C grid, binary
//! search on a fine grid, refit on all training pairs, test metrics.

use super::Features;
use super::lbfgs::{LbfgsConfig, minimize};
use super::logistic::{Logistic, argmax_rows};
use super::metrics::{accuracy, balanced_accuracy, roc_auc};
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq)]
pub struct ProbeConfig {
    pub coarse: Vec<f64>,
    /// Fine grid size (log-spaced over [best/100, best*100]).
    pub fine: usize,
    pub train_fraction: f64,
    /// Seed of the stratified split (the reference's `random_state = 48`).
    pub split_seed: u64,
    pub lbfgs: LbfgsConfig,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            coarse: vec![1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6],
            fine: 29,
            train_fraction: 0.6,
            split_seed: 48,
            lbfgs: LbfgsConfig::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeResult {
    pub best_c: f64,
    /// Balanced accuracy on the test set (the reported metric).
    pub balanced_accuracy: f64,
    pub accuracy: f64,
    /// FactorCL's reference score with the metric's arguments swapped (REFERENCE §9.4, §11.14):
    /// the mean per-class *precision* over the classes predicted or present.
    pub swapped_macro: f64,
    /// For binary tasks.
    pub roc_auc: Option<f64>,
    /// Every C evaluated on the validation split, in order, with its balanced accuracy.
    pub visited: Vec<(f64, f64)>,
    /// Objective evaluations over the whole call.
    pub evaluations: usize,
}

/// Fit from zero weights with one L-BFGS step; returns (params, evaluations).
pub fn fit(data: &Features, k: usize, c: f64, cfg: &LbfgsConfig) -> (Vec<f64>, usize) {
    fit_from(data, k, c, cfg, vec![0.0; k * data.d + k])
}

/// Fit from `params` (a warm start, e.g. the solution at a neighbouring C).
pub fn fit_from(
    data: &Features,
    k: usize,
    c: f64,
    cfg: &LbfgsConfig,
    mut params: Vec<f64>,
) -> (Vec<f64>, usize) {
    let problem = Logistic {
        data: data.clone(),
        k,
        inv_c: 1.0 / c,
    };
    let mut obj = |x: &[f64], g: &mut [f64]| problem.loss_grad(x, g);
    let r = minimize(&mut obj, &mut params, cfg);
    (params, r.evaluations)
}

/// Predicted classes and probabilities.
pub fn predict(params: &[f64], k: usize, data: &Features) -> (Vec<u32>, Vec<f64>) {
    let p = Logistic::probabilities(params, k, data);
    (argmax_rows(&p, k), p)
}

/// Stratified split of `0..n` into (train, validation) index lists: per class, a seeded shuffle,
/// with the train counts allotted by largest remainder so they sum to round(fraction * n).
pub fn stratified_split(y: &[u32], fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let k = y.iter().map(|&v| v as usize + 1).max().unwrap_or(0);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &v) in y.iter().enumerate() {
        by_class[v as usize].push(i);
    }
    let target = (fraction * y.len() as f64).round() as usize;
    let exact: Vec<f64> = by_class.iter().map(|c| c.len() as f64 * fraction).collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut left = target.saturating_sub(take.iter().sum());
    for &c in order.iter().cycle().take(k * 2) {
        if left == 0 {
            break;
        }
        if take[c] < by_class[c].len() {
            take[c] += 1;
            left -= 1;
        }
    }
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for (c, idx) in by_class.iter_mut().enumerate() {
        let mut rng = item_rng(seed, Stream::Split, &[0x70726f6265, c as u64]);
        for i in (1..idx.len()).rev() {
            idx.swap(i, rng.random_range(0..=i));
        }
        train.extend_from_slice(&idx[..take[c]]);
        val.extend_from_slice(&idx[take[c]..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

fn subset(data: &Features, idx: &[usize]) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(idx.len() * data.d);
    let mut y = Vec::with_capacity(idx.len());
    for &i in idx {
        x.extend_from_slice(data.row(i));
        y.push(data.y[i]);
    }
    (x, y)
}

/// `torch.logspace(log10(lo), log10(hi), n)` in float32, clipped to [1e-6, 1e6].
fn fine_grid(best: f64, n: usize) -> Vec<f64> {
    let (a, b) = ((best / 100.0).log10(), (best * 100.0).log10());
    (0..n)
        .map(|i| {
            let e = if n == 1 {
                a
            } else {
                a + (b - a) * i as f64 / (n - 1) as f64
            };
            (10f64.powf(e) as f32 as f64).clamp(1e-6, 1e6)
        })
        .collect()
}

/// Python's floor division for the binary search's negative index.
fn pydiv(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

/// Run the full protocol: C search on `train`, refit, evaluate on `test`.
pub fn linear_probe(train: &Features, test: &Features, cfg: &ProbeConfig) -> ProbeResult {
    let k = train
        .y
        .iter()
        .chain(test.y)
        .map(|&v| v as usize + 1)
        .max()
        .unwrap_or(1);
    let (tr_idx, va_idx) = stratified_split(train.y, cfg.train_fraction, cfg.split_seed);
    let (xt, yt) = subset(train, &tr_idx);
    let (xv, yv) = subset(train, &va_idx);
    let (ft, fv) = (
        Features {
            x: &xt,
            d: train.d,
            y: &yt,
        },
        Features {
            x: &xv,
            d: train.d,
            y: &yv,
        },
    );
    let mut evaluations = 0;
    let mut score = |c: f64| -> f64 {
        let (p, e) = fit(&ft, k, c, &cfg.lbfgs);
        evaluations += e;
        balanced_accuracy(&yv, &predict(&p, k, &fv).0, k)
    };

    // Coarse grid: first maximum.
    let mut best = (cfg.coarse[0], f64::NEG_INFINITY);
    for &c in &cfg.coarse {
        let s = score(c);
        if s > best.1 {
            best = (c, s);
        }
    }
    let mut visited = vec![best];
    // Fine grid, binary search.
    let mut costs = fine_grid(best.0, cfg.fine);
    while costs.len() > 1 {
        let l = costs.len() as i64;
        let picks = [
            (l / 4) as usize,
            (l / 2) as usize,
            (l + pydiv(-l, 4)) as usize,
        ];
        let mut s = [0.0; 3];
        for (j, &i) in picks.iter().enumerate() {
            let c = costs[i];
            s[j] = match visited.iter().find(|v| v.0 == c) {
                Some(v) => v.1,
                None => {
                    let v = score(c);
                    visited.push((c, v));
                    v
                }
            };
        }
        costs = if s[0] >= s[1] && s[0] >= s[2] {
            costs[..(l / 2) as usize].to_vec()
        } else if s[2] >= s[1] {
            costs[(l / 2) as usize..].to_vec()
        } else {
            costs[(l / 4) as usize..(l + pydiv(-l, 4)) as usize].to_vec()
        };
    }
    let best_c = visited
        .iter()
        .fold(
            (f64::NAN, f64::NEG_INFINITY),
            |b, &v| if v.1 > b.1 { v } else { b },
        )
        .0;

    // Refit on all training pairs and test.
    let (params, e) = fit(train, k, best_c, &cfg.lbfgs);
    evaluations += e;
    let (pred, prob) = predict(&params, k, test);
    let auc = if k == 2 {
        roc_auc(
            test.y,
            &prob.chunks_exact(2).map(|p| p[1]).collect::<Vec<_>>(),
        )
    } else {
        None
    };
    ProbeResult {
        best_c,
        balanced_accuracy: balanced_accuracy(test.y, &pred, k),
        swapped_macro: balanced_accuracy(&pred, test.y, k),
        accuracy: accuracy(test.y, &pred),
        roc_auc: auc,
        visited,
        evaluations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Features with a planted linear rule: y = argmax of 3 fixed directions, plus noise dims.
    fn planted(n: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
        let mut rng = item_rng(seed, Stream::Render, &[9]);
        let d = 8;
        let mut x = Vec::with_capacity(n * d);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let row: Vec<f32> = (0..d).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let scores = [row[0] + row[1], row[2] - row[0], row[3] - row[1]];
            let c = (0..3)
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .unwrap();
            y.push(c as u32);
            x.extend(row);
        }
        (x, y)
    }

    /// The full protocol on planted data: `n_train` rows of seed `a`, `n_test` of seed `b`.
    fn probe_planted(n_train: usize, n_test: usize, a: u64, b: u64) -> ProbeResult {
        let (xa, ya) = planted(n_train, a);
        let (xb, yb) = planted(n_test, b);
        let (tr, te) = (
            Features {
                x: &xa,
                d: 8,
                y: &ya,
            },
            Features {
                x: &xb,
                d: 8,
                y: &yb,
            },
        );
        linear_probe(&tr, &te, &ProbeConfig::default())
    }

    #[test]
    fn recovers_a_planted_linear_rule() {
        let r = probe_planted(1500, 600, 1, 2);
        assert!(r.balanced_accuracy > 0.95, "{r:?}");
        assert!(
            r.best_c >= 1.0,
            "a separable rule wants weak regularisation: {}",
            r.best_c
        );
    }

    #[test]
    fn uninformative_features_score_exactly_chance_on_the_minority_task() {
        // 10 % positives, features independent of the label: the probe predicts the majority
        // class everywhere, so balanced accuracy is exactly 0.5 (the reference's S at chance).
        let mut rng = item_rng(5, Stream::Render, &[1]);
        let make = |n: usize, rng: &mut rand_chacha::ChaCha8Rng| {
            let x: Vec<f32> = (0..n * 4).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let y: Vec<u32> = (0..n).map(|i| (i % 10 == 0) as u32).collect();
            (x, y)
        };
        let (xa, ya) = make(1000, &mut rng);
        let (xb, yb) = make(500, &mut rng);
        let r = linear_probe(
            &Features {
                x: &xa,
                d: 4,
                y: &ya,
            },
            &Features {
                x: &xb,
                d: 4,
                y: &yb,
            },
            &ProbeConfig::default(),
        );
        assert_eq!(r.balanced_accuracy, 0.5, "{r:?}");
        assert!((r.accuracy - 0.9).abs() < 1e-12);
        assert!(r.roc_auc.is_some());
    }

    #[test]
    fn same_result_at_one_and_two_threads() {
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| probe_planted(1200, 300, 3, 4))
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn split_is_stratified_and_seeded() {
        let y: Vec<u32> = (0..1000).map(|i| if i % 10 == 0 { 1 } else { 0 }).collect();
        let (tr, va) = stratified_split(&y, 0.6, 48);
        assert_eq!((tr.len(), va.len()), (600, 400));
        assert_eq!(tr.iter().filter(|&&i| y[i] == 1).count(), 60);
        assert_eq!(stratified_split(&y, 0.6, 48), (tr.clone(), va));
        assert_ne!(stratified_split(&y, 0.6, 49).0, tr);
    }

    #[test]
    fn fine_grid_and_python_indices() {
        let g = fine_grid(1.0, 29);
        assert_eq!(g.len(), 29);
        assert!(
            (g[0] - 0.01).abs() < 1e-9
                && (g[28] - 100.0).abs() < 1e-4
                && (g[14] - 1.0).abs() < 1e-6
        );
        // (-29) // 4 = -8 in Python: index 21 of 29.
        assert_eq!(29 + pydiv(-29, 4), 21);
        assert!(fine_grid(1e6, 29).iter().all(|&c| c <= 1e6));
    }
}
