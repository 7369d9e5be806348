//! The default PID estimator of a learned representation: what held-out linear probes can read
//! from it (PID.md, last paragraph).
//!
//! A representation offers three views of a pair: `Z1` (modality 1 only), `Z2` (modality 2 only)
//! and the joint view `Z12` the method hands to a downstream probe: CoMM's fused Z (modalities
//! not separable; its Z1, Z2 are the fusion with the other modality's tokens dropped), or the
//! concatenation `[Z1; Z2]` for per-modality methods (Cross, Cross+Self, FactorCL). Then:
//!
//! 1. each view gets a linear probe for the task, fitted on the fit set (C chosen by held-out
//!    cross-entropy on a stratified 70/30 split of it, then refitted on all of it, its logits
//!    rescaled by the temperature that suits the held-out rows);
//! 2. the eval set is discretised by the two unimodal probes' predictions `(Ŷ1, Ŷ2, Y)`, and BROJA
//!    on that empirical pmf gives R, U1, U2 (the predicted label has as many values as the task,
//!    so the plug-in bias stays ~(k−1)²/(2n ln 2) bits instead of the bits that k-means cells cost),
//!    bias-corrected by a bootstrap at each atom's own rate ([`debias`]);
//! 3. S = I(Z12; Y) − (R + U1 + U2), where I(Z12; Y) = H(Y) − CE12 is the joint probe's held-out
//!    cross-entropy (a lower bound on the information, the "usable information" of a linear
//!    read-out), extrapolated to unlimited fitting data, floored at 0.
//!
//! What this measures is the information a *linear read-out* can use, the notion behind the
//! paper's probe accuracies: a synergy label that is a function of (texture 1, colour 2) is not a
//! linear function of two separate per-modality codes, so a concatenated per-modality
//! representation holds no usable synergy even when its parts know both attributes.

use super::Decomposition;
use super::broja::{BrojaOptions, broja};
use super::estimate::EstimateError;
use super::pmf::Pmf;
use crate::probe::Features;
use crate::probe::lbfgs::LbfgsConfig;
use crate::probe::logistic::{Logistic, argmax_rows};
use crate::probe::protocol::{fit_from, stratified_split};
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use serde::Serialize;

/// Row-major `[n, d]` features.
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a> {
    pub x: &'a [f32],
    pub d: usize,
}

impl<'a> Matrix<'a> {
    pub fn n(&self) -> usize {
        self.x.len().checked_div(self.d).unwrap_or(0)
    }

    fn rows(&self, idx: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(idx.len() * self.d);
        for &i in idx {
            out.extend_from_slice(&self.x[i * self.d..(i + 1) * self.d]);
        }
        out
    }
}

/// The three views of one set of pairs, with the task's labels.
#[derive(Clone, Copy, Debug)]
pub struct ViewSet<'a> {
    pub z1: Matrix<'a>,
    pub z2: Matrix<'a>,
    /// The fused joint view; `None`: the concatenation `[z1; z2]`.
    pub z12: Option<Matrix<'a>>,
    pub y: &'a [u32],
}

/// How the joint view was formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JointView {
    /// A fused representation of both modalities (CoMM's Z).
    Fused,
    /// The concatenation of the per-modality representations.
    Concat,
}

