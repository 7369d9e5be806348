//! Seeds trained apart (another session, machine or cluster job, `reproduce --first-seed`) joined
//! into one results folder: `reproduce --from-csv A/runs.csv --from-csv B/runs.csv --out DIR`.
//! A merge never joins what is not one experiment: the same run of a seed in two files, or
//! folders whose resolved configs differ in anything but the seed, are refused.

use super::BITS_CSV;
use super::bits::{BitsRow, read_bits_csv};
use super::summary::TidyRow;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the merged folder gets: every source's rows, bits and resolved config in one.
pub struct Merged {
    pub rows: Vec<TidyRow>,
    pub bits: Vec<BitsRow>,
    /// The joined `config.toml` (none when no source has one).
    pub config: Option<toml::Table>,
    /// The CPU models the joined runs were trained on.
    pub machines: Vec<String>,
}

/// Join the `runs.csv` files at `paths` (and their `bits.csv` and `config.toml` where present).
pub fn merge(paths: &[PathBuf]) -> Result<Merged> {
    let mut rows: Vec<TidyRow> = Vec::new();
    let mut bits = Vec::new();
    // Which file each (variant, pretraining, seed) run came from.
    let mut owner: BTreeMap<(String, String, u64), &Path> = BTreeMap::new();
    for path in paths {
        let file_rows = super::read_runs_csv(path)?;
        for r in &file_rows {
            let run = (r.variant.clone(), r.pretraining.clone(), r.seed);
            match owner.get(&run) {
                Some(&p) if p != path.as_path() => bail!(
                    "seed {} of {} ({}) is in both {} and {}; merge results of different seeds",
                    r.seed,
                    r.variant,
                    r.pretraining,
                    p.display(),
                    path.display()
                ),
                _ => {
                    owner.insert(run, path);
                }
            }
        }
        rows.extend(file_rows);
        let b = path.with_file_name(BITS_CSV);
        if b.exists() {
            bits.extend(read_bits_csv(&b)?);
        }
    }
    // In seed order, as `reproduce` writes them (a stable sort keeps each seed's own order), so
    // the joined summary is the one of the seeds trained at once, to the last digit.
    rows.sort_by_key(|r| r.seed);
    bits.sort_by_key(|b| b.seed);
    let configs = paths
        .iter()
        .map(|p| read_config(&p.with_file_name("config.toml")))
        .collect::<Result<Vec<_>>>()?;
    let config = join_configs(paths, configs)?;
    let mut machines: Vec<String> = config
        .as_ref()
        .and_then(|c| c.get("machines"))
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    machines.sort();
    machines.dedup();
    Ok(Merged {
        rows,
        bits,
        config,
        machines,
    })
}

/// A results folder's `config.toml`, if it has one.
fn read_config(path: &Path) -> Result<Option<toml::Table>> {
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let t: toml::Table = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "{} is not a results config ({}); rerun reproduce to regenerate it",
            path.display(),
            e.message()
        )
    })?;
    Ok(Some(t))
}

/// The keys of a results `config.toml` that must agree for seeds to be joined (the base config is
/// compared without its seed).
const SAME: [&str; 4] = ["experiment", "preset", "dataset_sha256", "base"];

/// One config for the joined seeds: the first source's, with every source's runs and machines.
fn join_configs(
    paths: &[PathBuf],
    configs: Vec<Option<toml::Table>>,
) -> Result<Option<toml::Table>> {
    if configs.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some(i) = configs.iter().position(Option::is_none) {
        bail!(
            "{} has no config.toml beside it while the other files do; merge results folders written by reproduce",
            paths[i].display()
        );
    }
    let configs: Vec<toml::Table> = configs.into_iter().flatten().collect();
    let comparable = |t: &toml::Table, key: &str| {
        let mut v = t.get(key).cloned();
        if let Some(toml::Value::Table(base)) = v.as_mut() {
            base.remove("seed");
        }
        v
    };
    for (i, c) in configs.iter().enumerate().skip(1) {
        for key in SAME {
            if comparable(c, key) != comparable(&configs[0], key) {
                bail!(
                    "{} and {} differ in `{key}` of config.toml; merge only seeds of one experiment, preset and dataset",
                    paths[0].display(),
                    paths[i].display()
                );
            }
        }
    }
    let mut joined = configs[0].clone();
    let mut runs: Vec<toml::Value> = Vec::new();
    let mut machines = Vec::new();
    for c in &configs {
        let array = |k: &str| {
            c.get(k)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        };
        runs.extend(array("runs"));
        machines.extend(array("machines"));
    }
    machines.sort_by_key(|m| m.to_string());
    machines.dedup();
    runs.sort_by_key(|r| r.get("seed").and_then(|s| s.as_integer()));
    let mut seeds: Vec<i64> = runs
        .iter()
        .filter_map(|r| r.get("seed").and_then(|s| s.as_integer()))
        .collect();
    seeds.sort();
    seeds.dedup();
    joined.insert("seeds".into(), (seeds.len() as i64).into());
    joined.insert("runs".into(), runs.into());
    joined.insert("machines".into(), machines.into());
    if let (Some(toml::Value::Table(base)), Some(&first)) = (joined.get_mut("base"), seeds.first())
    {
        base.insert("seed".into(), first.into());
    }
    let from: Vec<toml::Value> = paths
        .iter()
        .map(|p| toml::Value::from(p.display().to_string()))
        .collect();
    joined.insert("merged_from".into(), from.into());
    Ok(Some(joined))
}
