//! New ids in the shapes Graph gives them, so that clients meet the characters real ids hold:
//! To Do and Outlook ids are base64url with `=` padding (`AAMkAD...-_...=`, as in the
//! todoTask, todoTaskList and taskFileAttachment reference examples), print job ids are
//! numeric strings (as in the printJob examples).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

/// An Exchange-style id: base64url with `=` padding of 35 bytes, the first five fixed so that
/// it starts with `AAMkAD` like Exchange's, the rest random (one `=` of padding).
pub(crate) fn exchange_id() -> String {
    let mut bytes = [0u8; 35];
    bytes[3..19].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[19..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[..4].copy_from_slice(&[0x00, 0x03, 0x24, 0x00]);
    bytes[4] = 0x30 | (bytes[4] & 0x0f);
    URL_SAFE.encode(bytes)
}

/// A print job id: a decimal number of 10 digits, without a leading zero.
pub(crate) fn print_job_id() -> String {
    (1_000_000_000 + uuid::Uuid::new_v4().as_u128() % 9_000_000_000).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_graph_shapes() {
        let mut seen_dash = false;
        let mut seen_underscore = false;
        for _ in 0..200 {
            let id = exchange_id();
            assert!(
                id.starts_with("AAMkAD") && id.ends_with('=') && !id.ends_with("=="),
                "{id}"
            );
            assert!(URL_SAFE.decode(&id).is_ok(), "{id}");
            seen_dash |= id.contains('-');
            seen_underscore |= id.contains('_');
            let job = print_job_id();
            assert!(
                job.len() == 10 && job.bytes().all(|b| b.is_ascii_digit()),
                "{job}"
            );
        }
        assert!(seen_dash && seen_underscore);
        assert_ne!(exchange_id(), exchange_id());
    }
}
