//! Bias of the k-means + BROJA representation-PID estimator on synthetic features with a known
//! PID: each modality's features are noisy one-hot copies (sigma 0.1) of all three attributes of
//! its image, as a representation that keeps everything would. Truth: share R = 3.322, unique1
//! U1 = 3.322, synergy S = 0.469; every other atom 0.
//!
//! `cargo run --release --example pid_estimator_bias`

use rusbench::data::pairs::PairRules;
use rusbench::data::trifeatures::recipe::PairRecipe;

use rusbench::pid::estimate::{clustered_pid, kmeans, synthetic::noisy_copies};

fn main() {
    let rules = PairRules::new(PairRecipe::default(), 42);
    println!(
        "{:>6} {:>4}  {:<8} {:>6} {:>6} {:>6} {:>6}   truth",
        "n", "k", "task", "R", "U1", "U2", "S"
    );
    for n in [1000usize, 4094, 10_000] {
        let f = noisy_copies(&rules, 0, &[0, 1, 2], &[0, 1, 2], 0.1, n, 11);
        let labels: Vec<Vec<u32>> = (0..4)
            .map(|t| noisy_copies(&rules, t, &[0, 1, 2], &[0, 1, 2], 0.1, n, 11).labels)
            .collect();
        for k in [10usize, 20, 50, 100] {
            let c1 = kmeans(&f.z1, f.d1, k, 1, 100);
            let c2 = kmeans(&f.z2, f.d2, k, 2, 100);
            for (t, name, truth) in [
                (0, "share", "R 3.322"),
                (1, "unique1", "U1 3.322"),
                (3, "synergy", "S 0.469"),
            ] {
                let ny = if t == 3 { 2 } else { 10 };
                let r = clustered_pid(&c1, &c2, &labels[t], k, ny).unwrap();
                let d = r.pid;
                println!(
                    "{n:>6} {k:>4}  {name:<8} {:>6.3} {:>6.3} {:>6.3} {:>6.3}   {truth} (gap {:.0e})",
                    d.r, d.u1, d.u2, d.s, r.gap_bits
                );
            }
        }
    }
}
