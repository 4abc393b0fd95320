//! Round trips and bad input for the prov-scan / prov-config / prov-ctrl helpers.

use prost::Message;
use protocol::proto::{self, Status};
use protocol::wifi::*;

fn entry(ssid: &str, auth: i32) -> ScanEntry {
    ScanEntry {
        ssid: ssid.as_bytes().to_vec(),
        channel: 6,
        rssi: -40,
        bssid: vec![1, 2, 3, 4, 5, 6],
        auth,
    }
}

#[test]
fn scan_messages_round_trip() {
    for req in [
        ScanRequest::Start {
            blocking: true,
            passive: false,
            group_channels: 4,
            period_ms: 120,
        },
        ScanRequest::Status,
        ScanRequest::Results {
            start_index: 3,
            count: 4,
        },
    ] {
        assert_eq!(ScanRequest::decode(&req.encode()), Ok(req.clone()));
        assert_eq!(
            ScanResponse::decode(&req.error_response(Status::InternalError)),
            Err(MessageError::Status(Status::InternalError as i32))
        );
    }
    for resp in [
        ScanResponse::Started,
        ScanResponse::Status {
            finished: true,
            result_count: 7,
        },
        ScanResponse::Results(vec![entry("HomeWiFi", 3), entry("Cafe", 0)]),
    ] {
        assert_eq!(ScanResponse::decode(&resp.encode()), Ok(resp.clone()));
    }
    assert!(entry("x", 3).is_secure() && !entry("x", 0).is_secure());
}

#[test]
fn full_scan_page_fits_the_body_limit() {
    let entries = (0..MAX_SCAN_ENTRIES_PER_RESPONSE)
        .map(|i| ScanEntry {
            ssid: vec![b'a' + (i % 26) as u8; 32],
            channel: 165,
            rssi: -100,
            bssid: vec![0xff; 6],
            auth: 7,
        })
        .collect();
    let body = ScanResponse::Results(entries).encode();
    assert!(
        body.len() + 16 <= protocol::endpoints::MAX_BODY,
        "{}",
        body.len()
    );
}

#[test]
fn scan_result_count_is_the_devices_to_judge() {
    // ESP-IDF takes any count and answers InternalError for entries it does not have; the
    // decoder passes the request through so the device can do the same.
    let req = proto::WiFiScanPayload {
        msg: proto::WiFiScanMsgType::TypeCmdScanResult as i32,
        status: 0,
        payload: Some(proto::wi_fi_scan_payload::Payload::CmdScanResult(
            proto::CmdScanResult {
                start_index: 0,
                count: 1000,
            },
        )),
    }
    .encode_to_vec();
    assert_eq!(
        ScanRequest::decode(&req),
        Ok(ScanRequest::Results {
            start_index: 0,
            count: 1000
        })
    );
}

#[test]
fn commands_are_dispatched_on_their_message_type() {
    // esp_prov sends these as the message type alone, with no payload field.
    let scan_status = proto::WiFiScanPayload {
        msg: proto::WiFiScanMsgType::TypeCmdScanStatus as i32,
        status: 0,
        payload: None,
    }
    .encode_to_vec();
    assert_eq!(ScanRequest::decode(&scan_status), Ok(ScanRequest::Status));
    let apply = proto::WiFiConfigPayload {
        msg: proto::WiFiConfigMsgType::TypeCmdApplyConfig as i32,
        payload: None,
    }
    .encode_to_vec();
    assert_eq!(ConfigRequest::decode(&apply), Ok(ConfigRequest::Apply));
    for (msg, want) in [
        (proto::WiFiCtrlMsgType::TypeCmdCtrlReset, CtrlRequest::Reset),
        (
            proto::WiFiCtrlMsgType::TypeCmdCtrlReprov,
            CtrlRequest::Reprov,
        ),
    ] {
        let body = proto::WiFiCtrlPayload {
            msg: msg as i32,
            status: 0,
            payload: None,
        }
        .encode_to_vec();
        assert_eq!(CtrlRequest::decode(&body), Ok(want));
    }
    // Commands with fields need them.
    let bare_result = proto::WiFiScanPayload {
        msg: proto::WiFiScanMsgType::TypeCmdScanResult as i32,
        status: 0,
        payload: None,
    }
    .encode_to_vec();
    assert_eq!(
        ScanRequest::decode(&bare_result),
        Err(MessageError::Unexpected)
    );
    let bare_set = proto::WiFiConfigPayload {
        msg: proto::WiFiConfigMsgType::TypeCmdSetConfig as i32,
        payload: None,
    }
    .encode_to_vec();
    assert_eq!(
        ConfigRequest::decode(&bare_set),
        Err(MessageError::Unexpected)
    );
    // The type and the payload must agree.
    let mismatched = proto::WiFiScanPayload {
        msg: proto::WiFiScanMsgType::TypeCmdScanStatus as i32,
        status: 0,
        payload: Some(proto::wi_fi_scan_payload::Payload::CmdScanResult(
            proto::CmdScanResult {
                start_index: 0,
                count: 1,
            },
        )),
    }
    .encode_to_vec();
    assert_eq!(
        ScanRequest::decode(&mismatched),
        Err(MessageError::Unexpected)
    );
}

