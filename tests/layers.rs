//! The layers point one way (STYLE.md §1.6 rule 10): the data layer knows nothing of the
//! augmentations, models, methods, training, probes, figures, reproduction or PID analysis.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_data_layer_imports_no_higher_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/data");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 5, "found {files:?}");
    let higher = [
        "augment",
        "models",
        "methods",
        "losses",
        "train",
        "probe",
        "figures",
        "reproduce",
        "pid",
        "cli",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for h in higher {
            for pat in [
                format!("crate::{h}::"),
                format!("crate::{h};"),
                format!("crate::{{{h}"),
            ] {
                assert!(!text.contains(&pat), "{} uses {pat}", f.display());
            }
        }
    }
}