impl JointView {
    pub fn name(self) -> &'static str {
        match self {
            JointView::Fused => "fused",
            JointView::Concat => "concat",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProbePidConfig {
    /// Inverse regularisation strengths tried, ascending (the probe's `(1/C) * 0.5 * ||W||_F`).
    pub c_grid: Vec<f64>,
    /// Share of the fit set that trains the probe while C is chosen (the rest scores it).
    pub select_fraction: f64,
    pub split_seed: u64,
    pub lbfgs: LbfgsConfig,
    /// Folds of [`probe_pid_crossfit`].
    pub folds: usize,
    /// Extrapolate the joint probe's cross-entropy to unlimited fitting data (from fits on all
    /// and on half of the fit set).
    pub extrapolate: bool,
    /// Bootstrap resamples for the bias correction of the discretised atoms (0: none).
    pub bootstrap: usize,
}

impl Default for ProbePidConfig {
    fn default() -> Self {
        ProbePidConfig {
            // Half decades: the cross-entropy of a soft posterior is sensitive to C (a decade
            // grid cost 0.09 bits of joint information on the corrupted share task at n = 10^4).
            c_grid: vec![0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1e3],
            select_fraction: 0.7,
            split_seed: 48,
            folds: 5,
            extrapolate: true,
            bootstrap: 50,
            // More iterations than the accuracy probe (the cross-entropy needs a converged fit);
            // a shorter history than torch's 100 (the two-loop recursion cost as much as the
            // loss kernel on 10^3-parameter problems).
            lbfgs: LbfgsConfig {
                max_iter: 200,
                max_eval: 250,
                history_size: 20,
                ..LbfgsConfig::default()
            },
        }
    }
}

/// One estimate, with the quantities it was assembled from (bits).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbePid {
    pub pid: Decomposition,
    pub joint: JointView,
    /// Entropy of the eval labels.
    pub h_y: f64,
    /// I(Ŷ1; Y), I(Ŷ2; Y) on the eval set (the discretised sources).
    pub i1: f64,
    pub i2: f64,
    /// The joint probe's usable information H(Y) − CE12.
    pub i12: f64,
    /// BROJA's certified gap on the discretised pmf.
    pub gap_bits: f64,
    pub n_eval: usize,
}

/// Version of the estimator, stored with every estimate: a cached `pid.csv` of another version is
/// recomputed. 2: the pmf's normaliser summed in cell order (version 1 varied in the last bits
/// from run to run). 3: unique atoms debiased at their n^(-1/2) rate ([`debias`]).
pub const VERSION: u32 = 3;

/// What one view's probe gives on the eval set.
struct Readout {
    pred: Vec<u32>,
    /// Summed cross-entropy over the eval rows, nats.
    ce: f64,
}

/// Mean cross-entropy (nats) of `params` on `data`, probabilities floored at 1e-12.
fn cross_entropy(params: &[f64], k: usize, data: &Features) -> f64 {
    let p = Logistic::probabilities(params, k, data);
    let total: f64 = data
        .y
        .iter()
        .enumerate()
        .map(|(i, &y)| -p[i * k + y as usize].max(1e-12).ln())
        .sum();
    total / data.n().max(1) as f64
}

/// The grid's C whose fit on `train` has the lowest cross-entropy on `val`, that fit, and the
/// temperature that suits `val`. Ascending C (weaker regularisation), each fit warm-started from
/// the previous solution: the path costs a few full fits instead of one per grid point.
fn select(
    train: &Features,
    val: &Features,
    k: usize,
    cfg: &ProbePidConfig,
) -> (f64, Vec<f64>, f64) {
    let mut params = vec![0.0; k * train.d + k];
    if val.n() == 0 {
        return (cfg.c_grid[cfg.c_grid.len() / 2], params, 1.0);
    }
    let mut best = (f64::NAN, f64::INFINITY, Vec::new());
    for &c in &cfg.c_grid {
        params = fit_from(train, k, c, &cfg.lbfgs, params).0;
        let ce = cross_entropy(&params, k, val);
        if ce < best.1 {
            best = (c, ce, params.clone());
        }
    }
    let t = temperature(&best.2, k, val);
    (best.0, best.2, t)
}

/// Fit a probe of `k` classes on `fit` (C and temperature by held-out cross-entropy on a split
/// of it, then a refit on all of it), read it out on `eval`.
fn readout(
    fit_x: Matrix,
    fit_y: &[u32],
    eval_x: Matrix,
    eval_y: &[u32],
    k: usize,
    cfg: &ProbePidConfig,
) -> Readout {
    let (tr, va) = stratified_split(fit_y, cfg.select_fraction, cfg.split_seed);
    let labels = |idx: &[usize]| idx.iter().map(|&i| fit_y[i]).collect::<Vec<u32>>();
    let (xt, yt, xv, yv) = (fit_x.rows(&tr), labels(&tr), fit_x.rows(&va), labels(&va));
    let d = fit_x.d;
    let (c, start, scale) = select(
        &Features { x: &xt, d, y: &yt },
        &Features { x: &xv, d, y: &yv },
        k,
        cfg,
    );
    let all = Features {
        x: fit_x.x,
        d,
        y: fit_y,
    };
    let params: Vec<f64> = fit_from(&all, k, c, &cfg.lbfgs, start)
        .0
        .into_iter()
        .map(|v| v * scale)
        .collect();
    let ev = Features {
        x: eval_x.x,
        d: eval_x.d,
        y: eval_y,
    };
    let p = Logistic::probabilities(&params, k, &ev);
    Readout {
        pred: argmax_rows(&p, k),
        ce: cross_entropy(&params, k, &ev) * eval_y.len() as f64,
    }
}

/// The logit scale in [1/4, 4] that minimises the cross-entropy of `params` on `val`
/// (golden-section search). The regulariser shrinks logits, so a shrunk probe is under-confident
/// on soft posteriors; rescaling its logits stays a linear read-out and recovers part of the
/// cross-entropy (0.07 bits of joint information at n = 1,000 on the corrupted share task).
fn temperature(params: &[f64], k: usize, val: &Features) -> f64 {
    let ce_at = |t: f64| cross_entropy(&params.iter().map(|v| v * t).collect::<Vec<_>>(), k, val);
    let (mut a, mut b) = (0.25f64, 4.0f64);
    const G: f64 = 0.618_033_988_749_895;
    for _ in 0..30 {
        let (x1, x2) = (b - G * (b - a), a + G * (b - a));
        if ce_at(x1) < ce_at(x2) {
            b = x2
        } else {
            a = x1
        }
    }
    (a + b) / 2.0
}

/// `[z1; z2]` row by row.
fn concat(a: Matrix, b: Matrix) -> Vec<f32> {
    let mut out = Vec::with_capacity(a.x.len() + b.x.len());
    for i in 0..a.n() {
        out.extend_from_slice(&a.x[i * a.d..(i + 1) * a.d]);
        out.extend_from_slice(&b.x[i * b.d..(i + 1) * b.d]);
    }
    out
}

/// The three read-outs of `eval` by probes fitted on `fit`.
fn readouts(fit: &ViewSet, eval: &ViewSet, k: usize, cfg: &ProbePidConfig) -> [Readout; 3] {
    let one = |f: Matrix, e: Matrix| readout(f, fit.y, e, eval.y, k, cfg);
    let joint_of = |f: Matrix, e: Matrix| {
        let mut r = one(f, e);
        if cfg.extrapolate {
            // Held-out cross-entropy exceeds the best linear read-out's by ~b/m for m fitting
            // rows (estimation error); a fit on half the rows measures b, and
            // 2 CE(m) − CE(m/2) removes the first-order excess (Richardson extrapolation).
            let (half, _) = stratified_split(fit.y, 0.5, cfg.split_seed ^ 0x6861);
            let yh: Vec<u32> = half.iter().map(|&i| fit.y[i]).collect();
            let xh = f.rows(&half);
            let h = readout(Matrix { x: &xh, d: f.d }, &yh, e, eval.y, k, cfg);
            r.ce = 2.0 * r.ce - h.ce;
        }
        r
    };
    let joint = match (fit.z12, eval.z12) {
        (Some(f), Some(e)) => joint_of(f, e),
        _ => {
            let (f, e) = (concat(fit.z1, fit.z2), concat(eval.z1, eval.z2));
            let d = fit.z1.d + fit.z2.d;
            joint_of(Matrix { x: &f, d }, Matrix { x: &e, d })
        }
    };
    [one(fit.z1, eval.z1), one(fit.z2, eval.z2), joint]
}

fn check(set: &ViewSet, k: usize) -> Result<(), EstimateError> {
    let n = set.y.len();
    let views = [Some(set.z1), Some(set.z2), set.z12];
    if views
        .iter()
        .flatten()
        .any(|m| m.d == 0 || m.x.len() != n * m.d)
    {
        return Err(EstimateError::Shape(format!(
            "every view needs {n} rows of its width (labels: {n})"
        )));
    }
    if n == 0 || set.y.iter().any(|&y| y as usize >= k) {
        return Err(EstimateError::Shape(format!(
            "needs at least one pair and labels in 0..{k}"
        )));
    }
    Ok(())
}

/// Estimate the PID of a representation about a `k`-class label: probes fitted on `fit`, the
/// estimate read on `eval` (the fig4 protocol: training pairs, then held-out test pairs).
pub fn probe_pid(
    fit: &ViewSet,
    eval: &ViewSet,
    k: usize,
    cfg: &ProbePidConfig,
) -> Result<ProbePid, EstimateError> {
    check(fit, k)?;
    check(eval, k)?;
    if fit.z12.is_some() != eval.z12.is_some() {
        return Err(EstimateError::Shape(
            "fit and eval sets need the same joint view".into(),
        ));
    }
    let [r1, r2, r12] = readouts(fit, eval, k, cfg);
    let joint = if eval.z12.is_some() {
        JointView::Fused
    } else {
        JointView::Concat
    };
    assemble(&r1.pred, &r2.pred, eval.y, r12.ce, k, joint, cfg)
}

/// [`probe_pid`] with K-fold cross-fitting on one sample: every pair is read out once, by
/// probes fitted on the other folds (for simulations, where no separate test set exists).
pub fn probe_pid_crossfit(
    sample: &ViewSet,
    k: usize,
    cfg: &ProbePidConfig,
) -> Result<ProbePid, EstimateError> {
    check(sample, k)?;
    let folds = stratified_folds(sample.y, cfg.folds.max(2), cfg.split_seed);
    let n = sample.y.len();
    let (mut p1, mut p2) = (vec![0u32; n], vec![0u32; n]);
    let mut ce = 0.0;
    for (f, eval_idx) in folds.iter().enumerate() {
        let fit_idx: Vec<usize> = folds
            .iter()
            .enumerate()
            .filter(|(g, _)| *g != f)
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        let (fit_h, eval_h) = (Owned::take(sample, &fit_idx), Owned::take(sample, eval_idx));
        let [r1, r2, r12] = readouts(&fit_h.views(sample), &eval_h.views(sample), k, cfg);
        for (j, &i) in eval_idx.iter().enumerate() {
            p1[i] = r1.pred[j];
            p2[i] = r2.pred[j];
        }
        ce += r12.ce;
    }
    let joint = if sample.z12.is_some() {
        JointView::Fused
    } else {
        JointView::Concat
    };
    assemble(&p1, &p2, sample.y, ce, k, joint, cfg)
}

/// `0..y.len()` in `k` folds, each class dealt round-robin after a seeded shuffle.
fn stratified_folds(y: &[u32], k: usize, seed: u64) -> Vec<Vec<usize>> {
    let classes = y.iter().map(|&v| v as usize + 1).max().unwrap_or(0);
    let mut folds = vec![Vec::new(); k];
    let mut next = 0;
    for c in 0..classes {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] as usize == c).collect();
        let mut rng = item_rng(seed, Stream::Split, &[0x666f6c64, c as u64]);
        for i in (1..idx.len()).rev() {
            idx.swap(i, rng.random_range(0..=i));
        }
        for i in idx {
            folds[next % k].push(i);
            next += 1;
        }
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    folds
}

