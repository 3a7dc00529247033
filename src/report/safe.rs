//! Making untrusted text (server messages, names and SQL from user files) safe to show on a terminal:
//! control characters and bidirectional-override characters are written as visible escapes, so a
//! hostile message cannot move the cursor, recolour, retitle or reorder what the terminal shows. Every
//! human renderer passes such text through here; must not decide layout or colour (callers do).

use std::borrow::Cow;

/// Characters that would act on the terminal or reorder the text around them instead of being shown:
/// C0/C1 controls and DEL, and the Unicode bidi embeddings, overrides and isolates ("Trojan Source").
pub fn hazardous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Push the visible form of `c`: `\n`, `\r`, `\t`, `\x1b` (ASCII), `\u{9b}` / `\u{202e}` (others).
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_newlines && c == '\n';
    if !s.chars().any(|c| hazardous(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if keep(c) => out.push(c),
            // A tab inside a multi-line text is layout, not a hazard: one space keeps columns fixed.
            '\t' if keep_newlines => out.push(' '),
            c if hazardous(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` on one line for a terminal: like [`visible_lines`] but line breaks and tabs are escaped too
/// (`\n`, `\t`), for names, ids and single-line fields.
pub fn visible_line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// `s` for a terminal with its line breaks kept: tabs become one space, other controls are escaped.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// Run a colourless renderer into a buffer and write its output with [`visible_lines`] applied: for
/// renderers whose every value may be untrusted (access matrices, diffs) and that never colour.
pub fn write_visible(
    w: &mut dyn std::io::Write,
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    w.write_all(visible_lines(&String::from_utf8_lossy(&buf)).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            visible_line("a\x1b[31mred\x07\x00\x7f\r\n\tz"),
            "a\\x1b[31mred\\x07\\x00\\x7f\\r\\n\\tz"
        );
        assert_eq!(
            visible_lines("a\x1b]0;title\x07\nb\tc"),
            "a\\x1b]0;title\\x07\nb c"
        );
        assert_eq!(visible_line("\u{9b}2J"), "\\u{9b}2J");
    }

    #[test]
    fn bidi_overrides_are_escaped_other_unicode_is_kept() {
        assert_eq!(
            visible_line("user\u{202e}nimda\u{2066}"),
            "user\\u{202e}nimda\\u{2066}"
        );
        assert_eq!(
            visible_line("scénario ✅ 宽字符 \\x1b"),
            "scénario ✅ 宽字符 \\x1b"
        );
    }

    #[test]
    fn write_visible_escapes_a_renderers_output() {
        let mut out = Vec::new();
        write_visible(&mut out, |w| writeln!(w, "name\x1b[2J\tx")).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&out), "name\\x1b[2J x\n");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(visible_line("plain text"), Cow::Borrowed(_)));
        assert!(matches!(visible_lines("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_hazard_survives() {
        for cp in (0u32..0x110000)
            .step_by(7)
            .chain(0..0x100)
            .chain(0x2000..0x2100)
        {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let s = format!("x{c}y");
            assert!(!visible_line(&s).chars().any(hazardous), "{cp:#x}");
            assert!(
                !visible_lines(&s).chars().any(|c| hazardous(c) && c != '\n'),
                "{cp:#x}"
            );
        }
    }
}
