//! The PID of every Trifeatures task, in bits: from the pairs actually sampled (empirical), from
//! the distribution they were sampled from (all allowed pairs of the split: "population"), and the
//! closed form of the idealised distribution (uniform, independent attributes with k values).
//!
//! Closed forms (k values per attribute, shared attribute uniform, the others independent and
//! uniform; π = P(b(image 2) = σ(a(image 1))), σ a permutation):
//! - share: R = log2 k, other atoms 0;
//! - unique1 (unique2): U1 (U2) = log2 k, other atoms 0 — when the unique attribute is not one of
//!   the synergy attributes, or π = 1/k;
//! - synergy: S = h(π), other atoms 0; unbiased pairs have π = 1/k, so S = h(0.1) = 0.4690 at k = 10;
//! - biased pairs (π = 1): the synergy label is constant, all atoms 0; and a(image 1) determines
//!   b(image 2), so a task on a(image 1) becomes redundant: R = log2 k.
//!   In general I(a1; b2) = log2 k - h(π) - (1-π) log2(k-1) of a unique task on a is redundant.

use super::broja::{BrojaOptions, broja};
use super::mmi::mmi;
use super::pmf::{Cell, Pmf};
use super::wb::wb;
use super::{Decomposition, Measure};
use crate::data::pairs::{PairRules, build_pairs};
use crate::data::trifeatures::attributes::{Attribute, Attrs, combination_index};
use crate::data::trifeatures::dataset::{Dataset, PAIR_SETS};
use anyhow::{Result, anyhow};
use serde::Serialize;
use std::collections::HashMap;

/// Binary entropy in bits.
pub fn h2(p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        return 0.0;
    }
    -p * p.log2() - (1.0 - p) * (1.0 - p).log2()
}

/// Closed-form PID `[R, U1, U2, S]` of a task for k-valued attributes and positive rate π, when
/// the unique attribute is the first synergy attribute (the reference's texture/colour setting).
pub fn closed_form(task: usize, k: usize, pi: f64) -> Decomposition {
    let lk = (k as f64).log2();
    // I(a1; b2) where b2 = σ(a1) with probability π, otherwise uniform over the other k-1 values.
    let leak = if pi >= 1.0 {
        lk
    } else {
        lk - h2(pi) - (1.0 - pi) * ((k - 1) as f64).log2()
    };
    let leak = leak.max(0.0);
    match task {
        0 => Decomposition {
            r: lk,
            u1: 0.0,
            u2: 0.0,
            s: 0.0,
        },
        1 => Decomposition {
            r: leak,
            u1: lk - leak,
            u2: 0.0,
            s: 0.0,
        },
        2 => Decomposition {
            r: 0.0,
            u1: 0.0,
            u2: lk,
            s: 0.0,
        },
        _ => Decomposition {
            r: 0.0,
            u1: 0.0,
            u2: 0.0,
            s: h2(pi),
        },
    }
}

/// The pmf of (attributes of image 1, attributes of image 2, label of `task`) over weighted
/// image pairs; sources are combination indices `100 s + 10 t + c`.
pub fn task_pmf(
    pairs: impl IntoIterator<Item = (Attrs, Attrs, f64)>,
    task: usize,
    rules: &PairRules,
) -> Result<Pmf> {
    let mut acc: HashMap<(u32, u32, u32), f64> = HashMap::new();
    let mut total = 0.0;
    for (a1, a2, w) in pairs {
        let y = rules.labels(&a1, &a2)[task] as u32;
        *acc.entry((
            combination_index(a1) as u32,
            combination_index(a2) as u32,
            y,
        ))
        .or_default() += w;
        total += w;
    }
    if total <= 0.0 {
        return Err(anyhow!("no pairs to build the task pmf from"));
    }
    let ny = if task == 3 { 2 } else { 10 };
    let cells = acc
        .into_iter()
        .map(|((x1, x2, y), w)| Cell {
            x1,
            x2,
            y,
            p: w / total,
        })
        .collect();
    Ok(Pmf::from_cells(1000, 1000, ny, cells)?)
}

/// The idealised pair distribution: shared attribute uniform, the other attributes of both images
/// independent and uniform, restricted to synergy-positive pairs when `biased`.
pub fn ideal_pairs(rules: &PairRules, biased: bool) -> Vec<(Attrs, Attrs, f64)> {
    let share = rules.recipe.share.index();
    let mut out = Vec::new();
    for c1 in 0..1000usize {
        let a1 = crate::data::trifeatures::attributes::combination(c1);
        for c2 in 0..1000usize {
            let a2 = crate::data::trifeatures::attributes::combination(c2);
            if a1[share] == a2[share] && (!biased || rules.labels(&a1, &a2)[3] == 1) {
                out.push((a1, a2, 1.0));
            }
        }
    }
    out
}

