//! The bimodal pair builder (REFERENCE §2): ordered pairs of images that share one attribute,
//! and the four downstream tasks each pair carries.
//!
//! Unlike the reference, the synergy mapping and the pair samples are pure functions of the
//! seed (each from its own keyed stream), never of how many draws rendering consumed; this
//! removes the reference's first-run mapping bug (REFERENCE §11.3).

use crate::data::trifeatures::attributes::{Attribute, Attrs, N_VALUES};
use crate::data::trifeatures::recipe::PairRecipe;
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use serde::Serialize;

/// The four tasks of every pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Redundancy: the shared attribute (10 classes).
    Share,
    /// Uniqueness of modality 1: the unique attribute of image 1 (10 classes).
    Unique1,
    /// Uniqueness of modality 2 (10 classes).
    Unique2,
    /// Synergy: whether `b(image 2) == mapping(a(image 1))` (binary).
    Synergy,
}

impl Task {
    pub const ALL: [Task; 4] = [Task::Share, Task::Unique1, Task::Unique2, Task::Synergy];

    pub fn name(self) -> &'static str {
        match self {
            Task::Share => "share",
            Task::Unique1 => "unique1",
            Task::Unique2 => "unique2",
            Task::Synergy => "synergy",
        }
    }

    pub fn n_classes(self) -> usize {
        if self == Task::Synergy { 2 } else { N_VALUES }
    }
}

/// The synergy mapping: value `v` of the first synergy attribute maps to `mapping[v]` of the
/// second. A permutation drawn from the seed alone.
pub fn synergy_mapping(seed: u64) -> [u8; N_VALUES] {
    let mut rng = item_rng(seed, Stream::SynergyMapping, &[]);
    let mut perm: [u8; N_VALUES] = std::array::from_fn(|i| i as u8);
    for i in (1..N_VALUES).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
    perm
}

/// The pair-set rules and the mapping; labels of a pair are computed from it.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRules {
    pub recipe: PairRecipe,
    pub mapping: [u8; N_VALUES],
}

impl PairRules {
    pub fn new(recipe: PairRecipe, seed: u64) -> Self {
        PairRules {
            recipe,
            mapping: synergy_mapping(seed),
        }
    }

    fn get(a: &Attrs, attr: Attribute) -> u8 {
        a[attr.index()]
    }

    /// Labels of the ordered pair (image 1, image 2), in [`Task::ALL`] order.
    pub fn labels(&self, a1: &Attrs, a2: &Attrs) -> [u8; 4] {
        let r = &self.recipe;
        let syn = self.mapping[Self::get(a1, r.synergy[0]) as usize] == Self::get(a2, r.synergy[1]);
        [
            Self::get(a1, r.share),
            Self::get(a1, r.unique),
            Self::get(a2, r.unique),
            syn as u8,
        ]
    }

    /// Whether (i, j) may be paired: same shared attribute, and in a biased set also synergy-
    /// positive (only image 1's first and image 2's second synergy attribute are constrained).
    pub fn allowed(&self, a1: &Attrs, a2: &Attrs, biased: bool) -> bool {
        Self::get(a1, self.recipe.share) == Self::get(a2, self.recipe.share)
            && (!biased || self.labels(a1, a2)[3] == 1)
    }
}

/// One ordered pair: indices into the split's sorted image list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pair {
    pub i: u32,
    pub j: u32,
}

/// A sampled pair set and how many pairs were allowed before sampling.
#[derive(Clone, Debug, PartialEq)]
pub struct PairSet {
    pub name: String,
    pub biased: bool,
    pub n_allowed: usize,
    pub pairs: Vec<Pair>,
}

/// Build a pair set over `images` (attributes in file order). `stream` keys the sample so that
/// every set (train/test x unbiased/biased) has its own draws.
///
/// All allowed ordered pairs (self-pairs included) are listed in row-major order; `max_size` of
/// them are drawn without replacement (a partial Fisher-Yates), or all of them in a random
/// order when fewer are allowed, as the reference's `rng.choice(n, max_size, replace=False)`.
pub fn build_pairs(
    name: &str,
    images: &[Attrs],
    rules: &PairRules,
    biased: bool,
    seed: u64,
    stream: u64,
) -> PairSet {
    // Group by the shared attribute: only same-group pairs are allowed, so this avoids the
    // n x n scan. Row-major order is kept by iterating i, then j ascending within i's group.
    let share = rules.recipe.share.index();
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); N_VALUES];
    for (k, a) in images.iter().enumerate() {
        groups[a[share] as usize].push(k as u32);
    }
    let mut allowed: Vec<Pair> = Vec::new();
    for (i, a1) in images.iter().enumerate() {
        for &j in &groups[a1[share] as usize] {
            if rules.allowed(a1, &images[j as usize], biased) {
                allowed.push(Pair { i: i as u32, j });
            }
        }
    }
    let n_allowed = allowed.len();
    let take = rules.recipe.max_size.min(n_allowed);
    let mut rng = item_rng(seed, Stream::Pairs, &[stream]);
    for k in 0..take {
        let r = rng.random_range(k..n_allowed);
        allowed.swap(k, r);
    }
    allowed.truncate(take);
    PairSet {
        name: name.to_string(),
        biased,
        n_allowed,
        pairs: allowed,
    }
}

