//! The closed set of PostgreSQL privileges: one enum read from the catalog's ACL letters, and
//! the one list of which privileges each object type has (what `ALL` means there). Every other
//! module takes its privilege names and their documented order from here. Knows nothing about
//! roles or checks.

use std::fmt;

/// One privilege, as `aclexplode` / `has_*_privilege` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "&'static str")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Maintain,
    Usage,
    Execute,
    Create,
    Connect,
    Temporary,
    Set,
    AlterSystem,
}

/// Every privilege, in the order PostgreSQL's GRANT documentation lists them, which is also the
/// declaration order (`p as usize` indexes tables built from this list).
pub const ORDER: &[Privilege] = &[
    Privilege::Select,
    Privilege::Insert,
    Privilege::Update,
    Privilege::Delete,
    Privilege::Truncate,
    Privilege::References,
    Privilege::Trigger,
    Privilege::Maintain,
    Privilege::Usage,
    Privilege::Execute,
    Privilege::Create,
    Privilege::Connect,
    Privilege::Temporary,
    Privilege::Set,
    Privilege::AlterSystem,
];

/// Privileges of tables, views, materialized views and foreign tables (MAINTAIN: PostgreSQL 17+).
pub const TABLE: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "MAINTAIN",
];
pub const SEQUENCE: &[&str] = &["USAGE", "SELECT", "UPDATE"];
pub const FUNCTION: &[&str] = &["EXECUTE"];
pub const SCHEMA: &[&str] = &["USAGE", "CREATE"];
pub const COLUMN: &[&str] = &["SELECT", "INSERT", "UPDATE", "REFERENCES"];

/// The server version that introduced MAINTAIN.
pub const MAINTAIN_SINCE: i32 = 170000;

/// The table privileges a server of `server_version_num` has.
pub fn table(server_version_num: i32) -> &'static [&'static str] {
    if server_version_num >= MAINTAIN_SINCE {
        TABLE
    } else {
        &TABLE[..TABLE.len() - 1]
    }
}

impl Privilege {
    /// The upper-case SQL name (`ALTER SYSTEM` with its space).
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Maintain => "MAINTAIN",
            Privilege::Usage => "USAGE",
            Privilege::Execute => "EXECUTE",
            Privilege::Create => "CREATE",
            Privilege::Connect => "CONNECT",
            Privilege::Temporary => "TEMPORARY",
            Privilege::Set => "SET",
            Privilege::AlterSystem => "ALTER SYSTEM",
        }
    }

    /// From a name in any case (`TEMP` for TEMPORARY, as GRANT accepts it).
    pub fn from_name(s: &str) -> Option<Privilege> {
        let up = s.trim().to_ascii_uppercase();
        if up == "TEMP" {
            return Some(Privilege::Temporary);
        }
        ORDER.iter().copied().find(|p| p.name() == up)
    }

    /// From the letter an ACL item uses (`r` SELECT, `w` UPDATE, `a` INSERT...).
    pub fn from_acl_char(c: char) -> Option<Privilege> {
        Some(match c {
            'r' => Privilege::Select,
            'w' => Privilege::Update,
            'a' => Privilege::Insert,
            'd' => Privilege::Delete,
            'D' => Privilege::Truncate,
            'x' => Privilege::References,
            't' => Privilege::Trigger,
            'X' => Privilege::Execute,
            'U' => Privilege::Usage,
            'C' => Privilege::Create,
            'c' => Privilege::Connect,
            'T' => Privilege::Temporary,
            's' => Privilege::Set,
            'A' => Privilege::AlterSystem,
            'm' => Privilege::Maintain,
            _ => return None,
        })
    }
}

impl From<Privilege> for &'static str {
    fn from(p: Privilege) -> &'static str {
        p.name()
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for Privilege {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl PartialEq<str> for Privilege {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

/// Sorts privilege names in the documented order (unknown names last).
pub fn sort(v: &mut [&str]) {
    v.sort_by_key(|p| {
        ORDER
            .iter()
            .position(|o| o.name() == *p)
            .unwrap_or(ORDER.len())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_acl_letter_and_name_round_trips() {
        for c in "rwadDxtXUCcTsAm".chars() {
            let p = Privilege::from_acl_char(c).unwrap();
            assert_eq!(Privilege::from_name(&p.name().to_lowercase()), Some(p));
        }
        assert_eq!(Privilege::from_acl_char('z'), None);
        // ORDER is the declaration order: `p as usize` indexes tables built from it.
        for (i, p) in ORDER.iter().enumerate() {
            assert_eq!(*p as usize, i, "{p}");
        }
        assert_eq!(Privilege::from_name("temp"), Some(Privilege::Temporary));
        assert_eq!(Privilege::from_name("ALL"), None);
    }

    #[test]
    fn lists_name_real_privileges_and_maintain_follows_the_version() {
        for list in [TABLE, SEQUENCE, FUNCTION, SCHEMA, COLUMN] {
            assert!(list.iter().all(|n| Privilege::from_name(n).is_some()));
        }
        assert!(!table(150000).contains(&"MAINTAIN"));
        assert!(table(170000).contains(&"MAINTAIN"));
        let mut v = vec!["EXECUTE", "MAINTAIN", "SELECT", "bogus", "TRUNCATE"];
        sort(&mut v);
        assert_eq!(v, ["SELECT", "TRUNCATE", "MAINTAIN", "EXECUTE", "bogus"]);
    }
}