/// One row of `results/pid/tasks.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct TaskPidRow {
    pub dataset: String,
    pub seed: u64,
    pub set: String,
    pub task: String,
    /// empirical | population | ideal | closed_form
    pub source: String,
    pub measure: String,
    pub n_pairs: usize,
    #[serde(rename = "R")]
    pub r: f64,
    #[serde(rename = "U1")]
    pub u1: f64,
    #[serde(rename = "U2")]
    pub u2: f64,
    #[serde(rename = "S")]
    pub s: f64,
    /// BROJA's certified gap (bits); empty for WB, MMI and closed forms.
    pub gap_bits: Option<f64>,
}

/// Write `rows` into the `task_pid` field of the dataset's manifest at `dir` (atomically). The
/// data layer stores the field as opaque JSON; this layer owns its format.
pub fn attach_to_manifest(ds: &Dataset, dir: &std::path::Path, rows: &[TaskPidRow]) -> Result<()> {
    use crate::data::trifeatures::dataset::{MANIFEST, write_atomic};
    let mut manifest = ds.manifest.clone();
    manifest.task_pid = Some(serde_json::to_value(rows)?);
    write_atomic(&dir.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)
}

/// The task PID rows a manifest carries (empty if `rusbench pid tasks` has not run on it).
pub fn from_manifest(ds: &Dataset) -> Result<Vec<TaskPidRow>> {
    match &ds.manifest.task_pid {
        None => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            anyhow!(
                "the task_pid of {}'s manifest is malformed ({e}); rerun rusbench pid tasks",
                ds.manifest.recipe.name
            )
        }),
    }
}

const TASKS: [&str; 4] = ["share", "unique1", "unique2", "synergy"];

/// Solver settings for task pmfs: the empirical synergy pmf of 10,000 pairs over 800 x 800
/// combinations has a BROJA support of ~10^6 cells on which the certificate closes slowly
/// (~5 ms an iteration); 1e-6 bits is far below the estimate's sampling error, and the row
/// reports the gap actually reached.
pub fn task_broja_options() -> BrojaOptions {
    BrojaOptions {
        tol_bits: 1e-6,
        max_iter: 4000,
        ..Default::default()
    }
}

/// Decompose one pmf with every measure.
pub fn decompose_all(p: &Pmf) -> Result<Vec<(Measure, Decomposition, Option<f64>)>> {
    let b = broja(p, &task_broja_options())?;
    Ok(vec![
        (Measure::Broja, b.pid, Some(b.gap_bits)),
        (Measure::Wb, wb(p), None),
        (Measure::Mmi, mmi(p), None),
    ])
}

