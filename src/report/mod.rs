//! Reports and their renderers. (Being built: issue 4.)
