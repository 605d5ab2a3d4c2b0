//! Where parsers write text: whitespace is tidied, the output is capped, the deadline checked.

use std::time::Instant;

use domain::extraction::ExtractError;

/// Accumulates extracted text. Runs of spaces collapse to one, runs of blank lines to one blank
/// line; past `max_chars` further text is dropped and the result marked truncated.
pub(crate) struct TextSink {
    buf: String,
    chars: usize,
    max_chars: usize,
    truncated: bool,
    deadline: Instant,
    /// Pending separator: 0 none, 1 space, 2 newline, 3 paragraph break.
    pending: u8,
    ops: u32,
}

impl TextSink {
    pub(crate) fn new(max_chars: usize, deadline: Instant) -> Self {
        Self {
            buf: String::new(),
            chars: 0,
            max_chars,
            truncated: false,
            deadline,
            pending: 0,
            ops: 0,
        }
    }

    /// Whether the cap has been reached: parsers may stop reading.
    pub(crate) fn is_full(&self) -> bool {
        self.truncated
    }

    /// Adds text; whitespace inside it is normalised.
    pub(crate) fn push(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                // A second newline in a row is a paragraph break.
                self.pending = if self.pending >= 2 { 3 } else { 2 };
            } else if c.is_whitespace() || c.is_control() {
                self.pending = self.pending.max(1);
            } else {
                self.put(c);
            }
        }
    }

    /// Ends a line (a table cell, a list item, a line break).
    pub(crate) fn line_break(&mut self) {
        self.pending = self.pending.max(2);
    }

    /// Ends a paragraph or block.
    pub(crate) fn paragraph(&mut self) {
        self.pending = 3;
    }

    /// A word boundary (e.g. between adjacent elements that render apart).
    pub(crate) fn space(&mut self) {
        self.pending = self.pending.max(1);
    }

    fn put(&mut self, c: char) {
        if self.truncated {
            return;
        }
        if !self.buf.is_empty() {
            match self.pending {
                1 => self.emit(' '),
                2 => self.emit('\n'),
                3 => {
                    self.emit('\n');
                    self.emit('\n');
                }
                _ => {}
            }
        }
        self.pending = 0;
        self.emit(c);
    }

    fn emit(&mut self, c: char) {
        if self.chars >= self.max_chars {
            self.truncated = true;
            return;
        }
        self.buf.push(c);
        self.chars += 1;
    }

    /// Fails with `Timeout` once the deadline has passed; cheap enough to call per element.
    pub(crate) fn check_deadline(&mut self) -> Result<(), ExtractError> {
        self.ops = self.ops.wrapping_add(1);
        if self.ops.is_multiple_of(256) && Instant::now() >= self.deadline {
            return Err(ExtractError::Timeout);
        }
        Ok(())
    }

    /// The text and whether it was cut.
    pub(crate) fn finish(self) -> (String, bool) {
        (self.buf, self.truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tidies_whitespace_and_caps_output() {
        let mut s = TextSink::new(100, Instant::now() + Duration::from_secs(5));
        s.push("  Hello \t  world\n\n\n\nnext ");
        s.paragraph();
        s.push("para");
        assert_eq!(
            s.finish(),
            ("Hello world\n\nnext\n\npara".to_string(), false)
        );

        let mut s = TextSink::new(5, Instant::now() + Duration::from_secs(5));
        s.push("abcdefgh");
        assert!(s.is_full());
        assert_eq!(s.finish(), ("abcde".to_string(), true));
    }
}
