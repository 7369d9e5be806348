//! Rendering one stimulus (REFERENCE §1.4): a rotated, translated shape filled with a rotated
//! texture in one colour on a grey background.
//!
//! Geometry follows `scipy.ndimage.rotate`: the shape is rotated bilinearly (`order=1`) with the
//! canvas grown to `int(b (|cos| + |sin|) + 0.5)`, the texture with nearest neighbour (`order=0`)
//! about the centre of a `2C x 2C` grid whose centre `C x C` is kept. Instead of materialising the
//! rotated texture, each canvas pixel inside the shape looks up its source texture pixel
//! directly, which computes the same function with far less work.

use super::attributes::{Attrs, BACKGROUND, COLORS};
use super::shapes::Template;
use super::textures::{TextureDraw, TextureGeometry, texture_on};
use image::RgbImage;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The geometry a recipe fixes for every image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderGeometry {
    /// Canvas side C (the reference's RENDER_SIZE, 224).
    pub canvas: usize,
    /// Template side b (BASE_SIZE, 128).
    pub template: usize,
    /// Angles are integers in `[-max_angle, max_angle - 1]` (RANDOM_ANGLE_RANGE, 45).
    pub max_angle: i32,
    pub texture: TextureGeometry,
}

/// Everything random about one image, drawn before rendering; rendering is then pure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderParams {
    pub attrs: Attrs,
    pub shape_angle: i32,
    /// Top-left corner of the rotated shape box on the canvas.
    pub row: usize,
    pub col: usize,
    pub texture: TextureDraw,
    pub texture_angle: i32,
}

/// `(cos, sin)` of an angle in degrees, exact at 0.
fn cos_sin(deg: i32) -> (f64, f64) {
    if deg == 0 {
        return (1.0, 0.0);
    }
    let (s, c) = (deg as f64).to_radians().sin_cos();
    (c, s)
}

/// Side of the grown canvas after rotating a `b x b` square (scipy's `reshape=True`).
pub fn rotated_size(b: usize, deg: i32) -> usize {
    let (c, s) = cos_sin(deg);
    let b = b as f64;
    // ptp of the rotated corners (0,0), (0,b), (b,0), (b,b) along either axis.
    let ext = |u: f64, v: f64| {
        let pts = [0.0, v * b, u * b, (u + v) * b];
        pts.iter().cloned().fold(f64::MIN, f64::max) - pts.iter().cloned().fold(f64::MAX, f64::min)
    };
    let h = ext(c, s);
    let w = ext(-s, c);
    debug_assert!((h - w).abs() < 1e-9);
    (h + 0.5) as usize
}

/// The largest rotated shape box over all angles of a recipe.
pub fn max_rotated_size(b: usize, max_angle: i32) -> usize {
    (-max_angle..max_angle)
        .map(|a| rotated_size(b, a))
        .max()
        .unwrap_or(b)
}

/// A rotated soft mask, `size x size`, values in [0, 1].
#[derive(Clone, Debug)]
pub struct RotatedMask {
    pub size: usize,
    pub data: Vec<f32>,
}

/// Bilinear rotation with scipy's `mode='constant'` semantics: samples that fall outside
/// `[0, b-1]` on either axis are 0; inside, neighbours are interpolated.
pub fn rotate_bilinear(t: &Template, deg: i32) -> RotatedMask {
    let b = t.size;
    let n = rotated_size(b, deg);
    let (c, s) = cos_sin(deg);
    let oc = (n as f64 - 1.0) / 2.0;
    let ic = (b as f64 - 1.0) / 2.0;
    let last = (b - 1) as f64;
    let mut data = vec![0.0f32; n * n];
    for oy in 0..n {
        let dy = oy as f64 - oc;
        for ox in 0..n {
            let dx = ox as f64 - oc;
            // scipy: in = R @ out + offset with R = [[c, s], [-s, c]] on (row, col).
            let y = c * dy + s * dx + ic;
            let x = -s * dy + c * dx + ic;
            if !(0.0..=last).contains(&y) || !(0.0..=last).contains(&x) {
                continue;
            }
            let (y0, x0) = (y.floor() as usize, x.floor() as usize);
            let (y1, x1) = ((y0 + 1).min(b - 1), (x0 + 1).min(b - 1));
            let (fy, fx) = (y - y0 as f64, x - x0 as f64);
            let at = |i: usize, j: usize| t.data[i * b + j] as f64;
            let v = (1.0 - fy) * ((1.0 - fx) * at(y0, x0) + fx * at(y0, x1))
                + fy * ((1.0 - fx) * at(y1, x0) + fx * at(y1, x1));
            data[oy * n + ox] = v as f32;
        }
    }
    RotatedMask { size: n, data }
}

