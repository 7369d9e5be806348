//! Panels of curves against training iterations (Fig. 5: R, U, S and their average).

use super::canvas::{Canvas, Rgb, Shape};
use super::text::{Anchor, Label};

#[derive(Clone, Debug)]
pub struct CurveSeries {
    pub name: String,
    pub color: Rgb,
    /// `(iteration, mean %)`, sorted by iteration.
    pub points: Vec<(f64, f64)>,
    /// The paper's final value, drawn as a dotted horizontal line.
    pub paper_final: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub chance: f64,
    pub series: Vec<CurveSeries>,
}

pub fn draw(title: &str, panels: &[Panel]) -> Canvas {
    let (pw, ph) = (330.0f64, 300.0f64);
    let (w, h) = ((pw * panels.len() as f64 + 40.0) as u32, 430u32);
    let mut c = Canvas::new(w, h);
    let top = 60.0;
    let x_max = panels
        .iter()
        .flat_map(|p| p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)))
        .fold(1.0f64, f64::max);
    for (k, panel) in panels.iter().enumerate() {
        let left = 60.0 + pw * k as f64;
        let (iw, ih) = (pw - 80.0, ph - 40.0);
        let xs = |x: f64| (left + iw * x / x_max).round() as i32;
        let ys = |v: f64| (top + ih * (1.0 - v.clamp(0.0, 100.0) / 100.0)).round() as i32;
        for t in (0..=100).step_by(20) {
            c.shapes.push(Shape::Line {
                points: vec![(xs(0.0), ys(t as f64)), (xs(x_max), ys(t as f64))],
                color: (228, 228, 228),
                width: 1,
                dash: None,
            });
            c.labels.push(
                Label::new(
                    left as f32 - 6.0,
                    ys(t as f64) as f32 + 4.0,
                    t.to_string(),
                    11.0,
                )
                .anchor(Anchor::End),
            );
        }
        c.shapes.push(Shape::Line {
            points: vec![(xs(0.0), ys(panel.chance)), (xs(x_max), ys(panel.chance))],
            color: (120, 120, 120),
            width: 1,
            dash: Some((6.0, 4.0)),
        });
        for s in &panel.series {
            if let Some(p) = s.paper_final {
                c.shapes.push(Shape::Line {
                    points: vec![(xs(0.0), ys(p)), (xs(x_max), ys(p))],
                    color: s.color,
                    width: 1,
                    dash: Some((2.0, 3.0)),
                });
            }
            let pts: Vec<(i32, i32)> = s.points.iter().map(|&(x, v)| (xs(x), ys(v))).collect();
            if pts.len() > 1 {
                c.shapes.push(Shape::Line {
                    points: pts.clone(),
                    color: s.color,
                    width: 2,
                    dash: None,
                });
            }
            for p in pts {
                c.shapes.push(Shape::Diamond {
                    at: p,
                    r: 3,
                    color: s.color,
                });
            }
        }
        c.shapes.push(Shape::Line {
            points: vec![
                (xs(0.0), ys(100.0)),
                (xs(0.0), ys(0.0)),
                (xs(x_max), ys(0.0)),
            ],
            color: (0, 0, 0),
            width: 1,
            dash: None,
        });
        for f in [0.0, 0.5, 1.0] {
            let x = x_max * f;
            c.labels.push(
                Label::new(
                    xs(x) as f32,
                    ys(0.0) as f32 + 16.0,
                    format!("{}", x.round() as i64),
                    11.0,
                )
                .anchor(Anchor::Middle),
            );
        }
        c.labels.push(
            Label::new(
                (left + iw / 2.0) as f32,
                ys(0.0) as f32 + 32.0,
                "iterations",
                12.0,
            )
            .anchor(Anchor::Middle),
        );
        c.labels.push(
            Label::new(
                (left + iw / 2.0) as f32,
                top as f32 - 10.0,
                panel.title.clone(),
                14.0,
            )
            .anchor(Anchor::Middle),
        );
    }
    c.labels
        .push(Label::new(w as f32 / 2.0, 24.0, title, 16.0).anchor(Anchor::Middle));
    // Legend along the bottom.
    let mut lx = 60.0f32;
    if let Some(p) = panels.first() {
        for s in &p.series {
            c.shapes.push(Shape::Line {
                points: vec![(lx as i32, 402), (lx as i32 + 20, 402)],
                color: s.color,
                width: 2,
                dash: None,
            });
            c.labels
                .push(Label::new(lx + 26.0, 406.0, s.name.clone(), 12.0));
            lx += 40.0 + super::text::text_width(&s.name, 12.0);
        }
    }
    c.labels.push(Label::new(
        lx,
        406.0,
        "dotted: paper's final value; dashed grey: chance",
        11.0,
    ));
    c
}
