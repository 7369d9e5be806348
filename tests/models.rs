//! Architectures: parameter counts at the paper preset (REFERENCE §4.5), shapes, and masking.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use rusbench::models::adapter::{AdapterConfig, sincos_2d};
use rusbench::models::alexnet::AlexNetConfig;
use rusbench::models::fusion::FusionConfig;
use rusbench::models::heads::{ClipProjectionConfig, ProjectionHeadConfig};

fn dev() -> Device {
    Device::flex()
}

#[test]
fn paper_parameter_counts() {
    let d = dev();
    let trunk256 = AlexNetConfig::paper(256).init(&d);
    let trunk512 = AlexNetConfig::paper(512).init(&d);
    assert_eq!(trunk256.num_conv_params(), 2_469_696);
    assert_eq!(trunk256.fc.num_params(), 2_359_552);
    assert_eq!(trunk512.fc.num_params(), 4_719_104);
    let adapter = AdapterConfig::new(256, 512, 6).init(&d);
    assert_eq!(
        adapter.num_params(),
        131_584,
        "the positional table is not a parameter"
    );
    let fusion = FusionConfig::paper().init(&d);
    assert_eq!(fusion.num_params(), 3_153_920);
    let head = ProjectionHeadConfig::new(512, 512, 256).init(&d);
    assert_eq!(head.num_trainable(), 658_688);
    // CoMM, trainable and used: two trunks' convolutions, two adapters, fusion, head.
    let comm = 2 * trunk512.num_conv_params()
        + 2 * adapter.num_params()
        + fusion.num_params()
        + head.num_trainable();
    assert_eq!(comm, 9_015_168);
    assert_eq!(comm + 2 * trunk512.fc.num_params(), 18_453_376);
    // Cross+Self heads and the CLIP model.
    assert_eq!(
        ProjectionHeadConfig::new(256, 1024, 256)
            .init(&d)
            .num_trainable(),
        1_579_264
    );
    let clip = ClipProjectionConfig::new(256, 512).init(&d);
    assert_eq!(2 * trunk256.num_params() + clip.num_params(), 9_920_641);
}

#[test]
fn shapes_through_the_paper_pipeline() {
    let d = dev();
    let cfg = AlexNetConfig::paper(256);
    assert_eq!(cfg.grid(), 6);
    let trunk = cfg.init(&d);
    let x = Tensor::<4>::random([2, 3, 224, 224], Distribution::Normal(0.0, 1.0), &d);
    let f = trunk.forward(x.clone());
    assert_eq!(f.dims(), [2, 256, 6, 6]);
    assert_eq!(trunk.forward_vector(x).dims(), [2, 256]);
    let tokens = AdapterConfig::new(256, 512, 6).init(&d).forward(f);
    assert_eq!(tokens.dims(), [2, 36, 512]);
    let fusion = FusionConfig::paper().init(&d);
    let z = fusion.forward(&[tokens.clone(), tokens.clone()]);
    assert_eq!(z.dims(), [2, 512]);
    assert_eq!(
        ProjectionHeadConfig::new(512, 512, 256)
            .init(&d)
            .forward(z)
            .dims(),
        [2, 256]
    );
}

#[test]
fn small_trunk_grid() {
    let cfg = AlexNetConfig::small(128);
    assert_eq!(cfg.grid(), 3);
    let t = cfg.init(&dev());
    let x = Tensor::<4>::random([3, 3, 64, 64], Distribution::Normal(0.0, 1.0), &dev());
    assert_eq!(t.forward(x).dims(), [3, 128, 3, 3]);
}

/// torchvision's AlexNet `features` at 224 px: 655,566,528 multiply-adds (ptflops and fvcore
/// both report 0.66 GMac for the convolutions; by hand: 55²·64·3·121 + 27²·192·64·25 +
/// 13²·9·(384·192 + 256·384 + 256·256)). The tiny trunk keeps the small trunk's 3 x 3 grid.
#[test]
fn trunk_multiply_adds() {
    let (conv, fc) = AlexNetConfig::paper(512).macs_per_image();
    assert_eq!(conv, 655_566_528);
    assert_eq!(fc, 9216 * 512);
    let tiny = AlexNetConfig::tiny(64);
    assert_eq!(tiny.grid(), 3);
    let x = Tensor::<4>::random([2, 3, 64, 64], Distribution::Normal(0.0, 1.0), &dev());
    assert_eq!(tiny.init(&dev()).forward(x).dims(), [2, 64, 3, 3]);
    assert!(tiny.macs_per_image().0 * 3 < AlexNetConfig::small(128).macs_per_image().0);
}

#[test]
fn masking_drops_the_other_modalitys_tokens() {
    let d = dev();
    let fusion = FusionConfig::new(32, 4, 1, 128).init(&d);
    let t1 = Tensor::<3>::random([2, 5, 32], Distribution::Normal(0.0, 1.0), &d);
    let t2a = Tensor::<3>::random([2, 5, 32], Distribution::Normal(0.0, 1.0), &d);
    let t2b = Tensor::<3>::random([2, 5, 32], Distribution::Normal(0.0, 1.0), &d);
    let v = |x: Tensor<2>| {
        x.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    };
    let only1 = v(fusion.forward(std::slice::from_ref(&t1)));
    let both_a = v(fusion.forward(&[t1.clone(), t2a]));
    let both_b = v(fusion.forward(&[t1.clone(), t2b]));
    // With modality 2 present, its tokens change the CLS output; without, it cannot see them.
    let diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    assert!(diff(&both_a, &both_b) > 1e-3);
    assert!(diff(&only1, &both_a) > 1e-3);
    assert_eq!(only1, v(fusion.forward(&[t1])));
}

#[test]
fn sincos_table_rows() {
    // Token (0, 0): sin 0 = 0 and cos 0 = 1 in every block.
    let t = sincos_2d(6, 512);
    assert!(t[..128].iter().all(|&v| v == 0.0) && t[128..256].iter().all(|&v| v == 1.0));
    // Token (row 0, col 1): the x blocks see position 1 with w_0 = 1: sin 1, cos 1.
    let row = &t[512..1024];
    assert!((row[256] - 1f32.sin()).abs() < 1e-6 && (row[384] - 1f32.cos()).abs() < 1e-6);
    assert!(row[..128].iter().all(|&v| v == 0.0));
    // Token (row 1, col 0): the y blocks at position 1, w_1 = 10000^(-1/128).
    let row = &t[6 * 512..7 * 512];
    let w1 = 10000f64.powf(-1.0 / 128.0);
    assert!((row[1] as f64 - w1.sin()).abs() < 1e-6);
}
