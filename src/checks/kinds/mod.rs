//! The catalog check kinds, one file per kind (`[[count]]`, `[[exists]]`, ...), the object types
//! `[[exists]]` / `[[absent]]` check (`object/`, one file per type), and `[[pgtap]]`; the kinds
//! that run SQL as a role live in `checks/behaviour/`. Each kind owns its keys,
//! their validation and its evaluation; none prints, chooses an output format or opens a
//! connection (probe kinds get a client inside a transaction the caller rolls back).

pub mod absent;
pub mod count;
pub mod exists;
pub mod object;
pub mod pgtap;
pub mod policies;
pub mod privileges;
pub mod rls;
