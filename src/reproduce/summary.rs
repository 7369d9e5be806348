//! The tidy per-run table (`runs.csv`), the summary over seeds (mean ± std next to the paper's
//! value) and the figures made from them.

use super::experiments::{Experiment, FIG4_METHODS, FIG5_LOSSES};
use crate::figures::bars::{BarChart, BarSeries};
use crate::figures::curves::{CurveSeries, Panel};
use crate::figures::{PALETTE, canvas::Canvas};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One row of `runs.csv`: a probe result of one run at one epoch, with that epoch's losses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TidyRow {
    pub experiment: String,
    pub variant: String,
    pub method: String,
    /// unbiased or biased.
    pub pretraining: String,
    pub seed: u64,
    pub epoch: usize,
    pub step: usize,
    pub task: String,
    pub balanced_accuracy: f64,
    pub accuracy: f64,
    pub roc_auc: Option<f64>,
    /// Mean training loss of that epoch, and every term as `name=value;...`.
    pub loss: Option<f64>,
    pub loss_terms: String,
    /// Cache key of the run (its directory under the cache).
    pub run: String,
}

/// One row of `summary.csv`: a metric of a variant over seeds, in percent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub experiment: String,
    pub variant: String,
    /// R (share, unbiased run), U1/U2 (unique1/2, unbiased), U (their mean), S (synergy, biased
    /// run), S_auc (synergy ROC-AUC, biased run), Avg (mean of R, U, S).
    pub metric: String,
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); empty for one seed.
    pub std: Option<f64>,
    pub paper: Option<f64>,
    /// mean - paper.
    pub diff: Option<f64>,
}

/// The paper's value of a metric (REFERENCE §8.1 Fig. 4 bars; §8.2 Fig. 5 final points). The
/// paper does not say whether U is texture 1 or the mean of both: U1, U2 and U are all compared
/// with it. Tables 4 and 5 were not retrieved, so the ablations have none.
pub fn paper_value(exp: Experiment, variant: &str, metric: &str) -> Option<f64> {
    let u = |m: &str| matches!(m, "U" | "U1" | "U2");
    let v = match exp {
        Experiment::Fig4 | Experiment::Synergy => match variant {
            "Cross" => [100.0, 11.6, 50.0, f64::NAN],
            "FactorCL" => [99.8, 62.5, 46.5, f64::NAN],
            "Cross+Self" => [99.7, 86.9, 50.0, f64::NAN],
            "CoMM" => [99.9, 87.8, 71.9, f64::NAN],
            _ => return None,
        },
        Experiment::Fig5 => match variant {
            "L" => [94.8, 81.7, 54.3, 76.2],
            "ΣLi" => [100.0, 85.3, 49.9, 78.7],
            "L_CoMM" => [99.9, 87.6, 71.7, 86.4],
            _ => return None,
        },
        _ => return None,
    };
    let x = match metric {
        "R" => v[0],
        m if u(m) => v[1],
        "S" => v[2],
        "Avg" => v[3],
        _ => return None,
    };
    (!x.is_nan()).then_some(x)
}

/// Mean and sample std (None for fewer than two values).
pub fn mean_std(xs: &[f64]) -> (f64, Option<f64>) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let std = (xs.len() > 1)
        .then(|| (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (mean, std)
}

/// Per (variant, seed): metric -> value in percent, at each run's last epoch; per (variant,
/// seed, epoch) along training for the curves.
type PerSeed = BTreeMap<(String, u64), BTreeMap<String, f64>>;

fn metrics_at(rows: &[&TidyRow]) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    let get = |pre: &str, task: &str| {
        rows.iter()
            .find(|r| r.pretraining == pre && r.task == task)
            .map(|r| r.balanced_accuracy * 100.0)
    };
    let r = get("unbiased", "share");
    let (u1, u2) = (get("unbiased", "unique1"), get("unbiased", "unique2"));
    let s = get("biased", "synergy");
    if let Some(v) = r {
        m.insert("R".into(), v);
    }
    if let Some(v) = u1 {
        m.insert("U1".into(), v);
    }
    if let Some(v) = u2 {
        m.insert("U2".into(), v);
    }
    let u = u1.zip(u2).map(|(a, b)| (a + b) / 2.0);
    if let Some(v) = u {
        m.insert("U".into(), v);
    }
    if let Some(v) = s {
        m.insert("S".into(), v);
    }
    if let Some(a) = rows
        .iter()
        .find(|r| r.pretraining == "biased" && r.task == "synergy")
        .and_then(|r| r.roc_auc)
    {
        m.insert("S_auc".into(), a * 100.0);
    }
    if let (Some(r), Some(u), Some(s)) = (r, u, s) {
        m.insert("Avg".into(), (r + u + s) / 3.0);
    }
    m
}

