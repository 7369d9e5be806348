//! Timing probe for BROJA on the task pmfs of a dataset (development aid).
use rusbench::data::pairs::PairRules;
use rusbench::data::trifeatures::Dataset;
use rusbench::pid::broja::{BrojaOptions, broja};
use rusbench::pid::tasks::task_pmf;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or("data/trifeature".into());
    let ds = Dataset::open(std::path::Path::new(&dir)).unwrap();
    let rules = PairRules {
        recipe: ds.manifest.recipe.pairs.clone(),
        mapping: ds.mapping().unwrap(),
    };
    for set in ["train_unbiased", "test_unbiased", "train_biased"] {
        let pairs = ds.pairs(set).unwrap();
        for t in 0..4 {
            let p = task_pmf(pairs.iter().map(|p| (p.attrs1, p.attrs2, 1.0)), t, &rules).unwrap();
            let t0 = std::time::Instant::now();
            let opts = BrojaOptions {
                max_iter: 20000,
                ..Default::default()
            };
            let b = broja(&p, &opts).unwrap();
            println!(
                "{set} task {t}: cells {} support {} it {} gap {:.1e} {:.2}s  R {:.4} U1 {:.4} U2 {:.4} S {:.4}",
                p.cells.len(),
                b.support,
                b.iterations,
                b.gap_bits,
                t0.elapsed().as_secs_f64(),
                b.pid.r,
                b.pid.u1,
                b.pid.u2,
                b.pid.s
            );
        }
    }
}
