//! A tiny byte cursor shared by the two parsers, so that both trim, read numbers and
//! report positions the same way, without allocating.

use crate::error::ParseError;

/// Reads ASCII tokens from a `&str`; positions are offsets into the whole input.
///
/// The cursor only ever steps over ASCII bytes, so `pos` always sits on a character
/// boundary and the character there can be reported in an error.
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
}

/// Surrounding whitespace the parsers accept: ASCII space and horizontal tab only
/// (HTTP's optional whitespace).
const fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Cursor<'a> {
    /// A cursor over `text` with surrounding spaces and tabs trimmed; `Empty` if
    /// nothing is left.
    pub(crate) fn trimmed(text: &'a str) -> Result<Self, ParseError> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut end = bytes.len();
        while pos < end && is_blank(bytes[pos]) {
            pos += 1;
        }
        while end > pos && is_blank(bytes[end - 1]) {
            end -= 1;
        }
        if pos == end {
            return Err(ParseError::Empty);
        }
        Ok(Self { text, pos, end })
    }

    /// The next byte, if any is left before the trimmed end.
    pub(crate) fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.text.as_bytes().get(self.pos).copied()
        } else {
            None
        }
    }

    /// Whether the whole (trimmed) input has been read.
    pub(crate) const fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    /// Steps over `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Steps over any number of spaces and tabs; returns how many.
    pub(crate) fn eat_blanks(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Steps over `word` if it is next, compared ASCII case-insensitively.
    pub(crate) fn eat_ignore_case(&mut self, word: &str) -> bool {
        let rest = self.text.as_bytes().get(self.pos..self.end).unwrap_or(&[]);
        match rest.get(..word.len()) {
            Some(head) if head.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += word.len();
                true
            }
            _ => false,
        }
    }

    /// Reads a run of decimal digits. `Ok(None)` if the next byte is not a digit.
    pub(crate) fn number(&mut self) -> Result<Option<u64>, ParseError> {
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(b) = self.peek() {
            if !b.is_ascii_digit() {
                break;
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or(ParseError::Overflow { pos: start })?;
            self.pos += 1;
        }
        Ok((self.pos > start).then_some(value))
    }

    /// Current byte offset in the input.
    pub(crate) const fn pos(&self) -> usize {
        self.pos
    }

    /// An `InvalidChar` error for the character at the current position.
    pub(crate) fn invalid(&self) -> ParseError {
        let found = self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        ParseError::InvalidChar {
            pos: self.pos,
            found,
        }
    }

    /// `Ok` if the input is fully read, else an `InvalidChar` error for what is left.
    pub(crate) fn finish(&self) -> Result<(), ParseError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.invalid())
        }
    }
}
