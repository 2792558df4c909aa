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
    Some(WindowImage::from_xwd(&output.stdout).unwrap_or_else(|e| panic!("xwd's dump: {e}")))
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
        if bits_per_pixel != 32 {
            return Err(format!(
                "{bits_per_pixel} bits per pixel (a 24-bit display gives 32)"
            ));
        }
        let start = header_size + colour_map;
        let pixels = dump
            .get(start..start + bytes_per_line * height)
            .ok_or_else(|| format!("{width}x{height} pixels do not fit in {} bytes", dump.len()))?;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for row in pixels.chunks(bytes_per_line) {
            for pixel in row[..width * 4].chunks(4) {
                let bytes: [u8; 4] = pixel.try_into().unwrap();
                let value = if little_endian {
                    u32::from_le_bytes(bytes)
                } else {
                    u32::from_be_bytes(bytes)
                };
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
