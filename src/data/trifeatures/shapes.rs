//! Binary shape templates (REFERENCE §1.2), written for any template size `b`.
//!
//! The reference defines the masks on a 128x128 grid. Each rule is written here with its
//! constants expressed relative to `b` (slopes such as `i // 2` or `/ 3.1` are scale-free), so
//! that `b = 128` reproduces the reference exactly (tested against the fill fractions in
//! REFERENCE §1.2) and other sizes give the same silhouettes.

/// A square `b x b` mask in row-major order, values 0.0 or 1.0.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub size: usize,
    pub data: Vec<f32>,
}

impl Template {
    pub fn fill_fraction(&self) -> f64 {
        self.data.iter().map(|&v| v as f64).sum::<f64>() / self.data.len() as f64
    }
}

/// Python's floor division of floats, as in `(i - 51) // 3.1`. It is not `floor(a / b)`:
/// Python goes through `fmod`, so `31 // 3.1 == 9` while `floor(31 / 3.1) == 10` (3.1 is
/// stored slightly above 3.1). This is CPython's `float_floor_div` for b > 0.
fn floordiv(a: f64, b: f64) -> f64 {
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && (m < 0.0) != (b < 0.0) {
        m += b;
        div -= 1.0;
    }
    let _ = m;
    if div == 0.0 {
        return 0.0;
    }
    let mut f = div.floor();
    if div - f > 0.5 {
        f += 1.0;
    }
    f
}

/// Whether pixel (row `i`, column `j`) is on for `shape` at template size `b`.
pub fn shape_on(shape: usize, b: usize, i: usize, j: usize) -> bool {
    let bf = b as f64;
    let half = (b / 2) as f64;
    let (fi, fj) = (i as f64, j as f64);
    match shape {
        // triangle: |j - 64| - (i // 2) < 1
        0 => (fj - half).abs() - ((i / 2) as f64) < 1.0,
        // square
        1 => true,
        // plus: column band and row band of half-width b // 6 around b / 2
        2 => {
            let hw = b / 6;
            let band = |k: usize| k + hw >= b / 2 && k <= b / 2 + hw;
            band(i) || band(j)
        }
        // circle: (i + 0.5 - 64)^2 + (j + 0.5 - 64)^2 < 64^2
        3 => {
            let (y, x) = (fi + 0.5 - half, fj + 0.5 - half);
            y * y + x * x < half * half
        }
        // tee: the plus's column band, plus the first b // 3 rows
        4 => {
            let hw = b / 6;
            (j + hw >= b / 2 && j <= b / 2 + hw) || i < b / 3
        }
        // rhombus (a sheared parallelogram): 0 < j - 64 + (i // 2) < 64
        5 => {
            let v = fj - half + (i / 2) as f64;
            0.0 < v && v < half
        }
        // pentagon: pointed roof above int(0.4 b), trapezoid narrowing downward below
        6 => {
            let mid = (0.4 * bf) as usize;
            if i < mid {
                (fj - half).abs() - 1.25 * fi < 1.0
            } else {
                let off = floordiv((i - mid) as f64, 3.1);
                off < fj && fj < bf - off
            }
        }
        // star: thin top spike, horizontal arms, two legs (rows line3..line2 get the union)
        7 => {
            let line = (0.4 * bf) as usize;
            let line2 = line + (25 * b) / 128;
            let line3 = line + (19 * b) / 128;
            let mut on = false;
            if i < line {
                on |= (fj - half).abs() - ((i / 4) as f64) < 1.0;
            }
            if i >= line && i < line2 {
                let off = 2.4 * (i - line) as f64;
                on |= off < fj && fj < bf - off;
            }
            if i >= line3 {
                let d = (i - line3) as f64;
                let a = 0.33 * bf - 0.43 * d;
                let c = 0.62 * bf - 1.05 * d;
                on |= (a < fj && fj < c) || (a < bf - fj && bf - fj < c);
            }
            on
        }
        // fivesquare: four corner squares and a centre square
        8 => {
            let (lo, hi) = (b / 3, 2 * b / 3);
            let ib = i >= lo && i < hi;
            let jb = j >= lo && j < hi;
            (ib && jb) || (!ib && !jb)
        }
        // trapezoid: x_off = i // 3.1, wide at the top
        9 => {
            let off = floordiv(fi, 3.1);
            off < fj && fj < bf - off
        }
        _ => panic!("shape index {shape} out of range 0..10"),
    }
}

/// The template of `shape` at size `b`.
pub fn template(shape: usize, b: usize) -> Template {
    let mut data = vec![0.0f32; b * b];
    for i in 0..b {
        for j in 0..b {
            if shape_on(shape, b, i, j) {
                data[i * b + j] = 1.0;
            }
        }
    }
    Template { size: b, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fill fractions of the reference's 128 px templates, measured on the reference code
    /// (REFERENCE §1.2 [SIM]), printed there to three decimals.
    const REFERENCE_FILL: [f64; 10] = [
        0.500, 1.000, 0.559, 0.787, 0.554, 0.492, 0.687, 0.261, 0.554, 0.680,
    ];

    #[test]
    fn fill_fractions_match_reference_at_128() {
        for (s, &want) in REFERENCE_FILL.iter().enumerate() {
            let got = template(s, 128).fill_fraction();
            assert!(
                (got - want).abs() <= 0.0006,
                "shape {s}: fill {got:.4} vs reference {want}"
            );
        }
    }

    #[test]
    fn python_float_floor_division() {
        // Values printed by CPython 3.11: 31 // 3.1 = 9.0, 62 // 3.1 = 19.0, 6.2 // 3.1 = 2.0.
        assert_eq!(floordiv(31.0, 3.1), 9.0);
        assert_eq!(floordiv(62.0, 3.1), 19.0);
        assert_eq!(floordiv(6.2, 3.1), 2.0);
        assert_eq!(floordiv(3.0, 3.1), 0.0);
    }

    #[test]
    fn literal_reference_rules_at_128() {
        // Spot checks written straight from REFERENCE §1.2 for b = 128.
        let on = |s, i, j| shape_on(s, 128, i, j);
        // plus: columns 43..=85 all rows.
        assert!(on(2, 0, 43) && on(2, 0, 85) && !on(2, 0, 42) && !on(2, 0, 86));
        // tee: rows 0..=41 all columns, row 42 only the band.
        assert!(on(4, 41, 0) && !on(4, 42, 0) && on(4, 42, 64));
        // fivesquare: [42, 85) bands zeroed, centre block back on.
        assert!(on(8, 0, 0) && !on(8, 0, 42) && on(8, 0, 85) && on(8, 42, 42) && !on(8, 84, 0));
        // triangle apex at the top row.
        assert!(on(0, 0, 64) && !on(0, 0, 62) && on(0, 127, 1));
    }

    #[test]
    fn smaller_templates_keep_the_silhouettes() {
        // Downscaling keeps each shape's fill fraction within a few points of the reference.
        for (s, &want) in REFERENCE_FILL.iter().enumerate() {
            let got = template(s, 40).fill_fraction();
            assert!(
                (got - want).abs() < 0.06,
                "shape {s} at 40 px: {got:.3} vs {want}"
            );
        }
    }
}
