//! Dataset recipes: the TOML files in `generators/`.

use super::attributes::Attribute;
use super::render::{RenderGeometry, max_rotated_size};
use super::textures::TextureGeometry;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Upper bounds that catch typos (an extra zero) before they fill a disk.
pub const MAX_CANVAS: usize = 2048;
pub const MAX_RENDERS: usize = 1000;
pub const MAX_PAIRS: usize = 10_000_000;
/// Largest dataset written without an explicit override (`gen-trifeature --allow-large`), in raw
/// RGB bytes (canvas² x 3 per image; PNG stores 40-100 % of that). The reference recipe needs
/// 0.39 GB; a typo such as canvas 2048 with 1000 renders would need ~10 TB.
pub const MAX_RAW_BYTES: u64 = 16 << 30;

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("cannot read recipe {path}: {source}; check the --recipe path")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("malformed recipe {path}: {msg}; fix the TOML (see generators/trifeature.toml)")]
    Parse { path: String, msg: String },
    #[error("invalid recipe: {0}")]
    Invalid(String),
}

/// How pairs are built (REFERENCE §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRecipe {
    /// Attribute both images of a pair share (redundant): default shape.
    pub share: Attribute,
    /// Attribute unique to each modality: default texture.
    pub unique: Attribute,
    /// `[a, b]`: the synergy label is `b(image 2) == mapping(a(image 1))`; default
    /// texture x colour.
    pub synergy: [Attribute; 2],
    /// Pairs per set, sampled without replacement (all of them, shuffled, when fewer exist).
    pub max_size: usize,
}

impl Default for PairRecipe {
    fn default() -> Self {
        PairRecipe {
            share: Attribute::Shape,
            unique: Attribute::Texture,
            synergy: [Attribute::Texture, Attribute::Color],
            max_size: 10_000,
        }
    }
}

/// A Trifeatures dataset recipe. Every field is explicit in the TOML; unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Short name; the default output directory is `data/<name>`.
    pub name: String,
    pub seed: u64,
    /// Canvas side in pixels (reference 224).
    pub canvas: usize,
    /// Shape template side (reference 128).
    pub template: usize,
    /// Texture period (reference 10).
    pub texture_period: usize,
    /// Angles are integers in `[-max_angle, max_angle - 1]` (reference 45).
    pub max_angle: i32,
    /// Renders per training combination (reference 3); held-out combinations get one.
    pub renders_per_train_combination: usize,
    /// Fraction of the 1000 combinations used for training (reference 0.8).
    pub train_fraction: f64,
    pub pairs: PairRecipe,
}

impl Recipe {
    /// The reference recipe (REFERENCE §1), identical to `generators/trifeature.toml`.
    pub fn reference() -> Self {
        Recipe {
            name: "trifeature".into(),
            seed: 42,
            canvas: 224,
            template: 128,
            texture_period: 10,
            max_angle: 45,
            renders_per_train_combination: 3,
            train_fraction: 0.8,
            pairs: PairRecipe::default(),
        }
    }

    pub fn from_toml(text: &str, origin: &str) -> Result<Self, RecipeError> {
        let r: Recipe = toml::from_str(text).map_err(|e| RecipeError::Parse {
            path: origin.to_string(),
            // toml's messages span several lines (a caret diagram): keep one line.
            msg: e.message().trim().replace('\n', " "),
        })?;
        r.validate()?;
        Ok(r)
    }

    pub fn load(path: &Path) -> Result<Self, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Number of held-out (test) combinations.
    pub fn n_test_combinations(&self) -> usize {
        (1000.0 * (1.0 - self.train_fraction)).round() as usize
    }

    /// Images the recipe renders: every training combination `renders_per_train_combination`
    /// times, every held-out one once.
    pub fn n_images(&self) -> u64 {
        let test = self.n_test_combinations() as u64;
        (1000 - test) * self.renders_per_train_combination as u64 + test
    }

    /// Upper estimate of the dataset's size: raw RGB bytes of all its images.
    pub fn raw_bytes(&self) -> u64 {
        self.n_images() * (self.canvas as u64).pow(2) * 3
    }

    /// Refuse a recipe larger than [`MAX_RAW_BYTES`] unless `allow_large`, before anything is
    /// written.
    pub fn check_size(&self, allow_large: bool) -> Result<(), RecipeError> {
        let bytes = self.raw_bytes();
        if bytes <= MAX_RAW_BYTES || allow_large {
            return Ok(());
        }
        let gb = |b: u64| b as f64 / 1e9;
        Err(RecipeError::Invalid(format!(
            "recipe {:?} would write {} images of {} px, up to {:.1} GB (limit {:.1} GB): lower \
             canvas or renders_per_train_combination, or pass --allow-large if you mean it",
            self.name,
            self.n_images(),
            self.canvas,
            gb(bytes),
            gb(MAX_RAW_BYTES)
        )))
    }

