//! An input file's bytes as UTF-8 text. UTF-8 (with or without a byte-order mark) is taken as
//! it is; UTF-16 with a byte-order mark, and Windows-1252 (what Excel on Windows saves as
//! "CSV"), are decoded and the caller is told so; anything else is refused with what was found
//! and how to re-save the file. A name is never garbled silently.

use crate::error::InputError;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::borrow::Cow;
use std::path::Path;

/// How to re-save a CSV file so that it reads as it should.
const RESAVE: &str = "re-save it as UTF-8 (in Excel: Save As > \"CSV UTF-8 (Comma delimited)\")";

/// Bytes Windows-1252 leaves undefined: a file holding them is not Windows-1252.
const UNDEFINED_IN_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

/// The text, and a note saying which encoding was read when it was not UTF-8.
pub fn to_utf8<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<(Cow<'a, [u8]>, Option<String>), InputError> {
    let bom = [(&b"\xFF\xFE"[..], UTF_16LE), (&b"\xFE\xFF"[..], UTF_16BE)];
    if let Some((_, enc)) = bom.iter().find(|(mark, _)| bytes.starts_with(mark)) {
        return decode(path, bytes, enc, "UTF-16 (with a byte-order mark)");
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok((Cow::Borrowed(bytes), None));
    }
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(InputError::at(
            path,
            line_of(at) as u64,
            format!(
                "file is not UTF-8 text: it holds NUL bytes, as UTF-16 without a byte-order mark \
                 does; {RESAVE}"
            ),
        ));
    }
    if let Some(at) = bytes.iter().position(|b| UNDEFINED_IN_1252.contains(b)) {
        return Err(InputError::at(
            path,
            line_of(at) as u64,
            format!(
                "file is neither UTF-8 nor Windows-1252 text (byte 0x{:02X}); {RESAVE}",
                bytes[at]
            ),
        ));
    }
    let first = bytes.iter().position(|&b| b >= 0x80).unwrap_or(0);
    decode(
        path,
        bytes,
        WINDOWS_1252,
        &format!("Windows-1252 (Excel's \"CSV\" on Windows), not UTF-8; first non-ASCII character on line {}", line_of(first)),
    )
}

fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
    enc: &'static Encoding,
    what: &str,
) -> Result<(Cow<'a, [u8]>, Option<String>), InputError> {
    let (text, _, malformed) = enc.decode(bytes);
    if malformed {
        return Err(InputError::file(
            path,
            format!("file starts like {what} but does not decode as it; {RESAVE}"),
        ));
    }
    let note = format!("{}: read as {what}", path.display());
    Ok((Cow::Owned(text.into_owned().into_bytes()), Some(note)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<(String, Option<String>), InputError> {
        to_utf8(Path::new("ccgs.csv"), bytes)
            .map(|(t, n)| (String::from_utf8(t.into_owned()).unwrap(), n))
    }

    #[test]
    fn utf8_passes_through_untouched() {
        let (text, note) = read("name\nNHS St Helen’s CCG\n".as_bytes()).unwrap();
        assert_eq!(text, "name\nNHS St Helen’s CCG\n");
        assert_eq!(note, None);
    }

    #[test]
    fn windows_1252_is_decoded_and_said() {
        // "St Helen’s" with the curly apostrophe as Excel on Windows writes it: 0x92.
        let (text, note) = read(b"name\r\nNHS St Helen\x92s CCG\r\n").unwrap();
        assert_eq!(text, "name\r\nNHS St Helen\u{2019}s CCG\r\n");
        let note = note.unwrap();
        assert!(
            note.contains("Windows-1252") && note.contains("line 2"),
            "{note}"
        );
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        for (bom, units) in [(vec![0xFF, 0xFE], true), (vec![0xFE, 0xFF], false)] {
            let mut bytes = bom;
            for u in "a,b\n1,é\n".encode_utf16() {
                let pair = if units {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                };
                bytes.extend(pair);
            }
            let (text, note) = read(&bytes).unwrap();
            assert_eq!(text, "a,b\n1,é\n");
            assert!(note.unwrap().contains("UTF-16"));
        }
    }

    #[test]
    fn what_cannot_be_told_is_refused_with_how_to_resave() {
        let e = read(b"name\nA\x81B\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.contains("0x81") && e.message.contains("CSV UTF-8"),
            "{e}"
        );
        let e = read(b"n\x00a\x00m\x00e\x00\n\x00\xE9\x00").unwrap_err();
        assert!(e.message.contains("NUL"), "{e}");
    }
}
