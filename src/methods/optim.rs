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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::{Module, Param};
    use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Distribution, Tensor};

    #[derive(Module, Debug)]
    struct Probe {
        lin: Linear,
        ln: LayerNorm,
        cls: Param<Tensor<3>>,
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn decay_hits_weights_and_cls_but_not_biases_or_norms() {
        let device = Device::flex().autodiff();
        let mut m = Probe {
            lin: LinearConfig::new(4, 3).init(&device),
            ln: LayerNormConfig::new(3).init(&device),
            cls: Param::from_tensor(Tensor::random(
                [1, 1, 3],
                Distribution::Normal(0.0, 1.0),
                &device,
            )),
        };
        let before = (
            values(m.lin.weight.val()),
            values(m.lin.bias.as_ref().unwrap().val()),
            values(m.ln.gamma.val()),
            values(m.cls.val()),
        );
        // A zero loss that still touches every parameter: Adam's moment terms are 0, so the step
        // is the decoupled decay alone, theta <- theta (1 - lr wd) = 0.95 theta.
        let x = Tensor::<2>::random([2, 4], Distribution::Normal(0.0, 1.0), &device);
        let y = m.ln.forward(m.lin.forward(x)).sum() + m.cls.val().sum();
        let loss = y * 0.0;
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        m = adamw(0.5).step(0.1, m, grads);
        let scaled =
            |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (y - 0.95 * x).abs() < 1e-6);
        let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (y - x).abs() < 1e-7);
        assert!(
            scaled(&before.0, &values(m.lin.weight.val())),
            "linear weight decayed"
        );
        assert!(
            same(&before.1, &values(m.lin.bias.as_ref().unwrap().val())),
            "bias not decayed"
        );
        assert!(
            same(&before.2, &values(m.ln.gamma.val())),
            "LayerNorm not decayed"
        );
        assert!(scaled(&before.3, &values(m.cls.val())), "CLS token decayed");
    }
}
