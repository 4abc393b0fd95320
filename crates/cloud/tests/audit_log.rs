//! The audit log on a real provisiond: every account and device change leaves one entry,
//! chained, holding no secret; and `provisiond audit verify` finds an edited, removed,
//! reordered or cut entry, naming its seq, even when the attacker can write the database.

mod common;

use std::path::Path;

use common::{Server, run_provisiond as run};
use serde_json::{Value, json};

fn entries(dir: &Path) -> Vec<Value> {
    let (ok, out, err) = run(dir, &["audit", "list", "--json"]);
    assert!(ok, "audit list: {err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON entry per line"))
        .collect()
}

/// Every column of every audit row and of the head, as the database file holds them.
fn raw_rows(dir: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("provisiond.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut text = String::new();
    let mut stmt = conn
        .prepare(
            "SELECT seq || ' ' || at_ms || ' ' || actor || ' ' || action || ' ' || subject || ' '
             || detail || ' ' || prev_hash || ' ' || hash FROM audit
             UNION ALL SELECT seq || ' ' || hash FROM audit_head",
        )
        .unwrap();
    for row in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        text.push_str(&row.unwrap());
        text.push('\n');
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn every_account_and_device_change_is_one_chained_entry_holding_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path());
    let dir = tmp.path();
    let sn = "AUDIT-0001";
    let email = "alice@example.com";
    let password = "correct horse battery";
    assert!(server.admin(&["serial", "add", sn]).0);

    let creds = json!({"email": email, "password": password});
    let (s, b) = server
        .call("POST", "/auth/signup", None, Some(creds.clone()))
        .await;
    assert_eq!(s, 201, "{b}");
    let wrong = json!({"email": email, "password": "not the password"});
    let (s, _) = server.call("POST", "/auth/signin", None, Some(wrong)).await;
    assert_eq!(s, 401);
    // A password typed into the e-mail field of an unknown account is not recorded.
    let typo = json!({"email": "hunter2secret@example.com", "password": password});
    let (s, _) = server.call("POST", "/auth/signin", None, Some(typo)).await;
    assert_eq!(s, 401);
    let (ok, code) = server.admin(&["user", "code", email]);
    assert!(ok);
    let code = code.trim().to_owned();
    let (s, b) = server
        .call(
            "POST",
            "/auth/confirm",
            None,
            Some(json!({"email": email, "code": code})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, tokens) = server.call("POST", "/auth/signin", None, Some(creds)).await;
    assert_eq!(s, 200, "{tokens}");
    let id_token = tokens["idToken"].as_str().unwrap().to_owned();
    let refresh_token = tokens["refreshToken"].as_str().unwrap().to_owned();

    // Claim + issuance from a CSR, then a re-key in cloud-key mode (a private key in the
    // response), which revokes the first certificate.
    let (s, first, _key) = server.provision(&id_token, sn).await;
    assert_eq!(s, 200, "{first}");
    let (s, second) = server
        .call("GET", &format!("/cert?sn={sn}"), Some(&id_token), None)
        .await;
    assert_eq!(s, 200, "{second}");
    let private_key = second["privateKey"].as_str().unwrap().to_owned();
    assert!(private_key.contains("PRIVATE KEY"));
    // Admin actions: revoke, then release (the first half of a transfer).
    assert!(server.admin(&["device", "revoke", sn]).0);
    assert!(server.admin(&["device", "release", sn]).0);

    let first_id = first["certificateId"].as_str().unwrap();
    let second_id = second["certificateId"].as_str().unwrap();
    let log = entries(dir);
    let got: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("admin", "serial_add", sn),
            (email, "sign_up", email),
            (email, "sign_in_failed", email),
            ("unknown_account", "sign_in_failed", "unknown_account"),
            ("admin", "code_shown", email),
            (email, "confirm", email),
            (email, "claim", sn),
            (email, "issue", sn),
            (email, "issue", sn),
            ("service", "revoke", sn),
            ("admin", "revoke", sn),
            ("admin", "transfer", sn),
        ],
        "{log:#?}"
    );
    assert_eq!(log[2]["detail"], r#"{"reason":"wrong_password"}"#);
    assert!(log[7]["detail"].as_str().unwrap().contains(first_id));
    assert!(log[8]["detail"].as_str().unwrap().contains(second_id));
    let rekey: Value = serde_json::from_str(log[9]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(rekey["certificate_id"], first_id);
    assert_eq!(rekey["replaced_by"], second_id);
    assert_eq!(rekey["reason"], "re-key");
    let admin_revoke: Value = serde_json::from_str(log[10]["detail"].as_str().unwrap()).unwrap();
    assert_eq!(admin_revoke["certificate_id"], second_id);
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        if i > 0 {
            assert_eq!(e["prev_hash"], log[i - 1]["hash"]);
        }
    }

    let (ok, head, err) = run(dir, &["audit", "verify"]);
    assert!(ok, "verify: {err}");
    assert_eq!(
        head.trim(),
        format!("12:{}", log[11]["hash"].as_str().unwrap())
    );
    let (ok, _, err) = run(dir, &["audit", "verify", "--expect-head", head.trim()]);
    assert!(ok, "verify --expect-head: {err}");

    // No secret in the log, as listed or as stored.
    let (_, listed, _) = run(dir, &["audit", "list"]);
    let text = format!(
        "{listed}\n{}\n{}",
        raw_rows(dir),
        serde_json::to_string(&log).unwrap()
    );
    let key_body = private_key
        .lines()
        .find(|l| l.len() > 40 && !l.starts_with("-----"))
        .unwrap();
    for (what, secret) in [
        ("password", password),
        ("password typed as an address", "hunter2secret"),
        ("wrong password", "not the password"),
        ("confirmation code", code.as_str()),
        ("ID token", id_token.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("private key", key_body),
        ("private key", "PRIVATE KEY"),
        ("CSR", "CERTIFICATE REQUEST"),
    ] {
        assert!(!text.contains(secret), "the audit log holds the {what}");
    }
    server.stop();
}

/// A data directory whose log holds 6 entries (6 admin `serial add`s), verified intact;
/// returns the head `verify` printed.
fn six_entries(dir: &Path) -> String {
    for i in 1..=6 {
        let (ok, _, err) = run(dir, &["serial", "add", &format!("TAMPER-{i:04}")]);
        assert!(ok, "serial add: {err}");
    }
    let (ok, head, err) = run(dir, &["audit", "verify"]);
    assert!(ok, "an untouched log verifies: {err}");
    assert!(head.starts_with("6:"), "{head}");
    head.trim().to_owned()
}

/// The database as an attacker with write access sees it: the append-only triggers refuse
/// changes, so they are dropped first.
fn tamper(dir: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join("provisiond.db")).unwrap();
    let refused = conn
        .execute("UPDATE audit SET subject = 'x' WHERE seq = 1", [])
        .unwrap_err()
        .to_string();
    assert!(refused.contains("append-only"), "{refused}");
    conn.execute_batch(
        "DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;
         DROP TRIGGER audit_head_forward;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn verify_fails(dir: &Path, args: &[&str], expected: &str) {
    let mut all = vec!["audit", "verify"];
    all.extend_from_slice(args);
    let (ok, out, err) = run(dir, &all);
    assert!(!ok, "verify passed a tampered log: {out}");
    assert!(
        err.contains(expected),
        "verify should say {expected:?}, said: {err}"
    );
}

#[test]
fn an_edited_removed_reordered_or_cut_entry_is_named_by_audit_verify() {
    let cases = [
        (
            "edited",
            "UPDATE audit SET subject = 'OTHER-0001' WHERE seq = 3",
            "seq 3: edited",
        ),
        (
            "removed",
            "DELETE FROM audit WHERE seq = 3",
            "seq 3: removed",
        ),
        (
            "reordered",
            "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;
             UPDATE audit SET seq = 4 WHERE seq = -1;",
            "seq 3: reordered (this entry was written as seq 4)",
        ),
        (
            "cut (the head left as it was)",
            "DELETE FROM audit WHERE seq >= 5",
            "seq 5: cut",
        ),
        (
            "cut, head set back too",
            "DELETE FROM audit WHERE seq >= 5; UPDATE audit_head SET seq = 4",
            "seq 4: the head does not match",
        ),
    ];
    for (name, sql, expected) in cases {
        let tmp = tempfile::tempdir().unwrap();
        six_entries(tmp.path());
        tamper(tmp.path(), sql);
        verify_fails(tmp.path(), &[], expected);
        eprintln!("{name}: detected");
    }

    // A rewrite from seq 2 on, every later hash and the head recomputed, is consistent in
    // itself; a head kept elsewhere finds it.
    let tmp = tempfile::tempdir().unwrap();
    let kept = six_entries(tmp.path());
    tamper(
        tmp.path(),
        "UPDATE audit SET subject = 'OTHER-0002' WHERE seq = 2",
    );
    let conn = rusqlite::Connection::open(tmp.path().join("provisiond.db")).unwrap();
    let mut prev: String = conn
        .query_row("SELECT hash FROM audit WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    for seq in 2..=6i64 {
        let (at, actor, action, subject, detail): (i64, String, String, String, String) = conn
            .query_row(
                "SELECT at_ms, actor, action, subject, detail FROM audit WHERE seq = ?1",
                [seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        let hash =
            cloud::local::audit::entry_hash(seq, at, &actor, &action, &subject, &detail, &prev);
        conn.execute(
            "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![seq, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
    conn.execute("UPDATE audit_head SET hash = ?1", [&prev])
        .unwrap();
    drop(conn);
    let (ok, _, err) = run(tmp.path(), &["audit", "verify"]);
    assert!(ok, "a consistent rewrite passes without a kept head: {err}");
    verify_fails(
        tmp.path(),
        &["--expect-head", &kept],
        "seq 6: not the expected head",
    );

    // A malformed head is refused with a clear message, not a panic.
    verify_fails(tmp.path(), &["--expect-head", "six"], "SEQ:HASH");
}
