//! `cargo xtask ci`: the same checks CI runs, from the one script that defines them.
//!
//! `.ci/run` is the single source of truth (CI calls it on a clean clone); this command only
//! runs it, so that the two can never drift apart.

use crate::workspace;
use std::process::Command;

pub fn run() -> Result<(), String> {
    let mut command = Command::new("bash");
    command
        .arg(workspace::root().join(".ci").join("run"))
        .current_dir(workspace::root());
    workspace::run(command)
}
