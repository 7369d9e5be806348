//! PID solver speed.
//!
//! - `broja/share_1000x1000x10`: the ideal share task as a dense 1000 x 1000 x 10 pmf with 10^5
//!   support cells, solved without lumping (the solver itself) and with it (the default);
//! - `broja/reference_cases`: all 36 cases of pid_reference.json at the default tolerance;
//! - `broja/synergy_unbiased_k10`: the ideal synergy task (2 x 10^6 support cells unlumped),
//!   with lumping.
//! - `broja_random/300x300x10`: a random dense 300 x 300 x 10 pmf ([`Pmf::random_dense`], seed
//!   1; nothing lumps) to a certified 1e-7-bit gap by the default `pid pmf` solver (`Auto`: the
//!   interior-point one at this size). About 16 s a solve on 2 cores (Intel Xeon), so run it alone:
//!   `cargo bench --bench pid -- broja_random`.
//!
//! - `probe_estimate/fig4_size/{fused,concat}`: the probe-based representation estimator on the
//!   four tasks at a fig4 run's size (fit on 4,000 pairs, read on 4,270; 64-dimensional
//!   modality views of the `mixed` simulation; fused joint view 228-dimensional, or the
//!   concatenation), i.e. one run's estimate without its feature extraction.
//!
//! The achieved gaps are printed once before timing.

use criterion::{Criterion, criterion_group, criterion_main};
use rusbench::data::pairs::PairRules;
use rusbench::data::trifeatures::recipe::PairRecipe;
use rusbench::pid::broja::{BrojaOptions, BrojaSolver, broja};
use rusbench::pid::cases::parse_cases;
use rusbench::pid::pmf::Pmf;
use rusbench::pid::probe_estimate::{ProbePidConfig, probe_pid};
use rusbench::pid::simulate::{Scenario, sample};
use rusbench::pid::tasks::{ideal_pairs, task_pmf};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let rules = PairRules::new(PairRecipe::default(), 42);
    let share = task_pmf(ideal_pairs(&rules, false), 0, &rules).unwrap();
    let synergy = task_pmf(ideal_pairs(&rules, false), 3, &rules).unwrap();
    let cases: Vec<Pmf> = parse_cases(include_str!("../tests/data/pid_reference.json"))
        .unwrap()
        .into_iter()
        .map(|c| c.pmf.unwrap())
        .collect();
    let raw = BrojaOptions {
        lump: false,
        ..Default::default()
    };
    let lumped = BrojaOptions::default();
    for (name, p, o) in [
        ("share unlumped", &share, &raw),
        ("share lumped", &share, &lumped),
        ("synergy lumped", &synergy, &lumped),
    ] {
        let r = broja(p, o).unwrap();
        eprintln!(
            "{name}: support {} cells, {} iterations, gap {:.2e} bits, {:?}",
            r.support, r.iterations, r.gap_bits, r.pid
        );
    }
    let worst = cases
        .iter()
        .map(|p| broja(p, &lumped).unwrap().gap_bits)
        .fold(0.0, f64::max);
    eprintln!("reference cases: worst gap {worst:.2e} bits");

    let mut g = c.benchmark_group("broja");
    g.sample_size(10);
    g.bench_function("share_1000x1000x10/unlumped", |b| {
        b.iter(|| black_box(broja(&share, &raw).unwrap()))
    });
    g.bench_function("share_1000x1000x10/lumped", |b| {
        b.iter(|| black_box(broja(&share, &lumped).unwrap()))
    });
    g.bench_function("synergy_unbiased_k10/lumped", |b| {
        b.iter(|| black_box(broja(&synergy, &lumped).unwrap()))
    });
    g.bench_function("reference_cases", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|p| broja(p, &lumped).unwrap().pid.s)
                .sum::<f64>()
        })
    });
    g.finish();

    let (fit, eval) = (
        sample(Scenario::Mixed, &rules, 4_000, 1),
        sample(Scenario::Mixed, &rules, 4_270, 2),
    );
    let estimate_all = |fused: bool| {
        for t in 0..4 {
            let ny = rusbench::data::pairs::Task::ALL[t].n_classes();
            let (yf, ye) = (fit.task_labels(t), eval.task_labels(t));
            let (mut a, mut b) = (fit.views(&yf), eval.views(&ye));
            if !fused {
                (a.z12, b.z12) = (None, None);
            }
            black_box(probe_pid(&a, &b, ny, &ProbePidConfig::default()).unwrap());
        }
    };
    let mut g = c.benchmark_group("probe_estimate");
    g.sample_size(10);
    g.bench_function("fig4_size/fused", |b| b.iter(|| estimate_all(true)));
    g.bench_function("fig4_size/concat", |b| b.iter(|| estimate_all(false)));
    g.finish();
}

fn random_dense(c: &mut Criterion) {
    let p = Pmf::random_dense(300, 300, 10, 1);
    let opts = BrojaOptions {
        tol_bits: 1e-7,
        solver: BrojaSolver::Auto,
        ..Default::default()
    };
    let mut g = c.benchmark_group("broja_random");
    g.sample_size(10);
    g.bench_function("300x300x10", |b| {
        b.iter(|| {
            let r = broja(&p, &opts).unwrap();
            assert!(r.converged && r.gap_bits <= 1e-7, "{r:?}");
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, bench, random_dense);
criterion_main!(benches);
