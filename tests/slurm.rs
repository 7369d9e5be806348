//! `reproduce --plan-format slurm` on a real Slurm: a single-node cluster on localhost (munged,
//! slurmctld, slurmd with 2 CPUs and one partition, all started here on private ports and a
//! private socket, stopped at the end), the plan of a tiny fig4 submitted with its `submit.sh`
//! (a job array of 8 runs and a collect job that waits for it), and the tables compared with the
//! same runs trained by one local `reproduce` (same CPU, so the same bytes).
//!
//! Needs the Debian packages slurmctld, slurmd, slurm-client and munge; as root with apt-get it
//! installs them (set RUSBENCH_SLURM_INSTALL=0 to forbid that). Without them the test prints
//! `SKIPPED` with the reason and returns.

mod common;

use rusbench::reproduce::experiments::Experiment;
use rusbench::reproduce::{ReproduceOptions, load_preset, reproduce};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOOLS: [&str; 6] = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"];

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why Slurm cannot be used here, or None when it can (installing it if allowed).
fn missing_slurm() -> Option<String> {
    if TOOLS.iter().all(|t| have(t)) {
        return None;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if std::env::var("RUSBENCH_SLURM_INSTALL").as_deref() == Ok("0") || !root || !have("apt-get") {
        return Some(format!(
            "{} not installed and not installable here (needs root, apt-get, RUSBENCH_SLURM_INSTALL != 0)",
            TOOLS.join("/")
        ));
    }
    let ok = Command::new("timeout")
        .args(["300", "apt-get", "install", "-y", "--no-install-recommends"])
        .args(["slurmctld", "slurmd", "slurm-client", "munge"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok && TOOLS.iter().all(|t| have(t)) {
        None
    } else {
        Some("apt-get install slurmctld slurmd slurm-client munge failed".into())
    }
}

/// The daemons of the test cluster; killed when dropped.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<Child>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for d in &mut self.daemons {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let host = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let key = dir.join("munge.key");
        std::fs::write(
            &key,
            (0..1024).map(|i| (i * 7 + 13) as u8).collect::<Vec<u8>>(),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
        let d = |f: &str| dir.join(f).display().to_string();
        let munged = Command::new("munged")
            .args(["--force", "--foreground"])
            .arg(format!("--key-file={}", d("munge.key")))
            .arg(format!("--socket={}", d("munge.sock")))
            .arg(format!("--pid-file={}", d("munged.pid")))
            .arg(format!("--log-file={}", d("munged.log")))
            .arg(format!("--seed-file={}", d("munge.seed")))
            .spawn()
            .unwrap();
        // Private ports, so that a cluster of the machine (or another test run) is untouched.
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        for sub in ["state", "spool"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let conf = dir.join("slurm.conf");
        std::fs::write(
            &conf,
            format!(
                "ClusterName=rusbench\nSlurmctldHost={host}\nSlurmUser=root\nSlurmdUser=root\n\
                 AuthType=auth/munge\nAuthInfo=socket={sock}\nCredType=cred/munge\n\
                 SlurmctldPort={port}\nSlurmdPort={}\nStateSaveLocation={}\nSlurmdSpoolDir={}\n\
                 SlurmctldPidFile={}\nSlurmdPidFile={}\nSlurmctldLogFile={}\nSlurmdLogFile={}\n\
                 ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
                 SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\n\
                 SchedulerType=sched/backfill\nJobCompType=jobcomp/none\n\
                 AccountingStorageType=accounting_storage/none\nMpiDefault=none\n\
                 NodeName={host} CPUs=2 RealMemory=8000 State=UNKNOWN\n\
                 PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
                port + 1,
                d("state"),
                d("spool"),
                d("slurmctld.pid"),
                d("slurmd.pid"),
                d("slurmctld.log"),
                d("slurmd.log"),
                sock = d("munge.sock"),
            ),
        )
        .unwrap();
        let mut c = Cluster {
            dir: dir.to_path_buf(),
            conf: conf.clone(),
            daemons: vec![munged],
        };
        wait_for(Duration::from_secs(20), || dir.join("munge.sock").exists());
        for daemon in ["slurmctld", "slurmd"] {
            c.daemons.push(
                Command::new(daemon)
                    .args(["-D", "-f"])
                    .arg(&conf)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            );
        }
        let idle = wait_for(Duration::from_secs(60), || {
            c.cmd("sinfo", &["-h", "-o", "%t"]).trim() == "idle"
        });
        assert!(
            idle,
            "the test cluster's node never became idle: {}",
            c.logs()
        );
        c
    }

    /// Run a Slurm client command against this cluster; its stdout.
    fn cmd(&self, tool: &str, args: &[&str]) -> String {
        let o = Command::new(tool)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn wait_for(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

#[test]
fn a_slurm_job_array_trains_the_same_runs_as_one_local_reproduce() {
    if let Some(why) = missing_slurm() {
        eprintln!("SKIPPED a_slurm_job_array_trains_the_same_runs_as_one_local_reproduce: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::tiny_dataset(&root.join("data"));
    let mut preset = load_preset("quick").unwrap();
    preset.name = "tiny".into();
    (
        preset.max_pairs,
        preset.epochs,
        preset.batch_size,
        preset.probe_max_pairs,
    ) = (16, 1, 8, 60);
    let preset_file = root.join("tiny.toml");
    std::fs::write(&preset_file, toml::to_string(&preset).unwrap()).unwrap();

    // The reference: one local reproduce.
    reproduce(&ReproduceOptions {
        experiments: vec![Experiment::Fig4],
        preset: preset_file.display().to_string(),
        seeds: 1,
        first_seed: None,
        results: root.join("local"),
        cache: root.join("local-cache"),
        dataset: Some(root.join("data")),
        device: None,
        progress: false,
        jobs: 1,
        plan: None,
    })
    .unwrap();

    let cluster_dir = root.join("cluster");
    std::fs::create_dir(&cluster_dir).unwrap();
    let cluster = Cluster::start(&cluster_dir);
    let plan = root.join("plan");
    let o = Command::new(env!("CARGO_BIN_EXE_rusbench"))
        .args(["reproduce", "fig4", "--preset"])
        .arg(&preset_file)
        .arg("--dataset")
        .arg(root.join("data"))
        .arg("--results")
        .arg(root.join("slurm"))
        .arg("--cache")
        .arg(root.join("shared-cache"))
        .arg("--plan")
        .arg(&plan)
        .args(["--plan-format", "slurm"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let runs = std::fs::read_to_string(plan.join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 8, "{runs}");
    let array = std::fs::read_to_string(plan.join("array.sbatch")).unwrap();
    assert!(
        array.contains("#SBATCH --array=0-7") && !array.contains("gpu"),
        "{array}"
    );

    let t0 = Instant::now();
    let submitted = Command::new("sh")
        .arg(plan.join("submit.sh"))
        .env("SLURM_CONF", &cluster.conf)
        .output()
        .unwrap();
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let done = wait_for(Duration::from_secs(900), || {
        cluster.cmd("squeue", &["-h"]).trim().is_empty()
    });
    assert!(
        done,
        "jobs still queued after 15 min: {}",
        cluster.cmd("squeue", &[])
    );
    eprintln!(
        "slurm: {}; all finished in {:.0} s",
        String::from_utf8_lossy(&submitted.stdout).trim(),
        t0.elapsed().as_secs_f64()
    );
    for f in ["runs.csv", "bits.csv", "summary.csv"] {
        let local = std::fs::read(root.join("local/fig4-tiny").join(f)).unwrap();
        let slurm = std::fs::read(root.join("slurm/fig4-tiny").join(f))
            .unwrap_or_else(|e| panic!("the collect job wrote no {f} ({e}): {}", cluster.logs()));
        assert_eq!(
            local, slurm,
            "{f} differs between Slurm and the local reproduce"
        );
    }
}
