//! Texture rules (REFERENCE §1.3), written for any texture period `s`.
//!
//! The reference fixes the period at 10 with line width 3 (`10 // 3`), thin line width 2
//! (`10 // 5`), dot radius 4 (`3 * 10 // 7`), rain streak height 7 (`10 - 10 // 3`) and plus
//! half-width 1.5. Each constant is written here as the same expression of `s`, so `s = 10`
//! reproduces the reference (tested against a literal transcription) and a smaller canvas can use
//! a smaller period.
//!
//! A texture is evaluated per pixel of the (virtual) texture grid rather than rendered as a
//! full 2C x 2C array: the renderer only asks for the pixels that the rotated texture maps onto the
//! shape. The random textures (noise, rain) are counter-based Bernoulli fields keyed per image,
//! so evaluating a pixel never depends on evaluation order.

use crate::rng::unit;

/// Per-period constants of the texture rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextureGeometry {
    /// Period `s` (the reference's `TEXTURE_SCALE`).
    pub period: i64,
    /// Line width `s // 3` (stripes, grid).
    pub line: i64,
    /// Thin line width `s // 5` (hexgrid), at least 1.
    pub thin: i64,
    /// Dot radius `3 s // 7`.
    pub radius: i64,
    /// Half period `s // 2` (dots, triangles, zigzags, pluses centre).
    pub half: i64,
    /// Row divisor of triangles and zigzags, `s // 5` (2 at the reference), at least 1.
    pub step: i64,
    /// Rain streak height `s - s // 3`.
    pub streak: i64,
    /// Plus arm half-width `0.15 s`.
    pub plus_hw: f64,
}

impl TextureGeometry {
    pub fn new(period: usize) -> Self {
        let s = period as i64;
        TextureGeometry {
            period: s,
            line: (s / 3).max(1),
            thin: (s / 5).max(1),
            radius: (3 * s / 7).max(1),
            half: s / 2,
            step: (s / 5).max(1),
            streak: (s - s / 3).max(1),
            plus_hw: 0.15 * s as f64,
        }
    }
}

/// Bernoulli rates of the random textures (REFERENCE §1.3).
pub const NOISE_P: f64 = 0.5;
pub const RAIN_P: f64 = 0.05;

/// The per-image random state of a texture: the offsets and the key of its Bernoulli field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextureDraw {
    pub texture: usize,
    pub oy: i64,
    pub ox: i64,
    pub key: u64,
}

