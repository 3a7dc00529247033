//! The check kinds, one file per kind (`[[count]]`, `[[exists]]`, ...), and the object types
//! `[[exists]]` / `[[absent]]` check (`object/`, one file per type). Each kind owns its keys,
//! their validation and its evaluation; none prints, chooses an output format or opens a
//! connection (probe kinds get a client inside a transaction the caller rolls back).

pub mod absent;
pub mod count;
pub mod exists;
pub mod immutable;
pub mod object;
pub mod pgtap;
pub mod policies;
pub mod privileges;
pub mod rejects;
pub mod rls;
pub mod scenario;
pub mod sql;
