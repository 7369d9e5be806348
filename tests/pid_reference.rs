//! PID measures against the canonical values in `tests/data/pid_reference.json` (a copy of
//! `shared/spec/pid_reference.json`: BROJA from a certified solver cross-checked with dit 2.3's
//! cone program; WB and MMI closed forms cross-checked with dit).

use rusbench::pid::Decomposition;
use rusbench::pid::broja::{BrojaOptions, broja};
use rusbench::pid::cases::parse_cases;
use rusbench::pid::mmi::mmi;
use rusbench::pid::pmf::Pmf;
use rusbench::pid::wb::wb;

fn reference() -> (Vec<(String, Pmf)>, serde_json::Value) {
    let text = include_str!("data/pid_reference.json");
    let cases = parse_cases(text)
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.pmf.unwrap()))
        .collect();
    (cases, serde_json::from_str(text).unwrap())
}

fn expected(json: &serde_json::Value, name: &str, measure: &str) -> Decomposition {
    let case = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    let m = &case["pid_bits"][measure];
    let f = |k: &str| m[k].as_f64().unwrap();
    Decomposition {
        r: f("R"),
        u1: f("U1"),
        u2: f("U2"),
        s: f("S"),
    }
}

fn close(a: &Decomposition, b: &Decomposition, tol: f64) -> bool {
    (a.r - b.r).abs() <= tol
        && (a.u1 - b.u1).abs() <= tol
        && (a.u2 - b.u2).abs() <= tol
        && (a.s - b.s).abs() <= tol
}

fn consistent(d: &Decomposition, p: &Pmf) {
    let (i1, i2, i12) = (p.i_x1_y(), p.i_x2_y(), p.i_x12_y());
    assert!((d.r + d.u1 - i1).abs() < 1e-9);
    assert!((d.r + d.u2 - i2).abs() < 1e-9);
    assert!((d.r + d.u1 + d.u2 + d.s - i12).abs() < 1e-9);
}

#[test]
fn broja_matches_every_reference_case() {
    let (cases, json) = reference();
    let opts = BrojaOptions::default();
    for (name, p) in &cases {
        let got = broja(p, &opts).unwrap();
        let want = expected(&json, name, "BROJA");
        eprintln!(
            "{name:<16} it {:>6} gap {:.1e} R {:.6} U1 {:.6} U2 {:.6} S {:.6}",
            got.iterations, got.gap_bits, got.pid.r, got.pid.u1, got.pid.u2, got.pid.s
        );
        let tol = if got.gap_bits < 1e-7 { 1e-6 } else { 1e-5 };
        assert!(
            close(&got.pid, &want, tol),
            "{name}: {:?} vs {want:?} (gap {:e})",
            got.pid,
            got.gap_bits
        );
        consistent(&got.pid, p);
        for v in [got.pid.r, got.pid.u1, got.pid.u2, got.pid.s] {
            assert!(v > -1e-6, "{name}: negative atom {v}");
        }
    }
}

#[test]
fn wb_and_mmi_match_every_reference_case() {
    let (cases, json) = reference();
    for (name, p) in &cases {
        for (m, got) in [("WB", wb(p)), ("MMI", mmi(p))] {
            let want = expected(&json, name, m);
            assert!(close(&got, &want, 1e-6), "{name} {m}: {got:?} vs {want:?}");
            consistent(&got, p);
        }
    }
}