/// Whether texture-grid pixel (`ys`, `xs`) is on. `ys, xs >= 0`.
#[inline]
pub fn texture_on(g: &TextureGeometry, d: &TextureDraw, ys: i64, xs: i64) -> bool {
    let s = g.period;
    let y = ys + d.oy;
    let x = xs + d.ox;
    let ym = y.rem_euclid(s);
    let xm = x.rem_euclid(s);
    match d.texture {
        // solid
        0 => true,
        // stripes: horizontal lines
        1 => ym < g.line,
        // grid
        2 => ym < g.line || xm < g.line,
        // hexgrid: Python's modulo is non-negative, hence rem_euclid.
        3 => {
            let t = (1.73 * y as f64) as i64;
            (x + t).rem_euclid(s) < g.thin || (x - t).rem_euclid(s) < g.thin || ym < g.thin
        }
        // dots
        4 => {
            let (yy, xx) = (ym - g.half, xm - g.half);
            xx * xx + yy * yy < g.radius * g.radius
        }
        // noise: i.i.d. Bernoulli(0.5) per texture pixel; offsets unused.
        5 => unit(d.key, ys as u64, xs as u64) < NOISE_P,
        // triangles
        6 => ym / g.step - (xm - g.half).abs() > 0,
        // zigzags
        7 => {
            let flip = y.div_euclid(s).rem_euclid(2) == 1;
            let xx = if flip { s - 1 - xm } else { xm };
            let lo = ym / g.step;
            lo < xx && xx < g.half + lo
        }
        // rain: every pixel starts a vertical streak texture[i:i+h, j] with probability 0.05;
        // the pixel is on if a streak started at most h-1 rows above it.
        8 => (0..g.streak)
            .take_while(|&k| ys - k >= 0)
            .any(|k| unit(d.key, (ys - k) as u64, xs as u64) < RAIN_P),
        // pluses: a staggered plus/brick lattice
        9 => {
            let flip = y.div_euclid(s).rem_euclid(2) == 1;
            let (yy, xx) = (ym as f64, xm as f64);
            let (h, hw, sf) = (g.half as f64, g.plus_hw, s as f64);
            if flip {
                xx < hw || sf - xx < hw || ((yy - h).abs() < hw && (xx - h).abs() > hw)
            } else {
                (xx - h).abs() < hw || (yy - h).abs() < hw
            }
        }
        _ => panic!("texture index {} out of range 0..10", d.texture),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deterministic rules of REFERENCE §1.3, transcribed literally for the reference period
    /// 10 (independent of the generic code above).
    fn reference_on(t: usize, y: i64, x: i64) -> bool {
        let m = |a: i64| a.rem_euclid(10);
        match t {
            0 => true,
            1 => m(y) < 3,
            2 => m(y) < 3 || m(x) < 3,
            3 => {
                let t = (1.73 * y as f64) as i64;
                m(x + t) < 2 || m(x - t) < 2 || m(y) < 2
            }
            4 => {
                let (yy, xx) = (m(y) - 5, m(x) - 5);
                xx * xx + yy * yy < 16
            }
            6 => m(y) / 2 - (m(x) - 5).abs() > 0,
            7 => {
                let flip = (y / 10) % 2 == 1;
                let xx = if flip { 9 - m(x) } else { m(x) };
                m(y) / 2 < xx && xx < 5 + m(y) / 2
            }
            9 => {
                let flip = (y / 10) % 2 == 1;
                let (yy, xx) = (m(y) as f64, m(x) as f64);
                if flip {
                    xx < 1.5
                        || 10.0 - xx < 1.5
                        || ((yy - 5.0).abs() < 1.5 && (xx - 5.0).abs() > 1.5)
                } else {
                    (xx - 5.0).abs() < 1.5 || (yy - 5.0).abs() < 1.5
                }
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn period_10_matches_literal_reference() {
        let g = TextureGeometry::new(10);
        for t in [0, 1, 2, 3, 4, 6, 7, 9] {
            for (oy, ox) in [(0, 0), (3, 7), (9, 9)] {
                let d = TextureDraw {
                    texture: t,
                    oy,
                    ox,
                    key: 0,
                };
                for ys in 0..60 {
                    for xs in 0..60 {
                        assert_eq!(
                            texture_on(&g, &d, ys, xs),
                            reference_on(t, ys + oy, xs + ox),
                            "texture {t} at ({ys},{xs}) offsets ({oy},{ox})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn deterministic_textures_are_periodic() {
        for s in [6usize, 10] {
            let g = TextureGeometry::new(s);
            let s = s as i64;
            // Zigzags and pluses alternate every other row of cells: vertical period 2s.
            for (t, py) in [(1, s), (2, s), (4, s), (6, s), (7, 2 * s), (9, 2 * s)] {
                let d = TextureDraw {
                    texture: t,
                    oy: 2,
                    ox: 1,
                    key: 0,
                };
                for ys in 0..3 * s {
                    for xs in 0..3 * s {
                        let v = texture_on(&g, &d, ys, xs);
                        assert_eq!(v, texture_on(&g, &d, ys + py, xs), "t{t} s{s} vertical");
                        assert_eq!(v, texture_on(&g, &d, ys, xs + s), "t{t} s{s} horizontal");
                    }
                }
            }
        }
    }

    #[test]
    fn stripes_have_exactly_the_recipe_period() {
        // The smallest vertical period of the stripes is s itself, not a divisor of it.
        for s in [5usize, 6, 8, 10, 12] {
            let g = TextureGeometry::new(s);
            let d = TextureDraw {
                texture: 1,
                oy: 0,
                ox: 0,
                key: 0,
            };
            let col: Vec<bool> = (0..4 * s as i64)
                .map(|y| texture_on(&g, &d, y, 0))
                .collect();
            let smallest = (1..=2 * s)
                .find(|&p| (0..2 * s).all(|y| col[y] == col[y + p]))
                .unwrap();
            assert_eq!(smallest, s);
        }
    }

    #[test]
    fn random_texture_rates() {
        let g = TextureGeometry::new(10);
        let rate = |t| {
            let d = TextureDraw {
                texture: t,
                oy: 0,
                ox: 0,
                key: 12345,
            };
            let on = (0..200)
                .flat_map(|y| (0..200).map(move |x| (y, x)))
                .filter(|&(y, x)| texture_on(&g, &d, y, x))
                .count();
            on as f64 / 40_000.0
        };
        // noise: 0.5; rain: 1 - 0.95^7 = 0.3017 away from the top rows.
        assert!((rate(5) - 0.5).abs() < 0.01);
        assert!(
            (rate(8) - (1.0 - 0.95f64.powi(7))).abs() < 0.015,
            "rain {}",
            rate(8)
        );
    }
}
