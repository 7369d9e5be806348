//! A run as a unit of work. `reproduce` stores every unfinished run's resolved config in the
//! cache under its key (`KEY/planned.toml`); whoever holds the run's lock trains it: the
//! `reproduce` process itself, its local worker processes (`reproduce --jobs N`), or any other
//! front end that calls `rusbench run-key KEY` (a shell loop, a batch scheduler). A finished run
//! (`run.json` present) is never trained again, so starting a key twice is harmless.

use super::run_key;
use crate::data::trifeatures::dataset::write_atomic;
use crate::train::TrainConfig;
use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The planned run's config, in its run directory.
pub const PLANNED: &str = "planned.toml";
/// Held while a process trains the run: `host pid`.
pub const LOCK: &str = "lock";
/// A worker's standard output and error.
pub const LOG: &str = "train.log";

/// Everything needed to train one run, stored under its key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedRun {
    pub key: String,
    pub dataset: PathBuf,
    pub dataset_sha256: String,
    pub config: TrainConfig,
}

/// Store `run` under its key in `cache` (atomically; an existing plan is the same by key).
pub fn plan_run(cache: &Path, run: &PlannedRun) -> Result<()> {
    let dir = cache.join(&run.key);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create {}; choose a writable --cache", dir.display()))?;
    write_atomic(&dir.join(PLANNED), toml::to_string(run)?.as_bytes())
}

/// The planned run of `key`, checked: its config must still hash to its key.
pub fn read_planned(cache: &Path, key: &str) -> Result<PlannedRun> {
    let path = cache.join(key).join(PLANNED);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no planned run {key} in {} (cannot read {}); plan it with reproduce first",
            cache.display(),
            path.display()
        )
    })?;
    let run: PlannedRun = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "{} is malformed ({}); plan it again",
            path.display(),
            e.message()
        )
    })?;
    run.config.validate()?;
    if run.key != key || run_key(&run.config, &run.dataset_sha256)? != key {
        bail!(
            "{} does not hash to its key {key} (edited?); plan it again",
            path.display()
        );
    }
    Ok(run)
}

/// Train the planned run `key` unless it is finished; resumes from its checkpoint. Errors if
/// another live process holds its lock.
pub fn train_key(cache: &Path, key: &str, progress: bool) -> Result<()> {
    let run = read_planned(cache, key)?;
    let dir = cache.join(key);
    if dir.join("run.json").exists() {
        return Ok(());
    }
    let _lock = RunLock::take(&dir, key)?;
    // Finished by the previous holder while this process waited to start.
    if dir.join("run.json").exists() {
        return Ok(());
    }
    crate::train::run(&run.config, &run.dataset, &dir, true, progress)?;
    Ok(())
}

/// The lock file of a run directory, removed when dropped.
struct RunLock(PathBuf);

impl RunLock {
    fn take(dir: &Path, key: &str) -> Result<RunLock> {
        let path = dir.join(LOCK);
        let me = format!("{} {}", host(), std::process::id());
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(me.as_bytes())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(RunLock(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    if !is_stale(&holder) {
                        bail!(
                            "run {key} is being trained by {} (lock {}); wait for it, or delete the lock if that process is gone",
                            holder.trim(),
                            path.display()
                        );
                    }
                    // Left by a process of this host that no longer exists (killed).
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()));
                }
            }
        }
        bail!("cannot take the lock {}; retry", path.display())
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
}

/// A lock of this host whose process is gone. Locks of other hosts are never stale from here
/// (their processes cannot be seen).
fn is_stale(holder: &str) -> bool {
    let mut it = holder.split_whitespace();
    match (it.next(), it.next().and_then(|p| p.parse::<u32>().ok())) {
        (Some(h), Some(pid)) => h == host() && !Path::new(&format!("/proc/{pid}")).exists(),
        // Empty or garbled: a process died between creating and writing it.
        _ => true,
    }
}

/// Train `runs` (key, label) in at most `jobs` worker processes of this binary
/// (`rusbench run-key`), each logging to `KEY/train.log`. Waits for all; one error line names
/// every failed run.
pub fn train_in_workers(cache: &Path, runs: &[(String, String)], jobs: usize) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find this program to start workers")?;
    let mut queue = runs.iter();
    let mut running: Vec<(Child, &str, &str)> = Vec::new();
    let mut failed = Vec::new();
    loop {
        while running.len() < jobs.max(1) {
            let Some((key, label)) = queue.next() else {
                break;
            };
            running.push((spawn(&exe, cache, key)?, key, label));
            eprintln!(
                "{label}: training in a worker ({})",
                cache.join(key).display()
            );
        }
        if running.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mut i = 0;
        while i < running.len() {
            if let Some(status) = running[i].0.try_wait()? {
                let (_, key, label) = running.swap_remove(i);
                if status.success() {
                    eprintln!("{label}: done");
                } else {
                    failed.push(format!("{key} ({})", last_line(&cache.join(key).join(LOG))));
                }
            } else {
                i += 1;
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} runs failed: {}; logs in {}/KEY/{LOG}",
            failed.len(),
            runs.len(),
            failed.join(", "),
            cache.display()
        );
    }
    Ok(())
}

fn spawn(exe: &Path, cache: &Path, key: &str) -> Result<Child> {
    let log_path = cache.join(key).join(LOG);
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    Command::new(exe)
        .arg("run-key")
        .arg(key)
        .arg("--cache")
        .arg(cache)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start a worker for run {key}"))
}

fn last_line(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(String::from)
        })
        .unwrap_or_else(|| "no output".into())
}
