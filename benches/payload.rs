//! Test files for the bench binaries: `size` bytes of xorshift noise (incompressible, and
//! different for each seed), written in 1 MiB blocks.

use std::io::Write;
use std::path::Path;

/// Writes `size` bytes of the pattern of `seed` to `path` (created or truncated: the benches
/// write only into their own temporary directories).
pub fn write_pattern(path: &Path, size: u64, seed: u64) -> std::io::Result<()> {
    const BLOCK: u64 = 1024 * 1024;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0xA24B_AED4);
    let mut block = vec![0u8; BLOCK.min(size) as usize];
    let mut left = size;
    while left > 0 {
        for word in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let take = left.min(block.len() as u64) as usize;
        out.write_all(&block[..take])?;
        left -= take as u64;
    }
    out.flush()
}
