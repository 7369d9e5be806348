//! Text for the figures, from an embedded font (DejaVu Sans, `assets/fonts`), so a PNG is the
//! same bytes on any machine: plotters 0.3's own text needs system fonts (font-kit).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use std::sync::OnceLock;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

fn font() -> &'static FontRef<'static> {
    static F: OnceLock<FontRef<'static>> = OnceLock::new();
    F.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("embedded DejaVu Sans parses"))
}

/// Horizontal anchor of a label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One label: baseline position in pixels, size in px, RGB colour, optional 90° rotation
/// (counter-clockwise, for y-axis titles).
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub x: f32,
    pub y: f32,
    pub text: String,
    pub size: f32,
    pub color: (u8, u8, u8),
    pub anchor: Anchor,
    pub vertical: bool,
}

impl Label {
    pub fn new(x: f32, y: f32, text: impl Into<String>, size: f32) -> Self {
        Label {
            x,
            y,
            text: text.into(),
            size,
            color: (0, 0, 0),
            anchor: Anchor::Start,
            vertical: false,
        }
    }

    pub fn anchor(mut self, a: Anchor) -> Self {
        self.anchor = a;
        self
    }

    pub fn color(mut self, c: (u8, u8, u8)) -> Self {
        self.color = c;
        self
    }

    pub fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
}

/// Advance width of `text` at `size` px.
pub fn text_width(text: &str, size: f32) -> f32 {
    let f = font().as_scaled(PxScale::from(size));
    text.chars().map(|c| f.h_advance(f.glyph_id(c))).sum()
}

/// Blend `label` into an RGB8 buffer of `w` x `h`.
pub fn draw_png(buf: &mut [u8], w: usize, h: usize, label: &Label) {
    let scaled = font().as_scaled(PxScale::from(label.size));
    let width = text_width(&label.text, label.size);
    let shift = match label.anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -width / 2.0,
        Anchor::End => -width,
    };
    let mut pen = shift;
    for c in label.text.chars() {
        let id = scaled.glyph_id(c);
        let glyph =
            id.with_scale_and_position(PxScale::from(label.size), ab_glyph::point(pen, 0.0));
        pen += scaled.h_advance(id);
        let Some(outline) = font().outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, cov| {
            // Glyph-local pixel (relative to the baseline origin) -> image pixel.
            let (lx, ly) = (bounds.min.x + gx as f32, bounds.min.y + gy as f32);
            let (px, py) = if label.vertical {
                (label.x + ly, label.y - lx)
            } else {
                (label.x + lx, label.y + ly)
            };
            let (px, py) = (px.round() as i64, py.round() as i64);
            if px < 0 || py < 0 || px >= w as i64 || py >= h as i64 {
                return;
            }
            let i = (py as usize * w + px as usize) * 3;
            let a = cov.clamp(0.0, 1.0);
            for (k, c) in [label.color.0, label.color.1, label.color.2]
                .into_iter()
                .enumerate()
            {
                let old = buf[i + k] as f32;
                buf[i + k] = (old + (c as f32 - old) * a).round() as u8;
            }
        });
    }
}

/// The label as an SVG `<text>` element.
pub fn svg_element(label: &Label) -> String {
    let anchor = match label.anchor {
        Anchor::Start => "start",
        Anchor::Middle => "middle",
        Anchor::End => "end",
    };
    let esc = label
        .text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let rotate = if label.vertical {
        format!(r#" transform="rotate(-90 {} {})""#, label.x, label.y)
    } else {
        String::new()
    };
    format!(
        r#"<text x="{}" y="{}" font-family="DejaVu Sans, sans-serif" font-size="{}" fill="rgb({},{},{})" text-anchor="{anchor}"{rotate}>{esc}</text>"#,
        label.x, label.y, label.size, label.color.0, label.color.1, label.color.2
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_and_measured() {
        let (w, h) = (80, 30);
        let mut buf = vec![255u8; w * h * 3];
        draw_png(&mut buf, w, h, &Label::new(5.0, 20.0, "R/U/S", 14.0));
        let dark = buf.chunks(3).filter(|p| p[0] < 128).count();
        assert!(dark > 20, "{dark} dark pixels");
        assert!(text_width("WW", 14.0) > text_width("ii", 14.0));
        assert!(svg_element(&Label::new(1.0, 2.0, "a<b", 10.0)).contains("a&lt;b"));
    }
}
