//! PID of learned representations (the CVX estimator of Liang et al., NeurIPS 2023): discretise
//! each modality's features with k-means, then BROJA on the empirical pmf of
//! (cluster of modality 1, cluster of modality 2, label).
//!
//! Plug-in estimates are biased: information grows with the number of clusters and shrinks with
//! few samples, by bits on features that hold every attribute (`rusbench pid simulate`, README).
//! Kept as the baseline of the default estimator, [`super::probe_estimate`]. The default k = 20
//! is Liang et al.'s choice; report k with every estimate.

use super::broja::{BrojaError, BrojaOptions, BrojaResult, broja};
use super::pmf::Pmf;
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use rayon::prelude::*;

/// Default clusters per modality (Liang et al. 2023).
pub const DEFAULT_CLUSTERS: usize = 20;

/// Restarts of k-means per modality; the lowest within-cluster sum of squares wins (as
/// scikit-learn's `n_init`): one k-means++ start often merges two true clusters.
pub const N_INIT: u64 = 10;

/// The best of [`N_INIT`] seeded k-means runs.
pub fn kmeans(x: &[f32], d: usize, k: usize, seed: u64, max_iter: usize) -> Vec<u32> {
    (0..N_INIT)
        .map(|r| kmeans_once(x, d, k, seed.wrapping_mul(1000).wrapping_add(r), max_iter))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0
}

/// One seeded k-means run (k-means++ initialisation, Lloyd iterations until no assignment
/// changes or `max_iter`). `x` is row-major `[n, d]`. Returns the cluster of every row and the
/// within-cluster sum of squares. The result does not depend on the thread count: assignments
/// are independent per row, centroid sums sequential.
pub fn kmeans_once(x: &[f32], d: usize, k: usize, seed: u64, max_iter: usize) -> (Vec<u32>, f64) {
    assert!(
        d > 0 && x.len().is_multiple_of(d),
        "features must be [n, d]"
    );
    let n = x.len() / d;
    let k = k.min(n).max(1);
    let row = |i: usize| &x[i * d..(i + 1) * d];
    let dist = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| ((p - q) as f64).powi(2))
            .sum::<f64>()
    };

    // k-means++: first centre uniform, then proportional to squared distance.
    let mut rng = item_rng(seed, Stream::Pairs, &[0x6b6d65616e73]);
    let mut centres: Vec<f32> = Vec::with_capacity(k * d);
    centres.extend_from_slice(row(rng.random_range(0..n)));
    let mut best: Vec<f64> = (0..n).map(|i| dist(row(i), &centres[0..d])).collect();
    while centres.len() < k * d {
        let total: f64 = best.iter().sum();
        let next = if total <= 0.0 {
            rng.random_range(0..n)
        } else {
            let mut t = rng.random::<f64>() * total;
            let mut pick = n - 1;
            for (i, &b) in best.iter().enumerate() {
                if t < b {
                    pick = i;
                    break;
                }
                t -= b;
            }
            pick
        };
        let c = centres.len();
        centres.extend_from_slice(row(next));
        for (i, b) in best.iter_mut().enumerate() {
            *b = b.min(dist(row(i), &centres[c..c + d]));
        }
    }

    let mut assign = vec![u32::MAX; n];
    for _ in 0..max_iter {
        let new: Vec<u32> = (0..n)
            .into_par_iter()
            .map(|i| {
                (0..k)
                    .map(|c| (c, dist(row(i), &centres[c * d..(c + 1) * d])))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap()
                    .0 as u32
            })
            .collect();
        if new == assign {
            break;
        }
        assign = new;
        let mut sums = vec![0.0f64; k * d];
        let mut counts = vec![0usize; k];
        for (i, &a) in assign.iter().enumerate() {
            let c = a as usize;
            counts[c] += 1;
            for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(row(i)) {
                *s += v as f64;
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..d {
                    centres[c * d + j] = (sums[c * d + j] / counts[c] as f64) as f32;
                }
            }
        }
    }
    let inertia = (0..n)
        .map(|i| {
            dist(
                row(i),
                &centres[assign[i] as usize * d..(assign[i] as usize + 1) * d],
            )
        })
        .sum();
    (assign, inertia)
}

