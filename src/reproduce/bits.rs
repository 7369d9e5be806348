//! Bits beside accuracies (fig4): every run's representation gets the probe-based PID estimate
//! ([`crate::pid::probe_estimate`]) of the atom its task isolates: R on the share task, U1 and U2
//! on the unique tasks (unbiased pre-training), S on the synergy task (biased pre-training),
//! read with the final probe's crops on the unbiased test pairs. The truth is the task's closed
//! form on unbiased pairs (R = U1 = U2 = log2 10 = 3.32 bits, S = h(0.1) = 0.47 bits).

use super::experiments::{Pretraining, RunSpec};
use super::summary::{SummaryRow, TidyRow, display_order, first_seen, mean_std};
use crate::figures::PALETTE;
use crate::figures::bars::{BarChart, BarSeries};
use crate::figures::canvas::Canvas;
use crate::pid::tasks::closed_form;
use crate::train::model_pid::{PidEstimator, model_pid_cached};
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The atoms in figure order, with the task that isolates each and its pre-training.
pub const ATOMS: [(&str, &str, Pretraining); 4] = [
    ("R", "share", Pretraining::Unbiased),
    ("U1", "unique1", Pretraining::Unbiased),
    ("U2", "unique2", Pretraining::Unbiased),
    ("S", "synergy", Pretraining::Biased),
];

/// One row of `bits.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BitsRow {
    pub experiment: String,
    pub variant: String,
    pub method: String,
    pub pretraining: String,
    pub seed: u64,
    pub atom: String,
    pub task: String,
    /// The estimate of `atom` on `task`, bits.
    pub bits: f64,
    /// The task's true atom (closed form, unbiased pairs), bits.
    pub truth_bits: f64,
    /// probe | kmeans
    pub estimator: String,
    /// fused | concat: the joint view the estimate read.
    pub joint: String,
    pub n_fit: usize,
    pub n_eval: usize,
    /// Cache key of the run.
    pub run: String,
}

/// The true atom of `atom`'s task, bits.
pub fn truth(atom: &str) -> f64 {
    let i = ATOMS
        .iter()
        .position(|a| a.0 == atom)
        .expect("atoms are those of ATOMS");
    let d = closed_form(i, 10, 0.1);
    [d.r, d.u1, d.u2, d.s][i]
}

/// The bits rows of one finished run (estimated once, then read from `RUN/pid.csv`).
pub fn run_bits(spec: &RunSpec, key: &str, dir: &Path) -> Result<Vec<BitsRow>> {
    let rows = model_pid_cached(dir, PidEstimator::Probe)
        .with_context(|| format!("PID estimate of run {}", dir.display()))?;
    Ok(ATOMS
        .iter()
        .enumerate()
        .filter(|(_, a)| a.2 == spec.pretraining)
        .filter_map(|(i, &(atom, task, pre))| {
            let r = rows.iter().find(|r| r.task == task)?;
            Some(BitsRow {
                experiment: spec.experiment.name().into(),
                variant: spec.variant.clone(),
                method: spec.config.method.name().into(),
                pretraining: pre.name().into(),
                seed: spec.seed,
                atom: atom.into(),
                task: task.into(),
                bits: [r.r, r.u1, r.u2, r.s][i],
                truth_bits: truth(atom),
                estimator: r.estimator.clone(),
                joint: r.joint.clone(),
                n_fit: r.n_fit,
                n_eval: r.n_eval,
                run: key.into(),
            })
        })
        .collect())
}

pub fn read_bits_csv(path: &Path) -> Result<Vec<BitsRow>> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows = r
        .deserialize::<BitsRow>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow!(
                "{} is not a bits.csv ({e}); rerun reproduce to regenerate it",
                path.display()
            )
        })?;
    // Bits of a task with k classes lie in [0, log2 k]; anything else is a corrupt file.
    if let Some((i, b)) = rows
        .iter()
        .enumerate()
        .find(|(_, b)| !(b.bits.is_finite() && (0.0..=10f64.log2() + 1e-9).contains(&b.bits)))
    {
        anyhow::bail!(
            "{} line {}: {} bits is impossible; the file is corrupt, rerun reproduce",
            path.display(),
            i + 2,
            b.bits
        );
    }
    Ok(rows)
}

