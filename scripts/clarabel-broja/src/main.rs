//! BROJA by Clarabel, the exponential-cone route the robustness issue suggested, timed beside
//! rusbench's interior-point solver (README, PID section, "Clarabel ... measured").
//!
//! ```sh
//! cd scripts/clarabel-broja
//! cargo run --release -- 60 60 10 1                  # N1 N2 NY SEED: solve, print S and time
//! JSON=/tmp/p60.json cargo run --release -- 60 60 10 1   # also write the pmf for `pid pmf`
//! cargo run --release --manifest-path ../../Cargo.toml -- pid pmf --solver ipm --tol 1e-7 /tmp/p60.json
//! ```
//!
//! The pmf is `Pmf::random_dense(N1, N2, NY, SEED)` (the same hash, copied here so the harness
//! does not build the suite). The program: `max Σ r` over (q, r) with `(r, q, Σ_y q) ∈ K_exp`
//! per variable (`q e^{r/q} ≤ Σ_y q`, i.e. `r ≤ q ln(q(x1,x2)/q)`) and p's (x1, y) and (x2, y)
//! marginals (the first x2 row of each label dropped as redundant); its value is
//! max H(Y | X1, X2), and S = that minus H_p(Y | X1, X2).

use clarabel::algebra::*;
use clarabel::solver::*;
use std::time::Instant;

/// rusbench's `rng::mix64` (SplitMix64's finaliser).
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `Pmf::random_dense`: p(x1, x2, y) at index `(x1 * n2 + x2) * ny + y`.
fn random_dense(n1: usize, n2: usize, ny: usize, seed: u64) -> Vec<f64> {
    let mut h = seed;
    let mut p: Vec<f64> = (0..n1 * n2 * ny)
        .map(|_| {
            h = mix64(h.wrapping_add(0x9e37_79b9));
            ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64
        })
        .collect();
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= total);
    p
}

/// The pmf in `pid pmf`'s JSON format (`{:e}` prints the shortest exact representation).
fn write_json(path: &str, p: &[f64], n1: usize, n2: usize, ny: usize) {
    let cell = |x1: usize, x2: usize| {
        let v: Vec<String> = (0..ny)
            .map(|y| format!("{:e}", p[(x1 * n2 + x2) * ny + y]))
            .collect();
        format!("[{}]", v.join(","))
    };
    let rows: Vec<String> = (0..n1)
        .map(|x1| {
            format!(
                "[{}]",
                (0..n2).map(|x2| cell(x1, x2)).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    let json = format!(
        r#"{{"cases": [{{"name": "random", "pmf_dense": [{}]}}]}}"#,
        rows.join(",")
    );
    std::fs::write(path, json).expect("write the pmf");
}

fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("usage: N1 N2 NY SEED"))
        .collect();
    let [n1, n2, ny, seed] = a[..] else {
        panic!("usage: N1 N2 NY SEED")
    };
    let p = random_dense(n1, n2, ny, seed as u64);
    if let Ok(path) = std::env::var("JSON") {
        write_json(&path, &p, n1, n2, ny);
    }
    let n = n1 * n2 * ny;
    let idx = |x1: usize, x2: usize, y: usize| (x1 * n2 + x2) * ny + y;
    let (mut p1, mut p2) = (vec![0.0; n1 * ny], vec![0.0; n2 * ny]);
    for x1 in 0..n1 {
        for x2 in 0..n2 {
            for y in 0..ny {
                p1[x1 * ny + y] += p[idx(x1, x2, y)];
                p2[x2 * ny + y] += p[idx(x1, x2, y)];
            }
        }
    }
    // Rows: the marginals (zero cone), then (r_j, q_j, Σ_y q) for each variable j (`s = b - A x`).
    let nz = n1 * ny + (n2 - 1) * ny;
    let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::new(); 2 * n];
    for x1 in 0..n1 {
        for x2 in 0..n2 {
            for y in 0..ny {
                let j = idx(x1, x2, y);
                let c = &mut cols[j];
                c.push((x1 * ny + y, 1.0));
                if x2 < n2 - 1 {
                    c.push((n1 * ny + x2 * ny + y, 1.0));
                }
                c.push((nz + 3 * j + 1, -1.0));
                c.extend((0..ny).map(|yy| (nz + 3 * idx(x1, x2, yy) + 2, -1.0)));
                c.sort_by_key(|e| e.0);
                cols[n + j].push((nz + 3 * j, -1.0));
            }
        }
    }
    let mut colptr = vec![0usize];
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    for c in &cols {
        for &(r, v) in c {
            rowval.push(r);
            nzval.push(v);
        }
        colptr.push(rowval.len());
    }
    let a = CscMatrix::new(nz + 3 * n, 2 * n, colptr, rowval, nzval);
    let mut b = vec![0.0; nz + 3 * n];
    b[..n1 * ny].copy_from_slice(&p1);
    b[n1 * ny..nz].copy_from_slice(&p2[..(n2 - 1) * ny]);
    let mut c = vec![0.0; 2 * n];
    c[n..].iter_mut().for_each(|v| *v = -1.0);
    let mut cones = vec![ZeroConeT(nz)];
    cones.extend((0..n).map(|_| ExponentialConeT()));
    let settings = DefaultSettingsBuilder::default()
        .verbose(std::env::var("VERBOSE").is_ok())
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .max_iter(200)
        .build()
        .unwrap();
    let t = Instant::now();
    let pm = CscMatrix::<f64>::zeros((2 * n, 2 * n));
    let mut s = DefaultSolver::new(&pm, &c, &a, &b, &cones, settings).unwrap();
    s.solve();
    let secs = t.elapsed().as_secs_f64();
    let mut h_p = 0.0;
    for k in 0..n1 * n2 {
        let m: f64 = p[k * ny..(k + 1) * ny].iter().sum();
        h_p -= p[k * ny..(k + 1) * ny]
            .iter()
            .map(|v| v * (v / m).ln())
            .sum::<f64>();
    }
    let synergy = (-s.solution.obj_val - h_p) / std::f64::consts::LN_2;
    println!(
        "{n1}x{n2}x{ny} seed {seed}: {:?} in {} iterations, {secs:.2} s (set-up and solve); S {synergy:.10} bits",
        s.solution.status, s.solution.iterations
    );
}
