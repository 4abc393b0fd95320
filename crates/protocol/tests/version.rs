//! `proto-ver` JSON both ways.

use protocol::version::{
    CAP_IOT_CRED, CAP_WIFI_SCAN, MAX_CAPS, MAX_FIELD, ProtoVer, ProvInfo, VersionError,
};

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
        r#"{"prov":{"ver":"v1\n","sec_ver":2}}"#,
        Err(VersionError::InvalidField),
    );
    check(
        r#"{"prov":{"ver":"v1","sec_ver":2,"cap":["a\"b"]}}"#,
        Err(VersionError::InvalidField),
    );
    check(
        r#"{"prov":{"ver":"v1","sec_ver":2,"cap":["é"]}}"#,
        Err(VersionError::InvalidField),
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

#[test]
fn largest_accepted_document_round_trips() {
    // Found by the proto_ver fuzz target: a document just under the old size cap grew past it
    // when re-serialized (absent defaults are written out). Field limits now bound the output.
    let field = "~".repeat(MAX_FIELD);
    let caps = vec![format!("{field:?}"); MAX_CAPS].join(",");
    let json = format!(
        r#"{{"prov":{{"ver":{field:?},"sec_ver":2,"cap":[{caps}]}},"iot":{{"ver":{field:?},"max_transfer":4294967295}},"pad":"{}"}}"#,
        "x".repeat(1500)
    );
    assert!(
        json.len() <= protocol::endpoints::MAX_BODY,
        "{}",
        json.len()
    );
    let doc = ProtoVer::parse(json.as_bytes()).unwrap();
    let again = doc.to_json();
    assert!(again.len() < 3000, "{}", again.len());
    assert_eq!(ProtoVer::parse(&again), Ok(doc));
}
