//! The uploader end to end: the real emulator on `127.0.0.1:0` with its data directory in a
//! temporary directory, real files next to it, and the uploader over each transport backend.
//!
//! Every scenario is written once, in the file of its topic, as an `async fn` taking the
//! backend's constructor, and `end_to_end!` runs it over each backend (`reqwest_backend::…`,
//! `hyper_backend::…`). Bytes are always checked through `$value`; what the uploader sent is
//! checked through a recording transport layer in front of the backend
//! (`graph_upload_testkit::e2e_transport`), which also holds requests at a gate so that the
//! server can be stopped, or the client "killed", at a known point of an upload.
//!
//! Not covered here: a client process killed and resumed from its on-disk journal
//! (`crates/cli/tests/upload_resume.rs` does that with real processes); memory and throughput
//! (the benchmarks measure them).

mod adaptive;
mod cancel;
mod checks;
mod client_restarts;
mod drive_and_mail;
mod existing_session;
mod flows;
mod graph_ids;
mod many_files;
mod out_of_order;
mod server_restarts;
mod sizes;

use graph_upload_testkit::e2e_harness::{self as harness, MakeTransport};
use std::future::Future;
use std::time::Duration;

/// No scenario may take longer than this (they take a few seconds in debug builds).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// One module per backend, one test per scenario. A scenario that finds a bug in the uploader
/// or the server carries `#[ignore = "bug: …"]` (for both backends) while its assertions stay
/// strict; once the bug is fixed, drop the attribute.
macro_rules! end_to_end {
    (backends: [$($backend:ident),+ $(,)?], cases: $cases:tt $(,)?) => {
        $(
            mod $backend {
                end_to_end!(@cases $backend; $cases);
            }
        )+
    };
    (@cases $backend:ident; [$($(#[$attribute:meta])* $topic:ident::$case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::run(super::$topic::$case, super::harness::$backend).await;
            }
        )*
    };
}

end_to_end! {
    backends: [reqwest_backend, hyper_backend],
    cases: [
        adaptive::print_grows_its_fragments_and_parallelism_on_a_capped_link,
        adaptive::todo_grows_its_fragments_to_its_limit_and_no_further,
        adaptive::a_503_halves_the_fragment_and_the_parallelism,
        sizes::print_50_mib_in_parallel_arrives_byte_for_byte,
        sizes::todo_20_mib_arrives_byte_for_byte,
        sizes::empty_file_arrives_through_print_and_todo,
        sizes::one_byte_file_arrives_through_print_and_todo,
        sizes::three_quanta_and_one_byte_arrive_through_print_and_todo,
        server_restarts::upload_resumed_after_a_server_restart_sends_only_the_missing_ranges,
        server_restarts::upload_interrupted_by_server_stop_finishes_after_restart,
        cancel::cancellation_deletes_the_session,
        cancel::cancellation_with_fragments_in_flight_deletes_the_session,
        cancel::todo_cancellation_deletes_the_session,
        client_restarts::resume_after_the_server_forgot_nothing_but_the_client_restarted,
        client_restarts::todo_resume_after_the_client_restarted,
        out_of_order::parallel_answers_out_of_order_do_not_resend_acknowledged_bytes,
        out_of_order::a_404_while_the_completing_put_is_in_flight_does_not_fail_the_upload,
        existing_session::existing_print_session_returns_the_print_document,
        drive_and_mail::drive_files_arrive_through_every_owner_and_address_form,
        drive_and_mail::drive_conflict_behaviours_and_deferred_commit,
        drive_and_mail::outlook_attachments_take_the_session_or_the_small_path,
        drive_and_mail::small_todo_files_are_one_post_and_limits_come_first,
        many_files::files_sharing_one_limited_transport_never_pass_its_limit,
        many_files::drive_folders_are_made_once_each_parents_first,
        graph_ids::graph_shaped_ids_go_through_every_flow_encoded,
    ],
}

async fn run<F, Fut>(case: F, make: MakeTransport)
where
    F: FnOnce(MakeTransport) -> Fut,
    Fut: Future<Output = ()>,
{
    tokio::time::timeout(CASE_TIMEOUT, case(make))
        .await
        .expect("the scenario finished in time");
}
