//! Batches: decoded images kept in memory as RGB8, views made in parallel and stacked into
//! `[B, 3, H, W]` tensors.

use crate::augment::{AugmentKey, Augmentation, Image};
use crate::data::trifeatures::Dataset;
use crate::data::trifeatures::dataset::PairRecord;
use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

/// Every image of a dataset, decoded once.
pub struct ImageStore {
    train: Vec<image::RgbImage>,
    test: Vec<image::RgbImage>,
    pub canvas: usize,
}

impl ImageStore {
    pub fn load(ds: &Dataset) -> Result<Self> {
        let (train, test) = ds.read_checked()?;
        let decode = |files: &[crate::data::trifeatures::dataset::ImageRecord],
                      bytes: Vec<Vec<u8>>|
         -> Result<Vec<image::RgbImage>> {
            files
                .par_iter()
                .zip(bytes.into_par_iter())
                .map(|(r, b)| {
                    image::load_from_memory(&b)
                        .map(|i| i.to_rgb8())
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "dataset {} has an unreadable {} ({e}); regenerate it",
                                ds.root.display(),
                                r.file
                            )
                        })
                })
                .collect()
        };
        Ok(ImageStore {
            train: decode(&ds.train, train)?,
            test: decode(&ds.test, test)?,
            canvas: ds.manifest.recipe.canvas,
        })
    }

    pub fn image(&self, train: bool, index: usize) -> Image {
        Image::from_rgb8(if train {
            &self.train[index]
        } else {
            &self.test[index]
        })
    }
}

/// Views of modality `m` (0: image 1, 1: image 2) of the pairs `idx` of a `train` (or test)
/// pair set, as `[B, 3, C, C]`.
#[allow(clippy::too_many_arguments)]
pub fn view_batch(
    store: &ImageStore,
    pairs: &[PairRecord],
    train: bool,
    idx: &[usize],
    m: usize,
    aug: Augmentation,
    key: &(dyn Fn(usize) -> AugmentKey + Sync),
    device: &Device,
) -> Tensor<4> {
    let c = store.canvas;
    let views: Vec<Vec<f32>> = (0..idx.len())
        .into_par_iter()
        .map(|i| {
            let p = &pairs[idx[i]];
            let img = store.image(train, if m == 0 { p.index1 } else { p.index2 });
            aug.apply(&img, c, c as f32 / 224.0, key(i))
        })
        .collect();
    // [B] x [3 * C * C] -> [B, 3, C, C]
    let flat: Vec<f32> = views.concat();
    Tensor::from_data(TensorData::new(flat, [idx.len(), 3, c, c]), device)
}
