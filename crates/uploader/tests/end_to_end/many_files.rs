//! Several files through one uploader at once, as `graph-upload upload` runs them: one
//! `LimitedTransport` bounds the requests of all of them, and the folders of a directory tree
//! are made once each, parents first, before files go into them.

use graph_upload::transport::Method;
use graph_upload::{
    CancellationToken, DriveLocation, DriveOwner, EndpointProfile, LimitedTransport,
};
use graph_upload_testkit::e2e_harness::{Emulator, MakeTransport, download};
use graph_upload_testkit::e2e_transport::Recorder;
use std::sync::Arc;

const QUANTUM: u64 = 320 * 1024;

/// Four print files of five fragments, four in parallel each, over one transport limited to
/// three requests: never more than three `PUT`s at once, and every file arrives whole.
pub(crate) async fn files_sharing_one_limited_transport_never_pass_its_limit(make: MakeTransport) {
    let graph = Emulator::start().await;
    let backend = make();
    let recorder = Recorder::new(Arc::clone(&backend));
    let limited = Arc::new(LimitedTransport::new(recorder.clone(), 3));
    let uploader = graph.uploader(limited.clone());
    let mut uploads = tokio::task::JoinSet::new();
    for n in 0..4u64 {
        let file = graph.file(&format!("many-{n}.pdf"), 5 * QUANTUM - n, 70 + n);
        let uploader = uploader.clone();
        uploads.spawn(async move {
            let printed = uploader
                .print_to_share(graph_upload_server::fixtures::SHARE_ID)
                .profile(
                    EndpointProfile::print()
                        .with_max_fragment(QUANTUM)
                        .with_parallel(4),
                )
                .upload(&file.source())
                .await
                .unwrap_or_else(|error| panic!("file {n}: {error}"));
            (file, printed.item)
        });
    }
    while let Some(joined) = uploads.join_next().await {
        let (file, printed) = joined.expect("the upload task");
        let url = graph.print_value_url(&printed.job_id, &printed.document.id);
        file.assert_same(&download(&backend, &url).await, "print $value");
    }
    assert_eq!(recorder.puts().len(), 20, "five fragments per file");
    let most = recorder.most_puts_in_flight();
    assert!(
        (1..=3).contains(&most),
        "{most} PUTs at once through a limit of 3"
    );
    assert_eq!(limited.in_flight(), 0, "every permit is back");
    graph.stop().await;
}

/// `ensure_drive_folders` makes each folder once, parents first, keeps those that exist, and
/// files then go into them by path; a folder under a file is the service's refusal.
pub(crate) async fn drive_folders_are_made_once_each_parents_first(make: MakeTransport) {
    let graph = Emulator::start().await;
    let recorder = Recorder::new(make());
    let uploader = graph.uploader(recorder.clone());
    let cancel = CancellationToken::new();
    let folders = ["/Documents/a/b", "/Documents/a/c/", "New", "/Documents/a/b"];
    uploader
        .ensure_drive_folders(&DriveOwner::Me, folders, &cancel)
        .await
        .expect("the folders");
    let posts: Vec<String> = recorder
        .log()
        .into_iter()
        .filter(|sent| sent.method == Method::POST)
        .map(|sent| {
            let path = sent
                .url
                .split("/drive/")
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            format!("{path} {}", sent.status().unwrap_or(0))
        })
        .collect();
    assert_eq!(
        posts,
        [
            "root/children 409",
            "root/children 201",
            "root:/Documents:/children 201",
            "root:/Documents/a:/children 201",
            "root:/Documents/a:/children 201",
        ],
        "Documents exists; New, a, then b and c"
    );
    // Again: all there, nothing made.
    uploader
        .ensure_drive_folders(&DriveOwner::Me, folders, &cancel)
        .await
        .expect("the folders again");
    let file = graph.file("into-b.bin", QUANTUM + 1, 9);
    let item = uploader
        .drive_item(
            DriveOwner::Me,
            DriveLocation::path("/Documents/a/b/into-b.bin"),
        )
        .upload(&file.source())
        .await
        .expect("a file into the new folder")
        .item;
    let content = graph
        .drive_content("/me/drive/root:/Documents/a/b/into-b.bin:")
        .await;
    file.assert_same(&content, "drive content");
    assert_eq!(item.size, file.len);
    let refused = uploader
        .ensure_drive_folders(&DriveOwner::Me, ["/Documents/a/b/into-b.bin/sub"], &cancel)
        .await
        .expect_err("a folder under a file");
    assert!(refused.to_string().contains("400"), "{refused}");
    graph.stop().await;
}
