//! A guard on the test double itself (`graph_upload_testkit::uploader_mocks::FakeSession`).

use crate::helpers::strings;
use graph_upload_testkit::uploader_mocks::{Completion, FakeSession, RangeStyle, SessionSpec};

#[test]
fn completion_of_the_fake_session_is_what_the_protocol_says() {
    // A guard on the test double itself: print answers 201 with the printDocument, To Do
    // with a Location, and the range styles write what `docs/protocol.md` section 2 shows.
    let print = FakeSession::new(SessionSpec::print(4_533_322).preloaded(0..72_797));
    assert_eq!(print.expected_ranges(), strings(&["72797-4533321"]));
    let quirk = FakeSession::new(
        SessionSpec::print(4_533_322)
            .style(RangeStyle::ClosedPastEnd)
            .preloaded(0..78_929),
    );
    assert_eq!(quirk.expected_ranges(), strings(&["78929-4533322"]));
    let todo = FakeSession::new(SessionSpec::todo(3_483_322, "x").preloaded(0..2_097_152));
    assert_eq!(todo.expected_ranges(), strings(&["2097152"]));
    let open = FakeSession::new(SessionSpec::print(10).style(RangeStyle::Open));
    assert_eq!(open.expected_ranges(), strings(&["0-"]));
    assert!(matches!(
        SessionSpec::todo(1, "loc").completion,
        Completion::Location(_)
    ));
}