/// Owned rows of a subset of a [`ViewSet`].
struct Owned {
    z1: Vec<f32>,
    z2: Vec<f32>,
    z12: Option<Vec<f32>>,
    y: Vec<u32>,
}

impl Owned {
    fn take(set: &ViewSet, idx: &[usize]) -> Owned {
        Owned {
            z1: set.z1.rows(idx),
            z2: set.z2.rows(idx),
            z12: set.z12.map(|m| m.rows(idx)),
            y: idx.iter().map(|&i| set.y[i]).collect(),
        }
    }

    /// Views over these rows, with the widths of `like`.
    fn views<'a>(&'a self, like: &ViewSet) -> ViewSet<'a> {
        ViewSet {
            z1: Matrix {
                x: &self.z1,
                d: like.z1.d,
            },
            z2: Matrix {
                x: &self.z2,
                d: like.z2.d,
            },
            z12: self
                .z12
                .as_deref()
                .zip(like.z12)
                .map(|(x, m)| Matrix { x, d: m.d }),
            y: &self.y,
        }
    }
}

/// BROJA of the discretised sources: the atoms of the empirical pmf of `(p1, p2, y)`.
/// `tol_bits` and `max_iter` bound the solver (sparse empirical pmfs can converge slowly).
fn discrete_pid(
    p1: &[u32],
    p2: &[u32],
    y: &[u32],
    k: usize,
    tol_bits: f64,
    max_iter: usize,
) -> Result<(Decomposition, f64, f64), EstimateError> {
    let pmf = Pmf::from_samples(
        k,
        k,
        k,
        p1.iter().zip(p2).zip(y).map(|((&a, &b), &y)| (a, b, y)),
    )?;
    let b = broja(
        &pmf,
        &BrojaOptions {
            tol_bits,
            max_iter,
            ..Default::default()
        },
    )?;
    Ok((b.pid, pmf.h_y(), b.gap_bits))
}

