//! Multinomial logistic regression: the objective of the reference probe and its gradient.
//!
//! `f(W, b) = mean_i CE(softmax(W x_i + b), y_i) + (1/C) * 0.5 * ||W||_F` with the Frobenius norm
//! **not squared** and the bias not regularised (REFERENCE §7). Its gradient at `W = 0` is taken
//! as 0, as torch's norm backward does.
//!
//! Parameters are `[W (k x d, row-major), b (k)]` in f64; the kernel runs in f32 over fixed
//! 256-row chunks whose partial sums are added in chunk order, so results do not depend on the
//! thread count.

use super::Features;
use rayon::prelude::*;

const CHUNK: usize = 256;

/// Dot product with 8 independent accumulators (vectorisable without reassociation).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Loss and gradient partial sums over the rows `rows`, dispatched to an AVX2 build of the same
/// code where the CPU has it. AVX2 only widens the vectors: each of the 8 accumulator lanes still
/// adds in the same order and nothing is fused, so both builds give identical bits.
fn chunk_kernel(
    data: &Features,
    w: &[f32],
    b: &[f32],
    k: usize,
    rows: std::ops::Range<usize>,
) -> (f64, Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { chunk_kernel_avx2(data, w, b, k, rows) };
        }
    }
    chunk_kernel_generic(data, w, b, k, rows)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn chunk_kernel_avx2(
    data: &Features,
    w: &[f32],
    b: &[f32],
    k: usize,
    rows: std::ops::Range<usize>,
) -> (f64, Vec<f32>) {
    chunk_kernel_generic(data, w, b, k, rows)
}

#[inline(always)]
fn chunk_kernel_generic(
    data: &Features,
    w: &[f32],
    b: &[f32],
    k: usize,
    rows: std::ops::Range<usize>,
) -> (f64, Vec<f32>) {
    let d = data.d;
    let mut g = vec![0.0f32; k * d + k];
    let mut loss = 0.0f64;
    let mut logits = vec![0.0f32; k];
    for i in rows {
        let x = data.row(i);
        match k {
            2 => logits_blocked::<2>(x, w, b, &mut logits),
            10 => logits_blocked::<10>(x, w, b, &mut logits),
            _ => {
                for (j, l) in logits.iter_mut().enumerate() {
                    *l = b[j] + dot(x, &w[j * d..(j + 1) * d]);
                }
            }
        }
        let m = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0.0f32;
        for l in logits.iter_mut() {
            *l = (*l - m).exp();
            z += *l;
        }
        let y = data.y[i] as usize;
        // CE = log z - (logit_y - m)
        loss += (z as f64).ln() - (logits[y] as f64).ln();
        for j in 0..k {
            let gj = logits[j] / z - (j == y) as u8 as f32;
            if gj != 0.0 {
                for (gw, &xv) in g[j * d..(j + 1) * d].iter_mut().zip(x) {
                    *gw += gj * xv;
                }
            }
            g[k * d + j] += gj;
        }
    }
    (loss, g)
}

/// All `K` logits in one pass over `x` (register-blocked). Each logit's 8 lanes add in the same
/// order as [`dot`], so the result is bit-identical to `b[j] + dot(x, w_j)`.
#[inline(always)]
fn logits_blocked<const K: usize>(x: &[f32], w: &[f32], b: &[f32], out: &mut [f32]) {
    let d = x.len();
    let mut acc = [[0.0f32; 8]; K];
    let full = d / 8 * 8;
    let mut o = 0;
    while o < full {
        let xs = &x[o..o + 8];
        for (j, a) in acc.iter_mut().enumerate() {
            let ws = &w[j * d + o..j * d + o + 8];
            for l in 0..8 {
                a[l] += xs[l] * ws[l];
            }
        }
        o += 8;
    }
    for (j, a) in acc.iter().enumerate() {
        let mut s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
        for t in full..d {
            s += x[t] * w[j * d + t];
        }
        out[j] = b[j] + s;
    }
}

/// The probe's optimisation problem.
pub struct Logistic<'a> {
    pub data: Features<'a>,
    pub k: usize,
    /// 1 / C_reg.
    pub inv_c: f64,
}

impl<'a> Logistic<'a> {
    pub fn n_params(&self) -> usize {
        self.k * self.data.d + self.k
    }

