//! Pictures of X windows without an image crate: an X Window Dump (`xwd`) read into RGB
//! rows, its distinct colours counted, written as a PNG. The package test checks the studio's
//! window with it; the studio journey takes pictures with it where WebDriver's screenshot
//! hangs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// A window's pixels as RGB rows.
pub struct WindowImage {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// The pixels of the X window `window` (an id, or `-root`'s whole screen when None) through
/// `xwd` (x11-apps), or None if it cannot be read now.
pub fn capture(window: Option<&str>) -> Option<WindowImage> {
    let mut command = Command::new("xwd");
    match window {
        Some(id) => command.args(["-id", id]),
        None => command.arg("-root"),
    };
    let output = command
        .arg("-silent")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // A picture is evidence beside a test's own checks: a dump this reader cannot read is
    // reported and skipped, never a panic that would end the test that asked for it.
    match WindowImage::from_xwd(&output.stdout) {
        Ok(image) => Some(image),
        Err(e) => {
            eprintln!("xwd's dump cannot be read: {e}");
            None
        }
    }
}

impl WindowImage {
    /// An X Window Dump: 25 big-endian header words (then the window's name up to the
    /// header's size), a colour map of 12-byte entries, then the rows of pixels.
    pub fn from_xwd(dump: &[u8]) -> Result<WindowImage, String> {
        let word = |i: usize| -> Result<u32, String> {
            dump.get(i * 4..i * 4 + 4)
                .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
                .ok_or_else(|| format!("header word {i} missing ({} bytes)", dump.len()))
        };
        let header_size = word(0)? as usize;
        let (width, height) = (word(4)? as usize, word(5)? as usize);
        let little_endian = word(7)? == 0;
        let bits_per_pixel = word(11)?;
        let bytes_per_line = word(12)? as usize;
        let masks = [word(14)?, word(15)?, word(16)?];
        let colour_map = word(19)? as usize * 12;
        // A 24-bit display's dumps are 32 bits per pixel, but some windows' are packed in 24.
        let bytes_per_pixel = match bits_per_pixel {
            24 => 3,
            32 => 4,
            other => return Err(format!("{other} bits per pixel (24 or 32 are read)")),
        };
        if bytes_per_line < width * bytes_per_pixel {
            return Err(format!(
                "{bytes_per_line} bytes per line cannot hold {width} pixels of {bits_per_pixel} bits"
            ));
        }
        let start = header_size + colour_map;
        let pixels = dump
            .get(start..start + bytes_per_line * height)
            .ok_or_else(|| format!("{width}x{height} pixels do not fit in {} bytes", dump.len()))?;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for row in pixels.chunks(bytes_per_line) {
            for pixel in row[..width * bytes_per_pixel].chunks(bytes_per_pixel) {
                let value = pixel.iter().enumerate().fold(0u32, |value, (i, byte)| {
                    let shift = if little_endian {
                        i
                    } else {
                        bytes_per_pixel - 1 - i
                    };
                    value | (u32::from(*byte) << (8 * shift))
                });
                for mask in masks {
                    rgb.push(((value & mask) >> mask.trailing_zeros()) as u8);
                }
            }
        }
        Ok(WindowImage { width, height, rgb })
    }

    pub fn distinct_colours(&self) -> usize {
        self.rgb.chunks(3).collect::<BTreeSet<_>>().len()
    }

    /// The part of the image in the rectangle at (`x`, `y`) of `width` x `height`, cut to
    /// the image's own edges (a window partly off the screen gives what is on it).
    pub fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> WindowImage {
        let (x, y) = (x.min(self.width), y.min(self.height));
        let width = width.min(self.width - x);
        let height = height.min(self.height - y);
        let mut rgb = Vec::with_capacity(width * height * 3);
        for row in self.rgb.chunks(self.width * 3).skip(y).take(height) {
            rgb.extend_from_slice(&row[x * 3..(x + width) * 3]);
        }
        WindowImage { width, height, rgb }
    }

