//! The one way deskctl reads the user's input files (check and pgTAP files, migrations, seeds,
//! deskctl.toml, supabase/config.toml, sslrootcert) and walks their directories. Anything that
//! is not a regular file (FIFO, device, socket) is refused from its metadata BEFORE it is opened
//! (opening a FIFO blocks until a writer comes; opening a device can act), and directory walks
//! stop at symbolic-link loops instead of following them forever. Must not interpret contents.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a path is, following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    File,
    Dir,
    /// Nothing there (or a dangling symbolic link).
    Missing,
    /// A FIFO, device or socket: never opened.
    Special(&'static str),
}

fn special_name(t: fs::FileType) -> &'static str {
    if t.is_fifo() {
        "named pipe (FIFO)"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

/// The error for an input that is not a regular file (callers add the path).
pub fn not_a_file(kind: &'static str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is a {kind}, not a regular file (not opened; pass a regular file)"),
    )
}

fn is_loop(e: &io::Error) -> bool {
    e.raw_os_error() == Some(nix::libc::ELOOP)
}

fn loop_error(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "symbolic link loop at {} (a link that leads back to itself)",
            path.display()
        ),
    )
}

/// What `path` is (stat, following links; nothing is opened). A link loop is an error.
pub fn kind(path: &Path) -> io::Result<InputKind> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(InputKind::File),
        Ok(m) if m.is_dir() => Ok(InputKind::Dir),
        Ok(m) => Ok(InputKind::Special(special_name(m.file_type()))),
        Err(e) if is_loop(&e) => Err(loop_error(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(InputKind::Missing),
        Err(e) => Err(e),
    }
}

