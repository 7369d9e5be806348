//! AdamW with the reference's decay rule (`utils.py: set_weight_decay_per_param`): weight decay
//! on weights (and the CLS token, ndim 3), none on biases, LayerNorm/BatchNorm parameters and
//! other 1-D parameters. Every hyper-parameter is set explicitly: burn's AdamW defaults (eps
//! 1e-5) differ from PyTorch's (1e-8).

use burn::module::ParamGroup;
use burn::optim::{AdamWConfig, ModuleOptimizer};

/// PyTorch's AdamW defaults except `lr`/`weight_decay`, which the preset gives.
pub fn adamw(weight_decay: f64) -> ModuleOptimizer {
    let base = |wd: f64| {
        AdamWConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .with_weight_decay(wd as f32)
    };
    // burn names LayerNorm/BatchNorm affine parameters gamma/beta; biases end in "bias".
    let no_decay = ParamGroup::from_any_predicates(vec!["bias", "gamma", "beta", "logit_scale"]);
    base(weight_decay)
        .init()
        .with_group(no_decay, base(0.0).build(), None)
}
