//! Check files: model, loader, evaluation. (Being built: issue 4.)

/// Every problem found while loading check files (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in check files", .0.len())]
pub struct LoadErrors(pub Vec<String>);
