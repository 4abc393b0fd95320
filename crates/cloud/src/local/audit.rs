//! The self-hosted audit log: table `audit` in `provisiond.db`, append-only and hash-chained.
//!
//! Entry `seq` stores `hash = SHA-256(canonical(seq, at_ms, actor, action, subject, detail,
//! prev_hash))` where `prev_hash` is entry `seq - 1`'s hash (64 zeros for the first). The
//! one-row `audit_head` holds the last seq and hash, so removing the last entries is
//! detected too. Every entry is appended by [`append`] on the connection of the transaction
//! that makes the change it records: a committed change always has its entry, a rolled-back
//! one has none. Triggers refuse UPDATE and DELETE on `audit` and any head move other than
//! one forward, so the service itself cannot rewrite the log; someone who edits the file
//! anyway is caught by [`verify`] (and a full rewrite of the chain by `--expect-head` with a
//! head kept elsewhere).

use std::fmt;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::ca::hex;
use super::db::{Db, db_err};
use crate::audit::{Event, now_ms};
use crate::backend::BackendError;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The tables and triggers (part of the database schema).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT OR IGNORE INTO audit_head (id, seq, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq <> OLD.seq + 1
BEGIN SELECT RAISE(ABORT, 'the audit head only moves one entry forward'); END;
";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// Who.
    pub actor: String,
    /// What ([`crate::audit::Action::as_str`]).
    pub action: String,
    /// On what.
    pub subject: String,
    /// The detail object, as JSON text.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Entry {
    /// The hash this entry's content gives when it stands at `seq`.
    fn hash_at(&self, seq: i64) -> String {
        entry_hash(
            seq,
            self.at_ms,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            &self.prev_hash,
        )
    }
}

/// The canonical encoding: a domain tag, seq and at_ms as 8 big-endian bytes, then each text
/// field as its 8-byte big-endian length and its UTF-8 bytes (so no two field lists encode
/// alike).
pub fn entry_hash(
    seq: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(b"iotp-audit-v1\0");
    h.update(seq.to_be_bytes());
    h.update(at_ms.to_be_bytes());
    for field in [actor, action, subject, detail, prev_hash] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

/// The last entry: what `audit verify` prints and `--expect-head` takes, `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its seq (0 for an empty log).
    pub seq: i64,
    /// Its hash ([`GENESIS`] for an empty log).
    pub hash: String,
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not SEQ:HASH (as `provisiond audit verify` prints it)");
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq = seq.parse::<i64>().map_err(|_| bad())?;
        let ok = seq >= 0 && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(bad());
        }
        Ok(Head {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// What is wrong with the log, at the first bad seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry's content no longer gives its hash.
    Edited,
    /// The entry is intact, but the one after it no longer links to it: the entry was
    /// replaced and rehashed.
    Replaced,
    /// Entries `seq..=through` are missing from the middle of the log.
    Removed {
        /// The last missing seq.
        through: i64,
    },
    /// The entry at this seq was written at another position.
    Reordered {
        /// The seq it was written as.
        written_as: i64,
    },
    /// The log ends before the head: entries `seq..=head` were cut from its end.
    Cut {
        /// The head's seq.
        head: i64,
    },
    /// The head does not match the log (it was edited or set back).
    HeadMismatch,
    /// The log differs from the head given with `--expect-head` (kept outside this machine).
    NotTheExpectedHead,
}

/// A failed verification: the first bad seq and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first seq found bad.
    pub seq: i64,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match &self.problem {
            Problem::Edited => write!(f, "seq {seq}: edited (its content does not match its hash)"),
            Problem::Replaced => write!(
                f,
                "seq {seq}: edited (replaced and rehashed: seq {} no longer links to it)",
                seq + 1
            ),
            Problem::Removed { through } if *through == seq => {
                write!(f, "seq {seq}: removed (missing from the chain)")
            }
            Problem::Removed { through } => {
                write!(f, "seq {seq}: removed (seq {seq} to {through} are missing)")
            }
            Problem::Reordered { written_as } => write!(
                f,
                "seq {seq}: reordered (this entry was written as seq {written_as})"
            ),
            Problem::Cut { head } => write!(
                f,
                "seq {seq}: cut (the log ends at seq {} but its head says {head})",
                seq - 1
            ),
            Problem::HeadMismatch => write!(
                f,
                "seq {seq}: the head does not match the log (audit_head was edited)"
            ),
            Problem::NotTheExpectedHead => write!(
                f,
                "seq {seq}: not the expected head (the log was rewritten up to here, or cut)"
            ),
        }
    }
}

