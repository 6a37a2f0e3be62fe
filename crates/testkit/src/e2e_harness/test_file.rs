//! Test files: deterministic pseudo-random bytes on disk, compared block by block.

use crate::MIB;
use crate::rng::Rng;
use graph_upload::UploadSource;
use std::io::Write as _;
use std::ops::Range;
use std::path::PathBuf;

/// Files are written (and compared) in blocks of this size.
const BLOCK: u64 = MIB;

/// A file of deterministic pseudo-random bytes, written in 1 MiB blocks; any block can be
/// computed again, so the file is never held in memory to be compared.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub len: u64,
    seed: u64,
}

impl TestFile {
    pub(super) fn create(path: PathBuf, len: u64, seed: u64) -> Self {
        let file = TestFile { path, len, seed };
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&file.path).expect("create the test file"),
        );
        for index in 0..len.div_ceil(BLOCK) {
            out.write_all(&file.block(index))
                .expect("write the test file");
        }
        out.into_inner()
            .expect("flush the test file")
            .sync_all()
            .expect("sync the test file");
        file
    }

    /// Block `index` (the last one may be shorter): splitmix64 from the seed and the index.
    fn block(&self, index: u64) -> Vec<u8> {
        let start = index * BLOCK;
        let len = BLOCK.min(self.len - start) as usize;
        Rng::new(
            (self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index)
                .wrapping_mul(0xD1B5_4A32_D192_ED03),
        )
        .bytes(len)
    }

    /// The file, to upload.
    pub fn source(&self) -> UploadSource {
        UploadSource::from_path(&self.path).expect("open the test file")
    }

    /// The bytes of `span`, read from the file.
    pub fn read(&self, span: Range<u64>) -> Vec<u8> {
        let all = std::fs::read(&self.path).expect("read the test file");
        all[span.start as usize..span.end as usize].to_vec()
    }

    /// Asserts that `actual` is the file, byte for byte (without printing megabytes).
    pub fn assert_same(&self, actual: &[u8], what: &str) {
        assert_eq!(
            actual.len() as u64,
            self.len,
            "{what}: {} bytes, the file has {}",
            actual.len(),
            self.len
        );
        for index in 0..self.len.div_ceil(BLOCK) {
            let start = index * BLOCK;
            let expected = self.block(index);
            let got = &actual[start as usize..start as usize + expected.len()];
            if got != expected.as_slice() {
                let at = got
                    .iter()
                    .zip(&expected)
                    .position(|(a, b)| a != b)
                    .unwrap_or(0) as u64;
                panic!(
                    "{what}: first differing byte at offset {} (of {})",
                    start + at,
                    self.len
                );
            }
        }
    }
}
