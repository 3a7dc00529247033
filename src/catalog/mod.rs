//! One snapshot of the catalogs per run. (Being built: issue 4.)
