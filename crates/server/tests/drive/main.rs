//! The emulator's OneDrive and SharePoint drives (`docs/protocol.md` section 7): every address
//! form, new folders, the conflict behaviours, deferred commits, the fragment rules, the quota, expiry,
//! restarts, and bad input answered with Graph's errors and nothing stored.
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

mod addresses;
mod bad_input;
mod conflicts;
mod defer;
mod durability;
mod folders;
mod fragments;
mod observed;
mod quota;
mod support;
