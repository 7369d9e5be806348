//! Per-image augmentation cost on one thread (the reference: 5.9 ms at 224 px, 1.5 ms at 64 px
//! for the strong pipeline, torchvision on PIL images).

use criterion::{Criterion, criterion_group, criterion_main};
use rusbench::augment::{AugmentKey, Augmentation, Image};
use rusbench::data::trifeatures::Recipe;
use rusbench::data::trifeatures::dataset::render_image;
use rusbench::data::trifeatures::shapes::template;
use rusbench::data::trifeatures::split::ImageSpec;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("augment");
    for name in ["trifeature", "trifeature-64"] {
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
        let blur_scale = r.canvas as f32 / 224.0;
        for aug in [Augmentation::ALL, Augmentation::Weak] {
            let mut i = 0u64;
            g.bench_function(format!("{aug}/{}px", r.canvas), |b| {
                b.iter(|| {
                    i += 1;
                    let key = AugmentKey {
                        seed: 1,
                        epoch: 0,
                        index: i,
                        view: 0,
                        modality: 0,
                    };
                    black_box(aug.apply(&img, r.canvas, blur_scale, key))
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
