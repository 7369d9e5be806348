//! `RandomResizedCrop` (torchvision's parameter sampler) and PIL-style antialiased resizing.

use super::Image;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A crop box: top, left, height, width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CropBox {
    pub top: usize,
    pub left: usize,
    pub h: usize,
    pub w: usize,
}

/// torchvision `RandomResizedCrop.get_params`: up to 10 tries of an area fraction in `scale` and a
/// log-uniform aspect ratio in [3/4, 4/3]; else a centre crop clamped to the ratio range.
pub fn random_resized_crop_box(
    h: usize,
    w: usize,
    scale: (f64, f64),
    rng: &mut ChaCha8Rng,
) -> CropBox {
    let area = (h * w) as f64;
    let (lo, hi) = ((3.0f64 / 4.0).ln(), (4.0f64 / 3.0).ln());
    for _ in 0..10 {
        let target = area * rng.random_range(scale.0..=scale.1);
        let ratio = rng.random_range(lo..=hi).exp();
        let cw = (target * ratio).sqrt().round() as usize;
        let ch = (target / ratio).sqrt().round() as usize;
        if cw > 0 && cw <= w && ch > 0 && ch <= h {
            let top = rng.random_range(0..=h - ch);
            let left = rng.random_range(0..=w - cw);
            return CropBox {
                top,
                left,
                h: ch,
                w: cw,
            };
        }
    }
    // Fallback: whole image, clamped to the ratio range, centred.
    let in_ratio = w as f64 / h as f64;
    let (cw, ch) = if in_ratio < 3.0 / 4.0 {
        (w, (w as f64 / (3.0 / 4.0)).round() as usize)
    } else if in_ratio > 4.0 / 3.0 {
        (((h as f64) * 4.0 / 3.0).round() as usize, h)
    } else {
        (w, h)
    };
    CropBox {
        top: (h - ch) / 2,
        left: (w - cw) / 2,
        h: ch,
        w: cw,
    }
}

/// Per output index: first source index and normalised triangle-filter weights (PIL's
/// `precompute_coeffs` for the bilinear filter: support scales with the downscale factor). Taps
/// stay inside `[in_start, in_start + in_len)`: torchvision crops first and resizes the crop, so
/// PIL's edge clamp is the crop box's edge, not the image's.
fn coeffs(in_start: usize, in_len: usize, out_len: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = in_len as f64 / out_len as f64;
    let fscale = scale.max(1.0);
    let support = fscale; // bilinear support 1.0, widened when downscaling
    (0..out_len)
        .map(|o| {
            let centre = in_start as f64 + (o as f64 + 0.5) * scale;
            let x0 = ((centre - support + 0.5).floor() as usize).max(in_start);
            let x1 = ((centre + support + 0.5).floor() as usize).min(in_start + in_len);
            let mut w: Vec<f64> = (x0..x1)
                .map(|x| {
                    let t = ((x as f64 - centre + 0.5) / fscale).abs();
                    if t < 1.0 { 1.0 - t } else { 0.0 }
                })
                .collect();
            let s: f64 = w.iter().sum();
            if s > 0.0 {
                w.iter_mut().for_each(|v| *v /= s);
            }
            (x0, w.into_iter().map(|v| v as f32).collect())
        })
        .collect()
}