impl RenderGeometry {
    /// Draw an image's random parameters in the reference's order: shape angle, row and column
    /// offsets, texture offsets (and the texture's own field), texture angle.
    pub fn draw(&self, attrs: Attrs, rng: &mut ChaCha8Rng) -> RenderParams {
        let a = self.max_angle;
        // max_angle = 0 means upright shapes and textures: the reference's range [-0, 0) would
        // be empty (numpy raises), and a recipe asking for no rotation should get none.
        let angle = |rng: &mut ChaCha8Rng| if a == 0 { 0 } else { rng.random_range(-a..a) };
        let shape_angle = angle(rng);
        let n = rotated_size(self.template, shape_angle);
        // Exclusive upper bounds, as numpy's `integers(0, C - n)`; recipes guarantee n < C.
        let row = rng.random_range(0..self.canvas - n);
        let col = rng.random_range(0..self.canvas - n);
        let s = self.texture.period;
        let oy = rng.random_range(0..s);
        let ox = rng.random_range(0..s);
        let key: u64 = rng.random();
        let texture_angle = angle(rng);
        RenderParams {
            attrs,
            shape_angle,
            row,
            col,
            texture: TextureDraw {
                texture: attrs[1] as usize,
                oy,
                ox,
                key,
            },
            texture_angle,
        }
    }

    /// Render an image from its parameters (`templates` indexed by shape).
    pub fn render(&self, templates: &[Template], p: &RenderParams) -> RgbImage {
        let cnv = self.canvas;
        let bg = super::attributes::to_u8(BACKGROUND);
        let mut img = RgbImage::from_pixel(cnv as u32, cnv as u32, image::Rgb([bg; 3]));
        let mask = rotate_bilinear(&templates[p.attrs[0] as usize], p.shape_angle);
        let colour = COLORS[p.attrs[2] as usize].map(|v| v as f64);
        let bgf = BACKGROUND as f64;

        // Texture grid: 2C x 2C rotated about its centre, then cropped to [C/2, C/2 + C).
        let t_size = 2 * cnv;
        let tc = (t_size as f64 - 1.0) / 2.0;
        let crop = (cnv / 2) as f64;
        let (c, s) = cos_sin(p.texture_angle);
        let t_last = (t_size - 1) as f64;

        let n = mask.size;
        for my in 0..n {
            let r = p.row + my;
            let dy = r as f64 + crop - tc;
            for mx in 0..n {
                let m = mask.data[my * n + mx] as f64;
                if m <= 0.0 {
                    continue;
                }
                let col = p.col + mx;
                let dx = col as f64 + crop - tc;
                let sy = c * dy + s * dx + tc;
                let sx = -s * dy + c * dx + tc;
                // order=0 rounds half up; zero fill outside (never hit: the crop is covered).
                let on = (0.0..=t_last).contains(&sy)
                    && (0.0..=t_last).contains(&sx)
                    && texture_on(
                        &self.texture,
                        &p.texture,
                        (sy + 0.5).floor() as i64,
                        (sx + 0.5).floor() as i64,
                    );
                if !on {
                    continue;
                }
                let px = img.get_pixel_mut(col as u32, r as u32);
                for (v, c) in px.0.iter_mut().zip(colour) {
                    *v = ((m * c + (1.0 - m) * bgf) * 255.0) as u8;
                }
            }
        }
        img
    }
}

#[cfg(test)]
mod tests {
    use super::super::shapes::template;
    use super::*;
    use crate::rng::{Stream, item_rng};

    fn geometry(canvas: usize, b: usize, s: usize) -> RenderGeometry {
        RenderGeometry {
            canvas,
            template: b,
            max_angle: 45,
            texture: TextureGeometry::new(s),
        }
    }

    fn templates(b: usize) -> Vec<Template> {
        (0..10).map(|s| template(s, b)).collect()
    }

