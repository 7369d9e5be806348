//! How distinguishable are the ten textures at a given texture period and window size?
//!
//! For each period, renders random texture patches (random offsets, rotations in [-45, 44] with
//! the generator's nearest-neighbour lookup, fresh noise/rain fields) of the size of a shape
//! template, describes each by rotation-invariant statistics (on-density and the radially averaged
//! autocorrelation up to 2 periods), and reports the held-out accuracy of a nearest-centroid
//! classifier (chance 10 %). Used to choose the small recipe's period (README, "The 64 px recipe").
//!
//! `cargo run --release --example texture_separability`

use rand::RngExt;
use rusbench::data::trifeatures::textures::{TextureDraw, TextureGeometry, texture_on};
use rusbench::rng::{Stream, item_rng};

fn patch(g: &TextureGeometry, t: usize, w: usize, seed: u64) -> Vec<f64> {
    let mut rng = item_rng(seed, Stream::Render, &[t as u64, w as u64, g.period as u64]);
    let s = g.period;
    let d = TextureDraw {
        texture: t,
        oy: rng.random_range(0..s),
        ox: rng.random_range(0..s),
        key: rng.random(),
    };
    let deg: i32 = rng.random_range(-45..45);
    let (sn, cs) = (deg as f64).to_radians().sin_cos();
    let c = (w as f64 - 1.0) / 2.0;
    let mut v = vec![0.0; w * w];
    for y in 0..w {
        for x in 0..w {
            let (dy, dx) = (y as f64 - c, x as f64 - c);
            let sy = (cs * dy + sn * dx + c + 4.0 * w as f64).round() as i64;
            let sx = (-sn * dy + cs * dx + c + 4.0 * w as f64).round() as i64;
            v[y * w + x] = texture_on(g, &d, sy, sx) as u8 as f64;
        }
    }
    v
}

/// Separable Gaussian blur with standard deviation `sigma` px (clamped borders), the strong
/// augmentation's blur (sigma in [0.1, 2] px, p 0.5).
fn blur(v: &[f64], w: usize, sigma: f64) -> Vec<f64> {
    if sigma <= 0.0 {
        return v.to_vec();
    }
    let r = (3.0 * sigma).ceil() as i64;
    let k: Vec<f64> = (-r..=r)
        .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let ks: f64 = k.iter().sum();
    let pass = |src: &[f64], horizontal: bool| -> Vec<f64> {
        let mut out = vec![0.0; w * w];
        for y in 0..w as i64 {
            for x in 0..w as i64 {
                let mut acc = 0.0;
                for d in -r..=r {
                    let (yy, xx) = if horizontal {
                        (y, (x + d).clamp(0, w as i64 - 1))
                    } else {
                        ((y + d).clamp(0, w as i64 - 1), x)
                    };
                    acc += k[(d + r) as usize] * src[yy as usize * w + xx as usize];
                }
                out[y as usize * w + x as usize] = acc / ks;
            }
        }
        out
    };
    pass(&pass(v, true), false)
}

fn features(v: &[f64], w: usize, s: usize) -> Vec<f64> {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let rmax = 2 * s;
    let mut acc = vec![0.0; rmax + 1];
    let mut cnt = vec![0.0; rmax + 1];
    let r = rmax as i64;
    for dy in -r..=r {
        for dx in 0..=r {
            let rad = ((dy * dy + dx * dx) as f64).sqrt().round() as usize;
            if rad == 0 || rad > rmax {
                continue;
            }
            let mut sum = 0.0;
            let mut n = 0.0;
            for y in 0..w as i64 {
                for x in 0..w as i64 {
                    let (y2, x2) = (y + dy, x + dx);
                    if y2 < 0 || x2 < 0 || y2 >= w as i64 || x2 >= w as i64 {
                        continue;
                    }
                    sum += (v[y as usize * w + x as usize] - mean)
                        * (v[y2 as usize * w + x2 as usize] - mean);
                    n += 1.0;
                }
            }
            acc[rad] += sum / n;
            cnt[rad] += 1.0;
        }
    }
    let var = mean * (1.0 - mean) + 1e-9;
    let mut f = vec![mean * 4.0];
    f.extend((1..=rmax).map(|k| acc[k] / cnt[k] / var));
    f
}

fn main() {
    println!(
        "period window blur  nearest-centroid accuracy (held out, chance 0.10)  worst texture"
    );
    for (s, w, sigma) in [
        (3usize, 37usize, 0.0),
        (3, 37, 1.0),
        (3, 37, 2.0),
        (4, 40, 1.0),
        (4, 40, 2.0),
        (5, 40, 1.0),
        (5, 40, 2.0),
        (6, 40, 1.0),
        (6, 40, 2.0),
        (8, 40, 1.0),
        (8, 40, 2.0),
        (10, 128, 1.0),
        (10, 128, 2.0),
    ] {
        let g = TextureGeometry::new(s);
        let n_train = 40;
        let n_test = 40;
        let data: Vec<Vec<Vec<f64>>> = (0..10)
            .map(|t| {
                (0..n_train + n_test)
                    .map(|k| features(&blur(&patch(&g, t, w, k as u64), w, sigma), w, s))
                    .collect()
            })
            .collect();
        let dim = data[0][0].len();
        let centroids: Vec<Vec<f64>> = data
            .iter()
            .map(|xs| {
                (0..dim)
                    .map(|j| xs[..n_train].iter().map(|x| x[j]).sum::<f64>() / n_train as f64)
                    .collect()
            })
            .collect();
        let mut correct = [0usize; 10];
        for (t, xs) in data.iter().enumerate() {
            for x in &xs[n_train..] {
                let best = (0..10)
                    .min_by(|&a, &b| {
                        let da: f64 = (0..dim).map(|j| (x[j] - centroids[a][j]).powi(2)).sum();
                        let db: f64 = (0..dim).map(|j| (x[j] - centroids[b][j]).powi(2)).sum();
                        da.partial_cmp(&db).unwrap()
                    })
                    .unwrap();
                correct[t] += (best == t) as usize;
            }
        }
        let acc = correct.iter().sum::<usize>() as f64 / (10 * n_test) as f64;
        let worst = (0..10).min_by_key(|&t| correct[t]).unwrap();
        println!(
            "{s:>6} {w:>6} {sigma:>4}  {acc:.3}  {} ({:.2})",
            rusbench::data::trifeatures::attributes::TEXTURES[worst],
            correct[worst] as f64 / n_test as f64
        );
    }
}
