//! The two things the `pg_query` crate does not expose: the parse tree still encoded (so that
//! `sqltext::outline` can leave parts of it undecoded), with, on a syntax error, where in the text
//! libpg_query found it (`PgQueryError.cursorpos`); and the raw text of the PL/pgSQL parse tree
//! (the crate's JSON decoding fails on libpg_query's malformed output for trigger functions).
//! Calls the library the crate already links. Must not be used for anything else.

use std::ffi::CString;
use std::os::raw::{c_char, c_int};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_protobuf_opts(
        input: *const c_char,
        parser_options: c_int,
    ) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// libpg_query rejected the text: its message and the 1-based character position of the
/// error, when it reports one.
#[derive(Debug)]
pub struct Rejected {
    pub message: String,
    pub cursor: Option<usize>,
}

/// libpg_query's parse of `sql`: the `pg_query.ParseResult` protobuf message as it encodes it
/// (what `pg_query::parse` decodes), or why it rejected the text.
pub fn parse_encoded(sql: &str, options: pg_query::ParserOptions) -> Result<Vec<u8>, Rejected> {
    let input = CString::new(sql).map_err(|e| Rejected {
        message: pg_query::Error::from(e).to_string(),
        cursor: None,
    })?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result's
    // buffers are copied out before it is freed, exactly once, with the library's own free.
    unsafe {
        let result = pg_query_parse_protobuf_opts(input.as_ptr(), options.bits());
        let out = if !result.error.is_null() {
            let p = (*result.error).cursorpos;
            Err(Rejected {
                message: std::ffi::CStr::from_ptr((*result.error).message)
                    .to_string_lossy()
                    .into_owned(),
                cursor: (p > 0).then_some(p as usize),
            })
        } else if result.parse_tree.data.is_null() || result.parse_tree.len == 0 {
            Ok(Vec::new())
        } else {
            Ok(std::slice::from_raw_parts(
                result.parse_tree.data as *const u8,
                result.parse_tree.len,
            )
            .to_vec())
        };
        pg_query_free_protobuf_parse_result(result);
        out
    }
}

#[repr(C)]
struct PgQueryPlpgsqlParseResult {
    plpgsql_funcs: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
    fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
}

/// libpg_query's PL/pgSQL parse tree as the raw JSON text it writes (`None` on a parse error).
pub fn plpgsql_json(sql: &str) -> Option<String> {
    let input = CString::new(sql).ok()?;
    // SAFETY: as above: a valid NUL-terminated input, the result read once, then freed once.
    unsafe {
        let r = pg_query_parse_plpgsql(input.as_ptr());
        let out = if r.error.is_null() && !r.plpgsql_funcs.is_null() {
            Some(
                std::ffi::CStr::from_ptr(r.plpgsql_funcs)
                    .to_string_lossy()
                    .into_owned(),
            )
        } else {
            None
        };
        pg_query_free_plpgsql_parse_result(r);
        out
    }
}