#[test]
fn config_messages_round_trip() {
    let mut pinned = WifiConfig::new(b"HomeWiFi", b"correct horse");
    pinned.bssid = vec![1, 2, 3, 4, 5, 6];
    pinned.channel = 11;
    for req in [
        ConfigRequest::GetStatus,
        ConfigRequest::SetConfig(WifiConfig::new(b"HomeWiFi", b"correct horse")),
        ConfigRequest::SetConfig(WifiConfig::new(b"Open", b"")),
        ConfigRequest::SetConfig(pinned),
        ConfigRequest::Apply,
    ] {
        let body = req.encode().unwrap();
        assert_eq!(ConfigRequest::decode(&body), Ok(req.clone()));
        assert_eq!(
            ConfigResponse::decode(&req.error_response(Status::InvalidArgument)),
            Err(MessageError::Status(Status::InvalidArgument as i32))
        );
    }
    let statuses = [
        StationStatus::Connected(Connected {
            ip4_addr: "192.168.1.23".into(),
            auth_mode: 3,
            ssid: b"HomeWiFi".to_vec(),
            bssid: vec![1, 2, 3, 4, 5, 6],
            channel: 6,
        }),
        StationStatus::Connecting {
            attempts_remaining: None,
        },
        StationStatus::Connecting {
            attempts_remaining: Some(2),
        },
        StationStatus::Disconnected,
        StationStatus::Failed(Some(FailReason::AuthError)),
        StationStatus::Failed(Some(FailReason::NetworkNotFound)),
        StationStatus::Failed(None),
    ];
    for st in statuses {
        let resp = ConfigResponse::Status(st);
        assert_eq!(ConfigResponse::decode(&resp.encode()), Ok(resp.clone()));
    }
    for resp in [ConfigResponse::SetConfig, ConfigResponse::Apply] {
        assert_eq!(ConfigResponse::decode(&resp.encode()), Ok(resp));
    }
}

#[test]
fn config_wire_format_matches_esp_idf_field_numbers() {
    // CmdSetConfig{ssid=1, passphrase=2} inside WiFiConfigPayload{msg=1, cmd_set_config=12}:
    // bytes written out by hand from the .proto field numbers.
    let body = ConfigRequest::SetConfig(WifiConfig::new(b"ab", b"xyz"))
        .encode()
        .unwrap();
    assert_eq!(
        hex::encode(&*body),
        // 08 02: msg = TypeCmdSetConfig(2); 62 09: field 12, len 9;
        // 0a 02 'ab'; 12 03 'xyz'
        "0802620 90a026162120378797a".replace(' ', "")
    );
    // RespGetStatus{status=0, sta_state=ConnectionFailed(3), fail_reason=NetworkNotFound(1)}.
    let body =
        ConfigResponse::Status(StationStatus::Failed(Some(FailReason::NetworkNotFound))).encode();
    assert_eq!(hex::encode(body), "0801 5a04 1003 5001".replace(' ', ""));
}

