//! A dataset is what its manifest says, or it is refused: swapped images, out-of-range pair
//! indices, file names that disagree with images.csv and impossible labels are named errors,
//! never a panic or a silently different task.

mod common;

use rusbench::data::trifeatures::Dataset;
use rusbench::train::batch::ImageStore;
use std::path::Path;

fn edit_pairs(dir: &Path, set: &str, f: impl Fn(&mut Vec<String>)) {
    let p = dir.join(format!("pairs/{set}.csv"));
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    f(&mut lines);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
}

fn pairs_error(dir: &Path, set: &str) -> String {
    format!("{:#}", Dataset::open(dir).unwrap().pairs(set).unwrap_err())
}

#[test]
fn a_changed_dataset_is_refused_with_the_row_or_the_fix_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    common::tiny_dataset(&dir);
    let ds = Dataset::open(&dir).unwrap();
    assert!(ImageStore::load(&ds).is_ok());
    assert_eq!(ds.pairs("train_unbiased").unwrap().len(), 200);

    // Two valid PNGs swapped: every file still decodes, but the bytes are not the manifest's.
    let (a, b) = (dir.join(&ds.train[0].file), dir.join(&ds.train[1].file));
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::write(&a, &bb).unwrap();
    std::fs::write(&b, &ba).unwrap();
    let e = format!("{:#}", ImageStore::load(&ds).err().unwrap());
    let named = format!("{} changed", ds.train[0].file);
    assert!(
        e.contains(&named) && e.contains("gen-trifeature --force"),
        "{e}"
    );
    // Without SHA256SUMS (datasets made before it) the change is still refused, unnamed.
    let sums = std::fs::read(dir.join("SHA256SUMS")).unwrap();
    std::fs::remove_file(dir.join("SHA256SUMS")).unwrap();
    let e = format!("{:#}", ds.verify().unwrap_err());
    assert!(e.contains("a file changed") && !e.contains(&named), "{e}");
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
    std::fs::write(&a, &ba).unwrap();
    std::fs::write(&b, &bb).unwrap();
    assert!(ImageStore::load(&ds).is_ok());

    // Pair rows: index out of range, a file name that disagrees, a label out of range or
    // inconsistent with the attributes. Line 2 is the first data row.
    let field = |line: &mut String, k: usize, v: &str| {
        let mut f: Vec<String> = line.split(',').map(String::from).collect();
        f[k] = v.into();
        *line = f.join(",");
    };
    let cases: Vec<(Box<dyn Fn(&mut Vec<String>)>, &str)> = vec![
        (Box::new(|l| field(&mut l[1], 0, "999999")), "out of range"),
        (
            Box::new(|l| field(&mut l[2], 2, "train/other.png")),
            "in images.csv",
        ),
        (Box::new(|l| field(&mut l[3], 4, "12")), "outside 0..10"),
        // A synergy label of 7 would make the probe an 8-class problem.
        (Box::new(|l| field(&mut l[3], 13, "7")), "labels disagree"),
        (Box::new(|l| field(&mut l[3], 10, "9")), "labels disagree"),
    ];
    let pristine = std::fs::read(dir.join("pairs/train_unbiased.csv")).unwrap();
    for (edit, want) in cases {
        edit_pairs(&dir, "train_unbiased", edit);
        let e = pairs_error(&dir, "train_unbiased");
        assert!(
            e.contains(want) && e.contains("train_unbiased.csv line") && e.lines().count() == 1,
            "{e}"
        );
        std::fs::write(dir.join("pairs/train_unbiased.csv"), &pristine).unwrap();
    }
}
