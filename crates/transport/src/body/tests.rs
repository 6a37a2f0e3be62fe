use super::*;
use http_body_util::BodyExt;
use std::io::Write;

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

/// A file of `len` bytes that repeat every 251 (so misplaced blocks show), and its bytes.
fn patterned_file(len: usize) -> (Vec<u8>, tempfile::NamedTempFile) {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let file = temp_file(&data);
    (data, file)
}

#[tokio::test]
async fn file_slice_streams_exactly_its_bytes_in_bounded_blocks() {
    let (data, file) = patterned_file(3 * FILE_READ_BLOCK + 17);
    let slice = FileSlice::open(file.path(), 5, data.len() as u64 - 10).unwrap();
    let mut stream = Body::from(slice).into_stream();
    assert_eq!(
        http_body::Body::size_hint(&stream).exact(),
        Some(data.len() as u64 - 10)
    );
    let mut received = Vec::new();
    while let Some(frame) = stream.frame().await {
        let block = frame.unwrap().into_data().unwrap();
        assert!(block.len() <= FILE_READ_BLOCK);
        received.extend_from_slice(&block);
    }
    assert_eq!(received, data[5..data.len() - 5]);
}

#[tokio::test]
async fn a_fragment_of_many_blocks_reuses_its_buffers_once_they_are_sent() {
    let (data, file) = patterned_file(10 * FILE_READ_BLOCK + 3);
    let slice = FileSlice::open(file.path(), 0, data.len() as u64).unwrap();
    let mut stream = Body::from(slice).into_stream();
    let State::File { buffers, .. } = &stream.state else {
        panic!("a file body streams from the file");
    };
    let buffers = Arc::clone(buffers);
    let mut received = Vec::new();
    while let Some(frame) = stream.frame().await {
        // Each block is dropped once copied, as the HTTP stack drops it once it is sent.
        received.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    assert!(received == data, "bytes differ");
    let allocated = buffers.allocated.load(std::sync::atomic::Ordering::Relaxed);
    // One full-size buffer reused ten times, plus one of 3 bytes for the tail.
    assert_eq!(allocated, 2, "11 blocks took {allocated} buffers");
}

#[tokio::test]
async fn a_clone_replays_the_same_bytes() {
    let data = b"0123456789abcdef".to_vec();
    let file = temp_file(&data);
    let body = Body::from(FileSlice::open(file.path(), 4, 8).unwrap());
    let first = body
        .clone()
        .into_stream()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let second = body.into_stream().collect().await.unwrap().to_bytes();
    assert_eq!(first, &data[4..12]);
    assert_eq!(first, second);
}

#[test]
fn slice_past_the_end_of_the_file_is_refused_up_front() {
    let file = temp_file(b"abc");
    let error = FileSlice::open(file.path(), 2, 2).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    assert!(FileSlice::open(file.path(), 3, 0).is_ok());
}

#[tokio::test]
async fn a_file_truncated_after_planning_is_an_error_not_a_short_body() {
    let file = temp_file(&[7u8; 100]);
    let body = Body::from(FileSlice::open(file.path(), 0, 100).unwrap());
    file.as_file().set_len(40).unwrap();
    let error = body.into_stream().collect().await.unwrap_err();
    assert_eq!(error.0.kind(), io::ErrorKind::UnexpectedEof);
    assert!(error.to_string().contains("truncated"), "{error}");
}

#[tokio::test]
async fn empty_bodies_end_at_once() {
    for body in [Body::Empty, Body::from(Vec::new())] {
        let stream = body.into_stream();
        assert!(http_body::Body::is_end_stream(&stream));
    }
}
