//! The uploader against scripted Graph upload sessions, one test per protocol branch
//! (`docs/protocol.md` sections 1, 2 and 6), each run over both transports.
//!
//! Every case is written once, in the file of its topic, as an `async fn` over an
//! `Arc<dyn Transport>` (or, for the cases that need their own timeouts, over the backend's
//! constructor); `uploader_suite!` runs it in `reqwest_backend::…` and `hyper_backend::…`.
//!
//! The server side is `wiremock` with a stateful fake session
//! (`graph_upload_testkit::uploader_mocks`): it answers each `PUT` from its `Content-Range` the
//! way print (`202`, camelCase) or To Do (`200`, PascalCase, `"s"`) does, and single requests
//! can be scripted (`503`, `429` with `Retry-After`, `416`, `404`, a reply held past the
//! client's timeout...). Dropped connections come from a small loopback proxy that hangs up on
//! a chosen `PUT`. After each upload the test reads back what the server received: exact
//! `Content-Range` headers, bodies equal to the file's bytes, who carried `Authorization`,
//! which requests were repeated. Backoffs and `Retry-After` go through `InstantClock`, so
//! nothing really waits.

mod cancel;
mod clean_up;
mod credentials;
mod drive;
mod edge_sizes;
mod fake_session;
mod helpers;
mod may_have_been_sent;
mod outlook;
mod print;
mod ranges;
mod redaction;
mod refusals;
mod retries;
mod small_files;
mod todo;
mod unreachable;

use graph_upload::transport::{HyperTransport, ReqwestTransport, Transport, TransportConfig};
use helpers::test_config;
use std::sync::Arc;

fn reqwest_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(config).expect("build the reqwest backend"))
}

fn hyper_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(config).expect("build the hyper backend"))
}