/// Distinct names in first-seen order.
pub fn first_seen<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    for n in names {
        if !v.contains(&n) {
            v.push(n);
        }
    }
    v
}

/// The variants of `rows` in first-seen order.
pub fn variants(rows: &[TidyRow]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in rows {
        if !v.contains(&r.variant) {
            v.push(r.variant.clone());
        }
    }
    v
}

/// Final-epoch metrics per (variant, seed).
pub fn final_metrics(rows: &[TidyRow]) -> PerSeed {
    let mut last: BTreeMap<(String, u64, String), usize> = BTreeMap::new();
    for r in rows {
        let e = last
            .entry((r.variant.clone(), r.seed, r.pretraining.clone()))
            .or_insert(0);
        *e = (*e).max(r.epoch);
    }
    let mut out = PerSeed::new();
    let mut keys: Vec<(String, u64)> = rows.iter().map(|r| (r.variant.clone(), r.seed)).collect();
    keys.dedup();
    for (variant, seed) in keys {
        let sel: Vec<&TidyRow> = rows
            .iter()
            .filter(|r| {
                r.variant == variant
                    && r.seed == seed
                    && last.get(&(variant.clone(), seed, r.pretraining.clone())) == Some(&r.epoch)
            })
            .collect();
        out.insert((variant, seed), metrics_at(&sel));
    }
    out
}

pub const METRICS: [&str; 7] = ["R", "U1", "U2", "U", "S", "S_auc", "Avg"];

/// Mean ± std over seeds of every metric of every variant, with the paper's value.
pub fn summarize(exp: Experiment, rows: &[TidyRow]) -> Vec<SummaryRow> {
    let per = final_metrics(rows);
    let mut out = Vec::new();
    for variant in variants(rows) {
        for metric in METRICS {
            let xs: Vec<f64> = per
                .iter()
                .filter(|((v, _), _)| *v == variant)
                .filter_map(|(_, m)| m.get(metric).copied())
                .collect();
            if xs.is_empty() {
                continue;
            }
            let (mean, std) = mean_std(&xs);
            let paper = paper_value(exp, &variant, metric);
            out.push(SummaryRow {
                experiment: exp.name().into(),
                variant: variant.clone(),
                metric: metric.into(),
                n: xs.len(),
                mean,
                std,
                paper,
                diff: paper.map(|p| mean - p),
            });
        }
    }
    out
}