    #[test]
    fn rotated_sizes_follow_scipy() {
        // int(128 (|cos| + |sin|) + 0.5): 128 at 0 deg, 181 at 45 deg (REFERENCE §1.4).
        assert_eq!(rotated_size(128, 0), 128);
        assert_eq!(rotated_size(128, -45), 181);
        assert_eq!(
            rotated_size(128, 30),
            (128.0 * (0.5f64 + 0.75f64.sqrt()) + 0.5) as usize
        );
        assert_eq!(max_rotated_size(128, 45), 181);
    }

    #[test]
    fn max_angle_zero_draws_upright_images() {
        let g = RenderGeometry {
            max_angle: 0,
            ..geometry(64, 36, 6)
        };
        for i in 0..20u64 {
            let p = g.draw([1, 2, 3], &mut item_rng(1, Stream::Render, &[i]));
            assert_eq!((p.shape_angle, p.texture_angle), (0, 0));
            assert_eq!(g.render(&templates(36), &p).width(), 64);
        }
    }

    #[test]
    fn rotation_by_zero_is_identity_and_mass_is_preserved() {
        let t = template(3, 64);
        let r0 = rotate_bilinear(&t, 0);
        assert_eq!(r0.data, t.data);
        for deg in [-45, -17, 30, 44] {
            let r = rotate_bilinear(&t, deg);
            let mass: f64 = r.data.iter().map(|&v| v as f64).sum();
            let want: f64 = t.data.iter().map(|&v| v as f64).sum();
            assert!(
                (mass / want - 1.0).abs() < 0.02,
                "deg {deg}: {mass} vs {want}"
            );
        }
    }

    #[test]
    fn pixels_lie_between_background_and_label_colour() {
        let g = geometry(64, 36, 6);
        let ts = templates(36);
        for idx in 0..60usize {
            let attrs = [(idx % 10) as u8, (idx / 6 % 10) as u8, (idx * 7 % 10) as u8];
            let p = g.draw(attrs, &mut item_rng(1, Stream::Render, &[idx as u64]));
            let img = g.render(&ts, &p);
            let col = COLORS[attrs[2] as usize];
            let mut coloured = 0;
            for px in img.pixels() {
                let v = px.0;
                if v == [127; 3] {
                    continue;
                }
                coloured += 1;
                // v = trunc(255 (m col + (1 - m) 0.5)) for one m in [0, 1] shared by all
                // channels: intersect each channel's interval v <= 255 (0.5 + m (c - 0.5)) < v + 1.
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                for k in 0..3 {
                    let d = col[k] as f64 - 0.5;
                    let (a, b) = (v[k] as f64 / 255.0 - 0.5, (v[k] as f64 + 1.0) / 255.0 - 0.5);
                    if d.abs() < 1e-9 {
                        assert!(a <= 1e-9 && b > 0.0, "{v:?}: grey channel {k} changed");
                        continue;
                    }
                    let (m1, m2) = if d > 0.0 {
                        (a / d, b / d)
                    } else {
                        (b / d, a / d)
                    };
                    lo = lo.max(m1);
                    hi = hi.min(m2);
                }
                assert!(
                    lo <= hi + 1e-6,
                    "{v:?} is not on the segment grey -> {col:?}"
                );
            }
            assert!(coloured > 0);
        }
    }

    #[test]
    fn axis_aligned_stripes_repeat_with_the_period_on_pixels() {
        // Square shape, no rotation: the stripes show on the canvas with exactly period s.
        for s in [6usize, 10] {
            let g = geometry(112, 64, s);
            let ts = templates(64);
            let p = RenderParams {
                attrs: [1, 1, 9],
                shape_angle: 0,
                row: 10,
                col: 10,
                texture: TextureDraw {
                    texture: 1,
                    oy: 3,
                    ox: 0,
                    key: 0,
                },
                texture_angle: 0,
            };
            let img = g.render(&ts, &p);
            let column: Vec<bool> = (10..74)
                .map(|r| img.get_pixel(40, r).0 == [255; 3])
                .collect();
            // Canvas row r maps to texture row r + C/2 + oy; on iff that is < s/3 modulo s.
            for (k, &v) in column.iter().enumerate() {
                assert_eq!(v, ((10 + k + 56 + 3) % s) < s / 3, "row {k} at period {s}");
            }
            for k in 0..column.len() - s {
                assert_eq!(column[k], column[k + s], "period {s}");
            }
            assert!((1..s).all(|p| (0..column.len() - p).any(|k| column[k] != column[k + p])));
        }
    }
}
