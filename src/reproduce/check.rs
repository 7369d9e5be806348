//! What `reproduce --from-csv` draws is checked first: a `runs.csv` of one experiment, every
//! value a proportion, every run complete. A table that silently omits a method, or shows a
//! 750 % accuracy, is never drawn.

use super::experiments::{Experiment, FIG4_METHODS, FIG5_LOSSES};
use super::summary::{TidyRow, first_seen};
use crate::data::pairs::Task;
use anyhow::{Result, bail};
use std::collections::BTreeSet;
use std::path::Path;

/// Refuse rows of another experiment, values outside [0, 1], runs without both pre-trainings or
/// all four tasks at an epoch, variants with different seeds, and missing Fig. 4/5 variants.
/// Rows are named by their line in `path` (the header is line 1).
pub fn check_rows(exp: Experiment, rows: &[TidyRow], path: &Path) -> Result<()> {
    let at = |i: usize| format!("{} line {}", path.display(), i + 2);
    for (i, r) in rows.iter().enumerate() {
        if r.experiment != exp.name() {
            bail!(
                "{}: a row of experiment {:?} in a {} runs.csv; keep one experiment per file",
                at(i),
                r.experiment,
                exp.name()
            );
        }
        let values = [Some(r.balanced_accuracy), Some(r.accuracy), r.roc_auc];
        if values.iter().flatten().any(|v| !(0.0..=1.0).contains(v)) {
            bail!(
                "{}: a metric outside [0, 1] ({:?}); the file is corrupt, rerun reproduce",
                at(i),
                values
            );
        }
        if !Task::ALL.iter().any(|t| t.name() == r.task) {
            bail!(
                "{}: unknown task {:?}; the file is corrupt, rerun reproduce",
                at(i),
                r.task
            );
        }
    }
    let variants = first_seen(rows.iter().map(|r| r.variant.as_str()));
    let expected: Vec<&str> = match exp {
        Experiment::Fig4 => FIG4_METHODS.iter().map(|m| m.1).collect(),
        Experiment::Synergy => vec!["Cross", "CoMM"],
        Experiment::Fig5 => FIG5_LOSSES.iter().map(|m| m.1).collect(),
        _ => Vec::new(),
    };
    if let Some(m) = expected.iter().find(|v| !variants.contains(v)) {
        bail!(
            "{} has no rows of {m}; the file is incomplete, rerun reproduce",
            path.display()
        );
    }
    let seeds_of = |v: &str| {
        rows.iter()
            .filter(|r| r.variant == v)
            .map(|r| r.seed)
            .collect::<BTreeSet<u64>>()
    };
    let seeds = seeds_of(variants[0]);
    for v in &variants {
        if seeds_of(v) != seeds {
            bail!(
                "{}: {v} has seeds {:?}, {} has {:?}; the file is incomplete, rerun reproduce",
                path.display(),
                seeds_of(v),
                variants[0],
                seeds
            );
        }
        for &s in &seeds {
            let pres: &[&str] = match exp {
                Experiment::Synergy => &["biased"],
                _ => &["unbiased", "biased"],
            };
            for &pre in pres {
                let run: Vec<&TidyRow> = rows
                    .iter()
                    .filter(|r| r.variant == *v && r.seed == s && r.pretraining == pre)
                    .collect();
                if run.is_empty() {
                    bail!(
                        "{}: {v} seed {s} has no {pre} run; the file is incomplete, rerun reproduce",
                        path.display()
                    );
                }
                for e in run.iter().map(|r| r.epoch).collect::<BTreeSet<usize>>() {
                    let tasks: BTreeSet<&str> = run
                        .iter()
                        .filter(|r| r.epoch == e)
                        .map(|r| r.task.as_str())
                        .collect();
                    if tasks.len() != Task::ALL.len() {
                        bail!(
                            "{}: {v} seed {s} {pre} epoch {e} has tasks {tasks:?}, not all four; the file is incomplete, rerun reproduce",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<TidyRow> {
        let mut out = Vec::new();
        for (_, v) in FIG4_METHODS {
            for pre in ["unbiased", "biased"] {
                for t in Task::ALL.map(Task::name) {
                    out.push(TidyRow {
                        experiment: "fig4".into(),
                        variant: v.into(),
                        method: "m".into(),
                        pretraining: pre.into(),
                        seed: 0,
                        epoch: 1,
                        step: 10,
                        task: t.into(),
                        balanced_accuracy: 0.5,
                        accuracy: 0.5,
                        roc_auc: None,
                        loss: None,
                        loss_terms: String::new(),
                        run: "k".into(),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn complete_rows_pass_and_each_defect_is_named() {
        let p = Path::new("runs.csv");
        assert!(check_rows(Experiment::Fig4, &rows(), p).is_ok());
        let err = |f: &dyn Fn(&mut Vec<TidyRow>)| {
            let mut r = rows();
            f(&mut r);
            check_rows(Experiment::Fig4, &r, p).unwrap_err().to_string()
        };
        assert!(err(&|r| r[3].balanced_accuracy = 7.5).contains("line 5"));
        assert!(err(&|r| r[0].roc_auc = Some(-0.1)).contains("outside [0, 1]"));
        assert!(err(&|r| r[9].experiment = "fig5".into()).contains("experiment \"fig5\""));
        assert!(err(&|r| r.retain(|x| x.variant != "FactorCL")).contains("no rows of FactorCL"));
        // A file cut at a row boundary: the last run lacks its synergy row.
        assert!(
            err(&|r| {
                r.pop();
            })
            .contains("not all four")
        );
        assert!(
            err(&|r| r.retain(|x| !(x.variant == "CoMM" && x.pretraining == "biased")))
                .contains("no biased run")
        );
        // A second seed of Cross only: the other methods lack it.
        assert!(
            err(&|r| {
                let extra: Vec<TidyRow> = r
                    .iter()
                    .filter(|x| x.variant == "Cross")
                    .map(|x| TidyRow {
                        seed: 1,
                        ..x.clone()
                    })
                    .collect();
                r.extend(extra);
            })
            .contains("Cross+Self has seeds {0}")
        );
    }
}
