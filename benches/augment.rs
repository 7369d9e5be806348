//! Per-image augmentation cost on one thread (the reference: 5.9 ms at 224 px, 1.5 ms at 64 px
//! for the strong pipeline, torchvision on PIL images): `RAYON_NUM_THREADS=1 cargo bench --bench
//! augment -- augment/`. And the views of one CoMM training step (`batch/`: 64 pairs x 2 views x
//! 2 modalities, strong, made in parallel on every core as training's view feed makes them),
//! whose time must stay under a GPU's step for the data path not to starve it:
//! `cargo bench --bench augment -- batch/`.

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use rusbench::augment::{AugmentKey, Augmentation, Image};
use rusbench::data::trifeatures::Recipe;
use rusbench::data::trifeatures::dataset::render_image;
use rusbench::data::trifeatures::shapes::template;
use rusbench::data::trifeatures::split::ImageSpec;
use std::hint::black_box;

/// A rendered image of the recipe `name` and the recipe.
fn sample(name: &str) -> (Recipe, Image) {
    let r = Recipe::load(std::path::Path::new(&format!(
        "{}/generators/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    )))
    .unwrap();
    let templates: Vec<_> = (0..10).map(|s| template(s, r.template)).collect();
    let img = Image::from_rgb8(&render_image(
        &r,
        &r.geometry(),
        &templates,
        &ImageSpec {
            train: true,
            combination: 345,
            k: 0,
        },
    ));
    (r, img)
}

fn key(index: u64, view: u64, modality: u64) -> AugmentKey {
    AugmentKey {
        seed: 1,
        epoch: 0,
        index,
        view,
        modality,
    }
}

fn bench(c: &mut Criterion) {
    let recipes = [sample("trifeature"), sample("trifeature-64")];
    let mut g = c.benchmark_group("augment");
    for (r, img) in &recipes {
        let blur_scale = r.canvas as f32 / 224.0;
        for aug in [Augmentation::ALL, Augmentation::Weak] {
            let mut i = 0u64;
            g.bench_function(format!("{aug}/{}px", r.canvas), |b| {
                b.iter(|| {
                    i += 1;
                    black_box(aug.apply(img, r.canvas, blur_scale, key(i, 0, 0)))
                })
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    for (r, img) in &recipes {
        let blur_scale = r.canvas as f32 / 224.0;
        let mut step = 0u64;
        g.bench_function(format!("comm-step-256-views/{}px", r.canvas), |b| {
            b.iter(|| {
                step += 1;
                let views: Vec<Vec<f32>> = (0..256u64)
                    .into_par_iter()
                    .map(|i| {
                        let k = key(step * 64 + i / 4, i % 2, (i / 2) % 2);
                        Augmentation::ALL.apply(img, r.canvas, blur_scale, k)
                    })
                    .collect();
                black_box(views)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
