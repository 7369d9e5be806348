//! A generated dataset on disk: PNGs, `images.csv`, the pair CSVs and `manifest.json`.
//!
//! Generation writes into a hidden temporary directory beside the target and renames it into
//! place only when every file is written, so an interrupted run never leaves a half dataset
//! under the final name.

use super::attributes::{Attribute, Attrs, COLOR_NAMES, SHAPES, TEXTURES};
use super::recipe::{Recipe, hex};
use super::render::RenderGeometry;
use super::shapes::{Template, template};
use super::split::{ImageSpec, image_specs, split_combinations};
use crate::data::pairs::{PairRules, PairSet, PairStats, build_pairs};
use crate::rng::{Stream, item_rng};
use anyhow::{Context, Result, anyhow, bail};
use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "rusbench-trifeature/1";
pub const MANIFEST: &str = "manifest.json";
pub const PREVIEW: &str = "preview.png";
/// Per-file digests in `sha256sum` format (`sha256sum -c SHA256SUMS` checks them too), so a
/// changed file can be named; derived from the files, so not itself covered by the manifest hash.
pub const SUMS: &str = "SHA256SUMS";

/// The four pair sets, with the stream that keys each one's sample.
pub const PAIR_SETS: [(&str, bool, bool, u64); 4] = [
    // (name, train split, biased, stream)
    ("train_unbiased", true, false, 0),
    ("train_biased", true, true, 1),
    ("test_unbiased", false, false, 2),
    ("test_biased", false, true, 3),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub train_combinations: usize,
    pub test_combinations: usize,
    pub train_images: usize,
    pub test_images: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingEntry {
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairSetSummary {
    pub set: String,
    pub n_images: usize,
    pub allowed_pairs: usize,
    pub used_pairs: usize,
    pub self_pairs: usize,
    pub synergy_positive: usize,
}

impl From<PairStats> for PairSetSummary {
    fn from(s: PairStats) -> Self {
        PairSetSummary {
            set: s.set,
            n_images: s.n_images,
            allowed_pairs: s.allowed_pairs,
            used_pairs: s.used_pairs,
            self_pairs: s.self_pairs,
            synergy_positive: s.synergy_positive,
        }
    }
}

/// `manifest.json`: everything needed to know what a dataset is and that it is intact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub crate_version: String,
    pub seed: u64,
    /// The resolved recipe (command-line overrides applied).
    pub recipe: Recipe,
    /// SHA-256 of the resolved recipe; equal fingerprints mean "same recipe and seed".
    pub fingerprint: String,
    pub counts: Counts,
    /// Synergy mapping: value of `recipe.pairs.synergy[0]` -> value of `synergy[1]`.
    pub synergy_mapping: Vec<MappingEntry>,
    pub pair_sets: Vec<PairSetSummary>,
    /// Number of files covered by `sha256` (everything but the manifest and the preview).
    pub files: usize,
    /// SHA-256 over (relative path, NUL, SHA-256 of contents) of every covered file, sorted by path.
    pub sha256: String,
    /// The PID of every task, once `rusbench pid tasks` has run on the dataset. Written and
    /// read by the analysis layer (`pid::tasks::{attach_to_manifest, from_manifest}`); the data
    /// layer keeps it as opaque JSON so that it knows nothing of the analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_pid: Option<serde_json::Value>,
}

/// Options of one generation.
#[derive(Clone, Debug, Default)]
pub struct GenerateOptions {
    pub out: PathBuf,
    /// Replace a dataset of a different recipe at `out` (never a directory of other files).
    pub force: bool,
    /// Also write `preview.png`.
    pub preview: bool,
    /// Worker threads (None: rayon's default). The output does not depend on it.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Write a dataset larger than [`super::recipe::MAX_RAW_BYTES`].
    pub allow_large: bool,
}

#[derive(Debug)]
pub enum Outcome {
    Generated(Manifest),
    /// `out` already holds this recipe's dataset; nothing was written (except a requested
    /// preview).
    AlreadyPresent(Manifest),
}

impl Outcome {
    pub fn manifest(&self) -> &Manifest {
        match self {
            Outcome::Generated(m) | Outcome::AlreadyPresent(m) => m,
        }
    }
}

/// Generate `recipe`'s dataset at `opts.out`.
pub fn generate(recipe: &Recipe, opts: &GenerateOptions) -> Result<Outcome> {
    recipe.validate()?;
    recipe.check_size(opts.allow_large)?;
    match opts.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .context("cannot start the worker threads")?
            .install(|| generate_inner(recipe, opts)),
        None => generate_inner(recipe, opts),
    }
}