#[allow(clippy::too_many_arguments)]
/// Estimate R, U1, U2, S of features `z1`, `z2` (row-major `[n, d1]`, `[n, d2]`) about `labels`
/// (values in `0..ny`) with `k` clusters per modality.
pub fn representation_pid(
    z1: &[f32],
    d1: usize,
    z2: &[f32],
    d2: usize,
    labels: &[u32],
    ny: usize,
    k: usize,
    seed: u64,
) -> Result<BrojaResult, EstimateError> {
    let c1 = kmeans(z1, d1, k, seed, 100);
    let c2 = kmeans(z2, d2, k, seed.wrapping_add(1), 100);
    clustered_pid(&c1, &c2, labels, k, ny)
}

/// BROJA (to 1e-6 bits) on the empirical pmf of (cluster of modality 1, cluster of modality 2,
/// label), clusters in `0..k`, labels in `0..ny`. The samples must be non-empty.
pub fn clustered_pid(
    c1: &[u32],
    c2: &[u32],
    labels: &[u32],
    k: usize,
    ny: usize,
) -> Result<BrojaResult, EstimateError> {
    let samples = c1
        .iter()
        .zip(c2)
        .zip(labels)
        .map(|((&a, &b), &y)| (a, b, y));
    let p = Pmf::from_samples(k, k, ny, samples)?;
    Ok(broja(
        &p,
        &BrojaOptions {
            tol_bits: 1e-6,
            max_iter: 20_000,
            ..Default::default()
        },
    )?)
}

/// Why an estimate failed.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error(transparent)]
    Pmf(#[from] super::pmf::PmfError),
    #[error(transparent)]
    Broja(#[from] BrojaError),
    #[error("features do not fit the labels: {0}")]
    Shape(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::simulate::{Scenario, canonical_rules, sample};

    #[test]
    fn kmeans_recovers_separated_blobs_and_is_seeded() {
        // Three tight blobs at 0, 10, 20 on a line.
        let x: Vec<f32> = (0..300)
            .map(|i| (i % 3) as f32 * 10.0 + (i as f32 * 0.37).sin() * 0.1)
            .collect();
        let a = kmeans(&x, 1, 3, 7, 50);
        for i in 0..300 {
            assert_eq!(a[i], a[i % 3], "point {i}");
        }
        assert_ne!(a[0], a[1]);
        assert_ne!(a[1], a[2]);
        assert_eq!(a, kmeans(&x, 1, 3, 7, 50));
    }

    /// The one-hot block of attribute `a` (0 shape, 1 texture, 2 colour) of 30-wide copies.
    fn block(z: &[f32], a: usize) -> Vec<f32> {
        z.chunks_exact(30)
            .flat_map(|r| r[a * 10..a * 10 + 10].to_vec())
            .collect()
    }

    fn est(task: usize, a1: usize, a2: usize, k: usize) -> [f64; 4] {
        let s = sample(Scenario::Copies, &canonical_rules(), 10_000, 3);
        let (z1, z2) = (block(&s.z1, a1), block(&s.z2, a2));
        let ny = if task == 3 { 2 } else { 10 };
        let r = representation_pid(&z1, 10, &z2, 10, &s.task_labels(task), ny, k, 1).unwrap();
        [r.pid.r, r.pid.u1, r.pid.u2, r.pid.s]
    }

    #[test]
    fn recovers_known_pids_from_informative_features() {
        // With features that hold exactly the task-relevant attribute and k = 10 clusters the
        // estimator lands near the truth (10,000 samples; plug-in bias is small here). On
        // features that hold every attribute it does not (`rusbench pid simulate`).
        let lk = 10f64.log2();
        let share = est(0, 0, 0, 10);
        assert!(
            (share[0] - lk).abs() < 0.05 && share[3] < 0.05,
            "share {share:?}"
        );
        let unique = est(1, 1, 0, 10);
        assert!(
            (unique[1] - lk).abs() < 0.05 && unique[0] < 0.05,
            "unique {unique:?}"
        );
        let syn = est(3, 1, 2, 10);
        let h = super::super::tasks::h2(0.1);
        assert!(
            (syn[3] - h).abs() < 0.05 && syn[0] < 0.05,
            "synergy {syn:?} vs {h}"
        );
    }
}
