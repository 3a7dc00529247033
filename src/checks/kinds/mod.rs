//! The check kinds, one file per kind (`[[count]]`, `[[exists]]`, ...), and the object types
//! `[[exists]]` / `[[absent]]` check (`object/`, one file per type). Each kind owns its keys,
//! their validation and its evaluation; none prints, chooses an output format or opens a
//! connection (probe kinds get a client inside a transaction the caller rolls back).

pub mod object;
