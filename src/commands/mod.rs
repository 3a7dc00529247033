//! Thin command entry points added with issue 15 (`access`, `diff`): each resolves its options,
//! opens the target through the shared paths in `lint`/`db`, calls the library and renders.
//! Must not hold business logic.

pub mod access;
pub mod diff;
pub mod init;
