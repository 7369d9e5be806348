//! The augmentation pipelines and their per-modality variants (REFERENCE §3).

use super::Image;
use super::blur::gaussian_blur;
use super::color::{brightness, contrast, grayscale, hue, saturation};
use super::crop::{CropBox, random_resized_crop_box, resized_crop};
use crate::rng::{Stream, item_rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What one view of one modality is keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AugmentKey {
    pub seed: u64,
    pub epoch: u64,
    /// Index of the pair (or image) in its set.
    pub index: u64,
    /// View number (0 = X', 1 = X'', ...).
    pub view: u64,
    /// Modality (0 or 1).
    pub modality: u64,
}

/// One modality's augmentation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Augmentation {
    /// No augmentation: the image is only resized to the output size and normalised.
    None,
    /// The reference's `img_transform`: RandomResizedCrop(scale 0.5-1) only (`null` in the
    /// reference's ablation lists).
    Weak,
    /// The SimCLR pipeline: crop with this scale range (None: no crop, `all_wo_crop`), colour
    /// jitter 0.4/0.4/0.4/0.1 with p 0.8, greyscale p 0.2, blur p 0.5, horizontal flip.
    Strong { crop: Option<(f64, f64)> },
}

impl Augmentation {
    /// `all`: the reference's strong pipeline.
    pub const ALL: Augmentation = Augmentation::Strong {
        crop: Some((0.08, 1.0)),
    };

    /// Apply to `img` and return the CHW normalised `[3, out, out]` view.
    ///
    /// `blur_scale` multiplies the blur's sigma range [0.1, 2.0] px, which is defined at 224 px;
    /// pass `canvas / 224` so a small canvas is blurred as much relative to its size.
    pub fn apply(&self, img: &Image, out: usize, blur_scale: f32, key: AugmentKey) -> Vec<f32> {
        let mut rng = item_rng(
            key.seed,
            Stream::Augment,
            &[key.epoch, key.index, key.view, key.modality],
        );
        let full = CropBox {
            top: 0,
            left: 0,
            h: img.h,
            w: img.w,
        };
        let crop = match self {
            Augmentation::None | Augmentation::Strong { crop: None } => full,
            Augmentation::Weak => random_resized_crop_box(img.h, img.w, (0.5, 1.0), &mut rng),
            Augmentation::Strong { crop: Some(s) } => {
                random_resized_crop_box(img.h, img.w, *s, &mut rng)
            }
        };
        let mut x = if crop == full && img.h == out && img.w == out {
            img.clone()
        } else {
            resized_crop(img, crop, out)
        };
        if let Augmentation::Strong { .. } = self {
            // ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8, its four operations in random order.
            if rng.random_bool(0.8) {
                let mut order = [0usize, 1, 2, 3];
                for i in (1..4).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                let b = rng.random_range(0.6f32..=1.4);
                let c = rng.random_range(0.6f32..=1.4);
                let s = rng.random_range(0.6f32..=1.4);
                let h = rng.random_range(-0.1f32..=0.1);
                for op in order {
                    match op {
                        0 => brightness(&mut x, b),
                        1 => contrast(&mut x, c),
                        2 => saturation(&mut x, s),
                        _ => hue(&mut x, h),
                    }
                }
            }
            if rng.random_bool(0.2) {
                grayscale(&mut x);
            }
            if rng.random_bool(0.5) {
                let sigma = rng.random_range(0.1f32..=2.0) * blur_scale;
                x = gaussian_blur(&x, sigma);
            }
            if rng.random_bool(0.5) {
                flip_horizontal(&mut x);
            }
        }
        x.to_chw_normalised()
    }
}

pub fn flip_horizontal(img: &mut Image) {
    for row in img.data.chunks_exact_mut(img.w * 3) {
        for x in 0..img.w / 2 {
            for c in 0..3 {
                row.swap(x * 3 + c, (img.w - 1 - x) * 3 + c);
            }
        }
    }
}

impl FromStr for Augmentation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let scale = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0 && *x <= 1.0)
                .ok_or_else(|| format!("augmentation {s:?}: {v:?} is not a scale in (0, 1]"))
        };
        match s {
            "none" => Ok(Augmentation::None),
            "weak" | "null" => Ok(Augmentation::Weak),
            "all" => Ok(Augmentation::ALL),
            "all_wo_crop" => Ok(Augmentation::Strong { crop: None }),
            _ => {
                if let Some(v) = s.strip_prefix("crop-to-") {
                    let x = scale(v)?;
                    if x <= 0.01 {
                        return Err(format!("augmentation {s:?}: crop-to-X needs X > 0.01"));
                    }
                    Ok(Augmentation::Strong {
                        crop: Some((0.01, x)),
                    })
                } else if let Some(v) = s.strip_prefix("crop-") {
                    Ok(Augmentation::Strong {
                        crop: Some((scale(v)?, 1.0)),
                    })
                } else {
                    Err(format!(
                        "unknown augmentation {s:?}; use all, all_wo_crop, weak (null), none, crop-X or crop-to-X"
                    ))
                }
            }
        }
    }
}

