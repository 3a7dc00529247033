//! Where the check kinds' building blocks used to live, kept as one import path: names and
//! selections (`names`), key validation (`validator`), text normalisation (`normalize`) and prose
//! helpers (`crate::words`). Must not define anything itself.

pub use super::names::*;
pub use super::normalize::*;
pub use super::validator::*;
pub use crate::words::*;
