//! Reading ZIP-based documents without trusting them: bounded entry count, entry size, total
//! expansion and compression ratio, checked on the bytes actually inflated (headers can lie).

use std::io::{Cursor, Read};

use domain::extraction::ExtractError;

/// Bounds on one archive.
#[derive(Debug, Clone)]
pub struct ZipLimits {
    pub max_entries: usize,
    /// Bytes one entry may inflate to.
    pub max_entry_bytes: u64,
    /// Bytes all entries read from one archive may inflate to.
    pub max_total_bytes: u64,
    /// Inflated/compressed ratio above which an entry is a bomb (checked past the first MiB:
    /// tiny XML parts legitimately compress 100:1).
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self {
            max_entries: 5_000,
            max_entry_bytes: 64 * 1024 * 1024,
            max_total_bytes: 128 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

const RATIO_GRACE: u64 = 1024 * 1024;

pub(crate) struct GuardedZip<'a> {
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    limits: ZipLimits,
    inflated: u64,
}

impl<'a> GuardedZip<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &ZipLimits) -> Result<Self, ExtractError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| ExtractError::Corrupt(format!("zip: {e}")))?;
        if archive.len() > limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{} entries (limit {})",
                archive.len(),
                limits.max_entries
            )));
        }
        Ok(Self {
            archive,
            limits: limits.clone(),
            inflated: 0,
        })
    }

    /// Entry names, for parts such as `word/footnotes.xml` that may or may not exist.
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect()
    }

    /// Inflates one entry within the limits; `None` when the archive has no such entry.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let mut file = match self.archive.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(ExtractError::Corrupt(format!("zip entry {name}: {e}"))),
        };
        let compressed = file.compressed_size().max(1);
        let declared = file.size();
        if declared > self.limits.max_entry_bytes {
            return Err(ExtractError::Bomb(format!(
                "entry {name} declares {declared} bytes"
            )));
        }
        let mut out = Vec::with_capacity(declared.min(1024 * 1024) as usize);
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let n = file
                .read(&mut chunk)
                .map_err(|e| ExtractError::Corrupt(format!("zip entry {name}: {e}")))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
            self.inflated += n as u64;
            let len = out.len() as u64;
            if len > self.limits.max_entry_bytes {
                return Err(ExtractError::Bomb(format!(
                    "entry {name} inflates past the limit"
                )));
            }
            if self.inflated > self.limits.max_total_bytes {
                return Err(ExtractError::Bomb("archive inflates past the limit".into()));
            }
            if len > RATIO_GRACE && len / compressed > self.limits.max_ratio {
                return Err(ExtractError::Bomb(format!(
                    "entry {name} compression ratio above {}",
                    self.limits.max_ratio
                )));
            }
        }
        Ok(Some(out))
    }
}
