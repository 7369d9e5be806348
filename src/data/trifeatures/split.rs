//! The split of the 1000 attribute combinations into training and held-out test combinations
//! (REFERENCE §1.5): a shuffled 0/1 array, then one image per test combination and N per train
//! combination.

use super::attributes::{Attrs, N_VALUES, combination};
use crate::rng::{Stream, item_rng};
use rand::RngExt;

/// Combination indices (`100 s + 10 t + c`) of each side, ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CombinationSplit {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// How many reshuffles we try before giving up on "every value on both sides".
const MAX_ATTEMPTS: u64 = 1000;

/// Shuffle 1000 flags of which `n_test` are set, with a generator keyed by `(seed, attempt)`.
/// A draw in which some attribute value misses one side is redrawn with the next attempt (the
/// reference's single draw at 200/800 satisfies this; small test fractions may need a redraw).
pub fn split_combinations(seed: u64, n_test: usize) -> Result<CombinationSplit, String> {
    for attempt in 0..MAX_ATTEMPTS {
        let mut rng = item_rng(seed, Stream::Split, &[attempt]);
        let mut flags: Vec<bool> = (0..1000).map(|i| i < n_test).collect();
        // Fisher-Yates, back to front.
        for i in (1..flags.len()).rev() {
            let j = rng.random_range(0..=i);
            flags.swap(i, j);
        }
        let test: Vec<usize> = (0..1000).filter(|&i| flags[i]).collect();
        let train: Vec<usize> = (0..1000).filter(|&i| !flags[i]).collect();
        if covers_all_values(&train) && covers_all_values(&test) {
            return Ok(CombinationSplit { train, test });
        }
    }
    Err(format!(
        "no split with {n_test} test combinations shows every attribute value on both sides; \
         raise the held-out fraction"
    ))
}

fn covers_all_values(combos: &[usize]) -> bool {
    (0..3).all(|a| {
        let mut seen = [false; N_VALUES];
        for &c in combos {
            seen[combination(c)[a] as usize] = true;
        }
        seen.iter().all(|&s| s)
    })
}

/// One image to render: its split, combination and render index `k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    pub train: bool,
    pub combination: usize,
    pub k: usize,
}

impl ImageSpec {
    pub fn attrs(&self) -> Attrs {
        combination(self.combination)
    }

    /// File name relative to the dataset root, as the reference names them.
    pub fn file_name(&self) -> String {
        let a = self.attrs();
        let base = format!(
            "{}_{}_{}",
            super::attributes::SHAPES[a[0] as usize],
            super::attributes::TEXTURES[a[1] as usize],
            super::attributes::COLOR_NAMES[a[2] as usize]
        );
        if self.train {
            format!("train/{base}_{}.png", self.k)
        } else {
            format!("test/{base}.png")
        }
    }

    /// The path of indices that keys this image's render generator.
    pub fn key_path(&self) -> [u64; 3] {
        [self.train as u64, self.combination as u64, self.k as u64]
    }
}

/// All images of a split, in the order the files sort (the reference loads `sorted(listdir)`).
pub fn image_specs(split: &CombinationSplit, renders: usize, train: bool) -> Vec<ImageSpec> {
    let mut v: Vec<ImageSpec> = if train {
        split
            .train
            .iter()
            .flat_map(|&c| {
                (0..renders).map(move |k| ImageSpec {
                    train: true,
                    combination: c,
                    k,
                })
            })
            .collect()
    } else {
        split
            .test
            .iter()
            .map(|&c| ImageSpec {
                train: false,
                combination: c,
                k: 0,
            })
            .collect()
    };
    v.sort_by_cached_key(|s| s.file_name());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn reference_split_counts_and_disjointness() {
        let s = split_combinations(42, 200).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (800, 200));
        let train: HashSet<_> = s.train.iter().collect();
        assert!(s.test.iter().all(|c| !train.contains(c)));
        assert!(covers_all_values(&s.train) && covers_all_values(&s.test));
        let imgs = image_specs(&s, 3, true);
        assert_eq!(imgs.len(), 2400);
        let names: HashSet<_> = imgs.iter().map(|i| i.file_name()).collect();
        assert_eq!(names.len(), 2400);
        assert_eq!(image_specs(&s, 3, false).len(), 200);
    }

    #[test]
    fn split_depends_on_seed_only() {
        assert_eq!(
            split_combinations(7, 200).unwrap(),
            split_combinations(7, 200).unwrap()
        );
        assert_ne!(
            split_combinations(7, 200).unwrap(),
            split_combinations(8, 200).unwrap()
        );
    }

    #[test]
    fn tiny_test_fraction_still_covers_every_value() {
        let s = split_combinations(3, 40).unwrap();
        assert_eq!(s.test.len(), 40);
        assert!(covers_all_values(&s.test));
    }

    #[test]
    fn file_names_follow_the_reference() {
        let t = ImageSpec {
            train: true,
            combination: 345,
            k: 2,
        };
        assert_eq!(t.file_name(), "train/circle_dots_cyan_2.png");
        let h = ImageSpec {
            train: false,
            combination: 9,
            k: 0,
        };
        assert_eq!(h.file_name(), "test/triangle_solid_white.png");
    }
}
