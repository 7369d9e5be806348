//! Where training and feature extraction run: burn's `flex` CPU backend (the default, and the
//! only one whose numbers are bit-reproducible here) or a GPU backend compiled in with a cargo
//! feature (`cuda`, `wgpu`, `vulkan`).

use anyhow::{Result, bail};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Revision of the CPU backend's arithmetic, recorded in every `run.json` beside the CPU model.
/// Two runs with one key (one config, so the same function) but different revisions differ in
/// the last bits, as runs on two CPU models do. 1 (not recorded): gemm's AVX2 kernels, and flex's
/// direct small-channel kernel for the tiny trunk's conv1. 2: gemm's AVX-512 kernels where the
/// CPU has AVX-512F (`burn-flex/x86-v4`), and that conv1 as im2col + GEMM (`AlexNet::first_conv`).
/// 3: flex's im2col convolutions (forward, and the weight gradient, which burn computes as one)
/// with GEMMs whose columns span images (`patches/burn-flex`, tested in `tests/flex_conv.rs`).
/// 4: flex's stride-1 transposed convolutions (the input gradients) as that convolution with the
/// kernel flipped, instead of a GEMM and col2im per image (same file).
pub const CPU_KERNELS: u32 = 4;

/// The CPU model of this machine (`model name` of `/proc/cpuinfo`, with its family and model
/// numbers), recorded with every run: training numbers are bit-identical only on the same CPU
/// model (kernels differ by ISA and microarchitecture). Virtual machines often show only a
/// vendor name ("AMD EPYC" on Zen 4 and Zen 5 alike, which gave different training numbers for
/// the same run keys), so the numbers are what tells two such machines apart.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| cpu_label(&t, simd_level()))
        .unwrap_or_else(|| format!("unknown {} CPU ({})", std::env::consts::ARCH, simd_level()))
}

/// `NAME (SIMD, family F model M)` from the first processor of a `/proc/cpuinfo` text; the
/// numbers are left out where the text has none (e.g. on aarch64).
fn cpu_label(cpuinfo: &str, simd: &str) -> Option<String> {
    let field = |key: &str| {
        cpuinfo
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
    };
    let name = field("model name")?;
    Some(match (field("cpu family"), field("model")) {
        (Some(f), Some(m)) => format!("{name} ({simd}, family {f} model {m})"),
        _ => format!("{name} ({simd})"),
    })
}

/// The widest vector instruction set the CPU offers, which picks the kernels of the CPU backend
/// (gemm and macerator dispatch at run time): the usual reason two machines differ in the last
/// bits.
pub fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "AVX-512";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "AVX2+FMA";
        }
        if std::arch::is_x86_feature_detected!("avx") {
            return "AVX";
        }
        "SSE2"
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "scalar"
    }
}

/// Process-wide settings a backend needs; call first in `main`.
///
/// With `tch`, libtorch's OpenMP threads busy-wait between operations by default; beside
/// rusbench's own rayon threads (the view feed, the probe) and other workers, they spin on the
/// cores those need: a CoMM epoch took 209 s instead of 13 s on 2 loaded cores (same losses).
/// So `OMP_WAIT_POLICY=passive`, unless the user set it. libgomp reads it when it is loaded,
/// before `main`, so the process starts itself again with it set.
pub fn prepare_process() {
    #[cfg(all(feature = "tch", unix))]
    if std::env::var_os("OMP_WAIT_POLICY").is_none() {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("OMP_WAIT_POLICY", "passive")
                .exec();
            eprintln!(
                "warning: cannot restart with OMP_WAIT_POLICY=passive ({err}); set it yourself"
            );
        }
    }
}

/// The backend a run trains on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Backend {
    /// burn's `flex` (pure Rust, multi-threaded CPU).
    #[default]
    Cpu,
    /// CUDA device 0 (`--features cuda`).
    Cuda,
    /// The best wgpu adapter (`--features wgpu`).
    Wgpu,
    /// wgpu pinned to Vulkan (`--features vulkan`).
    Vulkan,
    /// libtorch on the CPU (burn's `tch` backend, `--features tch`).
    Tch,
}

impl Backend {
    pub const ALL: [Backend; 5] = [
        Backend::Cpu,
        Backend::Cuda,
        Backend::Wgpu,
        Backend::Vulkan,
        Backend::Tch,
    ];