/// Crop `b` out of `img` and resize it to `out x out` (separable, horizontal pass first).
pub fn resized_crop(img: &Image, b: CropBox, out: usize) -> Image {
    debug_assert!(b.left + b.w <= img.w && b.top + b.h <= img.h);
    let cx = coeffs(b.left, b.w, out);
    let cy = coeffs(b.top, b.h, out);
    // Horizontal pass over the rows the vertical pass needs.
    let (y_lo, y_hi) = (
        cy.iter().map(|c| c.0).min().unwrap_or(0),
        cy.iter().map(|c| c.0 + c.1.len()).max().unwrap_or(0),
    );
    let rows = y_hi - y_lo;
    let mut tmp = vec![0.0f32; rows * out * 3];
    for r in 0..rows {
        let src = &img.data[(y_lo + r) * img.w * 3..(y_lo + r + 1) * img.w * 3];
        let dst = &mut tmp[r * out * 3..(r + 1) * out * 3];
        for (o, (x0, w)) in cx.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, &wk) in w.iter().enumerate() {
                let p = &src[(x0 + k) * 3..(x0 + k) * 3 + 3];
                acc[0] += wk * p[0];
                acc[1] += wk * p[1];
                acc[2] += wk * p[2];
            }
            dst[o * 3..o * 3 + 3].copy_from_slice(&acc);
        }
    }
    let mut data = vec![0.0f32; out * out * 3];
    for (oy, (y0, w)) in cy.iter().enumerate() {
        let dst = &mut data[oy * out * 3..(oy + 1) * out * 3];
        for (k, &wk) in w.iter().enumerate() {
            let src = &tmp[(y0 + k - y_lo) * out * 3..(y0 + k - y_lo + 1) * out * 3];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += wk * s;
            }
        }
    }
    Image {
        h: out,
        w: out,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, item_rng};

    #[test]
    fn crop_boxes_respect_scale_and_ratio() {
        let mut rng = item_rng(1, Stream::Render, &[]);
        let (h, w) = (224, 224);
        for scale in [(0.08, 1.0), (0.5, 1.0)] {
            let mut areas = Vec::new();
            for _ in 0..2000 {
                let b = random_resized_crop_box(h, w, scale, &mut rng);
                assert!(b.top + b.h <= h && b.left + b.w <= w && b.h > 0 && b.w > 0);
                let a = (b.h * b.w) as f64 / (h * w) as f64;
                // Rounding of the sides moves the area a little outside the range.
                assert!(a >= scale.0 * 0.9 && a <= 1.0, "{a}");
                let ratio = b.w as f64 / b.h as f64;
                assert!(ratio > 0.70 && ratio < 1.43, "{ratio}");
                areas.push(a);
            }
            let mean = areas.iter().sum::<f64>() / areas.len() as f64;
            // Uniform area fraction on the scale range, minus rejected tries near 1.
            assert!(
                mean > scale.0 && mean < (scale.0 + scale.1) / 2.0 + 0.05,
                "{scale:?}: mean {mean}"
            );
        }
    }

    #[test]
    fn identity_resize_and_constant_images() {
        let img = Image {
            h: 8,
            w: 8,
            data: (0..192).map(|v| v as f32 / 192.0).collect(),
        };
        let same = resized_crop(
            &img,
            CropBox {
                top: 0,
                left: 0,
                h: 8,
                w: 8,
            },
            8,
        );
        for (a, b) in same.data.iter().zip(&img.data) {
            assert!((a - b).abs() < 1e-6);
        }
        let flat = Image {
            h: 20,
            w: 20,
            data: vec![0.3; 1200],
        };
        let small = resized_crop(
            &flat,
            CropBox {
                top: 2,
                left: 3,
                h: 15,
                w: 11,
            },
            7,
        );
        assert!(small.data.iter().all(|&v| (v - 0.3).abs() < 1e-6));
    }

    #[test]
    fn downscaling_averages_like_pil() {
        // PIL's bilinear 4 -> 2: support 2, output 0 centred at 1.0 takes inputs 0, 1, 2 with
        // triangle weights 0.75, 0.75, 0.25 (/ 1.75). On a 0/1 checkerboard the rows become 3/7
        // and 4/7, then (0.75 * 3/7 + 0.75 * 4/7 + 0.25 * 3/7) / 1.75 = 24/49 at (0, 0).
        let mut data = Vec::new();
        for y in 0..4 {
            for x in 0..4 {
                let v = ((x + y) % 2) as f32;
                data.extend([v, v, v]);
            }
        }
        let img = Image { h: 4, w: 4, data };
        let out = resized_crop(
            &img,
            CropBox {
                top: 0,
                left: 0,
                h: 4,
                w: 4,
            },
            2,
        );
        assert!(
            (out.at(0, 0, 0) - 24.0 / 49.0).abs() < 1e-6,
            "{:?}",
            out.data
        );
        assert!(
            (out.at(0, 1, 0) - 25.0 / 49.0).abs() < 1e-6,
            "{:?}",
            out.data
        );
    }

    #[test]
    fn taps_stay_inside_the_crop_box() {
        // A ramp v(x) = x on a 6 x 4 image, crop columns 1..5 (values 1, 2, 3, 4) to 2 px.
        // PIL on the cropped 4 px row (scale 2, support 2): output 0 is centred at 1.0 and takes
        // crop pixels 0, 1, 2 with weights 0.75, 0.75, 0.25; output 1 centred at 3.0 takes 1, 2, 3
        // with 0.25, 0.75, 0.75 (all / 1.75): (0.75 + 1.5 + 0.75) / 1.75 = 12/7 and
        // (0.5 + 2.25 + 3) / 1.75 = 23/7. Taps clamped to the whole image instead read columns
        // 0, 1, 2 for output 0 (0.25, 0.75, 0.75) and give 9/7.
        let (w, h) = (6, 4);
        let ramp = |transpose: bool| {
            let mut data = Vec::new();
            for y in 0..h.max(w) {
                for x in 0..h.max(w) {
                    let v = if transpose { y } else { x } as f32;
                    data.extend([v, v, v]);
                }
            }
            Image {
                h: h.max(w),
                w: h.max(w),
                data,
            }
        };
        let across = resized_crop(
            &ramp(false),
            CropBox {
                top: 0,
                left: 1,
                h: 4,
                w: 4,
            },
            2,
        );
        let down = resized_crop(
            &ramp(true),
            CropBox {
                top: 1,
                left: 0,
                h: 4,
                w: 4,
            },
            2,
        );
        for y in 0..2 {
            for c in 0..3 {
                assert!(
                    (across.at(y, 0, c) - 12.0 / 7.0).abs() < 1e-5,
                    "{:?}",
                    across.data
                );
                assert!(
                    (across.at(y, 1, c) - 23.0 / 7.0).abs() < 1e-5,
                    "{:?}",
                    across.data
                );
                assert!(
                    (down.at(0, y, c) - 12.0 / 7.0).abs() < 1e-5,
                    "{:?}",
                    down.data
                );
                assert!(
                    (down.at(1, y, c) - 23.0 / 7.0).abs() < 1e-5,
                    "{:?}",
                    down.data
                );
            }
        }
    }
}
