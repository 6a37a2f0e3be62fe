//! The Graph emulator against `docs/protocol.md`, over plain HTTP: the happy paths and every row of
//! its tables that a well-behaved client meets (creating sessions, uploading fragments in any
//! order or in parallel for print and in order for To Do, status, cancel, completion, `$value`,
//! 0-byte and 1-byte files, the OXPS rule, restarts in the middle of an upload, expiry).
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

mod checks;
mod expiry;
mod interruptions;
mod print;
mod resources;
mod sizes;
mod todo;
