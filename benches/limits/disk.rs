//! The `disk` variant: the emulator's storage alone.

use super::*;

/// The emulator's storage alone: pwrite each fragment and fsync it, sequentially.
pub(crate) fn disk_write(data_dir: &Path, file: &Path) -> Result<Timed, Failure> {
    use std::os::unix::fs::FileExt;
    let source = std::fs::File::open(file)?;
    let size = source.metadata()?.len();
    let target_path = data_dir.join("disk-bench.tmp");
    let target = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&target_path)?;
    target.set_len(size)?;
    let mut buffer = vec![0u8; FRAGMENT as usize];
    let started = Stopwatch::start();
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(FRAGMENT) as usize;
        source.read_exact_at(&mut buffer[..n], offset)?;
        target.write_all_at(&buffer[..n], offset)?;
        target.sync_data()?;
        offset += n as u64;
    }
    let timed = started.stop();
    // Outside the timed part: what was written is the file.
    let mut written = vec![0u8; FRAGMENT as usize];
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(FRAGMENT) as usize;
        source.read_exact_at(&mut buffer[..n], offset)?;
        target.read_exact_at(&mut written[..n], offset)?;
        if buffer[..n] != written[..n] {
            return Err(format!("disk: the written bytes differ near byte {offset}").into());
        }
        offset += n as u64;
    }
    std::fs::remove_file(&target_path)?;
    Ok(timed)
}
