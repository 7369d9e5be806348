//! The patched burn-flex convolution (`patches/burn-flex`: GEMMs whose columns span images)
//! computes the convolution: output, weight gradient and input gradient against a direct f64
//! sum written out here, on shapes whose column chunks start and end inside images, with stride,
//! padding and groups, and batches wide enough that the weight gradient's own convolution
//! (burn computes it over the swapped batch) takes the im2col path. The input gradient is a
//! transposed convolution, which at stride 1 the patch computes as the convolution with the
//! flipped kernel; `conv_transpose2d` itself is checked against its definition too.

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

/// Every `(y, x)` of an `n x n` grid, row by row.
fn grid(n: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).flat_map(move |y| (0..n).map(move |x| (y, x)))
}

/// `f(b, o, oy, ox, c, ky, kx, iy, ix)` over every term of the convolution's sum.
fn each_term(s: &Shape, mut f: impl FnMut([usize; 9])) {
    let n = out_side(s);
    let (cg, og) = (s.c / s.groups, s.o / s.groups);
    for b in 0..s.b {
        for o in 0..s.o {
            for (oy, ox) in grid(n) {
                for cl in 0..cg {
                    for (ky, kx) in grid(s.k) {
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

/// burn's `conv_transpose2d` with bias and groups against its definition, written out here:
/// `out[b, o, iy·s + ky - p, ix·s + kx - p] += x[b, i, iy, ix] w[i, o mod og, ky, kx]` over
/// the input channels `i` of o's group, plus `bias[o]`. Stride 1 takes the patch's convolution
/// with the flipped kernel (padding `k - 1 - p` from k - 1 down to 0 here), stride 2 flex's
/// GEMM and col2im.
#[test]
fn transposed_convolutions_match_their_definition() {
    use burn::tensor::module::conv_transpose2d;
    use burn::tensor::ops::ConvTransposeOptions;
    // [b, channels in, side, channels out per group, k, stride, pad, groups]
    for [b, ci, side, og, k, stride, pad, groups] in [
        [3, 6, 7, 5, 3, 1, 0, 1],
        [4, 8, 6, 3, 5, 1, 4, 2],
        [2, 4, 9, 6, 5, 1, 2, 1],
        [3, 6, 5, 4, 3, 2, 1, 1],
    ] {
        let device = Device::flex();
        device.seed(11);
        let normal = Distribution::Normal(0.0, 1.0);
        let x: Tensor<4> = Tensor::random([b, ci, side, side], normal, &device);
        let w: Tensor<4> = Tensor::random([ci, og, k, k], normal, &device);
        let bias: Tensor<1> = Tensor::random([og * groups], normal, &device);
        let opts = ConvTransposeOptions::new([stride; 2], [pad; 2], [0; 2], [1; 2], groups);
        let got = values(conv_transpose2d(
            x.clone(),
            w.clone(),
            Some(bias.clone()),
            opts,
        ));

        let (xv, wv) = (values(x), values(w));
        let bv: Vec<f64> = bias.into_data().iter::<f32>().map(f64::from).collect();
        let n = (side - 1) * stride + k - 2 * pad;
        let (o_all, cg) = (og * groups, ci / groups);
        let mut want = vec![0.0; b * o_all * n * n];
        for (bi, o) in (0..b).flat_map(|bi| (0..o_all).map(move |o| (bi, o))) {
            let plane = &mut want[(bi * o_all + o) * n * n..][..n * n];
            plane.iter_mut().for_each(|v| *v = bv[o]);
            for i in (o / og) * cg..(o / og + 1) * cg {
                for (iy, ix) in grid(side) {
                    for (ky, kx) in grid(k) {
                        let oy = (iy * stride + ky) as isize - pad as isize;
                        let ox = (ix * stride + kx) as isize - pad as isize;
                        if (0..n as isize).contains(&oy) && (0..n as isize).contains(&ox) {
                            let xi = ((bi * ci + i) * side + iy) * side + ix;
                            let wi = ((i * og + o % og) * k + ky) * k + kx;
                            plane[oy as usize * n + ox as usize] += xv[xi] * wv[wi];
                        }
                    }
                }
            }
        }
        assert_close(
            &format!("conv_transpose2d k{k} s{stride} p{pad} g{groups}"),
            &got,
            &want,
        );
    }
}

/// Max pooling with indices against its definition: each output is its window's first
/// greatest element (windows read row by row), and the gradient goes to that element. Values
/// on a grid of halves, so windows hold ties; with and without padding (the patch's path for
/// windows inside the image, flex's own otherwise), strides 2 and 1.
#[test]
fn max_pooling_takes_each_windows_first_maximum() {
    use burn::nn::PaddingConfig2d;
    use burn::nn::pool::MaxPool2dConfig;
    let device = Device::flex().autodiff();
    device.seed(3);
    let (b, c, side) = (3, 5, 11);
    let x: Tensor<4> = Tensor::random([b, c, side, side], Distribution::Normal(0.0, 1.0), &device);
    let x = (x * 2.0).round().div_scalar(2.0).detach().require_grad();
    let xv = values(x.clone());
    for (stride, pad) in [(2, 0), (1, 0), (2, 1)] {
        let pool = MaxPool2dConfig::new([3, 3])
            .with_strides([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
            .init();
        let y = pool.forward(x.clone());
        let n = y.dims()[2];
        let r: Tensor<4> = Tensor::random([b, c, n, n], Distribution::Normal(0.0, 1.0), &device);
        let grads = (y.clone() * r.clone()).sum().backward();
        let (yv, rv, gx) = (values(y), values(r), values(x.grad(&grads).unwrap()));
        let (mut want_y, mut want_g) = (vec![0.0; yv.len()], vec![0.0; xv.len()]);
        for plane in 0..b * c {
            for (oy, ox) in grid(n) {
                let mut best: Option<(f64, usize)> = None;
                for (ky, kx) in grid(3) {
                    let iy = (oy * stride + ky) as isize - pad as isize;
                    let ix = (ox * stride + kx) as isize - pad as isize;
                    if (0..side as isize).contains(&iy) && (0..side as isize).contains(&ix) {
                        let i = (plane * side + iy as usize) * side + ix as usize;
                        if best.is_none_or(|(v, _)| xv[i] > v) {
                            best = Some((xv[i], i));
                        }
                    }
                }
                let (v, i) = best.unwrap();
                let o = (plane * n + oy) * n + ox;
                want_y[o] = v;
                want_g[i] += rv[o];
            }
        }
        assert_eq!(yv, want_y, "stride {stride}, padding {pad}: maxima");
        assert_close(
            &format!("stride {stride}, padding {pad}: gradient"),
            &gx,
            &want_g,
        );
    }
}
