//! Helpers shared by the integration tests.

use rusbench::data::trifeatures::{GenerateOptions, Recipe, generate};
use std::path::Path;

/// A 64 px dataset with one render per training combination and 200 pairs per set.
pub fn tiny_dataset(dir: &Path) {
    let mut r = Recipe::reference();
    r.name = "tiny64".into();
    r.canvas = 64;
    r.template = 40;
    r.texture_period = 6;
    r.renders_per_train_combination = 1;
    r.pairs.max_size = 200;
    generate(
        &r,
        &GenerateOptions {
            out: dir.to_path_buf(),
            ..Default::default()
        },
    )
    .unwrap();
}