    /// Objective value; writes the gradient into `grad`.
    pub fn loss_grad(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let (d, k, n) = (self.data.d, self.k, self.data.n());
        let w: Vec<f32> = params[..k * d].iter().map(|&v| v as f32).collect();
        let b: Vec<f32> = params[k * d..].iter().map(|&v| v as f32).collect();
        let n_chunks = n.div_ceil(CHUNK);
        let partials: Vec<(f64, Vec<f32>)> = (0..n_chunks)
            .into_par_iter()
            .map(|c| chunk_kernel(&self.data, &w, &b, k, c * CHUNK..((c + 1) * CHUNK).min(n)))
            .collect();
        grad.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        for (l, g) in &partials {
            loss += l;
            for (a, &v) in grad.iter_mut().zip(g) {
                *a += v as f64;
            }
        }
        let inv_n = 1.0 / n as f64;
        grad.iter_mut().for_each(|v| *v *= inv_n);
        loss *= inv_n;
        let norm = params[..k * d].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            let f = self.inv_c * 0.5 / norm;
            for (gv, &p) in grad[..k * d].iter_mut().zip(&params[..k * d]) {
                *gv += f * p;
            }
        }
        loss + self.inv_c * 0.5 * norm
    }

    /// Class probabilities `[n, k]` of `data` under `params`.
    pub fn probabilities(params: &[f64], k: usize, data: &Features) -> Vec<f64> {
        let d = data.d;
        let w: Vec<f32> = params[..k * d].iter().map(|&v| v as f32).collect();
        let b: Vec<f32> = params[k * d..].iter().map(|&v| v as f32).collect();
        (0..data.n())
            .into_par_iter()
            .flat_map_iter(|i| {
                let x = data.row(i);
                let logits: Vec<f64> = (0..k)
                    .map(|j| (b[j] + dot(x, &w[j * d..(j + 1) * d])) as f64)
                    .collect();
                let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
                let z: f64 = e.iter().sum();
                e.into_iter().map(move |v| v / z)
            })
            .collect()
    }
}

/// Index of the first maximum of each row (torch's argmax).
pub fn argmax_rows(p: &[f64], k: usize) -> Vec<u32> {
    p.chunks_exact(k)
        .map(|r| {
            let mut best = 0;
            for j in 1..k {
                if r[j] > r[best] {
                    best = j;
                }
            }
            best as u32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        // 40 points in 3-D, 3 classes.
        let x: Vec<f32> = (0..120)
            .map(|i| (i * 37 % 23) as f32 / 11.0 - 1.0)
            .collect();
        let y: Vec<u32> = (0..40).map(|i| (i % 3) as u32).collect();
        let p = Logistic {
            data: Features { x: &x, d: 3, y: &y },
            k: 3,
            inv_c: 0.7,
        };
        let params: Vec<f64> = (0..12).map(|i| (i as f64 * 0.37).sin() * 0.5).collect();
        let mut g = vec![0.0; 12];
        p.loss_grad(&params, &mut g);
        let mut scratch = vec![0.0; 12];
        for j in 0..12 {
            let h = 1e-3;
            let mut a = params.clone();
            a[j] += h;
            let fa = p.loss_grad(&a, &mut scratch);
            a[j] -= 2.0 * h;
            let fb = p.loss_grad(&a, &mut scratch);
            let fd = (fa - fb) / (2.0 * h);
            assert!((fd - g[j]).abs() < 2e-4, "param {j}: fd {fd} vs {}", g[j]);
        }
    }

    #[test]
    fn blocked_logits_equal_plain_dots_bit_for_bit() {
        let d = 21; // a remainder after the 8-wide chunks
        let x: Vec<f32> = (0..d).map(|i| (i as f32 * 0.731).sin()).collect();
        let w: Vec<f32> = (0..10 * d).map(|i| (i as f32 * 0.117).cos()).collect();
        let b: Vec<f32> = (0..10).map(|i| i as f32 * 0.01).collect();
        let mut out = vec![0.0; 10];
        logits_blocked::<10>(&x, &w, &b, &mut out);
        for j in 0..10 {
            assert_eq!(
                out[j].to_bits(),
                (b[j] + dot(&x, &w[j * d..(j + 1) * d])).to_bits()
            );
        }
    }

    #[test]
    fn zero_weights_give_log_k_and_zero_norm_gradient() {
        let x = vec![1.0f32, 2.0, 3.0, 4.0];
        let y = vec![0u32, 1];
        let p = Logistic {
            data: Features { x: &x, d: 2, y: &y },
            k: 2,
            inv_c: 100.0,
        };
        let mut g = vec![0.0; 6];
        let f = p.loss_grad(&[0.0; 6], &mut g);
        // CE of a uniform prediction is ln 2; the norm term is 0 and contributes no gradient.
        assert!((f - 2f64.ln()).abs() < 1e-7);
        // d/dW_0 = mean_i (1/2 - [y_i = 0]) x_i = ((-1/2)(1, 2) + (1/2)(3, 4)) / 2 = (0.5, 0.5).
        assert!(
            (g[0] - 0.5).abs() < 1e-7 && (g[1] - 0.5).abs() < 1e-7,
            "{g:?}"
        );
    }
}