    /// A PNG with its pixels in stored (uncompressed) deflate blocks: no image crate for
    /// one screenshot.
    pub fn write_png(&self, path: &Path) {
        let mut raw = Vec::with_capacity((self.width * 3 + 1) * self.height);
        for row in self.rgb.chunks(self.width * 3) {
            raw.push(0); // filter: none
            raw.extend_from_slice(row);
        }
        let mut zlib = vec![0x78, 0x01];
        let mut blocks = raw.chunks(65_535).peekable();
        while let Some(block) = blocks.next() {
            zlib.push(u8::from(blocks.peek().is_none()));
            let len = block.len() as u16;
            zlib.extend_from_slice(&len.to_le_bytes());
            zlib.extend_from_slice(&(!len).to_le_bytes());
            zlib.extend_from_slice(block);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for byte in &raw {
            a = (a + u32::from(*byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
        let mut header = Vec::new();
        header.extend_from_slice(&(self.width as u32).to_be_bytes());
        header.extend_from_slice(&(self.height as u32).to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", &header), (b"IDAT", &zlib), (b"IEND", &Vec::new())] {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = png.len();
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            let crc = crc32(&png[start..]);
            png.extend_from_slice(&crc.to_be_bytes());
        }
        std::fs::write(path, png).unwrap();
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump of `width` x 2 pixels, `bits_per_pixel` each, little-endian, red/green/blue
    /// masks of a 24-bit TrueColor display, padded rows, no colour map; pixel (x, y) is
    /// (x, y, 7).
    fn dump(width: u32, bits_per_pixel: u32) -> Vec<u8> {
        let bytes_per_pixel = bits_per_pixel as usize / 8;
        let bytes_per_line = width as usize * bytes_per_pixel + 2;
        let name = b"root\0";
        let header_size = 25 * 4 + name.len() as u32;
        let mut words = [0u32; 25];
        words[0] = header_size;
        words[4] = width;
        words[5] = 2;
        words[7] = 0; // byte order: little-endian
        words[11] = bits_per_pixel;
        words[12] = bytes_per_line as u32;
        words[14] = 0x00ff_0000;
        words[15] = 0x0000_ff00;
        words[16] = 0x0000_00ff;
        words[19] = 0; // colour map entries
        let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        out.extend_from_slice(name);
        for y in 0..2u32 {
            let mut row = Vec::new();
            for x in 0..width {
                let value = (x << 16) | (y << 8) | 7;
                row.extend_from_slice(&value.to_le_bytes()[..bytes_per_pixel]);
            }
            row.resize(bytes_per_line, 0xee);
            out.extend_from_slice(&row);
        }
        out
    }

    #[test]
    fn dumps_of_24_and_32_bits_per_pixel_give_the_same_pixels() {
        for bits in [24, 32] {
            let image = WindowImage::from_xwd(&dump(3, bits)).unwrap();
            assert_eq!((image.width, image.height), (3, 2), "{bits} bits");
            assert_eq!(
                image.rgb,
                vec![0, 0, 7, 1, 0, 7, 2, 0, 7, 0, 1, 7, 1, 1, 7, 2, 1, 7],
                "{bits} bits"
            );
            assert_eq!(image.distinct_colours(), 6);
        }
    }

    #[test]
    fn a_crop_keeps_the_rectangle_and_stops_at_the_edges() {
        let image = WindowImage::from_xwd(&dump(3, 32)).unwrap();
        let inside = image.crop(1, 1, 2, 1);
        assert_eq!((inside.width, inside.height), (2, 1));
        assert_eq!(inside.rgb, vec![1, 1, 7, 2, 1, 7]);
        let over = image.crop(2, 0, 10, 10);
        assert_eq!((over.width, over.height), (1, 2));
        assert_eq!(over.rgb, vec![2, 0, 7, 2, 1, 7]);
        let outside = image.crop(5, 5, 1, 1);
        assert_eq!((outside.width, outside.height), (0, 0));
        assert!(outside.rgb.is_empty());
    }

    #[test]
    fn an_unreadable_dump_is_an_error_that_says_why() {
        let mut sixteen = dump(3, 32);
        sixteen[11 * 4..12 * 4].copy_from_slice(&16u32.to_be_bytes());
        let e = WindowImage::from_xwd(&sixteen).err().unwrap();
        assert!(e.contains("16 bits per pixel"), "{e}");
        let short = dump(3, 24);
        let e = WindowImage::from_xwd(&short[..short.len() - 1])
            .err()
            .unwrap();
        assert!(e.contains("3x2 pixels do not fit"), "{e}");
        let e = WindowImage::from_xwd(&short[..10]).err().unwrap();
        assert!(e.contains("header word"), "{e}");
    }
}