impl TryFrom<String> for Augmentation {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Augmentation> for String {
    fn from(a: Augmentation) -> String {
        a.to_string()
    }
}

impl fmt::Display for Augmentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Augmentation::None => write!(f, "none"),
            Augmentation::Weak => write!(f, "weak"),
            Augmentation::Strong { crop: None } => write!(f, "all_wo_crop"),
            Augmentation::Strong {
                crop: Some((lo, hi)),
            } => {
                if *lo == 0.08 && *hi == 1.0 {
                    write!(f, "all")
                } else if *hi == 1.0 {
                    write!(f, "crop-{lo}")
                } else {
                    write!(f, "crop-to-{hi}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_image() -> Image {
        // A 64 px image with a red square on grey.
        let mut data = vec![0.5f32; 64 * 64 * 3];
        for y in 10..40 {
            for x in 5..30 {
                let p = (y * 64 + x) * 3;
                data[p..p + 3].copy_from_slice(&[1.0, 0.0, 0.0]);
            }
        }
        Image { h: 64, w: 64, data }
    }

    fn key(view: u64) -> AugmentKey {
        AugmentKey {
            seed: 3,
            epoch: 1,
            index: 17,
            view,
            modality: 0,
        }
    }

    #[test]
    fn views_are_pure_functions_of_the_key() {
        let img = test_image();
        let a = Augmentation::ALL.apply(&img, 64, 64.0 / 224.0, key(0));
        let b = Augmentation::ALL.apply(&img, 64, 64.0 / 224.0, key(0));
        let c = Augmentation::ALL.apply(&img, 64, 64.0 / 224.0, key(1));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 3 * 64 * 64);
        // Different threads, same bytes.
        let par: Vec<Vec<f32>> = std::thread::scope(|s| {
            let h: Vec<_> = (0..4)
                .map(|_| s.spawn(|| Augmentation::ALL.apply(&img, 64, 0.3, key(0))))
                .collect();
            h.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(
            par.iter()
                .all(|v| *v == Augmentation::ALL.apply(&img, 64, 0.3, key(0)))
        );
    }

    #[test]
    fn none_is_normalisation_only() {
        let img = test_image();
        let v = Augmentation::None.apply(&img, 64, 1.0, key(0));
        // Grey 0.5 in the red channel normalises to (0.5 - 0.485) / 0.229.
        assert!((v[0] - (0.5 - 0.485) / 0.229).abs() < 1e-6);
        // Red square pixel (row 10, col 5), green channel: (0 - 0.456) / 0.224.
        assert!((v[64 * 64 + 10 * 64 + 5] - (0.0 - 0.456) / 0.224).abs() < 1e-6);
    }

    #[test]
    fn strong_views_vary_in_colour_and_layout() {
        let img = test_image();
        let n = 64 * 64;
        let mut grey_views = 0;
        let mut means = Vec::new();
        for v in 0..200 {
            let x = Augmentation::ALL.apply(&img, 64, 0.3, key(v));
            // Un-normalise and test for a greyscale view.
            let ch =
                |c: usize, p: usize| x[c * n + p] * super::super::STD[c] + super::super::MEAN[c];
            if (0..n)
                .step_by(7)
                .all(|p| (ch(0, p) - ch(1, p)).abs() < 1e-4 && (ch(1, p) - ch(2, p)).abs() < 1e-4)
            {
                grey_views += 1;
            }
            means.push((0..n).map(|p| ch(0, p)).sum::<f32>() / n as f32);
        }
        // RandomGrayscale p = 0.2: 40 of 200 expected (sd 5.7).
        assert!((20..=60).contains(&grey_views), "{grey_views}");
        let spread = means.iter().cloned().fold(f32::MIN, f32::max)
            - means.iter().cloned().fold(f32::MAX, f32::min);
        assert!(spread > 0.2, "{spread}");
    }

    #[test]
    fn flip_mirrors_columns() {
        let mut img = test_image();
        let before = img.at(20, 5, 1);
        flip_horizontal(&mut img);
        assert_eq!(img.at(20, 58, 1), before);
        flip_horizontal(&mut img);
        assert_eq!(img, test_image());
    }

    #[test]
    fn parse_and_display_roundtrip() {
        for s in [
            "all",
            "all_wo_crop",
            "none",
            "weak",
            "crop-0.5",
            "crop-to-0.3",
        ] {
            let a: Augmentation = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert_eq!("null".parse::<Augmentation>().unwrap(), Augmentation::Weak);
        assert_eq!(
            "crop-0.5".parse::<Augmentation>().unwrap(),
            Augmentation::Strong {
                crop: Some((0.5, 1.0))
            }
        );
        for bad in ["crop-2", "crop-to-x", "jitter", "crop-to-0.005"] {
            assert!(bad.parse::<Augmentation>().is_err(), "{bad}");
        }
    }
}
