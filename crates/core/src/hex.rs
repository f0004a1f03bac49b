//! Lower-case hex of bytes and digests: how stored images are named
//! (`images/<sha256>.<ext>`), and how seals and keys are written in files.
//! A few lines here instead of a crate for one function; pure.

use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

/// `bytes` as lower-case hex, two digits a byte.
pub fn lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The SHA-256 of `bytes` as 64 lower-case hex digits.
pub fn sha256(bytes: &[u8]) -> String {
    lower(&Sha256::digest(bytes))
}

/// The bytes hex `text` spells (digits of either case, two a byte), or
/// `None` when it is not exactly that.
pub fn parse(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16);
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| u8::try_from((digit(pair[0])? << 4) | digit(pair[1])?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_lower_case_digits_a_byte() {
        assert_eq!(lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(lower(&[]), "");
    }

    #[test]
    fn sha256_is_the_standard_lower_case_digest() {
        assert_eq!(
            sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn lower_and_parse_round_trip_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let text = lower(&all);
        assert_eq!(&text[..8], "00010203");
        assert_eq!(&text[text.len() - 4..], "feff");
        assert_eq!(parse(&text), Some(all.clone()));
        assert_eq!(parse(&text.to_uppercase()), Some(all));
        assert_eq!(parse(""), Some(Vec::new()));
    }

    #[test]
    fn parse_refuses_what_is_not_hex() {
        for bad in ["a", "abc", "zz", "+1", "-1", " 1", "0x", "é0", "1\n"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