/// The PID of every task of a dataset on every pair set (BROJA, WB, MMI), plus the closed form.
pub fn dataset_task_pid(ds: &Dataset, progress: bool) -> Result<Vec<TaskPidRow>> {
    let m = &ds.manifest;
    let recipe = &m.recipe;
    let rules = PairRules {
        recipe: recipe.pairs.clone(),
        mapping: ds.mapping()?,
    };
    let standard = recipe.pairs.share == Attribute::Shape
        && recipe.pairs.unique == Attribute::Texture
        && recipe.pairs.synergy == [Attribute::Texture, Attribute::Color];
    let bar = if progress {
        indicatif::ProgressBar::new(4 * 4 * 3)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut rows = Vec::new();
    for (set, train, biased, stream) in PAIR_SETS {
        let images: Vec<Attrs> = ds.images(train).iter().map(|r| r.attrs).collect();
        let sampled = ds.pairs(set)?;
        let mut population = rules.clone();
        population.recipe.max_size = usize::MAX;
        let all = build_pairs(set, &images, &population, biased, m.seed, stream);
        let ideal = ideal_pairs(&rules, biased);
        for (t, task) in TASKS.iter().enumerate() {
            let sources: [(&str, Pmf, usize); 3] = [
                (
                    "empirical",
                    task_pmf(sampled.iter().map(|p| (p.attrs1, p.attrs2, 1.0)), t, &rules)?,
                    sampled.len(),
                ),
                (
                    "population",
                    task_pmf(
                        all.pairs
                            .iter()
                            .map(|p| (images[p.i as usize], images[p.j as usize], 1.0)),
                        t,
                        &rules,
                    )?,
                    all.pairs.len(),
                ),
                (
                    "ideal",
                    task_pmf(ideal.iter().cloned(), t, &rules)?,
                    ideal.len(),
                ),
            ];
            for (source, pmf, n) in sources {
                for (measure, d, gap) in decompose_all(&pmf)? {
                    rows.push(row(
                        m.recipe.name.clone(),
                        m.seed,
                        set,
                        task,
                        source,
                        measure.name(),
                        n,
                        d,
                        gap,
                    ));
                }
                bar.inc(1);
            }
            if standard {
                let pi = if biased { 1.0 } else { 0.1 };
                rows.push(row(
                    m.recipe.name.clone(),
                    m.seed,
                    set,
                    task,
                    "closed_form",
                    "-",
                    0,
                    closed_form(t, 10, pi),
                    None,
                ));
            }
        }
    }
    bar.finish_and_clear();
    Ok(rows)
}

#[allow(clippy::too_many_arguments)]
fn row(
    dataset: String,
    seed: u64,
    set: &str,
    task: &str,
    source: &str,
    measure: &str,
    n: usize,
    d: Decomposition,
    gap: Option<f64>,
) -> TaskPidRow {
    TaskPidRow {
        dataset,
        seed,
        set: set.into(),
        task: task.into(),
        source: source.into(),
        measure: measure.into(),
        n_pairs: n,
        r: d.r,
        u1: d.u1,
        u2: d.u2,
        s: d.s,
        gap_bits: gap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::trifeatures::recipe::PairRecipe;

    fn check(d: Decomposition, want: Decomposition, tol: f64, what: &str) {
        let (g, w) = ([d.r, d.u1, d.u2, d.s], [want.r, want.u1, want.u2, want.s]);
        for k in 0..4 {
            assert!((g[k] - w[k]).abs() < tol, "{what}: {g:?} vs {w:?}");
        }
    }

    #[test]
    #[allow(clippy::approx_constant)] // golden values typed from PID.md, not computed
    fn ideal_tasks_match_the_closed_forms_for_every_measure() {
        let rules = PairRules::new(PairRecipe::default(), 42);
        for (biased, pi) in [(false, 0.1), (true, 1.0)] {
            let pairs = ideal_pairs(&rules, biased);
            for t in 0..4 {
                let p = task_pmf(pairs.iter().cloned(), t, &rules).unwrap();
                let want = closed_form(t, 10, pi);
                for (m, d, _) in decompose_all(&p).unwrap() {
                    // WB and MMI agree with BROJA on these tasks (PID.md).
                    check(
                        d,
                        want,
                        1e-6,
                        &format!("task {t} biased {biased} {}", m.name()),
                    );
                }
            }
        }
        // The headline numbers.
        assert!((closed_form(0, 10, 0.1).r - 3.321928).abs() < 1e-6);
        assert!((closed_form(3, 10, 0.1).s - 0.468996).abs() < 1e-6);
    }

    #[test]
    fn balanced_synergy_leaks_texture_into_colour() {
        // PID.md's trap: at π = 1/2 the unique1 task is 0.737 bits redundant, U1 = 2.585.
        let d = closed_form(1, 10, 0.5);
        assert!(
            (d.r - 0.737).abs() < 1e-3 && (d.u1 - 2.585).abs() < 1e-3,
            "{d:?}"
        );
        assert!((closed_form(3, 10, 0.5).s - 1.0).abs() < 1e-12);
        // And BROJA on a π = 1/2 mixture of the ideal unbiased and biased pairs agrees.
        let rules = PairRules::new(PairRecipe::default(), 1);
        let mut pairs = ideal_pairs(&rules, false);
        let positives = pairs
            .iter()
            .filter(|(a, b, _)| rules.labels(a, b)[3] == 1)
            .count() as f64;
        let negatives = pairs.len() as f64 - positives;
        for (a, b, w) in pairs.iter_mut() {
            *w = if rules.labels(a, b)[3] == 1 {
                0.5 / positives
            } else {
                0.5 / negatives
            };
        }
        let p = task_pmf(pairs.iter().cloned(), 1, &rules).unwrap();
        let b = broja(&p, &BrojaOptions::default()).unwrap();
        check(b.pid, d, 1e-6, "π = 1/2 unique1");
    }

    #[test]
    fn lumping_does_not_change_broja_on_a_task() {
        let rules = PairRules::new(PairRecipe::default(), 3);
        let pairs = ideal_pairs(&rules, false);
        // Subsample deterministically to break some symmetry but keep it small enough unlumped.
        let sub: Vec<_> = pairs
            .iter()
            .cloned()
            .filter(|(a, b, _)| a[0] < 2 && (a[2] + b[1]) % 3 != 0)
            .collect();
        let p = task_pmf(sub, 3, &rules).unwrap();
        let a = broja(&p, &BrojaOptions::default()).unwrap();
        let b = broja(
            &p,
            &BrojaOptions {
                lump: false,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(a.support < b.support, "{} vs {}", a.support, b.support);
        check(a.pid, b.pid, 1e-6, "lumped vs not");
    }
}
