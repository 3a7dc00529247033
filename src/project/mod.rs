//! Project layouts deskctl recognises without a deskctl.toml (today: a Supabase project's
//! `supabase/` folder). Must not touch the database.

pub mod supabase;