/// Bootstrap bias correction of the discretised atoms; `boot` holds the bootstrap means of
/// `[I1, I2, U1, U2]`. The two kinds of atom shrink at different rates with the sample:
///
/// - the mutual informations `I1`, `I2` are smooth in the pmf: their plug-in bias is
///   ~(cells − 1)/(2n ln 2), and a resample doubles it, so `2 x estimate − bootstrap mean`
///   removes it (first order);
/// - a unique atom sits at its floor 0 whenever one channel is a garbling of the other, and
///   there sampling noise alone makes the two channels look different: the estimate grows like
///   the noise's size, ~n^(-1/2), not its variance. A resample multiplies the noise by √2, so
///   `U − (U_boot − U)/(√2 − 1)` removes it (clamped at 0). Away from the floor `U_boot − U` is
///   second order and the correction small. (The plain 1/n correction left 0.1-0.2 bit of
///   spurious unique information at n = 1,000 on noisy copies.)
///
/// R then takes the mean of its two determinations `I_i − U_i`, and the unique atoms follow.
fn debias(d: &Decomposition, boot: &[f64; 4]) -> Decomposition {
    let smooth = |est: f64, b: f64| (2.0 * est - b).max(0.0);
    let root = |est: f64, b: f64| (est - (b - est) / (std::f64::consts::SQRT_2 - 1.0)).max(0.0);
    let (i1, i2) = (smooth(d.r + d.u1, boot[0]), smooth(d.r + d.u2, boot[1]));
    let (u1, u2) = (root(d.u1, boot[2]), root(d.u2, boot[3]));
    let r = (0.5 * ((i1 - u1) + (i2 - u2))).clamp(0.0, i1.min(i2));
    Decomposition {
        r,
        u1: i1 - r,
        u2: i2 - r,
        s: d.s,
    }
}