/// Summary statistics of a pair set (REFERENCE §2.2's columns).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairStats {
    pub set: String,
    pub n_images: usize,
    pub allowed_pairs: usize,
    pub used_pairs: usize,
    pub self_pairs: usize,
    pub synergy_positive: usize,
}

impl PairSet {
    pub fn stats(&self, images: &[Attrs], rules: &PairRules) -> PairStats {
        PairStats {
            set: self.name.clone(),
            n_images: images.len(),
            allowed_pairs: self.n_allowed,
            used_pairs: self.pairs.len(),
            self_pairs: self.pairs.iter().filter(|p| p.i == p.j).count(),
            synergy_positive: self
                .pairs
                .iter()
                .filter(|p| rules.labels(&images[p.i as usize], &images[p.j as usize])[3] == 1)
                .count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::trifeatures::split::{image_specs, split_combinations};
    use std::collections::HashSet;

    fn reference_images(seed: u64) -> (Vec<Attrs>, Vec<Attrs>) {
        let split = split_combinations(seed, 200).unwrap();
        let attrs = |train| {
            image_specs(&split, 3, train)
                .iter()
                .map(|s| s.attrs())
                .collect()
        };
        (attrs(true), attrs(false))
    }

    #[test]
    fn mapping_is_a_permutation_of_the_seed_alone() {
        let m = synergy_mapping(42);
        let mut sorted = m;
        sorted.sort();
        assert_eq!(sorted, std::array::from_fn(|i| i as u8));
        assert_eq!(m, synergy_mapping(42));
        assert_ne!(m, synergy_mapping(43));
    }

    #[test]
    fn reference_pair_statistics() {
        let rules = PairRules::new(PairRecipe::default(), 42);
        let (train, test) = reference_images(42);
        let per_shape = |imgs: &[Attrs]| {
            let mut n = [0usize; 10];
            imgs.iter().for_each(|a| n[a[0] as usize] += 1);
            n.iter().map(|&k| k * k).sum::<usize>()
        };

        // Unbiased train: all ordered same-shape pairs allowed, 10,000 sampled, ~10 % positive.
        let tu = build_pairs("train_unbiased", &train, &rules, false, 42, 0);
        assert_eq!(tu.n_allowed, per_shape(&train));
        assert_eq!(tu.pairs.len(), 10_000);
        assert_eq!(
            tu.pairs.iter().collect::<HashSet<_>>().len(),
            10_000,
            "with replacement"
        );
        let st = tu.stats(&train, &rules);
        // Binomial(10000, 0.1): sd 30, so 850..1150 is five sd.
        assert!((850..=1150).contains(&st.synergy_positive), "{st:?}");
        assert!(st.self_pairs < 100);

        // Biased train: every pair synergy-positive, about a tenth of the pairs allowed.
        let tb = build_pairs("train_biased", &train, &rules, true, 42, 1);
        let sb = tb.stats(&train, &rules);
        assert_eq!(sb.synergy_positive, 10_000);
        assert!((tb.n_allowed as f64 / tu.n_allowed as f64 - 0.1).abs() < 0.01);

        // Unbiased test: every ordered same-shape pair of the test images, self-pairs included.
        let hu = build_pairs("test_unbiased", &test, &rules, false, 42, 2);
        assert_eq!(hu.pairs.len(), per_shape(&test));
        assert_eq!(hu.stats(&test, &rules).self_pairs, 200);
        let all: HashSet<_> = hu.pairs.iter().collect();
        assert_eq!(all.len(), hu.pairs.len());
        for (i, a) in test.iter().enumerate() {
            for (j, b) in test.iter().enumerate() {
                assert_eq!(
                    all.contains(&Pair {
                        i: i as u32,
                        j: j as u32
                    }),
                    a[0] == b[0]
                );
            }
        }
    }

    #[test]
    fn labels_follow_the_rules() {
        let rules = PairRules::new(PairRecipe::default(), 42);
        let m = rules.mapping;
        let a1 = [3, 4, 0];
        let pos = [3, 7, m[4]];
        let neg = [3, 7, (m[4] + 1) % 10];
        assert_eq!(rules.labels(&a1, &pos), [3, 4, 7, 1]);
        assert_eq!(rules.labels(&a1, &neg), [3, 4, 7, 0]);
        assert!(rules.allowed(&a1, &pos, true) && !rules.allowed(&a1, &neg, true));
        assert!(!rules.allowed(&a1, &[2, 7, m[4]], false));
    }

    #[test]
    fn any_attribute_can_play_any_role() {
        let recipe = PairRecipe {
            share: Attribute::Color,
            unique: Attribute::Shape,
            synergy: [Attribute::Shape, Attribute::Texture],
            max_size: 500,
        };
        let rules = PairRules::new(recipe, 5);
        let (train, _) = reference_images(5);
        let set = build_pairs("x", &train, &rules, true, 5, 1);
        assert_eq!(set.pairs.len(), 500);
        for p in &set.pairs {
            let (a, b) = (&train[p.i as usize], &train[p.j as usize]);
            assert_eq!(a[2], b[2]);
            assert_eq!(rules.mapping[a[0] as usize], b[1]);
        }
    }
}
