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
/// Locked (`flock`) while a process trains the run; holds `host pid`.
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

/// The lock of a run directory: an OS file lock (`flock`) on `KEY/lock`, held while training and
/// released by the kernel when the process ends, however it ends, so there is no stale lock to
/// judge and no window in which two processes both take one over. The file names the holder
/// (`host pid`) for the error message only. Removed (while still held) when dropped.
struct RunLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl RunLock {
    fn take(dir: &Path, key: &str) -> Result<RunLock> {
        let path = dir.join(LOCK);
        // A holder that finishes unlinks the file: a lock won on that unlinked file is no lock,
        // so the file the path names must be the one locked (checked after locking).
        for _ in 0..8 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = match holder.trim() {
                        "" => "another process",
                        h => h,
                    };
                    bail!(
                        "run {key} is being trained by {holder} (lock {}); wait for it to finish",
                        path.display()
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| {
                        format!(
                            "cannot lock {}; put the cache (--cache) on a filesystem with file locks",
                            path.display()
                        )
                    });
                }
            }
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0)
                .and_then(|_| {
                    file.write_all(format!("{} {}", host(), std::process::id()).as_bytes())
                })
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(RunLock { path, _file: file });
        }
        bail!("cannot take the lock {}; retry", path.display())
    }
}

/// Whether `path` still names the open `file` (same device and inode).
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be unlinked, so the path names the locked file.
#[cfg(not(unix))]
fn same_file(_: &std::fs::File, _: &Path) -> bool {
    true
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Unlinked before the file (and its lock) is closed: a waiter that opened it retries.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
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
