//! The `--preview` contact sheet: every shape, texture and colour, then a few biased training
//! pairs, each tile labelled, so a person can look at a recipe before training on it.
//!
//! Labels use a built-in 3x5 pixel font so the sheet is byte-identical on any machine.

use super::attributes::{COLOR_NAMES, SHAPES, TEXTURES};
use super::dataset::{Dataset, encode_png};
use super::render::RenderParams;
use super::shapes::template;
use super::textures::TextureDraw;
use anyhow::{Context, Result};
use image::{Rgb, RgbImage, imageops};

/// 3x5 glyphs, rows top to bottom, '1' = ink.
fn glyph(c: char) -> &'static str {
    match c.to_ascii_uppercase() {
        'A' => "010101111101101",
        'B' => "110101110101110",
        'C' => "011100100100011",
        'D' => "110101101101110",
        'E' => "111100110100111",
        'F' => "111100110100100",
        'G' => "011100101101011",
        'H' => "101101111101101",
        'I' => "111010010010111",
        'J' => "001001001101010",
        'K' => "101101110101101",
        'L' => "100100100100111",
        'M' => "101111111101101",
        'N' => "110101101101101",
        'O' => "010101101101010",
        'P' => "110101110100100",
        'Q' => "010101101110011",
        'R' => "110101110101101",
        'S' => "011100010001110",
        'T' => "111010010010010",
        'U' => "101101101101111",
        'V' => "101101101101010",
        'W' => "101101111111101",
        'X' => "101101010101101",
        'Y' => "101101010010010",
        'Z' => "111001010100111",
        '0' => "111101101101111",
        '1' => "010110010010111",
        '2' => "110001010100111",
        '3' => "110001010001110",
        '4' => "101101111001001",
        '5' => "111100110001110",
        '6' => "011100111101111",
        '7' => "111001010010010",
        '8' => "111101111101111",
        '9' => "111101111001110",
        '-' => "000000111000000",
        '_' => "000000000000111",
        '>' => "100010001010100",
        ':' => "000010000010000",
        '=' => "000111000111000",
        '(' => "010100100100010",
        ')' => "010001001001010",
        ',' => "000000000010100",
        '.' => "000000000000010",
        _ => "000000000000000",
    }
}

const SCALE: u32 = 2;
const CHAR_W: u32 = 4 * SCALE;
const TEXT_H: u32 = 5 * SCALE;

fn draw_text(img: &mut RgbImage, x0: u32, y0: u32, text: &str, ink: Rgb<u8>) {
    for (k, ch) in text.chars().enumerate() {
        for (b, bit) in glyph(ch).bytes().enumerate() {
            if bit != b'1' {
                continue;
            }
            let (gx, gy) = (b as u32 % 3, b as u32 / 3);
            for dy in 0..SCALE {
                for dx in 0..SCALE {
                    let (x, y) = (
                        x0 + k as u32 * CHAR_W + gx * SCALE + dx,
                        y0 + gy * SCALE + dy,
                    );
                    if x < img.width() && y < img.height() {
                        img.put_pixel(x, y, ink);
                    }
                }
            }
        }
    }
}

/// The contact sheet of an opened dataset, as PNG bytes.
pub fn contact_sheet(ds: &Dataset) -> Result<Vec<u8>> {
    let recipe = &ds.manifest.recipe;
    let geometry = recipe.geometry();
    let cnv = recipe.canvas as u32;
    let zoom = 128_u32.div_ceil(cnv); // tiles at least 128 px wide
    let tile = cnv * zoom;
    let (margin, label_h, title_h) = (8u32, TEXT_H + 12, TEXT_H + 6);
    let n_pairs = 5u32;
    let rows = 3 + 2; // shapes, textures, colours, two rows of pairs (5 pairs x 2 images)
    let width = margin + 10 * (tile + margin);
    let height = margin + rows * (title_h + tile + label_h);
    let mut sheet = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    let ink = Rgb([0, 0, 0]);

    let templates: Vec<_> = (0..10).map(|s| template(s, recipe.template)).collect();
    let centred = |attrs: [u8; 3]| RenderParams {
        attrs,
        shape_angle: 0,
        row: (recipe.canvas - recipe.template) / 2,
        col: (recipe.canvas - recipe.template) / 2,
        texture: TextureDraw {
            texture: attrs[1] as usize,
            oy: 0,
            ox: 0,
            key: 0x5eed,
        },
        texture_angle: 0,
    };
    let mut y = margin;
    let put_row =
        |sheet: &mut RgbImage, y: &mut u32, title: &str, tiles: Vec<(RgbImage, String)>| {
            draw_text(sheet, margin, *y, title, ink);
            *y += title_h;
            for (k, (img, label)) in tiles.into_iter().enumerate() {
                let x = margin + k as u32 * (tile + margin);
                let big = imageops::resize(&img, tile, tile, imageops::FilterType::Nearest);
                imageops::replace(sheet, &big, x as i64, *y as i64);
                draw_text(sheet, x, *y + tile + 3, &label, ink);
            }
            *y += tile + label_h;
        };

    let row = |f: &dyn Fn(u8) -> [u8; 3], names: &[&str; 10]| -> Vec<(RgbImage, String)> {
        (0..10u8)
            .map(|v| {
                (
                    geometry.render(&templates, &centred(f(v))),
                    names[v as usize].to_string(),
                )
            })
            .collect()
    };
    put_row(
        &mut sheet,
        &mut y,
        "SHAPES (SOLID, WHITE, UPRIGHT)",
        row(&|v| [v, 0, 9], &SHAPES),
    );
    put_row(
        &mut sheet,
        &mut y,
        "TEXTURES (SQUARE, WHITE, UNROTATED)",
        row(&|v| [1, v, 9], &TEXTURES),
    );
    put_row(
        &mut sheet,
        &mut y,
        "COLORS (SQUARE, SOLID)",
        row(&|v| [1, 0, v], &COLOR_NAMES),
    );

    // Biased training pairs: image 2's colour is the mapping of image 1's texture.
    let pairs = ds.pairs("train_biased")?;
    let load = |i: usize| -> Result<RgbImage> {
        let f = &ds.train[i].file;
        Ok(image::open(ds.root.join(f))
            .with_context(|| format!("cannot read {f}"))?
            .to_rgb8())
    };
    let mut tiles = Vec::new();
    for p in pairs.iter().take(n_pairs as usize) {
        tiles.push((
            load(p.index1)?,
            format!("1:{}", TEXTURES[p.attrs1[1] as usize]),
        ));
        tiles.push((
            load(p.index2)?,
            format!("2:{}", COLOR_NAMES[p.attrs2[2] as usize]),
        ));
    }
    let (first, second) = tiles.split_at(tiles.len().min(6));
    put_row(
        &mut sheet,
        &mut y,
        "BIASED PAIRS: IMAGE 1 TEXTURE -> IMAGE 2 COLOR",
        first.to_vec(),
    );
    put_row(&mut sheet, &mut y, "", second.to_vec());
    Ok(encode_png(&sheet))
}
