//! Helpers for the unit tests (which run without `std` too).

use core::fmt::{self, Write};

/// A fixed-capacity string, enough to render a message in a test.
pub struct Rendered {
    buf: [u8; 256],
    len: usize,
}

impl Rendered {
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("<invalid utf-8>")
    }
}

impl Write for Rendered {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Renders `x` with `Display`.
pub fn render(x: &impl fmt::Display) -> Rendered {
    let mut out = Rendered { buf: [0; 256], len: 0 };
    write!(out, "{x}").expect("test message fits in 256 bytes");
    out
}