/// BROJA on the discretised sources (bootstrap bias-corrected), synergy from the joint probe's
/// cross-entropy (`ce12`: summed nats over the eval rows).
fn assemble(
    p1: &[u32],
    p2: &[u32],
    y: &[u32],
    ce12: f64,
    k: usize,
    joint: JointView,
    cfg: &ProbePidConfig,
) -> Result<ProbePid, EstimateError> {
    let n = y.len();
    let (mut d, h_y, gap) = discrete_pid(p1, p2, y, k, 1e-7, 50_000)?;
    if cfg.bootstrap > 0 {
        let mut rng = item_rng(cfg.split_seed, Stream::Split, &[0x626f6f74]);
        let mut acc = [0.0f64; 4];
        for _ in 0..cfg.bootstrap {
            let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let pick = |v: &[u32]| idx.iter().map(|&i| v[i]).collect::<Vec<u32>>();
            // The bias is a mean over resamples: 1e-5 bits per solve is ample.
            let (b, _, _) = discrete_pid(&pick(p1), &pick(p2), &pick(y), k, 1e-5, 5_000)?;
            for (a, v) in acc.iter_mut().zip([b.r + b.u1, b.r + b.u2, b.u1, b.u2]) {
                *a += v / cfg.bootstrap as f64;
            }
        }
        d = debias(&d, &acc);
    }
    let i12 = (h_y - ce12 / n as f64 / std::f64::consts::LN_2).clamp(0.0, h_y);
    let union = d.r + d.u1 + d.u2;
    Ok(ProbePid {
        pid: Decomposition {
            s: (i12 - union).max(0.0),
            ..d
        },
        joint,
        h_y,
        i1: d.r + d.u1,
        i2: d.r + d.u2,
        i12,
        gap_bits: gap,
        n_eval: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pid::simulate::{Scenario, canonical_rules as rules, sample};

    #[test]
    fn recovers_the_share_and_synergy_atoms_of_all_attribute_features() {
        // Features that hold all three attributes of each image (where k-means misses by bits):
        // share R = log2 10 = 3.3219, synergy S = h(0.1) = 0.4690 (PID.md).
        let s = sample(Scenario::Copies, &rules(), 2000, 5);
        let y = s.task_labels(0);
        let e = probe_pid_crossfit(&s.views(&y), 10, &ProbePidConfig::default()).unwrap();
        assert!(
            (e.pid.r - 3.3219).abs() < 0.05 && e.pid.u1 + e.pid.u2 + e.pid.s < 0.05,
            "{e:?}"
        );
        assert_eq!(e.joint, JointView::Fused);
        let y = s.task_labels(3);
        let e = probe_pid_crossfit(&s.views(&y), 2, &ProbePidConfig::default()).unwrap();
        assert!(
            (e.pid.s - 0.4690).abs() < 0.05 && e.pid.r + e.pid.u1 + e.pid.u2 < 0.02,
            "{e:?}"
        );
    }

    #[test]
    fn noisy_copies_of_one_channel_show_no_unique_information() {
        // Both views hold the shared attribute through the same noisy channel (30 % replaced by
        // a uniform value): U1 = U2 = 0 and R = I(X1; Y) = 1.6246 bits (simulate.rs's truth,
        // checked there against a plain-Python computation). At n = 1,000 sampling noise makes
        // the two empirical channels differ; the 1/n bootstrap correction alone left
        // U1 + U2 = 0.28 and R 0.20 bit low on this sample.
        let s = sample(Scenario::Corrupted, &rules(), 1000, 0);
        let y = s.task_labels(0);
        let e = probe_pid_crossfit(&s.views(&y), 10, &ProbePidConfig::default()).unwrap();
        assert!(
            e.pid.u1 + e.pid.u2 < 0.12 && (e.pid.r - 1.6246).abs() < 0.12,
            "{e:?}"
        );
    }

    #[test]
    fn a_concatenated_representation_holds_no_usable_synergy() {
        // The same per-modality codes read as [Z1; Z2]: the synergy label is not a linear
        // function of them, so the linear read-out finds nothing, as the probe accuracy does.
        let s = sample(Scenario::Copies, &rules(), 2000, 5);
        let y = s.task_labels(3);
        let mut v = s.views(&y);
        v.z12 = None;
        let e = probe_pid_crossfit(&v, 2, &ProbePidConfig::default()).unwrap();
        assert_eq!(e.joint, JointView::Concat);
        assert!(e.pid.s < 0.02 && e.i12 < 0.02, "{e:?}");
    }

    #[test]
    fn train_then_test_protocol_matches_crossfitting_on_clean_features() {
        let (a, b) = (
            sample(Scenario::Mixed, &rules(), 1500, 1),
            sample(Scenario::Mixed, &rules(), 1500, 2),
        );
        let (ya, yb) = (a.task_labels(1), b.task_labels(1));
        let e = probe_pid(&a.views(&ya), &b.views(&yb), 10, &ProbePidConfig::default()).unwrap();
        assert!((e.pid.u1 - 3.3219).abs() < 0.05 && e.pid.r < 0.05, "{e:?}");
        assert_eq!(e.n_eval, 1500);
    }

    #[test]
    fn bootstrap_removes_the_plug_in_bias_of_unrelated_features() {
        // Labels independent of both discretised sources: the plug-in BROJA of 500 samples over
        // 10 x 10 x 10 cells shows spurious information, the corrected estimate much less.
        let mut rng = item_rng(3, Stream::Render, &[1]);
        let n = 500;
        let draw = |rng: &mut rand_chacha::ChaCha8Rng| {
            (0..n)
                .map(|_| rng.random_range(0..10u32))
                .collect::<Vec<_>>()
        };
        let (p1, p2, y) = (draw(&mut rng), draw(&mut rng), draw(&mut rng));
        let cfg = |b| ProbePidConfig {
            bootstrap: b,
            ..ProbePidConfig::default()
        };
        let raw = assemble(&p1, &p2, &y, 0.0, 10, JointView::Concat, &cfg(0)).unwrap();
        let fixed = assemble(&p1, &p2, &y, 0.0, 10, JointView::Concat, &cfg(50)).unwrap();
        assert!(raw.i1 > 0.05, "{raw:?}");
        assert!(
            fixed.i1 < raw.i1 / 2.0 && fixed.i2 < raw.i2 / 2.0,
            "{fixed:?} vs {raw:?}"
        );
    }

    #[test]
    fn folds_partition_the_sample_by_class() {
        let y: Vec<u32> = (0..103).map(|i| (i % 7 == 0) as u32).collect();
        let f = stratified_folds(&y, 5, 48);
        let mut all: Vec<usize> = f.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..103).collect::<Vec<_>>());
        for fold in &f {
            let pos = fold.iter().filter(|&&i| y[i] == 1).count();
            assert!(
                (2..=4).contains(&pos) && (19..=22).contains(&fold.len()),
                "{fold:?}"
            );
        }
        assert_eq!(f, stratified_folds(&y, 5, 48));
    }

    #[test]
    fn mismatched_views_are_refused() {
        let x = vec![0.0f32; 10];
        let y = vec![0u32; 4];
        let v = ViewSet {
            z1: Matrix { x: &x, d: 2 },
            z2: Matrix { x: &x, d: 2 },
            z12: None,
            y: &y,
        };
        assert!(matches!(
            probe_pid_crossfit(&v, 2, &ProbePidConfig::default()),
            Err(EstimateError::Shape(_))
        ));
        let y = vec![0u32, 1, 2, 3, 0];
        let v = ViewSet { y: &y, ..v };
        assert!(matches!(
            probe_pid_crossfit(&v, 2, &ProbePidConfig::default()),
            Err(EstimateError::Shape(_))
        ));
    }
}
