//! A strict single-pass JSON scanner for the token header and payload.
//!
//! It accepts exactly what serde_json accepts when it reads a `&str` into a `serde_json::Value`
//! (RFC 8259, paired `\u` surrogates, the same nesting limit, the same number ranges), so a payload
//! read here is one that [`crate::Claims::payload`] and [`crate::Claims::deserialize`] can always
//! read again. It builds nothing it is not asked to keep: skipped values are validated in place,
//! without allocating and without recursion.

use std::borrow::Cow;

use super::payload::Field;

/// The text is not JSON that serde_json would read, or not of the expected shape.
#[derive(Debug)]
pub(crate) struct Invalid;

type Result<T> = std::result::Result<T, Invalid>;

/// serde_json's nesting limit: its budget of 128 runs out on opening the 128th nested container
/// (the top-level object counts as the first).
const MAX_DEPTH: u32 = 127;

/// Whether a string must stop at this byte.
#[inline]
fn special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// The high bit of each byte of `word` (read little-endian) that is special, exact up to the
/// first one (a borrow can only flag bytes after a flagged one).
#[inline]
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w;
    (zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\')))
        | (word.wrapping_sub(ONES * 0x20) & !word))
        & HIGH
}

/// A cursor over the text of one JSON object.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner { text, bytes: text.as_bytes(), pos: 0 }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    #[inline]
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.eat(byte) { Ok(()) } else { Err(Invalid) }
    }

    /// Skips JSON whitespace (only these four bytes are whitespace in RFC 8259).
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Opens the top-level object: true when a member follows.
    pub(crate) fn open_object(&mut self) -> Result<bool> {
        self.ws();
        self.expect(b'{')?;
        self.ws();
        Ok(!self.eat(b'}'))
    }

    /// A member's name, unescaped, and the colon after it.
    pub(crate) fn name(&mut self) -> Result<Cow<'a, str>> {
        self.expect(b'"')?;
        let name = self.string()?;
        self.ws();
        self.expect(b':')?;
        Ok(name)
    }

    /// After a member's value: true when another member follows, false at the closing brace.
    pub(crate) fn next_member(&mut self) -> Result<bool> {
        self.ws();
        match self.next_byte() {
            Some(b',') => {
                self.ws();
                Ok(true)
            }
            Some(b'}') => Ok(false),
            _ => Err(Invalid),
        }
    }

    /// After the top-level object: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<()> {
        self.ws();
        if self.pos == self.bytes.len() { Ok(()) } else { Err(Invalid) }
    }

    /// A top-level member's value, kept.
    #[inline]
    pub(crate) fn field(&mut self) -> Result<Field<'a>> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Field::Str)
            }
            Some(b'[') => {
                self.pos += 1;
                self.strings()
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'n') => {
                self.pos += 1;
                self.rest_of(b"ull")?;
                Ok(Field::Null)
            }
            _ => self.skip().map(|()| Field::Other),
        }
    }

    /// A top-level member's value, validated and dropped.
    pub(crate) fn skip(&mut self) -> Result<()> {
        self.skip_inside(1)
    }

    /// An array (its `[` read) that is the value of a top-level member: its strings, or `Other`
    /// once an item is not a string.
    fn strings(&mut self) -> Result<Field<'a>> {
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Field::Strings(items));
        }
        let mut all_strings = true;
        loop {
            self.ws();
            if all_strings && self.eat(b'"') {
                items.push(self.string()?);
            } else {
                all_strings = false;
                // Inside the top-level object and this array.
                self.skip_inside(2)?;
            }
            self.ws();
            match self.next_byte() {
                Some(b',') => {}
                Some(b']') => break,
                _ => return Err(Invalid),
            }
        }
        Ok(if all_strings { Field::Strings(items) } else { Field::Other })
    }

    /// Validates and skips one value held `depth` containers deep. Iterative: the containers
    /// opened inside it are a stack of bits (set for an object), which the nesting limit keeps
    /// within 128 bits.
    fn skip_inside(&mut self, depth: u32) -> Result<()> {
        let mut objects = 0u128;
        let mut open = 0u32;
        loop {
            self.ws();
            match self.next_byte() {
                Some(open_byte @ (b'{' | b'[')) => {
                    if depth + open >= MAX_DEPTH {
                        return Err(Invalid);
                    }
                    self.ws();
                    let object = open_byte == b'{';
                    if !self.eat(if object { b'}' } else { b']' }) {
                        open += 1;
                        objects = objects << 1 | u128::from(object);
                        if object {
                            self.skip_name()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(b'-' | b'0'..=b'9') => {
                    self.pos -= 1;
                    self.number()?;
                }
                Some(b't') => self.rest_of(b"rue")?,
                Some(b'f') => self.rest_of(b"alse")?,
                Some(b'n') => self.rest_of(b"ull")?,
                _ => return Err(Invalid),
            }
            // A value ended: close the containers that end with it, or go on to the next item.
            loop {
                if open == 0 {
                    return Ok(());
                }
                self.ws();
                let object = objects & 1 == 1;
                match self.next_byte() {
                    Some(b',') => {
                        if object {
                            self.ws();
                            self.skip_name()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Invalid),
                }
                open -= 1;
                objects >>= 1;
            }
        }
    }

    /// The rest of `true`, `false` or `null`.
    fn rest_of(&mut self, rest: &[u8]) -> Result<()> {
        let end = self.pos + rest.len();
        if self.bytes.get(self.pos..end) != Some(rest) {
            return Err(Invalid);
        }
        self.pos = end;
        Ok(())
    }

    /// A name in a skipped object, and its colon: validated, not read.
    fn skip_name(&mut self) -> Result<()> {
        self.expect(b'"')?;
        self.skip_string()?;
        self.ws();
        self.expect(b':')
    }

    /// Moves past the next byte a string must look at (a quote, a backslash or a control
    /// character, all ASCII, so the cursor stays on a character boundary) and returns it. Eight
    /// bytes at a time: the bytes of a JWT's strings are mostly plain.
    #[inline]
    fn past_special(&mut self) -> Result<u8> {
        let start = self.pos;
        let rest = self.bytes.get(start..).ok_or(Invalid)?;
        let mut chunks = rest.chunks_exact(8);
        let mut at = 0;
        let found = loop {
            let Some(chunk) = chunks.next() else {
                let tail = chunks.remainder();
                break at + tail.iter().position(|&b| special(b)).ok_or(Invalid)?;
            };
            let word = u64::from_le_bytes(chunk.try_into().map_err(|_| Invalid)?);
            let mask = special_bytes(word);
            if mask != 0 {
                break at + (mask.trailing_zeros() / 8) as usize;
            }
            at += 8;
        };
        self.pos = start + found + 1;
        rest.get(found).copied().ok_or(Invalid)
    }

    /// A string (its opening quote read): borrowed from the text unless it holds an escape.
    #[inline]
    fn string(&mut self) -> Result<Cow<'a, str>> {
        let start = self.pos;
        match self.past_special()? {
            b'"' => self.text.get(start..self.pos - 1).map(Cow::Borrowed).ok_or(Invalid),
            b'\\' => self.unescape(start).map(Cow::Owned),
            _ => Err(Invalid),
        }
    }

    /// The rest of a string from its first backslash (just read), unescaped.
    #[cold]
    fn unescape(&mut self, start: usize) -> Result<String> {
        let mut out = String::with_capacity(self.pos - start + 8);
        let mut chunk = start;
        loop {
            // The cursor is just past a backslash.
            out.push_str(self.text.get(chunk..self.pos - 1).ok_or(Invalid)?);
            out.push(self.escape()?);
            chunk = self.pos;
            match self.past_special()? {
                b'"' => {
                    out.push_str(self.text.get(chunk..self.pos - 1).ok_or(Invalid)?);
                    return Ok(out);
                }
                b'\\' => {}
                _ => return Err(Invalid),
            }
        }
    }

    /// A string (its opening quote read), validated, not read.
    fn skip_string(&mut self) -> Result<()> {
        loop {
            match self.past_special()? {
                b'"' => return Ok(()),
                b'\\' => {
                    self.escape()?;
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// The character of one escape (its backslash read). A `\u` surrogate must be a high one
    /// followed at once by a `\u` low one: strings are UTF-8, so there is no lone surrogate to
    /// return (serde_json refuses them too when reading a `&str`).
    fn escape(&mut self) -> Result<char> {
        Ok(match self.next_byte() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let mut code = self.hex4()?;
                if (0xD800..0xDC00).contains(&code) {
                    self.expect(b'\\')?;
                    self.expect(b'u')?;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(Invalid);
                    }
                    code = 0x1_0000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                }
                // A lone low surrogate is no `char`.
                char::from_u32(code).ok_or(Invalid)?
            }
            _ => return Err(Invalid),
        })
    }

    /// The four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32> {
        let end = self.pos + 4;
        let digits = self.bytes.get(self.pos..end).ok_or(Invalid)?;
        let mut code = 0;
        for &d in digits {
            code = code << 4 | char::from(d).to_digit(16).ok_or(Invalid)?;
        }
        self.pos = end;
        Ok(code)
    }

    /// One or more digits.
    fn digits(&mut self) -> Result<()> {
        if !matches!(self.next_byte(), Some(b'0'..=b'9')) {
            return Err(Invalid);
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    /// A number, classified as serde_json does: an integer that fits `u64` is `UInt`, a negative
    /// one that fits `i64` is `Int`, anything else (`-0`, a fraction, an exponent, more digits)
    /// is `Float`. Floats are rare in tokens: their validated text is handed to serde_json, so
    /// their value and range (`1e400` is an error) are serde_json's whatever its features.
    fn number(&mut self) -> Result<Field<'a>> {
        let start = self.pos;
        let negative = self.eat(b'-');
        let digits = self.bytes.get(self.pos..).unwrap_or_default();
        let (mut value, mut len) = (0u64, 0);
        while let Some(digit @ 0..=9) = digits.get(len).map(|b| b.wrapping_sub(b'0')) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
            len += 1;
        }
        // One leading zero only.
        if len == 0 || (len > 1 && digits.first() == Some(&b'0')) {
            return Err(Invalid);
        }
        self.pos += len;
        let mut float = false;
        // Up to 19 digits always fit; more may not, which makes the number a float.
        if len >= 20 {
            let exact = digits
                .get(..len)
                .unwrap_or_default()
                .iter()
                .try_fold(0u64, |v, d| v.checked_mul(10)?.checked_add(u64::from(d - b'0')));
            float = exact.is_none();
        }
        if self.eat(b'.') {
            self.digits()?;
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
            float = true;
        }
        if float {
            let text = self.text.get(start..self.pos).ok_or(Invalid)?;
            return serde_json::from_str::<f64>(text).map(Field::Float).map_err(|_| Invalid);
        }
        if !negative {
            return Ok(Field::UInt(value));
        }
        Ok(match 0i64.checked_sub_unsigned(value) {
            Some(n) if value != 0 => Field::Int(n),
            // `-0` and integers below `i64::MIN`.
            _ => Field::Float(-(value as f64)),
        })
    }
}

#[cfg(test)]
mod tests;