/// `summary.md`: one line per variant, R / U1 / U2 / S (and Avg) as mean ± std (paper).
pub fn markdown(exp: Experiment, preset: &str, summary: &[SummaryRow]) -> String {
    let cols: &[&str] = match exp {
        // Biased pre-training only: R and U are read from unbiased runs, which it has not.
        Experiment::Synergy => &["S", "S_auc"],
        _ => &["R", "U1", "U2", "S", "S_auc", "Avg"],
    };
    let mut s = format!(
        "# {} at the `{preset}` preset\n\nBalanced accuracy in % (S_auc: synergy ROC-AUC in %), mean ± std over seeds, final epoch; the paper's value in brackets.\n\n| variant | n |",
        exp.name()
    );
    for c in cols {
        s += &format!(" {c} |");
    }
    s += "\n|---|---|";
    s += &"---|".repeat(cols.len());
    s += "\n";
    for v in first_seen(summary.iter().map(|r| r.variant.as_str())) {
        let n = summary
            .iter()
            .find(|r| r.variant == v)
            .map(|r| r.n)
            .unwrap_or(0);
        s += &format!("| {v} | {n} |");
        for c in cols {
            match summary.iter().find(|r| r.variant == v && r.metric == *c) {
                Some(r) => {
                    s += &format!(" {:.1}", r.mean);
                    if let Some(sd) = r.std {
                        s += &format!(" ± {sd:.1}");
                    }
                    if let Some(p) = r.paper {
                        s += &format!(" ({p:.1})");
                    }
                    s += " |";
                }
                None => s += " – |",
            }
        }
        s += "\n";
    }
    s
}

pub fn display_order(exp: Experiment, rows: &[TidyRow]) -> Vec<String> {
    let known: Vec<String> = match exp {
        Experiment::Fig4 | Experiment::Synergy => {
            FIG4_METHODS.iter().map(|m| m.1.to_string()).collect()
        }
        Experiment::Fig5 => FIG5_LOSSES.iter().map(|m| m.1.to_string()).collect(),
        _ => Vec::new(),
    };
    let present = variants(rows);
    let mut order: Vec<String> = known.into_iter().filter(|k| present.contains(k)).collect();
    let rest: Vec<String> = present.into_iter().filter(|p| !order.contains(p)).collect();
    order.extend(rest);
    order
}

/// Grouped bars of R, U1, U2, S (Fig. 4 and the ablations).
pub fn bar_figure(exp: Experiment, preset: &str, rows: &[TidyRow]) -> Canvas {
    let summary = summarize(exp, rows);
    let (groups, chance): (&[&str], Vec<f64>) = match exp {
        Experiment::Synergy => (&["S", "S_auc"], vec![50.0, 50.0]),
        _ => (&["R", "U1", "U2", "S"], vec![10.0, 10.0, 10.0, 50.0]),
    };
    let series = display_order(exp, rows)
        .into_iter()
        .enumerate()
        .map(|(i, v)| BarSeries {
            color: PALETTE[i % PALETTE.len()],
            values: groups
                .iter()
                .map(|g| {
                    summary
                        .iter()
                        .find(|r| r.variant == v && r.metric == *g)
                        .map(|r| (r.mean, r.std.unwrap_or(0.0)))
                })
                .collect(),
            paper: groups.iter().map(|g| paper_value(exp, &v, g)).collect(),
            name: v,
        })
        .collect();
    crate::figures::bars::draw(&BarChart {
        title: format!(
            "{} ({preset} preset): linear-probe balanced accuracy",
            exp.name()
        ),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        chance,
        line_label: "chance".into(),
        series,
        y_label: match exp {
            Experiment::Synergy => "balanced accuracy / ROC-AUC (%)".into(),
            _ => "balanced accuracy (%)".into(),
        },
    })
}

