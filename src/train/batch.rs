//! Batches: decoded images kept in memory as RGB8, views made in parallel and stacked into
//! `[B, 3, H, W]` tensors.

use crate::augment::{AugmentKey, Augmentation, Image};
use crate::data::trifeatures::Dataset;
use crate::data::trifeatures::dataset::PairRecord;
use crate::methods::ViewSpec;
use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;
use std::sync::Arc;

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

/// The views of a training epoch, made one step ahead on a thread of their own while the
/// previous step computes (the augmentations are pure functions of their keys, so this is the
/// same data as making them in line; a GPU is not kept waiting for the CPU's augmentations).
pub struct ViewFeed {
    rx: Option<std::sync::mpsc::Receiver<Vec<Vec<f32>>>>,
    worker: Option<std::thread::JoinHandle<()>>,
    canvas: usize,
}

impl ViewFeed {
    /// Start making the views of `specs` for the batches `batches` (pair indices into `pairs`)
    /// of epoch `epoch` under `seed`.
    pub fn start(
        store: Arc<ImageStore>,
        pairs: Arc<Vec<PairRecord>>,
        specs: Vec<ViewSpec>,
        seed: u64,
        epoch: u64,
        batches: Vec<Vec<usize>>,
    ) -> Self {
        let canvas = store.canvas;
        // One batch in flight: memory for two steps' views at most.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let worker = std::thread::spawn(move || {
            for idx in &batches {
                let views = specs
                    .iter()
                    .enumerate()
                    .map(|(v, spec)| {
                        let key = |i: usize| AugmentKey {
                            seed,
                            epoch,
                            index: idx[i] as u64,
                            view: v as u64,
                            modality: spec.modality as u64,
                        };
                        view_data(
                            &store,
                            &pairs,
                            true,
                            idx,
                            spec.modality,
                            spec.augmentation,
                            &key,
                        )
                    })
                    .collect();
                if tx.send(views).is_err() {
                    return; // the epoch stopped early (an error); nobody is waiting
                }
            }
        });
        ViewFeed {
            rx: Some(rx),
            worker: Some(worker),
            canvas,
        }
    }

    /// The next step's views as `[B, 3, C, C]` tensors, one per spec.
    pub fn next(&mut self, device: &Device) -> Result<Vec<Tensor<4>>> {
        let data = self
            .rx
            .as_ref()
            .and_then(|rx| rx.recv().ok())
            .ok_or_else(|| anyhow::anyhow!("the view thread stopped before the epoch ended"))?;
        let c = self.canvas;
        Ok(data
            .into_iter()
            .map(|flat| {
                let b = flat.len() / (3 * c * c);
                Tensor::from_data(TensorData::new(flat, [b, 3, c, c]), device)
            })
            .collect())
    }
}

impl Drop for ViewFeed {
    fn drop(&mut self) {
        // Hang up first, so that a worker blocked on a full channel ends; then wait for it.
        self.rx.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
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
    let flat = view_data(store, pairs, train, idx, m, aug, key);
    Tensor::from_data(TensorData::new(flat, [idx.len(), 3, c, c]), device)
}

/// The data of [`view_batch`]: `[B] x [3 * C * C]`, flattened, made in parallel.
fn view_data(
    store: &ImageStore,
    pairs: &[PairRecord],
    train: bool,
    idx: &[usize],
    m: usize,
    aug: Augmentation,
    key: &(dyn Fn(usize) -> AugmentKey + Sync),
) -> Vec<f32> {
    let c = store.canvas;
    let views: Vec<Vec<f32>> = (0..idx.len())
        .into_par_iter()
        .map(|i| {
            let p = &pairs[idx[i]];
            let img = store.image(train, if m == 0 { p.index1 } else { p.index2 });
            aug.apply(&img, c, c as f32 / 224.0, key(i))
        })
        .collect();
    views.concat()
}