fn generate_inner(recipe: &Recipe, opts: &GenerateOptions) -> Result<Outcome> {
    let out = &opts.out;
    let existing = if out.exists() {
        Some(classify_existing(out, recipe)?)
    } else {
        None
    };
    if let Some(Existing::Same(m)) = existing {
        if opts.preview {
            let ds = Dataset::open(out)?;
            write_atomic(&out.join(PREVIEW), &super::preview::contact_sheet(&ds)?)?;
        }
        return Ok(Outcome::AlreadyPresent(m));
    }
    match &existing {
        // --force replaces only what this tool made: never a directory of other files.
        Some(Existing::NotADataset) => bail!(
            "{} holds files that are not a rusbench dataset; --force replaces only rusbench datasets, so choose another --out",
            out.display()
        ),
        Some(other @ Existing::Other(_)) if !opts.force => bail!(
            "{} already holds {}; pass --force to replace it or choose another --out",
            out.display(),
            other.describe()
        ),
        _ => {}
    }

    let parent = parent_of(out);
    fs::create_dir_all(&parent).with_context(|| {
        format!(
            "cannot create output directory {}; choose a writable --out",
            parent.display()
        )
    })?;
    let leaf = leaf_name(out)?;
    remove_stale_partials(&parent, &leaf);
    let tmp = parent.join(format!(".{leaf}.partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(tmp.join("train"))
        .and_then(|_| fs::create_dir_all(tmp.join("test")))
        .and_then(|_| fs::create_dir_all(tmp.join("pairs")))
        .with_context(|| {
            format!(
                "cannot write to {}; choose a writable --out",
                parent.display()
            )
        })?;
    let guard = RemoveOnDrop(tmp.clone());

    let manifest = write_dataset(recipe, &tmp, opts.progress)?;
    if opts.preview {
        let ds = Dataset::open(&tmp)?;
        fs::write(tmp.join(PREVIEW), super::preview::contact_sheet(&ds)?)?;
    }

    // Swap into place: the old dataset (only with --force) moves aside first.
    if existing.is_some() {
        let old = parent.join(format!(".{leaf}.old-{}", std::process::id()));
        fs::rename(out, &old).with_context(|| format!("cannot move {} aside", out.display()))?;
        fs::rename(&tmp, out).with_context(|| format!("cannot rename into {}", out.display()))?;
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, out).with_context(|| format!("cannot rename into {}", out.display()))?;
    }
    std::mem::forget(guard);
    Ok(Outcome::Generated(manifest))
}

/// Deletes the temporary directory if generation fails half-way.
struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

enum Existing {
    Same(Manifest),
    Other(Manifest),
    /// An empty directory: nothing to lose, replaced without --force.
    Empty,
    NotADataset,
}

impl Existing {
    fn describe(&self) -> String {
        match self {
            Existing::Same(_) => "this recipe's dataset".into(),
            Existing::Other(m) => format!(
                "a dataset of a different recipe ({:?}, seed {})",
                m.recipe.name, m.seed
            ),
            Existing::Empty => "nothing".into(),
            Existing::NotADataset => "files that are not a rusbench dataset".into(),
        }
    }
}

fn classify_existing(out: &Path, recipe: &Recipe) -> Result<Existing> {
    if !out.is_dir() {
        bail!(
            "{} exists and is not a directory; choose another --out",
            out.display()
        );
    }
    if fs::read_dir(out)?.next().is_none() {
        return Ok(Existing::Empty);
    }
    match read_manifest(out) {
        Ok(m) if m.fingerprint == recipe.fingerprint() => Ok(Existing::Same(m)),
        Ok(m) => Ok(Existing::Other(m)),
        Err(_) => Ok(Existing::NotADataset),
    }
}

fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn leaf_name(out: &Path) -> Result<String> {
    out.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow!("--out {} has no directory name", out.display()))
}

