//! The three things the `pg_query` crate does not expose: where in the text libpg_query found a
//! syntax error (`PgQueryError.cursorpos`), the raw text of the PL/pgSQL parse tree (the
//! crate's JSON decoding fails on libpg_query's malformed output for trigger functions), and the
//! parse tree still encoded (so that `sqltext::outline` can leave parts of it undecoded). Calls
//! the library the crate already links. Must not be used for anything else.

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
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
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

/// libpg_query's parse of `sql`: the `pg_query.ParseResult` protobuf message as it encodes it, or
/// its error (what `pg_query::parse` decodes, with the same errors).
pub fn parse_encoded(
    sql: &str,
    options: pg_query::ParserOptions,
) -> Result<Vec<u8>, pg_query::Error> {
    let input = CString::new(sql)?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result's
    // buffers are copied out before it is freed, exactly once, with the library's own free.
    unsafe {
        let result = pg_query_parse_protobuf_opts(input.as_ptr(), options.bits());
        let out = if !result.error.is_null() {
            Err(pg_query::Error::Parse(
                std::ffi::CStr::from_ptr((*result.error).message)
                    .to_string_lossy()
                    .into_owned(),
            ))
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

extern "C" {
    fn pg_query_parse_opts(input: *const c_char, parser_options: c_int) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// The 1-based character position of the syntax error in `sql`, if the parser reports one.
pub fn error_cursor(sql: &str, standard_conforming_strings: bool) -> Option<usize> {
    let input = CString::new(sql).ok()?;
    let options = if standard_conforming_strings {
        pg_query::ParserOptions::DEFAULT
    } else {
        pg_query::ParserOptions::DISABLE_STANDARD_CONFORMING_STRINGS
    };
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only before it is freed, exactly once, with the library's own free function.
    unsafe {
        let result = pg_query_parse_opts(input.as_ptr(), options.bits());
        let pos = if result.error.is_null() {
            None
        } else {
            let p = (*result.error).cursorpos;
            (p > 0).then_some(p as usize)
        };
        pg_query_free_parse_result(result);
        pos
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
