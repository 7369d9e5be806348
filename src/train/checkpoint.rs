//! Checkpoints that are atomic as a whole. Each epoch's model and optimizer state go to a
//! directory of their own, `checkpoint/epoch-N/`; then `checkpoint/state.json`, replaced by an
//! atomic rename, names that directory; only then are older directories removed. A kill at any
//! instant leaves `state.json` naming one complete epoch (or no state at all), never the weights
//! of one epoch with the optimizer of another.

use crate::data::trifeatures::dataset::write_atomic;
use crate::methods::Method;
use anyhow::{Context, Result, anyhow};
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const STATE: &str = "state.json";

/// What `state.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Epochs completed.
    pub epoch: usize,
    pub config: String,
    /// The config with `epochs` zeroed: a run resumes only under the same settings.
    pub resume_key: String,
    /// The directory (under `checkpoint/`) holding this epoch's files; absent in checkpoints
    /// written before directories existed, whose files lie in `checkpoint/` itself.
    #[serde(default)]
    pub dir: Option<String>,
}

impl State {
    /// The directory of this state's model and optimizer files.
    pub fn files(&self, ckpt: &Path) -> PathBuf {
        match &self.dir {
            Some(d) => ckpt.join(d),
            None => ckpt.to_path_buf(),
        }
    }
}

/// The state of `ckpt`, if any. A malformed file is an error naming it, never a restart.
pub fn read_state(ckpt: &Path) -> Result<Option<State>> {
    let path = ckpt.join(STATE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        anyhow!(
            "{} is malformed ({e}); delete the run directory to restart the run",
            path.display()
        )
    })
}

/// Test hook: `RUSBENCH_FAULT=checkpoint:<epoch>:<point>` aborts the process at `point` (model,
/// optim, state or cleanup) of that epoch's checkpoint, as a kill would.
fn fault_point(epoch: usize, point: &str) {
    if let Ok(f) = std::env::var("RUSBENCH_FAULT")
        && f == format!("checkpoint:{epoch}:{point}")
    {
        eprintln!("RUSBENCH_FAULT: aborting at {f}");
        std::process::abort();
    }
}

/// Write epoch `state.epoch`'s checkpoint of `model` and its optimizer(s), then switch
/// `state.json` to it, then remove older epochs' files.
pub fn save<M: Method>(
    ckpt: &Path,
    state: &State,
    model: &M,
    optim: &ModuleOptimizer,
    aux: Option<&ModuleOptimizer>,
) -> Result<()> {
    let name = format!("epoch-{}", state.epoch);
    let dir = ckpt.join(&name);
    let cannot = |e: String| {
        anyhow!(
            "cannot write a checkpoint in {} ({e}); free space or choose another --out",
            dir.display()
        )
    };
    // A directory of this epoch left by a killed attempt was never named by state.json.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| cannot(e.to_string()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| cannot(e.to_string()))?;
    model
        .clone()
        .save_file(dir.join("model.bpk"))
        .map_err(|e| cannot(format!("{e:?}")))?;
    fault_point(state.epoch, "model");
    optim
        .save(dir.join("optim.bpk"))
        .map_err(|e| cannot(format!("{e:?}")))?;
    if let Some(a) = aux {
        a.save(dir.join("optim_aux.bpk"))
            .map_err(|e| cannot(format!("{e:?}")))?;
    }
    fault_point(state.epoch, "optim");
    let state = State {
        dir: Some(name.clone()),
        ..state.clone()
    };
    write_atomic(
        &ckpt.join(STATE),
        serde_json::to_string_pretty(&state)?.as_bytes(),
    )?;
    fault_point(state.epoch, "state");
    prune(ckpt, &state);
    fault_point(state.epoch, "cleanup");
    Ok(())
}

/// Remove every checkpoint file `state` does not name: older (or unfinished) epoch directories
/// and the files of the layout before epoch directories. Best effort: leftovers are never read.
pub fn prune(ckpt: &Path, state: &State) {
    let Ok(entries) = std::fs::read_dir(ckpt) else {
        return;
    };
    for entry in entries.flatten() {
        let n = entry.file_name().to_string_lossy().to_string();
        if n.starts_with("epoch-") && state.dir.as_deref() != Some(n.as_str()) {
            let _ = std::fs::remove_dir_all(entry.path());
        } else if state.dir.is_some()
            && matches!(n.as_str(), "model.bpk" | "optim.bpk" | "optim_aux.bpk")
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