/// Remove `.{leaf}.partial-{pid}` directories left by killed runs whose process is gone.
fn remove_stale_partials(parent: &Path, leaf: &str) {
    let prefix = format!(".{leaf}.partial-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(&prefix) {
            let alive = pid
                .parse::<u32>()
                .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
            if !alive || pid == std::process::id().to_string() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Write `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    fs::write(&tmp, bytes)
        .and_then(|_| fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()))
        .inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
}

/// Encode an image as PNG with fixed settings, so equal pixels give equal bytes.
pub fn encode_png(img: &image::RgbImage) -> Vec<u8> {
    let mut buf = Vec::with_capacity(img.len() / 4);
    PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("PNG encoding into memory cannot fail");
    buf
}

/// Render one image of the dataset.
pub fn render_image(
    recipe: &Recipe,
    geometry: &RenderGeometry,
    templates: &[Template],
    spec: &ImageSpec,
) -> image::RgbImage {
    let mut rng = item_rng(recipe.seed, Stream::Render, &spec.key_path());
    let params = geometry.draw(spec.attrs(), &mut rng);
    geometry.render(templates, &params)
}

fn write_dataset(recipe: &Recipe, dir: &Path, progress: bool) -> Result<Manifest> {
    let split = split_combinations(recipe.seed, recipe.n_test_combinations())
        .map_err(|e| anyhow!("invalid recipe: {e}"))?;
    let train = image_specs(&split, recipe.renders_per_train_combination, true);
    let test = image_specs(&split, 1, false);
    let geometry = recipe.geometry();
    let templates: Vec<Template> = (0..10).map(|s| template(s, recipe.template)).collect();

    let all: Vec<&ImageSpec> = train.iter().chain(test.iter()).collect();
    let bar = progress_bar(all.len() as u64, progress, "rendering");
    // Per-file digests, computed in parallel; each item is independent of the others.
    let mut digests: Vec<(String, [u8; 32])> = all
        .par_iter()
        .map(|spec| -> Result<(String, [u8; 32])> {
            let png = encode_png(&render_image(recipe, &geometry, &templates, spec));
            let name = spec.file_name();
            fs::write(dir.join(&name), &png).with_context(|| format!("cannot write {name}"))?;
            bar.inc(1);
            Ok((name, Sha256::digest(&png).into()))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();

    // images.csv
    let mut rows = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut rows);
        w.write_record([
            "file",
            "split",
            "shape",
            "shape_name",
            "texture",
            "texture_name",
            "color",
            "color_name",
        ])?;
        for spec in &all {
            let a = spec.attrs();
            w.write_record([
                spec.file_name(),
                if spec.train { "train" } else { "test" }.to_string(),
                a[0].to_string(),
                SHAPES[a[0] as usize].to_string(),
                a[1].to_string(),
                TEXTURES[a[1] as usize].to_string(),
                a[2].to_string(),
                COLOR_NAMES[a[2] as usize].to_string(),
            ])?;
        }
        w.flush()?;
    }
    digests.push(write_file(dir, "images.csv", &rows)?);

    // Pair sets.
    let rules = PairRules::new(recipe.pairs.clone(), recipe.seed);
    let train_files: Vec<String> = train.iter().map(|s| s.file_name()).collect();
    let test_files: Vec<String> = test.iter().map(|s| s.file_name()).collect();
    let train_attrs: Vec<Attrs> = train.iter().map(|s| s.attrs()).collect();
    let test_attrs: Vec<Attrs> = test.iter().map(|s| s.attrs()).collect();
    let mut pair_sets = Vec::new();
    for (name, is_train, biased, stream) in PAIR_SETS {
        let (files, attrs) = if is_train {
            (&train_files, &train_attrs)
        } else {
            (&test_files, &test_attrs)
        };
        let set = build_pairs(name, attrs, &rules, biased, recipe.seed, stream);
        let bytes = pairs_csv(&set, files, attrs, &rules)?;
        digests.push(write_file(dir, &format!("pairs/{name}.csv"), &bytes)?);
        pair_sets.push(set.stats(attrs, &rules).into());
    }

    let sha256 = combined_hash(&mut digests);
    let sums: String = digests
        .iter()
        .map(|(name, d)| format!("{}  {name}\n", hex(d)))
        .collect();
    fs::write(dir.join(SUMS), sums).with_context(|| format!("cannot write {SUMS}"))?;
    let [a, b] = recipe.pairs.synergy;
    let manifest = Manifest {
        format: FORMAT.into(),
        crate_version: env!("CARGO_PKG_VERSION").into(),
        seed: recipe.seed,
        recipe: recipe.clone(),
        fingerprint: recipe.fingerprint(),
        counts: Counts {
            train_combinations: split.train.len(),
            test_combinations: split.test.len(),
            train_images: train.len(),
            test_images: test.len(),
        },
        synergy_mapping: (0..10)
            .map(|v| MappingEntry {
                from: a.names()[v].to_string(),
                to: b.names()[rules.mapping[v] as usize].to_string(),
            })
            .collect(),
        pair_sets,
        files: digests.len(),
        sha256,
        task_pid: None,
    };
    fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// The dataset hash: SHA-256 over the files' names and digests in name order (sorts `digests`).
fn combined_hash(digests: &mut [(String, [u8; 32])]) -> String {
    digests.sort();
    let mut h = Sha256::new();
    for (name, d) in digests.iter() {
        h.update(name.as_bytes());
        h.update([0u8]);
        h.update(d);
    }
    hex(&h.finalize())
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(String, [u8; 32])> {
    fs::write(dir.join(name), bytes).with_context(|| format!("cannot write {name}"))?;
    Ok((name.to_string(), Sha256::digest(bytes).into()))
}

pub const PAIR_COLUMNS: [&str; 14] = [
    "index1", "index2", "file1", "file2", "shape1", "texture1", "color1", "shape2", "texture2",
    "color2", "share", "unique1", "unique2", "synergy",
];

fn pairs_csv(
    set: &PairSet,
    files: &[String],
    attrs: &[Attrs],
    rules: &PairRules,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(PAIR_COLUMNS)?;
        for p in &set.pairs {
            let (i, j) = (p.i as usize, p.j as usize);
            let (a1, a2) = (&attrs[i], &attrs[j]);
            let l = rules.labels(a1, a2);
            let mut rec: Vec<String> = vec![
                i.to_string(),
                j.to_string(),
                files[i].clone(),
                files[j].clone(),
            ];
            rec.extend(
                a1.iter()
                    .chain(a2.iter())
                    .chain(l.iter())
                    .map(|v| v.to_string()),
            );
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(buf)
}

fn progress_bar(n: u64, show: bool, msg: &'static str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed}<{eta}]")
            .expect("static template"),
    );
    bar.set_message(msg);
    bar
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a generated dataset (no readable {MANIFEST}); run gen-trifeature first",
            dir.display()
        )
    })?;
    let m: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is corrupt; regenerate the dataset with gen-trifeature --force",
            path.display()
        )
    })?;
    if m.format != FORMAT {
        bail!(
            "{} has format {:?}, expected {FORMAT:?}; regenerate it",
            path.display(),
            m.format
        );
    }
    Ok(m)
}

/// One image of an opened dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageRecord {
    pub file: String,
    pub train: bool,
    pub attrs: Attrs,
}

/// One row of a pair CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct PairRecord {
    pub index1: usize,
    pub index2: usize,
    pub attrs1: Attrs,
    pub attrs2: Attrs,
    /// share, unique1, unique2, synergy
    pub labels: [u8; 4],
}

/// An opened, structurally checked dataset directory.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub root: PathBuf,
    pub manifest: Manifest,
    pub train: Vec<ImageRecord>,
    pub test: Vec<ImageRecord>,
}

impl Dataset {
    /// Open a dataset: reads the manifest and `images.csv` and checks the counts. Use
    /// [`Dataset::verify`] to check every byte against the manifest's hash.
    pub fn open(root: &Path) -> Result<Self> {
        let manifest = read_manifest(root)?;
        let corrupt = |why: String| {
            anyhow!(
                "dataset {} is corrupt ({why}); regenerate it with gen-trifeature --force",
                root.display()
            )
        };
        let mut rdr = csv::Reader::from_path(root.join("images.csv"))
            .map_err(|e| corrupt(format!("images.csv: {e}")))?;
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for rec in rdr.records() {
            let rec = rec.map_err(|e| corrupt(format!("images.csv: {e}")))?;
            let num = |k: usize| -> Result<u8> {
                rec.get(k)
                    .and_then(|v| v.parse::<u8>().ok())
                    .filter(|&v| v < 10)
                    .ok_or_else(|| corrupt(format!("images.csv row {:?}", rec.position())))
            };
            let r = ImageRecord {
                file: rec.get(0).unwrap_or_default().to_string(),
                train: rec.get(1) == Some("train"),
                attrs: [num(2)?, num(4)?, num(6)?],
            };
            if r.train { train.push(r) } else { test.push(r) }
        }
        let c = &manifest.counts;
        if train.len() != c.train_images || test.len() != c.test_images {
            return Err(corrupt(format!(
                "images.csv lists {} train and {} test images, the manifest {} and {}",
                train.len(),
                test.len(),
                c.train_images,
                c.test_images
            )));
        }
        for (dir, want) in [("train", c.train_images), ("test", c.test_images)] {
            let n = fs::read_dir(root.join(dir)).map(|d| d.count()).unwrap_or(0);
            if n != want {
                return Err(corrupt(format!("{dir}/ holds {n} files, expected {want}")));
            }
        }
        Ok(Dataset {
            root: root.to_path_buf(),
            manifest,
            train,
            test,
        })
    }

    /// Recompute the hash over every covered file and compare it with the manifest.
    pub fn verify(&self) -> Result<()> {
        self.read_checked().map(|_| ())
    }

    /// Every image's bytes (train, test), read while the whole dataset is checked against its
    /// manifest hash: a changed, swapped or missing file is refused, never trained on. The bytes
    /// are read anyway, so the check costs only the hashing.
    pub fn read_checked(&self) -> Result<(Vec<Vec<u8>>, Vec<Vec<u8>>)> {
        let read = |n: &str| {
            fs::read(self.root.join(n)).with_context(|| {
                format!(
                    "dataset {} is missing {n}; regenerate it",
                    self.root.display()
                )
            })
        };
        let images = |recs: &[ImageRecord]| -> Result<Vec<Vec<u8>>> {
            recs.par_iter().map(|r| read(&r.file)).collect()
        };
        let (train, test) = (images(&self.train)?, images(&self.test)?);
        let mut digests: Vec<(String, [u8; 32])> = self
            .train
            .iter()
            .chain(&self.test)
            .zip(train.iter().chain(&test))
            .map(|(r, b)| (r.file.clone(), Sha256::digest(b).into()))
            .collect();
        let mut others = vec!["images.csv".to_string()];
        others.extend(PAIR_SETS.iter().map(|(n, ..)| format!("pairs/{n}.csv")));
        for n in others {
            let d = Sha256::digest(read(&n)?).into();
            digests.push((n, d));
        }
        if combined_hash(&mut digests) != self.manifest.sha256 {
            bail!(
                "dataset {}: {} since it was generated; regenerate it with gen-trifeature --force",
                self.root.display(),
                self.changed_file(&digests)
            );
        }
        Ok((train, test))
    }

    /// Which file differs from `SHA256SUMS`, in words (`digests` as read now, name-sorted).
    fn changed_file(&self, digests: &[(String, [u8; 32])]) -> String {
        let Ok(text) = fs::read_to_string(self.root.join(SUMS)) else {
            return format!("a file changed (no {SUMS} to name it: the dataset predates it)");
        };
        let listed: std::collections::BTreeMap<&str, &str> = text
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(d, n)| (n, d)))
            .collect();
        for (name, d) in digests {
            if listed.get(name.as_str()) != Some(&hex(d).as_str()) {
                return format!("{name} changed");
            }
        }
        format!("{SUMS} itself was changed, or the manifest")
    }

    pub fn images(&self, train: bool) -> &[ImageRecord] {
        if train { &self.train } else { &self.test }
    }

    /// Read one pair set (`train_unbiased`, `train_biased`, `test_unbiased`, `test_biased`).
    /// Every row is checked against `images.csv` (indices, file names, attributes) and the
    /// task rules (labels), so a bad row is named instead of training on wrong data.
    pub fn pairs(&self, set: &str) -> Result<Vec<PairRecord>> {
        let path = self.root.join(format!("pairs/{set}.csv"));
        let mut rdr = csv::Reader::from_path(&path).with_context(|| {
            format!("cannot read {}; known sets: train_unbiased, train_biased, test_unbiased, test_biased", path.display())
        })?;
        let rules = PairRules {
            recipe: self.manifest.recipe.pairs.clone(),
            mapping: self.mapping()?,
        };
        let images = self.images(set.starts_with("train"));
        let mut out = Vec::new();
        for rec in rdr.records() {
            let rec = rec.with_context(|| format!("{} is corrupt", path.display()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let bad = |why: &str| {
                anyhow!(
                    "{} line {line}: {why}; regenerate the dataset with gen-trifeature --force",
                    path.display()
                )
            };
            let v: Vec<usize> = [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
                .iter()
                .map(|&k| rec.get(k).and_then(|s| s.parse().ok()))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("malformed row"))?;
            if v[2..].iter().any(|&x| x >= 10) {
                return Err(bad("a value outside 0..10"));
            }
            let b = |k: usize| v[k] as u8;
            let p = PairRecord {
                index1: v[0],
                index2: v[1],
                attrs1: [b(2), b(3), b(4)],
                attrs2: [b(5), b(6), b(7)],
                labels: [b(8), b(9), b(10), b(11)],
            };
            for (i, f, a) in [(p.index1, 2, p.attrs1), (p.index2, 3, p.attrs2)] {
                let img = images.get(i).ok_or_else(|| {
                    bad(&format!(
                        "image index {i} is out of range ({} images)",
                        images.len()
                    ))
                })?;
                if rec.get(f) != Some(img.file.as_str()) || img.attrs != a {
                    return Err(bad(&format!("image {i} is {} in images.csv", img.file)));
                }
            }
            if rules.labels(&p.attrs1, &p.attrs2) != p.labels {
                return Err(bad("the labels disagree with the attributes"));
            }
            out.push(p);
        }
        Ok(out)
    }

    /// The synergy mapping as indices (`from` value -> `to` value).
    pub fn mapping(&self) -> Result<[u8; 10]> {
        let [a, b]: [Attribute; 2] = self.manifest.recipe.pairs.synergy;
        let mut m = [0u8; 10];
        for (k, e) in self.manifest.synergy_mapping.iter().enumerate() {
            let from = a.names().iter().position(|n| *n == e.from);
            let to = b.names().iter().position(|n| *n == e.to);
            match (from, to) {
                (Some(f), Some(t)) if f == k => m[f] = t as u8,
                _ => bail!(
                    "manifest of {} has a malformed synergy mapping",
                    self.root.display()
                ),
            }
        }
        Ok(m)
    }
}
