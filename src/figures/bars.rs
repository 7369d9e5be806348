//! Grouped bar charts with error bars, chance lines and reference markers (Fig. 4, the fusion
//! and augmentation ablations).

use super::canvas::{Canvas, Rgb, Shape};
use super::text::{Anchor, Label};

/// One bar series (a method or variant): per group, `(mean, std)` in percent, and the paper's
/// value where published.
#[derive(Clone, Debug)]
pub struct BarSeries {
    pub name: String,
    pub color: Rgb,
    pub values: Vec<Option<(f64, f64)>>,
    pub paper: Vec<Option<f64>>,
}

#[derive(Clone, Debug)]
pub struct BarChart {
    pub title: String,
    /// Group names along x (e.g. R, U1, U2, S).
    pub groups: Vec<String>,
    /// Chance level of each group (or another reference), drawn as a dashed line across it.
    pub chance: Vec<f64>,
    /// Legend entry of the dashed line ("chance").
    pub line_label: String,
    pub series: Vec<BarSeries>,
    pub y_label: String,
}

const GREY: Rgb = (90, 90, 90);

pub fn draw(chart: &BarChart) -> Canvas {
    let (w, h) = (900u32, 520u32);
    let mut c = Canvas::new(w, h);
    let (left, right, top, bottom) = (70.0f64, 200.0f64, 50.0f64, 60.0f64);
    let plot_w = w as f64 - left - right;
    let plot_h = h as f64 - top - bottom;
    let y = |v: f64| (top + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0)).round() as i32;
    let x0 = left.round() as i32;
    let x1 = (left + plot_w).round() as i32;
    // Grid and y ticks.
    for t in (0..=100).step_by(20) {
        let yy = y(t as f64);
        c.shapes.push(Shape::Line {
            points: vec![(x0, yy), (x1, yy)],
            color: (225, 225, 225),
            width: 1,
            dash: None,
        });
        c.labels.push(
            Label::new(left as f32 - 8.0, yy as f32 + 4.0, t.to_string(), 12.0).anchor(Anchor::End),
        );
    }
    let ng = chart.groups.len().max(1);
    let ns = chart.series.len().max(1);
    let group_w = plot_w / ng as f64;
    let bar_w = group_w * 0.8 / ns as f64;
    for (g, name) in chart.groups.iter().enumerate() {
        let gx = left + group_w * g as f64;
        for (s, series) in chart.series.iter().enumerate() {
            let bx0 = gx + group_w * 0.1 + bar_w * s as f64;
            let bx1 = bx0 + bar_w * 0.92;
            let mid = ((bx0 + bx1) / 2.0).round() as i32;
            if let Some(Some((mean, std))) = series.values.get(g) {
                c.shapes.push(Shape::Rect {
                    from: (bx0.round() as i32, y(*mean)),
                    to: (bx1.round() as i32, y(0.0)),
                    fill: series.color,
                });
                if *std > 0.0 {
                    let (lo, hi) = (y(mean - std), y(mean + std));
                    for pts in [
                        vec![(mid, lo), (mid, hi)],
                        vec![(mid - 4, lo), (mid + 4, lo)],
                        vec![(mid - 4, hi), (mid + 4, hi)],
                    ] {
                        c.shapes.push(Shape::Line {
                            points: pts,
                            color: (0, 0, 0),
                            width: 1,
                            dash: None,
                        });
                    }
                }
                // Inside the bar's top in white where it fits, else above the whisker.
                let label = if *mean > 12.0 {
                    Label::new(
                        mid as f32,
                        y(*mean) as f32 + 13.0,
                        format!("{mean:.1}"),
                        10.0,
                    )
                    .color((255, 255, 255))
                } else {
                    Label::new(
                        mid as f32,
                        y(mean + std) as f32 - 4.0,
                        format!("{mean:.1}"),
                        10.0,
                    )
                };
                c.labels.push(label.anchor(Anchor::Middle));
            }
            if let Some(Some(p)) = series.paper.get(g) {
                c.shapes.push(Shape::Diamond {
                    at: (mid, y(*p)),
                    r: 5,
                    color: (0, 0, 0),
                });
            }
        }
        if let Some(ch) = chart.chance.get(g) {
            c.shapes.push(Shape::Line {
                points: vec![
                    (gx.round() as i32 + 4, y(*ch)),
                    ((gx + group_w).round() as i32 - 4, y(*ch)),
                ],
                color: GREY,
                width: 1,
                dash: Some((6.0, 4.0)),
            });
        }
        c.labels.push(
            Label::new(
                (gx + group_w / 2.0) as f32,
                (top + plot_h) as f32 + 22.0,
                name.clone(),
                14.0,
            )
            .anchor(Anchor::Middle),
        );
    }
    // Axes.
    c.shapes.push(Shape::Line {
        points: vec![(x0, y(100.0)), (x0, y(0.0)), (x1, y(0.0))],
        color: (0, 0, 0),
        width: 1,
        dash: None,
    });
    c.labels.push(
        Label::new(
            w as f32 / 2.0 - right as f32 / 2.0,
            30.0,
            chart.title.clone(),
            16.0,
        )
        .anchor(Anchor::Middle),
    );
    c.labels.push(
        Label::new(
            22.0,
            (top + plot_h / 2.0) as f32,
            chart.y_label.clone(),
            13.0,
        )
        .anchor(Anchor::Middle)
        .vertical(),
    );
    // Legend.
    let lx = (left + plot_w + 20.0) as i32;
    for (s, series) in chart.series.iter().enumerate() {
        let ly = top as i32 + 10 + 24 * s as i32;
        c.shapes.push(Shape::Rect {
            from: (lx, ly),
            to: (lx + 14, ly + 14),
            fill: series.color,
        });
        c.labels.push(Label::new(
            lx as f32 + 22.0,
            ly as f32 + 12.0,
            series.name.clone(),
            13.0,
        ));
    }
    let ly = top as i32 + 10 + 24 * chart.series.len() as i32;
    if chart
        .series
        .iter()
        .any(|s| s.paper.iter().any(|p| p.is_some()))
    {
        c.shapes.push(Shape::Diamond {
            at: (lx + 7, ly + 7),
            r: 5,
            color: (0, 0, 0),
        });
        c.labels.push(Label::new(
            lx as f32 + 22.0,
            ly as f32 + 12.0,
            "paper",
            13.0,
        ));
    }
    let ly = ly + 24;
    c.shapes.push(Shape::Line {
        points: vec![(lx, ly + 7), (lx + 14, ly + 7)],
        color: GREY,
        width: 1,
        dash: Some((4.0, 3.0)),
    });
    c.labels.push(Label::new(
        lx as f32 + 22.0,
        ly as f32 + 12.0,
        chart.line_label.clone(),
        13.0,
    ));
    c.labels.push(Label::new(
        lx as f32,
        ly as f32 + 40.0,
        "bars: mean, whiskers: ±1 std",
        10.0,
    ));
    c
}
