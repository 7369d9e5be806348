//! Gaussian blur with standard deviation `sigma` pixels (PIL's `GaussianBlur(radius=sigma)`),
//! separable, borders extended.

use super::Image;

pub fn gaussian_blur(img: &Image, sigma: f32) -> Image {
    if sigma <= 0.0 {
        return img.clone();
    }
    let r = (3.0 * sigma).ceil() as i64;
    let mut k: Vec<f32> = (-r..=r)
        .map(|d| (-((d * d) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    let (h, w) = (img.h as i64, img.w as i64);
    let idx = |y: i64, x: i64| ((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) * 3) as usize;
    let mut tmp = vec![0.0f32; img.data.len()];
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0f32; 3];
            for (j, &kj) in k.iter().enumerate() {
                let p = idx(y, x + j as i64 - r);
                for (a, v) in acc.iter_mut().zip(&img.data[p..p + 3]) {
                    *a += kj * v;
                }
            }
            let o = idx(y, x);
            tmp[o..o + 3].copy_from_slice(&acc);
        }
    }
    let mut out = vec![0.0f32; img.data.len()];
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0f32; 3];
            for (j, &kj) in k.iter().enumerate() {
                let p = idx(y + j as i64 - r, x);
                for (a, v) in acc.iter_mut().zip(&tmp[p..p + 3]) {
                    *a += kj * v;
                }
            }
            let o = idx(y, x);
            out[o..o + 3].copy_from_slice(&acc);
        }
    }
    Image {
        h: img.h,
        w: img.w,
        data: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserves_constants_and_mass_and_spreads_a_point() {
        let flat = Image {
            h: 9,
            w: 9,
            data: vec![0.25; 243],
        };
        assert!(
            gaussian_blur(&flat, 1.5)
                .data
                .iter()
                .all(|&v| (v - 0.25).abs() < 1e-6)
        );
        let mut data = vec![0.0; 21 * 21 * 3];
        data[(10 * 21 + 10) * 3] = 1.0;
        let point = Image { h: 21, w: 21, data };
        let b = gaussian_blur(&point, 1.0);
        let mass: f32 = b.data.iter().step_by(3).sum();
        assert!((mass - 1.0).abs() < 1e-5);
        // Centre weight of a unit 2-D Gaussian sampled on the grid: about 1 / (2 pi) = 0.159.
        // 1-D weights e^0, e^-0.5, e^-2, e^-4.5 normalised: centre 1 / 2.50593 = 0.39905; squared 0.15924.
        assert!(
            (b.at(10, 10, 0) - 0.15924).abs() < 1e-4,
            "{}",
            b.at(10, 10, 0)
        );
        assert!(b.at(10, 11, 0) < b.at(10, 10, 0) && b.at(10, 11, 0) > 0.05);
    }
}