/// Fig. 5: R, U, S and their average against iterations, mean over seeds.
pub fn curve_figure(exp: Experiment, preset: &str, rows: &[TidyRow]) -> Canvas {
    let order = display_order(exp, rows);
    // (variant, seed, epoch) -> rows of both pre-trainings at that epoch.
    let mut at: BTreeMap<(String, u64, usize), Vec<&TidyRow>> = BTreeMap::new();
    let mut step_of: BTreeMap<(String, usize), usize> = BTreeMap::new();
    for r in rows {
        at.entry((r.variant.clone(), r.seed, r.epoch))
            .or_default()
            .push(r);
        if r.pretraining == "unbiased" {
            step_of.insert((r.variant.clone(), r.epoch), r.step);
        }
    }
    let panels = [
        ("R (share)", "R", 10.0),
        ("U (mean of unique1, unique2)", "U", 10.0),
        ("S (synergy)", "S", 50.0),
        ("Average", "Avg", 70.0 / 3.0),
    ]
    .iter()
    .map(|&(title, metric, chance)| Panel {
        title: title.into(),
        chance,
        series: order
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut by_epoch: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
                for ((vv, _, e), rs) in &at {
                    if vv == v
                        && let Some(x) = metrics_at(rs).get(metric)
                    {
                        by_epoch.entry(*e).or_default().push(*x);
                    }
                }
                CurveSeries {
                    name: v.clone(),
                    color: PALETTE[i % PALETTE.len()],
                    points: by_epoch
                        .iter()
                        .map(|(e, xs)| {
                            let x = step_of.get(&(v.clone(), *e)).copied().unwrap_or(*e) as f64;
                            (x, mean_std(xs).0)
                        })
                        .collect(),
                    paper_final: paper_value(exp, v, metric),
                }
            })
            .collect(),
    })
    .collect::<Vec<_>>();
    crate::figures::curves::draw(
        &format!(
            "{} ({preset} preset): probes along training, mean over seeds",
            exp.name()
        ),
        &panels,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, pre: &str, seed: u64, task: &str, acc: f64) -> TidyRow {
        TidyRow {
            experiment: "fig4".into(),
            variant: variant.into(),
            method: "comm".into(),
            pretraining: pre.into(),
            seed,
            epoch: 2,
            step: 10,
            task: task.into(),
            balanced_accuracy: acc,
            accuracy: acc,
            roc_auc: None,
            loss: Some(1.0),
            loss_terms: String::new(),
            run: "k".into(),
        }
    }

    /// Three seeds of CoMM: S = 0.60, 0.70, 0.80 -> mean 70, sample std 10, paper 71.9,
    /// difference -1.9; R = 0.99 each -> std 0; U1/U2 -> U the mean of both.
    #[test]
    fn summary_arithmetic_on_a_fixture() {
        let mut rows = Vec::new();
        for (seed, s) in [(0, 0.6), (1, 0.7), (2, 0.8)] {
            rows.push(row("CoMM", "biased", seed, "synergy", s));
            rows.push(row("CoMM", "unbiased", seed, "share", 0.99));
            rows.push(row("CoMM", "unbiased", seed, "unique1", 0.8));
            rows.push(row("CoMM", "unbiased", seed, "unique2", 0.6));
            // An earlier epoch must not count.
            let mut early = row("CoMM", "biased", seed, "synergy", 0.1);
            early.epoch = 1;
            rows.push(early);
        }
        let sum = summarize(Experiment::Fig4, &rows);
        let get = |m: &str| sum.iter().find(|r| r.metric == m).unwrap().clone();
        let s = get("S");
        assert_eq!(s.n, 3);
        assert!((s.mean - 70.0).abs() < 1e-9);
        assert!((s.std.unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(s.paper, Some(71.9));
        assert!((s.diff.unwrap() - -1.9).abs() < 1e-9);
        assert!(get("R").std.unwrap().abs() < 1e-9);
        assert!((get("U").mean - 70.0).abs() < 1e-9);
        assert_eq!(get("U1").paper, Some(87.8));
        // Avg = (99 + 70 + 70) / 3 for every seed.
        assert!((get("Avg").mean - 239.0 / 3.0).abs() < 1e-9);
        assert_eq!(get("Avg").paper, None);
        let md = markdown(Experiment::Fig4, "cpu", &sum);
        assert!(md.contains("| CoMM | 3 | 99.0 ± 0.0 (99.9) |"), "{md}");
    }

    #[test]
    fn one_seed_has_no_std() {
        assert_eq!(mean_std(&[3.0]), (3.0, None));
        assert_eq!(paper_value(Experiment::Fusion, "linear", "R"), None);
        assert_eq!(paper_value(Experiment::Fig5, "ΣLi", "Avg"), Some(78.7));
    }
}
