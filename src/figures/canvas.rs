//! A small display list (rectangles, polylines, markers, labels) drawn with plotters onto a
//! bitmap (PNG) and an SVG. Geometry goes through plotters; text through [`super::text`].

use super::text::{Label, draw_png, svg_element};
use anyhow::{Result, anyhow};
use plotters::prelude::*;

pub type Rgb = (u8, u8, u8);

#[derive(Clone, Debug)]
pub enum Shape {
    Rect {
        from: (i32, i32),
        to: (i32, i32),
        fill: Rgb,
    },
    /// A polyline; `dash` = (on, off) pixel lengths for dashed lines.
    Line {
        points: Vec<(i32, i32)>,
        color: Rgb,
        width: u32,
        dash: Option<(f64, f64)>,
    },
    /// A diamond marker centred at `at`.
    Diamond { at: (i32, i32), r: i32, color: Rgb },
}

/// A figure: size, shapes in drawing order, labels drawn last.
#[derive(Clone, Debug)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<Shape>,
    pub labels: Vec<Label>,
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Split a polyline into dash segments.
fn dashes(points: &[(i32, i32)], on: f64, off: f64) -> Vec<Vec<(i32, i32)>> {
    let mut out = Vec::new();
    let mut phase = 0.0; // distance into the current on+off period
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
        let len = (dx * dx + dy * dy).sqrt();
        let mut t = 0.0;
        while t < len {
            let period_left = if phase < on {
                on - phase
            } else {
                on + off - phase
            };
            let step = period_left.min(len - t);
            if phase < on {
                let p = |s: f64| {
                    (
                        (a.0 as f64 + dx * s / len).round() as i32,
                        (a.1 as f64 + dy * s / len).round() as i32,
                    )
                };
                out.push(vec![p(t), p(t + step)]);
            }
            t += step;
            phase = (phase + step) % (on + off);
        }
    }
    out
}

impl Canvas {
    pub fn new(width: u32, height: u32) -> Self {
        Canvas {
            width,
            height,
            shapes: Vec::new(),
            labels: Vec::new(),
        }
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e:?}");
        area.fill(&WHITE).map_err(err)?;
        for s in &self.shapes {
            match s {
                Shape::Rect { from, to, fill } => area
                    .draw(&Rectangle::new([*from, *to], rgb(*fill).filled()))
                    .map_err(err)?,
                Shape::Line {
                    points,
                    color,
                    width,
                    dash,
                } => {
                    let style = rgb(*color).stroke_width(*width);
                    match dash {
                        None => area
                            .draw(&PathElement::new(points.clone(), style))
                            .map_err(err)?,
                        Some((on, off)) => {
                            for seg in dashes(points, *on, *off) {
                                area.draw(&PathElement::new(seg, style)).map_err(err)?;
                            }
                        }
                    }
                }
                Shape::Diamond { at, r, color } => {
                    let (x, y) = *at;
                    let pts = vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)];
                    area.draw(&Polygon::new(pts, rgb(*color).filled()))
                        .map_err(err)?;
                }
            }
        }
        area.present().map_err(err)?;
        Ok(())
    }

    /// PNG bytes (RGB8, the `image` crate's deterministic encoder).
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut buf = vec![255u8; w * h * 3];
        {
            let area =
                BitMapBackend::with_buffer(&mut buf, (self.width, self.height)).into_drawing_area();
            self.draw_on(&area)?;
        }
        for l in &self.labels {
            draw_png(&mut buf, w, h, l);
        }
        let img = image::RgbImage::from_raw(self.width, self.height, buf)
            .ok_or_else(|| anyhow!("figure buffer has the wrong size"))?;
        Ok(crate::data::trifeatures::dataset::encode_png(&img))
    }

    /// SVG text.
    pub fn to_svg(&self) -> Result<String> {
        let mut s = String::new();
        {
            let area =
                SVGBackend::with_string(&mut s, (self.width, self.height)).into_drawing_area();
            self.draw_on(&area)?;
        }
        let labels: String = self.labels.iter().map(|l| svg_element(l) + "\n").collect();
        let end = s
            .rfind("</svg>")
            .ok_or_else(|| anyhow!("plotters wrote no </svg>"))?;
        s.insert_str(end, &labels);
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_cover_half_a_line() {
        let d = dashes(&[(0, 0), (100, 0)], 5.0, 5.0);
        assert_eq!(d.len(), 10);
        assert_eq!(d[1], vec![(10, 0), (15, 0)]);
    }
}