/// Read a regular file whole. A FIFO, device or socket is refused without being opened; the file
/// is opened non-blocking and checked again, so one swapped in between is refused too.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let before = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if is_loop(&e) => return Err(loop_error(path)),
        Err(e) => return Err(e),
    };
    if before.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a directory, not a file",
        ));
    }
    if !before.is_file() {
        return Err(not_a_file(special_name(before.file_type())));
    }
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)?;
    let now = f.metadata()?;
    if !now.is_file() || now.ino() != before.ino() || now.dev() != before.dev() {
        return Err(not_a_file(special_name(now.file_type())));
    }
    let mut bytes = Vec::with_capacity(now.len() as usize);
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read`] as UTF-8 text (an error naming the first bad byte's offset otherwise).
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not valid UTF-8 (byte offset {}); save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// One level of a directory: the entries' paths, sorted by file name (byte order).
pub fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        out.push(e?.path());
    }
    out.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(out)
}

/// What a recursive walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files `want` accepted, in sorted path order.
    pub files: Vec<PathBuf>,
    /// Files `want` accepted that are FIFOs, devices or sockets, symbolic-link loops, and
    /// unreadable directories: (path, why).
    pub problems: Vec<(PathBuf, io::Error)>,
}

/// Every file below `dir` whose path `want` accepts, following links to directories but never
/// into a directory that is already being walked (a loop), and never twice into the same one.
pub fn walk(dir: &Path, want: &dyn Fn(&Path) -> bool) -> Walk {
    let mut w = Walk::default();
    let mut open = Vec::new();
    let mut seen = HashSet::new();
    walk_into(dir, want, &mut open, &mut seen, &mut w);
    w
}

fn walk_into(
    dir: &Path,
    want: &dyn Fn(&Path) -> bool,
    open: &mut Vec<((u64, u64), PathBuf)>,
    seen: &mut HashSet<(u64, u64)>,
    w: &mut Walk,
) {
    let id = match fs::metadata(dir) {
        Ok(m) => (m.dev(), m.ino()),
        Err(e) => {
            w.problems.push((dir.to_path_buf(), e));
            return;
        }
    };
    if let Some((_, first)) = open.iter().find(|(i, _)| *i == id) {
        let msg = format!(
            "symbolic link loop: this directory is {} again",
            first.display()
        );
        w.problems.push((
            dir.to_path_buf(),
            io::Error::new(io::ErrorKind::InvalidInput, msg),
        ));
        return;
    }
    if !seen.insert(id) {
        // Reached again through another link: already walked, not a loop.
        return;
    }
    let entries = match list(dir) {
        Ok(v) => v,
        Err(e) => {
            w.problems.push((dir.to_path_buf(), e));
            return;
        }
    };
    open.push((id, dir.to_path_buf()));
    for p in entries {
        match kind(&p) {
            Ok(InputKind::Dir) => walk_into(&p, want, open, seen, w),
            Ok(InputKind::File) if want(&p) => w.files.push(p),
            Ok(InputKind::Special(k)) if want(&p) => w.problems.push((p, not_a_file(k))),
            Err(e) if is_loop_message(&e) || want(&p) => w.problems.push((p, e)),
            _ => {}
        }
    }
    open.pop();
}

fn is_loop_message(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("symbolic link loop")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, Instant};

    fn fifo(p: &Path) {
        nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    }

    fn toml(p: &Path) -> bool {
        p.extension().is_some_and(|e| e == "toml")
    }

    #[test]
    fn regular_files_read_whole() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.toml");
        fs::write(&f, "x = 1\n").unwrap();
        assert_eq!(read_to_string(&f).unwrap(), "x = 1\n");
        assert_eq!(kind(&f).unwrap(), InputKind::File);
        assert_eq!(kind(&d.path().join("nope")).unwrap(), InputKind::Missing);
        // Through a link too.
        symlink(&f, d.path().join("l.toml")).unwrap();
        assert_eq!(read(&d.path().join("l.toml")).unwrap(), b"x = 1\n");
    }

    #[test]
    fn fifos_devices_and_sockets_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pipe.toml");
        fifo(&p);
        let t0 = Instant::now();
        let e = read(&p).unwrap_err();
        assert!(e.to_string().contains("named pipe (FIFO)"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(kind(&p).unwrap(), InputKind::Special("named pipe (FIFO)"));
        let e = read(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let s = d.path().join("s.toml");
        let _l = std::os::unix::net::UnixListener::bind(&s).unwrap();
        assert!(read(&s).unwrap_err().to_string().contains("socket"));
        // A link to a FIFO is a FIFO.
        symlink(&p, d.path().join("l.toml")).unwrap();
        assert!(read(&d.path().join("l.toml")).is_err());
        assert!(read(d.path())
            .unwrap_err()
            .to_string()
            .contains("directory"));
    }

    #[test]
    fn walks_find_wanted_files_and_report_specials_and_loops() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("a/b")).unwrap();
        fs::write(r.join("a/1.toml"), "").unwrap();
        fs::write(r.join("a/b/2.toml"), "").unwrap();
        fs::write(r.join("a/skip.txt"), "").unwrap();
        fifo(&r.join("a/pipe.txt")); // not wanted: ignored, never opened
        fifo(&r.join("a/b/pipe.toml"));
        symlink(r.join("a"), r.join("a/b/up")).unwrap(); // into itself
        symlink(r.join("a/b/up2"), r.join("a/b/up3")).unwrap(); // up3 -> up2 -> up3
        symlink(r.join("a/b/up3"), r.join("a/b/up2")).unwrap();
        let t0 = Instant::now();
        let w = walk(&r.join("a"), &toml);
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert_eq!(w.files, vec![r.join("a/1.toml"), r.join("a/b/2.toml")]);
        let probs: Vec<String> = w
            .problems
            .iter()
            .map(|(p, e)| format!("{}: {e}", p.strip_prefix(r).unwrap().display()))
            .collect();
        assert_eq!(probs.len(), 4, "{probs:#?}");
        assert!(
            probs[0].starts_with("a/b/pipe.toml: it is a named pipe"),
            "{probs:#?}"
        );
        assert!(
            probs[1].starts_with("a/b/up: symbolic link loop"),
            "{probs:#?}"
        );
        assert!(
            probs[2].starts_with("a/b/up2: symbolic link loop"),
            "{probs:#?}"
        );
        assert!(
            probs[3].starts_with("a/b/up3: symbolic link loop"),
            "{probs:#?}"
        );
    }

    #[test]
    fn two_links_to_one_directory_are_walked_once_not_a_loop() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("top/real")).unwrap();
        fs::write(r.join("top/real/x.toml"), "").unwrap();
        symlink(r.join("top/real"), r.join("top/z_link")).unwrap();
        let w = walk(&r.join("top"), &toml);
        assert!(w.problems.is_empty(), "{:?}", w.problems);
        assert_eq!(w.files, vec![r.join("top/real/x.toml")]);
    }
}
