//! The three attributes and their ten values each, in the reference's label order (REFERENCE §1.1).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Number of values of every attribute.
pub const N_VALUES: usize = 10;

pub const SHAPES: [&str; N_VALUES] = [
    "triangle",
    "square",
    "plus",
    "circle",
    "tee",
    "rhombus",
    "pentagon",
    "star",
    "fivesquare",
    "trapezoid",
];

pub const TEXTURES: [&str; N_VALUES] = [
    "solid",
    "stripes",
    "grid",
    "hexgrid",
    "dots",
    "noise",
    "triangles",
    "zigzags",
    "rain",
    "pluses",
];

pub const COLOR_NAMES: [&str; N_VALUES] = [
    "red", "green", "blue", "yellow", "pink", "cyan", "purple", "ocean", "orange", "white",
];

/// Colours as the reference's float32 RGB in [0, 1].
pub const COLORS: [[f32; 3]; N_VALUES] = [
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0],
    [1.0, 1.0, 0.0],
    [1.0, 0.4, 1.0],
    [0.0, 1.0, 1.0],
    [0.3, 0.0, 0.5],
    [0.1, 0.4, 0.5],
    [1.0, 0.6, 0.0],
    [1.0, 1.0, 1.0],
];

/// Background grey as a float; it becomes 127 after the truncating uint8 conversion.
pub const BACKGROUND: f32 = 0.5;

/// The reference's uint8 conversion: multiply by 255, then truncate (not round).
#[inline]
pub fn to_u8(v: f32) -> u8 {
    (v * 255.0) as u8
}

/// One of the three attributes of a stimulus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attribute {
    Shape,
    Texture,
    Color,
}

impl Attribute {
    pub const ALL: [Attribute; 3] = [Attribute::Shape, Attribute::Texture, Attribute::Color];

    /// Position in an `[shape, texture, color]` triple.
    pub fn index(self) -> usize {
        match self {
            Attribute::Shape => 0,
            Attribute::Texture => 1,
            Attribute::Color => 2,
        }
    }

    pub fn names(self) -> &'static [&'static str; N_VALUES] {
        match self {
            Attribute::Shape => &SHAPES,
            Attribute::Texture => &TEXTURES,
            Attribute::Color => &COLOR_NAMES,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Attribute::Shape => "shape",
            Attribute::Texture => "texture",
            Attribute::Color => "color",
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The attribute values of one image, `[shape, texture, color]`, each in `0..10`.
pub type Attrs = [u8; 3];

/// Combination index in the reference's nested order shape -> texture -> colour.
pub fn combination_index(a: Attrs) -> usize {
    100 * a[0] as usize + 10 * a[1] as usize + a[2] as usize
}

/// Inverse of [`combination_index`].
pub fn combination(idx: usize) -> Attrs {
    [(idx / 100) as u8, (idx / 10 % 10) as u8, (idx % 10) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncating_conversion_matches_reference_values() {
        // REFERENCE §1.1: pink 255,102,255; purple 76,0,127; ocean 25,102,127; orange 255,153,0;
        // background 127 (0.5 * 255 = 127.5 truncated).
        let u = |c: [f32; 3]| c.map(to_u8);
        assert_eq!(u(COLORS[4]), [255, 102, 255]);
        assert_eq!(u(COLORS[6]), [76, 0, 127]);
        assert_eq!(u(COLORS[7]), [25, 102, 127]);
        assert_eq!(u(COLORS[8]), [255, 153, 0]);
        assert_eq!(to_u8(BACKGROUND), 127);
    }

    #[test]
    fn combination_roundtrip() {
        for i in 0..1000 {
            assert_eq!(combination_index(combination(i)), i);
        }
        assert_eq!(combination_index([3, 4, 5]), 345);
    }
}
