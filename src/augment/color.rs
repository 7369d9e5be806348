//! Colour operations of `ColorJitter` and `RandomGrayscale` with PIL's semantics (ImageEnhance
//! blends, HSV hue shift, ITU-R 601 luma), clamped to [0, 1] after each operation.

use super::Image;

/// ITU-R 601-2 luma, as PIL's `convert("L")`.
#[inline]
pub fn luma(p: &[f32]) -> f32 {
    0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
}

fn clamp01(v: f32) -> f32 {
    v.clamp(0.0, 1.0)
}

/// Brightness: blend with black.
pub fn brightness(img: &mut Image, f: f32) {
    img.data.iter_mut().for_each(|v| *v = clamp01(*v * f));
}

/// Contrast: blend with the mean grey level of the image.
pub fn contrast(img: &mut Image, f: f32) {
    let n = (img.h * img.w) as f32;
    let mean = img.data.chunks_exact(3).map(luma).sum::<f32>() / n;
    img.data
        .iter_mut()
        .for_each(|v| *v = clamp01(mean + f * (*v - mean)));
}

/// Saturation: blend with the greyscale image.
pub fn saturation(img: &mut Image, f: f32) {
    for px in img.data.chunks_exact_mut(3) {
        let g = luma(px);
        px.iter_mut().for_each(|v| *v = clamp01(g + f * (*v - g)));
    }
}

/// Hue: rotate H in HSV by `shift` turns (in [-0.5, 0.5]).
pub fn hue(img: &mut Image, shift: f32) {
    for px in img.data.chunks_exact_mut(3) {
        let (h, s, v) = rgb_to_hsv(px[0], px[1], px[2]);
        let (r, g, b) = hsv_to_rgb((h + shift).rem_euclid(1.0), s, v);
        px[0] = r;
        px[1] = g;
        px[2] = b;
    }
}

/// Greyscale with three equal channels.
pub fn grayscale(img: &mut Image) {
    for px in img.data.chunks_exact_mut(3) {
        let g = luma(px);
        px.iter_mut().for_each(|v| *v = g);
    }
}

pub fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    let s = if max > 0.0 { d / max } else { 0.0 };
    let h = if d <= 0.0 {
        0.0
    } else if max == r {
        ((g - b) / d).rem_euclid(6.0) / 6.0
    } else if max == g {
        ((b - r) / d + 2.0) / 6.0
    } else {
        ((r - g) / d + 4.0) / 6.0
    };
    (h, s, max)
}

pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h6 = h * 6.0;
    let i = h6.floor();
    let f = h6 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    match (i as i32).rem_euclid(6) {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(px: &[[f32; 3]]) -> Image {
        Image {
            h: 1,
            w: px.len(),
            data: px.iter().flatten().cloned().collect(),
        }
    }

    #[test]
    fn factor_one_is_identity_and_zero_degenerates() {
        let base = img(&[[1.0, 0.4, 1.0], [0.3, 0.0, 0.5], [0.5, 0.5, 0.5]]);
        for op in [brightness, contrast, saturation] {
            let mut a = base.clone();
            op(&mut a, 1.0);
            for (x, y) in a.data.iter().zip(&base.data) {
                assert!((x - y).abs() < 1e-6);
            }
        }
        let mut b = base.clone();
        brightness(&mut b, 0.0);
        assert!(b.data.iter().all(|&v| v == 0.0));
        let mut s = base.clone();
        saturation(&mut s, 0.0);
        for px in s.data.chunks_exact(3) {
            assert!((px[0] - px[1]).abs() < 1e-6 && (px[1] - px[2]).abs() < 1e-6);
        }
        let mut c = base.clone();
        contrast(&mut c, 0.0);
        assert!(c.data.windows(2).all(|w| (w[0] - w[1]).abs() < 1e-6));
    }

    #[test]
    fn hsv_roundtrip_and_hue_turns() {
        for &(r, g, b) in &[
            (1.0, 0.0, 0.0),
            (0.1, 0.4, 0.5),
            (1.0, 0.6, 0.0),
            (0.3, 0.0, 0.5),
            (0.5, 0.5, 0.5),
        ] {
            let (h, s, v) = rgb_to_hsv(r, g, b);
            let (r2, g2, b2) = hsv_to_rgb(h, s, v);
            assert!((r - r2).abs() < 1e-5 && (g - g2).abs() < 1e-5 && (b - b2).abs() < 1e-5);
        }
        // Red shifted by a third of a turn is green.
        let mut i = img(&[[1.0, 0.0, 0.0]]);
        hue(&mut i, 1.0 / 3.0);
        assert!(
            (i.data[0]).abs() < 1e-5 && (i.data[1] - 1.0).abs() < 1e-5 && i.data[2].abs() < 1e-5
        );
    }

    #[test]
    fn luma_weights() {
        // PIL: L = R * 299/1000 + G * 587/1000 + B * 114/1000.
        assert!((luma(&[1.0, 1.0, 1.0]) - 1.0).abs() < 1e-6);
        assert!((luma(&[0.0, 1.0, 0.0]) - 0.587).abs() < 1e-6);
    }
}
