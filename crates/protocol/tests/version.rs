//! `proto-ver` JSON both ways.

use protocol::version::{CAP_IOT_CRED, CAP_WIFI_SCAN, ProtoVer, ProvInfo, VersionError};

fn check(input: &str, expected: Result<ProtoVer, VersionError>) {
    assert_eq!(
        ProtoVer::parse(input.as_bytes()),
        expected,
        "input: {input}"
    );
}

fn prov(sec_ver: u32, sec_patch_ver: u32, cap: &[&str]) -> ProtoVer {
    ProtoVer {
        prov: ProvInfo {
            ver: "v1.1".into(),
            sec_ver,
            sec_patch_ver,
            cap: cap.iter().map(|c| c.to_string()).collect(),
        },
        iot: None,
    }
}

#[test]
fn parses_stock_documents() {
    check(
        r#"{"prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan"]}}"#,
        Ok(prov(2, 1, &["wifi_scan"])),
    );
    // Older ESP-IDF: no sec_patch_ver; custom top-level keys are ignored.
    check(
        r#"{"prov":{"ver":"v1.1","sec_ver":1,"cap":["wifi_scan","no_pop"]},"custom":{"x":1}}"#,
        Ok(prov(1, 0, &["wifi_scan", "no_pop"])),
    );
    check(
        r#"{"prov":{"ver":"v1.1","sec_ver":0}}"#,
        Ok(prov(0, 0, &[])),
    );
}

#[test]
fn rejects_bad_documents() {
    check("", Err(VersionError::Malformed));
    check("SUCCESS", Err(VersionError::Malformed));
    check(r#"{"prov":{"ver":"v1.1"}}"#, Err(VersionError::Malformed));
    check(
        r#"{"prov":{"ver":1,"sec_ver":2}}"#,
        Err(VersionError::Malformed),
    );
    check(
        r#"{"prov":{"ver":"v1.1","sec_ver":-1}}"#,
        Err(VersionError::Malformed),
    );
    check(
        r#"{"prov":{"ver":"v1.1","sec_ver":3}}"#,
        Err(VersionError::UnknownSecurity(3)),
    );
    check(
        &format!(r#"{{"prov":{{"ver":"{}","sec_ver":2}}}}"#, "v".repeat(3000)),
        Err(VersionError::TooLarge),
    );
}

#[test]
fn ours_round_trips() {
    for sec in 0..=2 {
        let doc = ProtoVer::ours(sec, 65536);
        let json = doc.to_json();
        assert_eq!(ProtoVer::parse(&json), Ok(doc.clone()));
        assert!(doc.has_cap(CAP_WIFI_SCAN) && doc.has_cap(CAP_IOT_CRED));
        assert_eq!(doc.prov.sec_patch_ver, u32::from(sec == 2));
    }
    assert_eq!(
        String::from_utf8(ProtoVer::ours(2, 65536).to_json()).unwrap(),
        r#"{"prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan","iot_cred"]},"iot":{"ver":"v1","max_transfer":65536}}"#
    );
}
