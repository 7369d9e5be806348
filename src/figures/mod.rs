//! Figures (plotters + an embedded font, so the same CSV gives byte-identical PNGs anywhere):
//! grouped bars for Fig. 4 and the ablations, curve panels for Fig. 5.

pub mod bars;
pub mod canvas;
pub mod curves;
pub mod text;

use crate::data::trifeatures::dataset::write_atomic;
use anyhow::Result;
use canvas::{Canvas, Rgb};
use std::path::Path;

/// Colours of the methods and variants (the paper's palette: Cross blue, FactorCL orange,
/// Cross+Self green, CoMM red).
pub const PALETTE: [Rgb; 6] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
];

/// Write `stem.png` and `stem.svg` atomically.
pub fn save(c: &Canvas, dir: &Path, stem: &str) -> Result<()> {
    write_atomic(&dir.join(format!("{stem}.png")), &c.to_png()?)?;
    write_atomic(&dir.join(format!("{stem}.svg")), c.to_svg()?.as_bytes())?;
    Ok(())
}