impl std::error::Error for Broken {}

/// Appends `event` on `tx`, which must be the caller's write transaction (the group-commit
/// writer's, or one begun IMMEDIATE), so the entry commits or rolls back with the change.
pub fn append(tx: &Connection, event: &Event) -> Result<i64, BackendError> {
    let (last, prev_hash): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db_err)?;
    let seq = last + 1;
    let at_ms = now_ms();
    let detail = event.detail.to_string();
    let action = event.action.as_str();
    let hash = entry_hash(
        seq,
        at_ms,
        &event.actor,
        action,
        &event.subject,
        &detail,
        &prev_hash,
    );
    tx.execute(
        "INSERT INTO audit (seq, at_ms, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            seq,
            at_ms,
            event.actor,
            action,
            event.subject,
            detail,
            prev_hash,
            hash
        ],
    )
    .map_err(db_err)?;
    tx.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
        params![seq, hash],
    )
    .map_err(db_err)?;
    Ok(seq)
}

/// Records an event that changes nothing else (a refused sign-in, an admin reading a code)
/// in a transaction of its own, durable before it returns.
pub fn record(db: &Db, event: &Event) -> Result<(), BackendError> {
    let mut conn = db.conn();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    append(&tx, event)?;
    tx.commit().map_err(db_err)
}

/// The entries after `since`, in order.
pub fn list(conn: &Connection, since: i64) -> Result<Vec<Entry>, BackendError> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash
             FROM audit WHERE seq > ?1 ORDER BY seq",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![since], |r| {
            Ok(Entry {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })
        .map_err(db_err)?;
    rows.collect::<Result<_, _>>().map_err(db_err)
}

fn stored_head(conn: &Connection) -> Result<Head, BackendError> {
    conn.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
        Ok(Head {
            seq: r.get(0)?,
            hash: r.get(1)?,
        })
    })
    .optional()
    .map_err(db_err)?
    .ok_or_else(|| BackendError::Internal("the audit head row is missing".into()))
}

/// Checks the whole chain (in one read transaction, so a concurrent append is not mistaken
/// for damage) and, with `expect`, that the log still holds that head. Returns the head when
/// intact, else the first bad seq and what is wrong there.
pub fn verify(
    conn: &mut Connection,
    expect: Option<&Head>,
) -> Result<Result<Head, Broken>, BackendError> {
    let tx = conn.transaction().map_err(db_err)?;
    let entries = list(&tx, 0)?;
    let head = stored_head(&tx)?;
    drop(tx);
    Ok(check(&entries, &head, expect))
}

