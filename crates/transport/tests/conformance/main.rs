//! The transport conformance suite: every case is written once, as an `async fn` over an
//! `Arc<dyn Transport>`, and `conformance_suite!` runs it against each backend
//! (`reqwest_backend::…`, `hyper_backend::…`).
//!
//! Well-behaved exchanges go through `wiremock`; misbehaving servers (silent, hanging up
//! mid-body, oversized or truncated answers) are a raw TCP server on loopback
//! (`graph_upload_testkit::raw_server`), which also shows the exact bytes a backend writes.

mod failures;
mod helpers;
mod http2;
mod https;
mod requests;
mod responses;
mod size_cap;
mod wire;

#[cfg(feature = "hyper")]
use graph_upload_transport::HyperTransport;
#[cfg(feature = "reqwest")]
use graph_upload_transport::ReqwestTransport;
use graph_upload_transport::{Transport, TransportConfig};
use helpers::test_config;
use std::sync::Arc;

#[cfg(feature = "reqwest")]
fn reqwest_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(config).expect("build the reqwest backend"))
}

#[cfg(feature = "hyper")]
fn hyper_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(config).expect("build the hyper backend"))
}

/// One module per enabled backend (`cargo test -p graph-upload-transport` runs reqwest's,
/// `--all-features` both), one test per case. A case is named by its topic (the file it is
/// written in) and its function: `requests::caller_headers_arrive_including_repeated_ones`.
///
/// `shared` cases take the transport built from [`test_config`]; `configured` cases take the
/// backend's constructor and build the transport with the settings they need. Each backend
/// then lists the shared cases that some backend is known to fail, so that the failing one
/// can carry `#[ignore = "the bug"]` while the assertion stays as strict as for the others
/// (once the bug is fixed, drop the attribute).
macro_rules! conformance_suite {
    (
        shared: $shared:tt,
        configured: $configured:tt,
        backends: {
            $($(#[$enabled:meta])* $backend:ident => $make:path { $($known:tt)* }),+ $(,)?
        } $(,)?
    ) => {
        $(
            $(#[$enabled])*
            mod $backend {
                conformance_suite!(@shared $make; $shared);
                conformance_suite!(@configured $make; $configured);
                conformance_suite!(@known $make; $($known)*);
            }
        )+
    };
    (@shared $make:path; [$($topic:ident::$case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$topic::$case($make(super::test_config())).await;
            }
        )*
    };
    (@configured $make:path; [$($topic:ident::$case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$topic::$case($make).await;
            }
        )*
    };
    (@known $make:path; $($(#[$attribute:meta])* $topic:ident::$case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$topic::$case($make(super::test_config())).await;
            }
        )*
    };
}

conformance_suite! {
    shared: [
        requests::every_method_reaches_the_server_with_its_path_and_query,
        requests::caller_headers_arrive_including_repeated_ones,
        requests::no_authorization_header_is_added_by_the_transport,
        requests::a_caller_authorization_header_arrives_exactly_once,
        requests::content_length_equals_the_length_of_a_bytes_body,
        requests::content_length_equals_the_length_of_a_file_slice_body,
        requests::empty_put_and_post_send_content_length_zero,
        requests::ten_mib_body_from_memory_arrives_intact,
        requests::ten_mib_file_slice_at_an_offset_arrives_intact,
        requests::concurrent_sends_of_slices_of_one_file_arrive_intact,
        responses::non_2xx_status_is_a_response_not_an_error,
        responses::redirect_is_returned_not_followed,
        responses::response_headers_and_an_empty_201_are_readable,
        responses::a_retry_of_the_same_request_sends_identical_bytes,
        wire::raw_request_head_has_content_length_and_no_authorization,
        wire::raw_get_and_delete_without_body_send_no_framing_headers,
        failures::connect_refused_is_a_connect_error_and_not_sent,
        failures::https_to_a_plain_http_server_is_a_tls_error_and_not_sent,
        failures::server_closing_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent,
        failures::server_resetting_mid_request_body_is_an_io_or_body_error_that_may_have_been_sent,
        failures::server_closing_without_an_answer_is_an_io_or_body_error_that_may_have_been_sent,
        failures::response_shorter_than_its_content_length_is_a_body_or_io_error,
        failures::file_truncated_after_planning_fails_and_never_reports_success,
        size_cap::request_cap_override_can_lower_the_limit,
    ],
    configured: [
        failures::silent_server_times_out_within_the_request_timeout,
        failures::response_body_stalling_midway_times_out,
        failures::a_timed_out_connection_is_not_reused_for_the_next_request,
        size_cap::response_over_the_cap_with_content_length_is_too_large,
        size_cap::chunked_response_over_the_cap_is_too_large,
        size_cap::response_exactly_at_the_cap_arrives_intact,
        size_cap::request_cap_override_lets_a_larger_response_through,
        size_cap::transport_is_usable_after_a_response_over_the_cap,
        https::a_print_upload_over_https_succeeds_with_the_emulators_certificate_as_extra_root,
        https::without_the_emulators_certificate_https_is_a_tls_error_naming_the_problem,
        http2::h2c_with_prior_knowledge_carries_parallel_fragments_on_one_connection,
        http2::alpn_negotiates_h2_over_https_and_carries_parallel_fragments_on_one_connection,
    ],
    backends: {
        #[cfg(feature = "reqwest")]
        reqwest_backend => super::reqwest_transport {
            wire::raw_caller_content_length_is_not_duplicated,
            failures::a_file_that_shrank_is_a_body_error,
        },
        #[cfg(feature = "hyper")]
        hyper_backend => super::hyper_transport {
            wire::raw_caller_content_length_is_not_duplicated,
            failures::a_file_that_shrank_is_a_body_error,
        },
    },
}

#[cfg(feature = "reqwest")]
#[test]
fn reqwest_refuses_a_root_file_without_a_certificate() {
    https::a_root_file_without_a_certificate_fails_the_constructor(|config| {
        ReqwestTransport::new(config).map(drop)
    });
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_refuses_a_root_file_without_a_certificate() {
    https::a_root_file_without_a_certificate_fails_the_constructor(|config| {
        HyperTransport::new(config).map(drop)
    });
}
