//! The patched burn-flex convolution (`patches/burn-flex`: GEMMs whose columns span images)
//! computes the convolution: output, weight gradient and input gradient against a direct f64
//! sum written out here, on shapes whose column chunks start and end inside images, with stride,
//! padding and groups, and batches wide enough that the weight gradient's own convolution
//! (burn computes it over the swapped batch) takes the im2col path.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor};

struct Shape {
    b: usize,
    c: usize,
    side: usize,
    o: usize,
    k: usize,
    stride: usize,
    pad: usize,
    groups: usize,
}

/// `[b, c, side, o, k, stride, pad, groups]`: images, input channels, input side, output
/// channels, kernel side, stride, padding, groups.
fn shape([b, c, side, o, k, stride, pad, groups]: [usize; 8]) -> Shape {
    Shape {
        b,
        c,
        side,
        o,
        k,
        stride,
        pad,
        groups,
    }
}

fn out_side(s: &Shape) -> usize {
    (s.side + 2 * s.pad - s.k) / s.stride + 1
}

/// `f(b, o, oy, ox, c, ky, kx, iy, ix)` over every term of the convolution's sum.
fn each_term(s: &Shape, mut f: impl FnMut([usize; 9])) {
    let n = out_side(s);
    let (cg, og) = (s.c / s.groups, s.o / s.groups);
    for b in 0..s.b {
        for o in 0..s.o {
            for (oy, ox) in (0..n).flat_map(|y| (0..n).map(move |x| (y, x))) {
                for cl in 0..cg {
                    for (ky, kx) in (0..s.k).flat_map(|y| (0..s.k).map(move |x| (y, x))) {
                        let iy = (oy * s.stride + ky) as isize - s.pad as isize;
                        let ix = (ox * s.stride + kx) as isize - s.pad as isize;
                        let inside = (0..s.side as isize).contains(&iy)
                            && (0..s.side as isize).contains(&ix);
                        if inside {
                            let c = (o / og) * cg + cl;
                            f([b, o, oy, ox, c, ky, kx, iy as usize, ix as usize]);
                        }
                    }
                }
            }
        }
    }
}

fn values(t: Tensor<4>) -> Vec<f64> {
    let d = t.into_data();
    d.iter::<f32>().map(f64::from).collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1e-6f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * scale,
            "{what}[{i}]: {g} against {w} (scale {scale})"
        );
    }
}

fn check(s: Shape) {
    let device = Device::flex().autodiff();
    device.seed(7);
    let n = out_side(&s);
    let x: Tensor<4> = Tensor::random(
        [s.b, s.c, s.side, s.side],
        Distribution::Normal(0.0, 1.0),
        &device,
    )
    .require_grad();
    let w: Tensor<4> = Tensor::random(
        [s.o, s.c / s.groups, s.k, s.k],
        Distribution::Normal(0.0, 1.0),
        &device,
    )
    .require_grad();
    let r: Tensor<4> = Tensor::random([s.b, s.o, n, n], Distribution::Normal(0.0, 1.0), &device);
    let opts = ConvOptions::new([s.stride; 2], [s.pad; 2], [1, 1], s.groups);
    let y = conv2d(x.clone(), w.clone(), None, opts);
    let grads = (y.clone() * r.clone()).sum().backward();
    let (xv, wv, rv) = (values(x.clone()), values(w.clone()), values(r));
    let (gx, gw) = (
        values(x.grad(&grads).unwrap()),
        values(w.grad(&grads).unwrap()),
    );

    let (cg, side) = (s.c / s.groups, s.side);
    let (mut want_y, mut want_gx, mut want_gw) = (
        vec![0.0; rv.len()],
        vec![0.0; xv.len()],
        vec![0.0; wv.len()],
    );
    each_term(&s, |[b, o, oy, ox, c, ky, kx, iy, ix]| {
        let yi = ((b * s.o + o) * n + oy) * n + ox;
        let xi = ((b * s.c + c) * side + iy) * side + ix;
        let wi = ((o * cg + c % cg) * s.k + ky) * s.k + kx;
        want_y[yi] += wv[wi] * xv[xi];
        want_gx[xi] += wv[wi] * rv[yi];
        want_gw[wi] += xv[xi] * rv[yi];
    });
    assert_close("output", &values(y), &want_y);
    assert_close("input gradient", &gx, &want_gx);
    assert_close("weight gradient", &gw, &want_gw);
}

#[test]
fn chunks_that_span_images_give_the_convolution() {
    // 11 images of 9 x 9 outputs: 891 columns in chunks of 112, which start inside images.
    check(shape([11, 5, 9, 7, 3, 1, 1, 1]));
    // The tiny trunk's conv2 on 3 images (675 columns in chunks of 85), k5 p2.
    check(shape([3, 16, 15, 48, 5, 1, 2, 1]));
}

#[test]
fn stride_and_groups_give_the_convolution() {
    check(shape([9, 6, 16, 8, 5, 2, 2, 1]));
    check(shape([7, 8, 10, 6, 3, 1, 1, 2]));
}

#[test]
fn a_wide_batch_gives_the_weight_gradient() {
    // Batch 40 becomes the channels of the weight gradient's convolution (40 x 49 per column).
    check(shape([40, 12, 7, 10, 3, 1, 1, 1]));
}