    pub fn is_cpu(&self) -> bool {
        *self == Backend::Cpu
    }

    /// The cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Cpu => "flex",
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Vulkan => "vulkan",
            Backend::Tch => "tch",
        }
    }

    /// Whether this binary was built with the backend's feature.
    pub fn compiled(self) -> bool {
        match self {
            Backend::Cpu => cfg!(feature = "flex"),
            Backend::Cuda => cfg!(feature = "cuda"),
            Backend::Wgpu => cfg!(feature = "wgpu"),
            Backend::Vulkan => cfg!(feature = "vulkan"),
            Backend::Tch => cfg!(feature = "tch"),
        }
    }

    /// The (non-autodiff) device, or an error that says how to build it in.
    pub fn device(self) -> Result<Device> {
        if !self.compiled() {
            bail!(
                "this rusbench was built without the {0} backend; rebuild with `cargo build --release --features {0}` or use --device cpu",
                self.feature()
            );
        }
        Ok(match self {
            #[cfg(feature = "flex")]
            Backend::Cpu => Device::flex(),
            #[cfg(feature = "cuda")]
            Backend::Cuda => Device::cuda(0),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "vulkan")]
            Backend::Vulkan => Device::vulkan(burn::tensor::DeviceKind::DefaultDevice),
            // Deprecated upstream (burn 0.22 favours CubeCL), kept here as the oneDNN path on CPUs.
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            Backend::Tch => Device::libtorch(),
            #[allow(unreachable_patterns)]
            _ => unreachable!("compiled() checked the feature"),
        })
    }

    /// The device named by the `RUSBENCH_DEVICE` environment variable (benches), CPU if unset.
    pub fn from_env() -> Result<Backend> {
        match std::env::var("RUSBENCH_DEVICE") {
            Ok(v) => v
                .parse()
                .map_err(|e: String| anyhow::anyhow!("RUSBENCH_DEVICE: {e}")),
            Err(_) => Ok(Backend::Cpu),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Vulkan => "vulkan",
            Backend::Tch => "tch",
        })
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Backend::ALL
            .into_iter()
            .find(|b| b.to_string() == s)
            .ok_or_else(|| format!("unknown device {s:?}; use cpu, cuda, wgpu, vulkan or tch"))
    }
}

impl TryFrom<String> for Backend {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Backend> for String {
    fn from(b: Backend) -> String {
        b.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_label_names_family_and_model() {
        // Two VMs that both say "AMD EPYC": Zen 4 (family 25) and Zen 5 (family 26).
        let zen5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nstepping\t: 1\n\nprocessor\t: 1\ncpu family\t: 26\n";
        assert_eq!(
            cpu_label(zen5, "AVX-512").as_deref(),
            Some("AMD EPYC (AVX-512, family 26 model 2)")
        );
        let zen4 = zen5.replace("26", "25").replace(": 2\n", ": 17\n");
        assert_ne!(cpu_label(&zen4, "AVX-512"), cpu_label(zen5, "AVX-512"));
        // aarch64's cpuinfo has no model name line: no label from it.
        assert_eq!(
            cpu_label("processor\t: 0\nBogoMIPS\t: 50.00\n", "NEON"),
            None
        );
        assert_eq!(
            cpu_label("model name\t: X\n", "NEON").as_deref(),
            Some("X (NEON)")
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for b in Backend::ALL {
            assert_eq!(b.to_string().parse::<Backend>(), Ok(b));
        }
        let e = "tpu".parse::<Backend>().unwrap_err();
        assert!(e.contains("tpu") && e.contains("cuda"), "{e}");
    }

    #[test]
    fn a_backend_not_compiled_in_names_the_feature_to_build() {
        assert!(Backend::Cpu.device().is_ok());
        for b in Backend::ALL.into_iter().filter(|b| !b.compiled()) {
            let e = b.device().unwrap_err().to_string();
            assert!(e.contains(&format!("--features {}", b.feature())), "{e}");
        }
        // The default build (CI's) has no GPU backend.
        if !cfg!(any(feature = "cuda", feature = "wgpu", feature = "vulkan")) {
            assert!(Backend::Cuda.device().is_err());
        }
    }
}