/// Mean ± std over seeds of each variant's atoms, as summary rows `R_bits`, ... (`paper` holds
/// the truth).
pub fn summarize_bits(bits: &[BitsRow]) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    for v in first_seen(bits.iter().map(|b| b.variant.as_str())) {
        for (atom, _, _) in ATOMS {
            let xs: Vec<f64> = bits
                .iter()
                .filter(|b| b.variant == v && b.atom == atom)
                .map(|b| b.bits)
                .collect();
            if xs.is_empty() {
                continue;
            }
            let (mean, std) = mean_std(&xs);
            out.push(SummaryRow {
                experiment: bits[0].experiment.clone(),
                variant: v.into(),
                metric: format!("{atom}_bits"),
                n: xs.len(),
                mean,
                std,
                paper: Some(truth(atom)),
                diff: Some(mean - truth(atom)),
            });
        }
    }
    out
}

/// The markdown table of accuracies next to bits.
pub fn bits_markdown(acc: &[SummaryRow], bits: &[SummaryRow]) -> String {
    let fmt = |r: Option<&SummaryRow>, digits: usize| match r {
        Some(r) => match r.std {
            Some(sd) => format!("{:.*} ± {:.*}", digits, r.mean, digits, sd),
            None => format!("{:.*}", digits, r.mean),
        },
        None => "–".into(),
    };
    let mut s = String::from(
        "\n## PID of the representations, in bits\n\nBalanced accuracy (%) next to the probe-based PID estimate (bits) of the atom each task isolates, mean ± std over seeds; the truth in the header (closed form on unbiased pairs). Bits count what a linear read-out can use: for per-modality methods the joint view is the concatenation, which cannot use synergy. Estimator: `rusbench pid model` (README, \"PID of representations\"); per run in `bits.csv`.\n\n",
    );
    // The atoms the runs measured (all four for fig4, S alone for the synergy contrast).
    let atoms: Vec<&str> = ATOMS
        .iter()
        .map(|a| a.0)
        .filter(|a| bits.iter().any(|r| r.metric == format!("{a}_bits")))
        .collect();
    s += "| variant | n |";
    for a in &atoms {
        s += &format!(" {a} % | {a} bits (of {:.2}) |", truth(a));
    }
    s += &format!("\n|---|---|{}\n", "---|---|".repeat(atoms.len()));
    for v in first_seen(bits.iter().map(|r| r.variant.as_str())) {
        let n = bits
            .iter()
            .filter(|r| r.variant == v)
            .map(|r| r.n)
            .max()
            .unwrap_or(0);
        s += &format!("| {v} | {n} |");
        for &atom in &atoms {
            let a = acc.iter().find(|r| r.variant == v && r.metric == atom);
            let b = bits
                .iter()
                .find(|r| r.variant == v && r.metric == format!("{atom}_bits"));
            s += &format!(" {} | {} |", fmt(a, 1), fmt(b, 3));
        }
        s += "\n";
    }
    s
}

/// Bars of each method's atoms as a share of the true atom (%), the truth as the 100 % line;
/// the atoms the runs measured (all four for fig4, S for the synergy contrast).
pub fn bits_figure(exp: &str, preset: &str, rows: &[TidyRow], bits: &[SummaryRow]) -> Canvas {
    let atoms: Vec<&str> = ATOMS
        .iter()
        .map(|a| a.0)
        .filter(|a| bits.iter().any(|r| r.metric == format!("{a}_bits")))
        .collect();
    let series = display_order(super::experiments::Experiment::Fig4, rows)
        .into_iter()
        .enumerate()
        .map(|(i, v)| BarSeries {
            color: PALETTE[i % PALETTE.len()],
            values: atoms
                .iter()
                .map(|atom| {
                    let t = truth(atom);
                    bits.iter()
                        .find(|r| r.variant == v && r.metric == format!("{atom}_bits"))
                        .map(|r| (100.0 * r.mean / t, 100.0 * r.std.unwrap_or(0.0) / t))
                })
                .collect(),
            paper: vec![None; atoms.len()],
            name: v,
        })
        .collect();
    crate::figures::bars::draw(&BarChart {
        title: format!("{exp} ({preset} preset): PID of the representations (probe estimator)"),
        groups: atoms
            .iter()
            .map(|a| format!("{a} (of {:.2} bits)", truth(a)))
            .collect(),
        chance: vec![100.0; atoms.len()],
        line_label: "true atom".into(),
        series,
        y_label: "estimate / true atom (%)".into(),
    })
}
