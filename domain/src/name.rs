//! Validated, normalised names for files and folders (`FileName`, `FolderName`) and `ByteSize`.
//!
//! Names arrive from browsers, CLIs and cloud imports, and end up in HTTP headers, listings and
//! zip archives; so they are NFC-normalised and stripped of everything that can reorder, hide or
//! split text, or be read as a path.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// The longest name, in UTF-8 bytes after normalisation (what common filesystems allow).
pub const MAX_NAME_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than {MAX_NAME_BYTES} bytes")]
    TooLong,
    #[error("the name contains a forbidden character (U+{0:04X})")]
    ForbiddenChar(u32),
    #[error("`.` and `..` are not names")]
    DotName,
}

/// Control characters (C0, DEL, C1), path separators, and invisible formatting characters that
/// reorder or hide text (bidi overrides and isolates, zero-width characters, BOM).
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '/' | '\\')
        || matches!(c as u32,
            0x061C | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0xFFF9..=0xFFFB)
}

fn normalise(raw: &str) -> Result<String, NameError> {
    let nfc: String = raw.nfc().collect();
    // Checked before trimming: some forbidden characters (NEL, …) count as whitespace.
    if let Some(c) = nfc.chars().find(|&c| is_forbidden(c)) {
        return Err(NameError::ForbiddenChar(c as u32));
    }
    let trimmed = nfc.trim();
    if trimmed.is_empty() {
        return Err(NameError::Empty);
    }
    if trimmed == "." || trimmed == ".." {
        return Err(NameError::DotName);
    }
    if trimmed.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong);
    }
    Ok(trimmed.to_owned())
}

macro_rules! name_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Normalises (NFC, surrounding whitespace trimmed) and validates.
            pub fn parse(raw: &str) -> Result<Self, NameError> {
                normalise(raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }

            /// The case-insensitive comparison key (names are unique per parent ignoring case).
            pub fn fold_key(&self) -> String {
                fold_key(&self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// A document's filename: metadata only, never part of a storage path.
    FileName
);
name_type!(
    /// A folder's name.
    FolderName
);

/// Case-insensitive key of an already-valid name.
pub fn fold_key(name: &str) -> String {
    name.to_lowercase().nfc().collect()
}

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const KIB: u64 = 1024;
    pub const MIB: u64 = 1024 * 1024;
    pub const GIB: u64 = 1024 * 1024 * 1024;

    pub fn bytes(&self) -> u64 {
        self.0
    }

    /// From a client-supplied signed number: negative sizes do not exist.
    pub fn from_i64(n: i64) -> Option<Self> {
        u64::try_from(n).ok().map(Self)
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0 as f64;
        if self.0 >= Self::GIB {
            write!(f, "{:.1} GiB", b / Self::GIB as f64)
        } else if self.0 >= Self::MIB {
            write!(f, "{:.1} MiB", b / Self::MIB as f64)
        } else if self.0 >= Self::KIB {
            write!(f, "{:.1} KiB", b / Self::KIB as f64)
        } else {
            write!(f, "{} B", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_ordinary_names() {
        assert_eq!(
            FileName::parse("  report.pdf ").unwrap().as_str(),
            "report.pdf"
        );
        // "e" + combining acute becomes the precomposed "é".
        let n = FileName::parse("Cafe\u{301}.txt").unwrap();
        assert_eq!(n.as_str(), "Caf\u{e9}.txt");
        assert_eq!(
            FileName::parse("日本語 ファイル.docx").unwrap().as_str(),
            "日本語 ファイル.docx"
        );
        assert_eq!(FolderName::parse("Taxes").unwrap().fold_key(), "taxes");
    }

    #[test]
    fn rejects_hostile_names() {
        let cases: &[(&str, NameError)] = &[
            ("", NameError::Empty),
            ("   ", NameError::Empty),
            ("a\0b", NameError::ForbiddenChar(0)),
            ("../etc/passwd", NameError::ForbiddenChar('/' as u32)),
            ("..\\boot.ini", NameError::ForbiddenChar('\\' as u32)),
            ("line\nbreak", NameError::ForbiddenChar(10)),
            ("bell\u{7}", NameError::ForbiddenChar(7)),
            ("c1\u{85}", NameError::ForbiddenChar(0x85)),
            ("invoice\u{202E}fdp.exe", NameError::ForbiddenChar(0x202E)),
            ("iso\u{2066}late", NameError::ForbiddenChar(0x2066)),
            ("zero\u{200B}width", NameError::ForbiddenChar(0x200B)),
            ("\u{FEFF}bom", NameError::ForbiddenChar(0xFEFF)),
            ("..", NameError::DotName),
            (".", NameError::DotName),
        ];
        for (raw, want) in cases {
            assert_eq!(FileName::parse(raw).unwrap_err(), *want, "{raw:?}");
        }
    }

    #[test]
    fn length_is_counted_in_bytes_after_normalisation() {
        assert!(FileName::parse(&"a".repeat(255)).is_ok());
        assert_eq!(
            FileName::parse(&"a".repeat(256)).unwrap_err(),
            NameError::TooLong
        );
        // 128 two-byte characters are 256 bytes.
        assert_eq!(
            FileName::parse(&"é".repeat(128)).unwrap_err(),
            NameError::TooLong
        );
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<FileName>("\"ok.txt\"").is_ok());
        assert!(serde_json::from_str::<FileName>("\"a/b\"").is_err());
    }

    /// A cheap property check over many generated strings: whatever is accepted is NFC, trimmed,
    /// within the length bound and free of forbidden characters; parsing it again is a no-op.
    #[test]
    fn accepted_names_are_fixed_points() {
        let alphabet: Vec<char> = "aZ9 ._-/\\\0\n\u{301}é\u{202E}\u{200B}日😀\u{85}\t"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((seed >> (i * 5)) as usize) % alphabet.len()])
                .collect();
            if let Ok(n) = FileName::parse(&s) {
                assert_eq!(FileName::parse(n.as_str()).unwrap(), n);
                assert!(n.as_str().chars().all(|c| !is_forbidden(c)));
                assert_eq!(n.as_str().trim(), n.as_str());
                assert!(n.as_str().len() <= MAX_NAME_BYTES);
            }
        }
    }

    #[test]
    fn sizes_display_and_reject_negatives() {
        assert_eq!(ByteSize(1536).to_string(), "1.5 KiB");
        assert_eq!(ByteSize::from_i64(-1), None);
        assert_eq!(ByteSize::from_i64(7), Some(ByteSize(7)));
    }
}
