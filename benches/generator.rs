//! Generator throughput at both shipped recipes.
//!
//! `cargo bench --bench generator` reports, per recipe:
//! - `render+png`: rendering and PNG encoding of every image, in parallel, nothing written;
//! - `generate`: the whole dataset written to a temporary directory (images, CSVs, manifest).
//!
//! Throughput is in images; divide by the reported time for images/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use rusbench::data::trifeatures::dataset::{encode_png, render_image};
use rusbench::data::trifeatures::shapes::template;
use rusbench::data::trifeatures::split::{image_specs, split_combinations};
use rusbench::data::trifeatures::{GenerateOptions, Recipe, generate};
use std::hint::black_box;

fn recipes() -> Vec<Recipe> {
    ["trifeature", "trifeature-64"]
        .iter()
        .map(|n| {
            let p = format!("{}/generators/{n}.toml", env!("CARGO_MANIFEST_DIR"));
            Recipe::load(std::path::Path::new(&p)).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("generator");
    g.sample_size(10);
    for r in recipes() {
        let split = split_combinations(r.seed, r.n_test_combinations()).unwrap();
        let mut specs = image_specs(&split, r.renders_per_train_combination, true);
        specs.extend(image_specs(&split, 1, false));
        let geometry = r.geometry();
        let templates: Vec<_> = (0..10).map(|s| template(s, r.template)).collect();
        g.throughput(Throughput::Elements(specs.len() as u64));
        g.bench_function(format!("render+png/{}", r.name), |b| {
            b.iter(|| {
                let bytes: usize = specs
                    .par_iter()
                    .map(|s| encode_png(&render_image(&r, &geometry, &templates, s)).len())
                    .sum();
                black_box(bytes)
            })
        });
        g.bench_function(format!("generate/{}", r.name), |b| {
            b.iter_with_setup(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    let opts = GenerateOptions {
                        out: dir.path().join("ds"),
                        ..Default::default()
                    };
                    black_box(generate(&r, &opts).unwrap());
                    dir
                },
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
