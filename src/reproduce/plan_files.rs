//! `reproduce --plan DIR`: the unfinished runs of an experiment as files that any front end can
//! run, one run per `rusbench run-key KEY` (see [`super::worker`]): a run list, a shell loop, and
//! for Slurm a job array plus a collect job that starts when the array has succeeded.

use crate::data::trifeatures::dataset::write_atomic;
use crate::device::Backend;
use crate::models::ModelScale;
use crate::train::TrainConfig;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// Which scripts `--plan` writes besides the run list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// `run.sh` (a loop over the list) and `collect.sh`.
    Shell,
    /// `shell` plus `array.sbatch`, `collect.sbatch` and `submit.sh`.
    Slurm,
}

/// What the scripts need to know.
pub struct PlanSpec<'a> {
    pub dir: &'a Path,
    pub format: PlanFormat,
    /// Absolute path of the `rusbench` binary the jobs run.
    pub exe: PathBuf,
    /// Absolute cache directory.
    pub cache: PathBuf,
    /// Unfinished run keys.
    pub keys: &'a [String],
    /// The `reproduce` command line (absolute paths) that collects the results.
    pub collect: String,
    pub base: &'a TrainConfig,
    /// Pairs a run trains on per epoch.
    pub pairs: usize,
}

/// Write the plan; returns the files written.
pub fn write_plan(p: &PlanSpec) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(p.dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {} ({e}); choose a writable --plan",
            p.dir.display()
        )
    })?;
    let dir = std::path::absolute(p.dir)?;
    let list = dir.join("runs.txt");
    let run_key = format!(
        "{} run-key \"$KEY\" --cache {}",
        p.exe.display(),
        p.cache.display()
    );
    let mut files = vec![(list.clone(), lines(p.keys))];
    // Each run's resolved config beside the list, for reading (the workers read the cache's copy).
    std::fs::create_dir_all(dir.join("configs"))?;
    for key in p.keys {
        let planned = p.cache.join(key).join(super::worker::PLANNED);
        let text = std::fs::read_to_string(&planned)
            .map_err(|e| anyhow::anyhow!("cannot read {} ({e})", planned.display()))?;
        files.push((dir.join("configs").join(format!("{key}.toml")), text));
    }
    files.push((
        dir.join("run.sh"),
        format!(
            "#!/bin/sh\n# Train every planned run, one after another (a run already finished is skipped;\n\
             # an interrupted one resumes). In parallel on one machine:\n\
             #   xargs -P 2 -I KEY {} run-key KEY --cache {} < {}\n\
             # or with GNU parallel: parallel -j 2 {0} run-key {{}} --cache {1} :::: {2}\n\
             set -e\nwhile read -r KEY; do\n  {run_key}\ndone < {}\n",
            p.exe.display(),
            p.cache.display(),
            list.display(),
            list.display()
        ),
    ));
    files.push((
        dir.join("collect.sh"),
        format!(
            "#!/bin/sh\n# Tables and figures from the cache, once every run has finished.\nexec {}\n",
            p.collect
        ),
    ));
    if p.format == PlanFormat::Slurm {
        files.extend(slurm_files(p, &dir, &list, &run_key)?);
    }
    let mut written = Vec::new();
    for (path, text) in files {
        write_atomic(&path, text.as_bytes())?;
        if path.extension().is_some_and(|e| e == "sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        written.push(path);
    }
    Ok(written)
}

fn lines(keys: &[String]) -> String {
    keys.iter().map(|k| format!("{k}\n")).collect()
}