/// The chain rules over entries read in seq order.
pub fn check(entries: &[Entry], head: &Head, expect: Option<&Head>) -> Result<Head, Broken> {
    let broken = |seq, problem| Err(Broken { seq, problem });
    let last_seq = entries.last().map_or(0, |e| e.seq);
    let mut prev_hash = GENESIS;
    for (i, e) in entries.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq > expected {
            return broken(expected, Problem::Removed { through: e.seq - 1 });
        }
        if e.hash_at(e.seq) != e.hash {
            // Moved entries still hash right at the seq they were written as.
            let written_as = (1..=last_seq.max(head.seq)).find(|&s| e.hash_at(s) == e.hash);
            return broken(
                e.seq,
                match written_as {
                    Some(written_as) => Problem::Reordered { written_as },
                    None => Problem::Edited,
                },
            );
        }
        if e.prev_hash != prev_hash {
            // This entry is intact; the one before it is not the one it was chained to.
            return broken(e.seq - 1, Problem::Replaced);
        }
        prev_hash = &e.hash;
    }
    if head.seq > last_seq {
        return broken(last_seq + 1, Problem::Cut { head: head.seq });
    }
    if head.seq < last_seq || head.hash != prev_hash {
        return broken(head.seq.max(1), Problem::HeadMismatch);
    }
    if let Some(expect) = expect {
        let held = usize::try_from(expect.seq)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| entries.get(i));
        let matches = match held {
            Some(e) => e.hash == expect.hash,
            None => expect.seq == 0 && expect.hash == GENESIS,
        };
        if !matches {
            return broken(expect.seq, Problem::NotTheExpectedHead);
        }
    }
    Ok(Head {
        seq: last_seq,
        hash: prev_hash.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    seq,
                    at_ms: 1000 + seq,
                    actor: "a@example.com".into(),
                    action: "sign_up".into(),
                    subject: format!("s{seq}"),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.hash_at(seq);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn head_of(entries: &[Entry]) -> Head {
        entries.last().map_or(
            Head {
                seq: 0,
                hash: GENESIS.into(),
            },
            |e| Head {
                seq: e.seq,
                hash: e.hash.clone(),
            },
        )
    }

    fn problem(entries: &[Entry], head: &Head, expect: Option<&Head>) -> (i64, Problem) {
        let b = check(entries, head, expect).unwrap_err();
        (b.seq, b.problem)
    }

    #[test]
    fn an_intact_chain_verifies_and_every_kind_of_damage_names_its_seq() {
        let log = chain(5);
        let head = head_of(&log);
        assert_eq!(check(&log, &head, Some(&head)), Ok(head.clone()));
        assert_eq!(check(&[], &head_of(&[]), None), Ok(head_of(&[])));

        let mut edited = log.clone();
        edited[1].subject = "other".into();
        assert_eq!(problem(&edited, &head, None), (2, Problem::Edited));

        let mut rehashed = log.clone();
        rehashed[1].subject = "other".into();
        rehashed[1].hash = rehashed[1].hash_at(2);
        assert_eq!(problem(&rehashed, &head, None), (2, Problem::Replaced));

        let mut removed = log.clone();
        removed.remove(2);
        assert_eq!(
            problem(&removed, &head, None),
            (3, Problem::Removed { through: 3 })
        );

        let mut swapped = log.clone();
        swapped.swap(2, 3);
        swapped[2].seq = 3;
        swapped[3].seq = 4;
        assert_eq!(
            problem(&swapped, &head, None),
            (3, Problem::Reordered { written_as: 4 })
        );

        let cut = log[..3].to_vec();
        assert_eq!(problem(&cut, &head, None), (4, Problem::Cut { head: 5 }));

        // A log rewritten from seq 2 on, head and all, passes its own checks: only a head
        // kept elsewhere shows it.
        let mut rewritten = log.clone();
        rewritten[1].subject = "other".into();
        for i in 1..rewritten.len() {
            rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
            rewritten[i].hash = rewritten[i].hash_at(rewritten[i].seq);
        }
        let new_head = head_of(&rewritten);
        assert!(check(&rewritten, &new_head, None).is_ok());
        assert_eq!(
            problem(&rewritten, &new_head, Some(&head)),
            (5, Problem::NotTheExpectedHead)
        );
    }

    #[test]
    fn a_head_reads_back_as_printed() {
        let head = head_of(&chain(2));
        assert_eq!(head.to_string().parse::<Head>(), Ok(head));
        assert!("7".parse::<Head>().is_err());
        assert!("x:00".parse::<Head>().is_err());
    }
}