/// One module per backend, one test per case, named by the case's function
/// (`reqwest_backend::a_404_on_a_put_is_session_gone`). A case may carry attributes (such as
/// `#[ignore = "uploader bug: ..."]`); they apply to both backends.
macro_rules! uploader_suite {
    (
        shared: $shared:tt,
        configured: $configured:tt,
        backends: { $($backend:ident => $make:path),+ $(,)? } $(,)?
    ) => {
        $(
            mod $backend {
                uploader_suite!(@shared $make; $shared);
                uploader_suite!(@configured $make; $configured);
            }
        )+
    };
    (@shared $make:path; [$($(#[$attribute:meta])* $topic:ident::$case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$topic::$case($make(super::test_config())).await;
            }
        )*
    };
    (@configured $make:path; [$($(#[$attribute:meta])* $topic:ident::$case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$topic::$case($make).await;
            }
        )*
    };
}

uploader_suite! {
    shared: [
        print::print_flow_creates_the_job_uploads_without_the_token_and_starts_the_job,
        print::print_flow_into_an_existing_job_on_a_printer_does_not_start_it_when_asked,
        print::print_job_creation_is_retried_after_a_503_with_retry_after,
        print::print_default_profile_starts_small_and_grows_to_ten_mib,
        print::print_parallel_fragments_reassemble_to_the_file,
        print::a_stale_parallel_reply_does_not_resend_acknowledged_fragments,
        print::print_document_name_defaults_to_the_file_name,
        todo::todo_flow_puts_to_content_with_the_token_and_returns_the_location,
        todo::todo_flow_for_another_user_uses_the_users_path,
        todo::todo_over_25_mib_is_too_large_before_anything_is_sent,
        credentials::the_token_provider_is_asked_before_each_request_that_carries_the_token,
        credentials::a_failing_token_provider_sends_nothing,
        edge_sizes::empty_print_file_is_one_put_of_bytes_star_slash_zero,
        edge_sizes::empty_todo_file_is_one_put_of_bytes_star_slash_zero_to_content,
        edge_sizes::one_byte_file_is_one_put_of_bytes_0_0,
        edge_sizes::k_quanta_plus_one_from_disk_ends_with_a_one_byte_fragment,
        ranges::pascal_case_200_with_a_start_only_range_moves_the_upload_on,
        ranges::open_ranges_are_followed_and_only_missing_parts_are_sent,
        ranges::closed_end_one_past_the_last_byte_is_clamped,
        ranges::server_ranges_win_when_an_earlier_range_is_missing_again,
        ranges::reply_without_next_expected_ranges_is_done,
        ranges::ranges_past_the_end_of_the_file_are_a_protocol_error_before_any_put,
        refusals::after_416_the_session_is_read_and_only_missing_ranges_are_sent,
        refusals::after_416_a_range_the_server_lacks_is_sent_again,
        refusals::a_404_on_a_put_is_session_gone,
        refusals::a_404_on_the_status_read_is_session_gone,
        refusals::refusals_400_401_403_413_are_never_retried,
        refusals::refused_job_creation_is_not_retried,
        retries::retry_after_on_429_and_503_is_honoured,
        retries::a_burst_of_5xx_within_the_budget_is_survived_and_the_budget_resets_on_progress,
        retries::a_longer_burst_of_5xx_ends_in_server_error_with_the_last_status,
        retries::the_time_budget_ends_retrying,
        retries::a_retry_after_over_the_limit_ends_the_upload,
        may_have_been_sent::dropped_connection_after_the_server_stored_the_fragment_is_not_resent,
        may_have_been_sent::dropped_connection_before_the_server_got_the_fragment_resends_it,
        cancel::cancelling_a_print_upload_deletes_the_session_without_the_token,
        cancel::cancelling_a_todo_upload_deletes_the_session_with_the_token,
        cancel::a_token_cancelled_before_the_upload_sends_nothing,
        cancel::cancelling_during_a_retry_after_wait_stops_at_once,
        clean_up::unsupported_content_type_is_refused_before_the_job_is_created,
        clean_up::a_failed_print_upload_deletes_its_session_and_cancels_the_job_it_created,
        clean_up::a_cancelled_print_upload_cancels_the_job_it_created,
        clean_up::clean_up_can_be_turned_off,
        clean_up::a_failed_todo_upload_deletes_its_session,
        unreachable::an_unreachable_server_fails_fast_with_a_hint_before_anything_exists,
        unreachable::a_server_speaking_another_protocol_is_given_up_within_the_first_contact_budget,
        redaction::retries_are_reported_with_the_url_redacted,
        drive::every_drive_address_form_creates_at_its_url,
        drive::drive_flow_sends_conflict_and_size_and_puts_in_order_without_the_token,
        drive::a_replacing_drive_upload_takes_the_200_with_the_item,
        drive::a_reply_that_lists_part_of_what_is_missing_is_trusted_and_the_rest_read,
        drive::a_deferred_commit_posts_to_the_upload_url_after_the_last_202,
        drive::a_refused_commit_is_the_services_error,
        drive::drive_limits_are_refused_before_anything_is_sent,
        outlook::outlook_message_upload_uses_the_201_session_octet_stream_and_the_location,
        outlook::outlook_event_of_another_user_inline_uses_its_path_and_content_id,
        outlook::outlook_over_150_mb_is_refused_before_anything_is_sent,
        small_files::a_small_todo_file_is_one_post_with_content_bytes,
        small_files::force_session_sends_a_small_todo_file_through_a_session,
        small_files::a_small_outlook_file_is_one_post_and_keeps_its_location,
        small_files::a_small_file_from_disk_is_read_whole,
        small_files::a_cancelled_small_upload_sends_nothing,
    ],
    configured: [
        may_have_been_sent::timeout_after_the_server_stored_the_fragment_reads_the_session_and_does_not_resend,
        may_have_been_sent::timeout_before_the_server_stored_the_fragment_resends_it,
    ],
    backends: {
        reqwest_backend => super::reqwest_transport,
        hyper_backend => super::hyper_transport,
    },
}