fn slurm_files(
    p: &PlanSpec,
    dir: &Path,
    list: &Path,
    run_key: &str,
) -> Result<Vec<(PathBuf, String)>> {
    if p.keys.is_empty() {
        bail!(
            "every run is finished: nothing to submit; run collect.sh (or reproduce) for the results"
        );
    }
    let (minutes, mem_gb, gpu) = resources(p.base, p.pairs);
    // The collect job estimates each run's PID (~30 s) and draws the figures.
    let collect_minutes = 10 + p.keys.len().div_ceil(2);
    let head = |name: &str, minutes: usize, log: &str, extra: &str| {
        format!(
            "#!/bin/bash\n#SBATCH --job-name=rusbench-{name}\n#SBATCH --cpus-per-task=2\n\
             #SBATCH --mem={mem_gb}G\n#SBATCH --time={minutes}\n\
             #SBATCH --output={}/{log}\n{extra}",
            p.cache.display()
        )
    };
    let array = format!(
        "{}# One array task per run; requeue-safe: a requeued run resumes from its checkpoint.\n\
         KEY=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})\n{run_key}\n",
        head(
            &p.base.name,
            minutes,
            "slurm-%A_%a.log",
            &format!(
                "#SBATCH --array=0-{}\n#SBATCH --requeue\n{}",
                p.keys.len() - 1,
                if gpu { "#SBATCH --gres=gpu:1\n" } else { "" }
            ),
        ),
        list.display()
    );
    let collect = format!(
        "{}{}\n",
        head(
            &format!("{}-collect", p.base.name),
            collect_minutes,
            "slurm-collect-%j.log",
            ""
        ),
        p.collect
    );
    let submit = format!(
        "#!/bin/sh\n# Submit the run array, then the collect job once every array task has succeeded.\n\
         set -e\nARRAY=$(sbatch --parsable {})\n\
         COLLECT=$(sbatch --parsable --dependency=afterok:\"${{ARRAY%%;*}}\" {})\n\
         echo \"submitted run array $ARRAY and collect job $COLLECT\"\n",
        dir.join("array.sbatch").display(),
        dir.join("collect.sbatch").display()
    );
    Ok(vec![
        (dir.join("array.sbatch"), array),
        (dir.join("collect.sbatch"), collect),
        (dir.join("submit.sh"), submit),
    ])
}

/// (minutes, GB, GPU) one run asks for: twice a step-time estimate (CPU presets: the `cpu`
/// preset's measured ~1 s per 64-pair step of the tiny model on 2 cores, the paper scale on a
/// GPU ~0.5 s), plus 10 minutes of start-up and probing.
fn resources(c: &TrainConfig, pairs: usize) -> (usize, usize, bool) {
    let gpu = c.device != Backend::Cpu;
    let steps = c.epochs * pairs.div_ceil(c.batch_size);
    let per_step = match (c.model, gpu) {
        (ModelScale::Paper, true) => 0.5,
        (ModelScale::Paper, false) => 25.0,
        (_, _) => c.batch_size as f64 / 64.0,
    };
    let minutes = 10 + (2.0 * steps as f64 * per_step / 60.0).ceil() as usize;
    let mem = if c.model == ModelScale::Paper { 32 } else { 4 };
    (minutes, mem, gpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(dir: &'a Path, keys: &'a [String], base: &'a TrainConfig) -> PlanSpec<'a> {
        for k in keys {
            let d = dir.join("cache").join(k);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("planned.toml"), format!("key = {k:?}\n")).unwrap();
        }
        PlanSpec {
            dir,
            format: PlanFormat::Slurm,
            exe: "/opt/rusbench".into(),
            cache: dir.join("cache"),
            keys,
            collect: "/opt/rusbench reproduce fig4 --preset cpu".into(),
            base,
            pairs: 10_000,
        }
    }

    #[test]
    fn a_slurm_plan_has_one_array_task_per_run_and_a_dependent_collect_job() {
        let tmp = tempfile::tempdir().unwrap();
        let keys: Vec<String> = vec!["aaaa".into(), "bbbb".into(), "cccc".into()];
        let mut base = crate::reproduce::load_preset("cpu").unwrap();
        write_plan(&spec(tmp.path(), &keys, &base)).unwrap();
        let read = |f: &str| std::fs::read_to_string(tmp.path().join(f)).unwrap();
        assert_eq!(read("runs.txt"), "aaaa\nbbbb\ncccc\n");
        let array = read("array.sbatch");
        assert!(array.contains("#SBATCH --array=0-2\n") && array.contains("--requeue"));
        let cache = tmp.path().join("cache");
        assert!(array.contains(&format!(
            "/opt/rusbench run-key \"$KEY\" --cache {}",
            cache.display()
        )));
        assert_eq!(read("configs/bbbb.toml"), "key = \"bbbb\"\n");
        assert!(!array.contains("--gres"), "{array}");
        // cpu preset: 8 epochs x 157 steps of ~1 s, doubled (41.9 -> 42 min), + 10 minutes.
        assert!(array.contains("#SBATCH --time=52\n"), "{array}");
        assert!(read("submit.sh").contains("--dependency=afterok:"));
        assert!(read("collect.sbatch").ends_with("/opt/rusbench reproduce fig4 --preset cpu\n"));
        assert!(read("run.sh").contains("while read -r KEY"));
        base.device = Backend::Wgpu;
        write_plan(&spec(tmp.path(), &keys, &base)).unwrap();
        assert!(read("array.sbatch").contains("#SBATCH --gres=gpu:1\n"));
        let none: Vec<String> = Vec::new();
        let e = write_plan(&spec(tmp.path(), &none, &base)).unwrap_err();
        assert!(e.to_string().contains("nothing to submit"), "{e}");
    }
}