#[test]
fn invalid_credentials_are_refused_both_ways() {
    let cases: [(WifiConfig, &str); 5] = [
        (WifiConfig::new(b"", b"pw"), "ssid must be 1..=32 bytes"),
        (
            WifiConfig::new(&[b'a'; 33], b"pw"),
            "ssid must be 1..=32 bytes",
        ),
        (
            WifiConfig::new(b"net", &[b'p'; 65]),
            "passphrase longer than 64 bytes",
        ),
        (
            WifiConfig {
                bssid: vec![1, 2, 3],
                ..WifiConfig::new(b"net", b"pw")
            },
            "bssid must be 6 bytes",
        ),
        (
            WifiConfig {
                channel: -1,
                ..WifiConfig::new(b"net", b"pw")
            },
            "channel",
        ),
    ];
    for (config, why) in cases {
        assert_eq!(
            ConfigRequest::SetConfig(config.clone()).encode(),
            Err(MessageError::InvalidField(why))
        );
        // A peer that skips validation still gets refused by the decoder.
        let raw = proto::WiFiConfigPayload {
            msg: proto::WiFiConfigMsgType::TypeCmdSetConfig as i32,
            payload: Some(proto::wi_fi_config_payload::Payload::CmdSetConfig(
                proto::CmdSetConfig {
                    ssid: config.ssid.clone(),
                    passphrase: config.passphrase.to_vec(),
                    bssid: config.bssid.clone(),
                    channel: config.channel,
                },
            )),
        }
        .encode_to_vec();
        assert_eq!(
            ConfigRequest::decode(&raw),
            Err(MessageError::InvalidField(why))
        );
    }
}

#[test]
fn passphrase_never_in_debug_output() {
    let req = ConfigRequest::SetConfig(WifiConfig::new(b"HomeWiFi", b"correct horse"));
    let text = format!("{req:?}");
    assert!(
        text.contains("HomeWiFi") && !text.contains("correct horse"),
        "{text}"
    );
}

#[test]
fn ctrl_messages_round_trip() {
    for req in [CtrlRequest::Reset, CtrlRequest::Reprov] {
        assert_eq!(CtrlRequest::decode(&req.encode()), Ok(req));
        assert_eq!(
            CtrlResponse::decode(&req.response(Status::InternalError)),
            Err(MessageError::Status(Status::InternalError as i32))
        );
    }
    for resp in [CtrlResponse::Reset, CtrlResponse::Reprov] {
        assert_eq!(CtrlResponse::decode(&resp.encode()), Ok(resp));
    }
}

#[test]
fn malformed_oversized_and_misdirected_bodies_are_errors() {
    let garbage = [0xffu8, 0xff, 0xff];
    let big = vec![0u8; 4097];
    assert_eq!(ScanRequest::decode(&garbage), Err(MessageError::Malformed));
    assert_eq!(ScanRequest::decode(&big), Err(MessageError::TooLarge));
    assert_eq!(
        ConfigRequest::decode(&garbage),
        Err(MessageError::Malformed)
    );
    assert_eq!(ConfigRequest::decode(&big), Err(MessageError::TooLarge));
    assert_eq!(CtrlRequest::decode(&garbage), Err(MessageError::Malformed));
    assert_eq!(ConfigResponse::decode(&big), Err(MessageError::TooLarge));
    // A response sent where a request is expected, and vice versa.
    assert_eq!(
        ScanRequest::decode(&ScanResponse::Started.encode()),
        Err(MessageError::Unexpected)
    );
    assert_eq!(
        ConfigResponse::decode(&ConfigRequest::Apply.encode().unwrap()),
        Err(MessageError::Unexpected)
    );
    assert_eq!(
        CtrlResponse::decode(&CtrlRequest::Reset.encode()),
        Err(MessageError::Unexpected)
    );
    // An empty body is an all-default protobuf: type 0, no payload. For prov-scan that is a
    // CmdScanStart without its fields; for prov-config it is CmdGetStatus, which has none.
    assert_eq!(ScanRequest::decode(&[]), Err(MessageError::Unexpected));
    assert_eq!(ConfigRequest::decode(&[]), Ok(ConfigRequest::GetStatus));
}