    pub fn validate(&self) -> Result<(), RecipeError> {
        let bad = |m: String| Err(RecipeError::Invalid(m));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return bad(format!(
                "name {:?} must be non-empty letters, digits, '-', '_' or '.'",
                self.name
            ));
        }
        if self.canvas < 16 || self.canvas > MAX_CANVAS {
            return bad(format!(
                "canvas = {} must be in 16..={MAX_CANVAS}",
                self.canvas
            ));
        }
        if self.template < 8 {
            return bad(format!("template = {} must be at least 8", self.template));
        }
        if self.max_angle < 0 || self.max_angle > 180 {
            return bad(format!("max_angle = {} must be in 0..=180", self.max_angle));
        }
        let rotated = max_rotated_size(self.template, self.max_angle.max(1));
        if rotated >= self.canvas {
            return bad(format!(
                "template = {} rotated up to {} degrees needs {rotated} px, larger than the canvas \
                 ({}): use a template of at most {} or a larger canvas",
                self.template,
                self.max_angle,
                self.canvas,
                largest_template(self.canvas, self.max_angle)
            ));
        }
        if self.texture_period < 4 || self.texture_period > self.canvas {
            return bad(format!(
                "texture_period = {} must be in 4..=canvas ({}); below 4 the textures are not \
                 distinguishable",
                self.texture_period, self.canvas
            ));
        }
        if self.renders_per_train_combination == 0
            || self.renders_per_train_combination > MAX_RENDERS
        {
            return bad(format!(
                "renders_per_train_combination = {} must be in 1..={MAX_RENDERS}",
                self.renders_per_train_combination
            ));
        }
        let n_test = self.n_test_combinations();
        let fraction_ok = self.train_fraction > 0.0 && self.train_fraction < 1.0;
        if !(fraction_ok && (10..=990).contains(&n_test)) {
            return bad(format!(
                "train_fraction = {} must leave at least 10 combinations on each side \
                 (0.01..=0.99) so every attribute value can appear in both splits",
                self.train_fraction
            ));
        }
        let p = &self.pairs;
        if p.max_size == 0 || p.max_size > MAX_PAIRS {
            return bad(format!(
                "pairs.max_size = {} must be in 1..={MAX_PAIRS}",
                p.max_size
            ));
        }
        if p.unique == p.share {
            return bad(format!(
                "pairs.unique = {} equals pairs.share: the unique attribute must differ from the \
                 shared one",
                p.unique
            ));
        }
        if p.synergy.contains(&p.share) {
            return bad(format!(
                "pairs.synergy = [{}, {}] uses the shared attribute {}: a synergy label must \
                 combine non-shared attributes",
                p.synergy[0], p.synergy[1], p.share
            ));
        }
        Ok(())
    }

    pub fn geometry(&self) -> RenderGeometry {
        RenderGeometry {
            canvas: self.canvas,
            template: self.template,
            max_angle: self.max_angle,
            texture: TextureGeometry::new(self.texture_period),
        }
    }

    /// SHA-256 of the resolved recipe's canonical JSON: identifies "the same recipe and seed".
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).expect("recipe serialises");
        hex(&Sha256::digest(json.as_bytes()))
    }
}

/// The largest template whose rotations fit inside `canvas`.
fn largest_template(canvas: usize, max_angle: i32) -> usize {
    (8..canvas)
        .rev()
        .find(|&b| max_rotated_size(b, max_angle.max(1)) < canvas)
        .unwrap_or(8)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = include_str!("../../../generators/trifeature.toml");

    #[test]
    fn oversized_recipes_are_refused_unless_allowed() {
        let r = Recipe::reference();
        // 800 x 3 + 200 images of 224 x 224 x 3 bytes.
        assert_eq!(r.n_images(), 2600);
        assert_eq!(r.raw_bytes(), 2600 * 224 * 224 * 3);
        assert!(r.check_size(false).is_ok());
        let big = Recipe {
            canvas: 2048,
            renders_per_train_combination: 1000,
            ..Recipe::reference()
        };
        assert!(big.validate().is_ok());
        let e = big.check_size(false).unwrap_err().to_string();
        assert!(
            e.contains("--allow-large") && e.contains("800200 images"),
            "{e}"
        );
        assert!(big.check_size(true).is_ok());
    }

    #[test]
    fn shipped_reference_recipe_is_the_reference() {
        assert_eq!(
            Recipe::from_toml(REF, "trifeature.toml").unwrap(),
            Recipe::reference()
        );
    }

    #[test]
    fn shipped_recipes_are_valid() {
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/generators")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Recipe::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }

    fn err(text: &str) -> String {
        Recipe::from_toml(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn bad_recipes_are_refused_with_one_line() {
        let with = |from: &str, to: &str| REF.replacen(from, to, 1);
        let cases = [
            (REF.replace("[pairs]", "[pairs"), "malformed recipe"),
            (format!("{REF}\ncolour_depth = 8\n"), "unknown field"),
            (with("canvas = 224", "canvas = 0"), "canvas = 0"),
            (with("canvas = 224", "canvas = 100000"), "canvas = 100000"),
            (
                with("template = 128", "template = 200"),
                "larger than the canvas",
            ),
            (
                with("texture_period = 10", "texture_period = 0"),
                "texture_period = 0",
            ),
            (
                with(
                    "renders_per_train_combination = 3",
                    "renders_per_train_combination = 0",
                ),
                "renders",
            ),
            (
                with("train_fraction = 0.8", "train_fraction = 1.0"),
                "train_fraction",
            ),
            (with("max_size = 10000", "max_size = 0"), "max_size"),
            (with("unique = \"texture\"", "unique = \"shape\""), "unique"),
            (
                with("unique = \"texture\"", "unique = \"smell\""),
                "malformed",
            ),
            (with("canvas = 224", "canvas = -3"), "malformed"),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(e.contains(want), "expected {want:?} in {e:?}");
            assert!(!e.contains('\n'), "multi-line error: {e:?}");
        }
    }

    #[test]
    fn fingerprint_tracks_every_field() {
        let a = Recipe::reference();
        let mut b = a.clone();
        b.seed = 43;
        let mut c = a.clone();
        c.pairs.max_size = 9999;
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.fingerprint(), Recipe::reference().fingerprint());
    }
}
