//! BROJA on a random dense pmf: `cargo run --release --example broja_random -- N1 N2 NY [SEED]
//! [MAX_ITER] [TOL_BITS]`. Prints support, iterations, certified gap, atoms and wall time; the
//! pmf is a pure function of the seed (cell weights uniform in (0, 1], normalised).
use rusbench::pid::broja::{BrojaOptions, broja};
use rusbench::pid::pmf::Pmf;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: u64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n1, n2, ny, seed) = (num(0, 60), num(1, 60), num(2, 10), num(3, 1));
    let max_iter = num(4, 200_000) as usize;
    let tol: f64 = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(1e-7);
    let p = Pmf::random_dense(n1 as usize, n2 as usize, ny as usize, seed);
    let t = std::time::Instant::now();
    let opts = BrojaOptions {
        tol_bits: tol,
        max_iter,
        ..Default::default()
    };
    let r = if a.get(6).is_some_and(|s| s == "ipm") {
        rusbench::pid::broja_ipm::broja_ipm(&p, &opts)
    } else {
        broja(&p, &opts).unwrap()
    };
    println!(
        "{n1}x{n2}x{ny} seed {seed}: support {}, {} iterations, gap {:.2e} bits, converged {}, {:.2} s, {:?}",
        r.support,
        r.iterations,
        r.gap_bits,
        r.converged,
        t.elapsed().as_secs_f64(),
        r.pid
    );
}
