//! The seed lab's legacy framing: writeUTF strings + NUL-terminated SSID and passphrase.

use protocol::legacy::*;

fn creds(key: &str, cert: &str, ssid: &[u8], pass: &[u8]) -> LegacyCredentials {
    LegacyCredentials {
        private_key_pem: key.to_string().into(),
        certificate_pem: cert.to_string(),
        ssid: ssid.to_vec(),
        passphrase: pass.to_vec().into(),
    }
}

fn check_utf(input: &str, expected_hex: &str) {
    let mut out = Vec::new();
    encode_utf(input, &mut out).unwrap();
    assert_eq!(hex::encode(&out), expected_hex, "encoding {input:?}");
    assert_eq!(decode_utf(&out[2..]).unwrap(), input);
}

#[test]
fn write_utf_matches_java() {
    // Expected bytes are what java.io.DataOutputStream.writeUTF produces (spec: JDK
    // DataOutput javadoc): u16 length, NUL as C0 80, BMP chars as 1-3 bytes, supplementary
    // characters as two 3-byte surrogates.
    check_utf("", "0000");
    check_utf("AB", "00024142");
    check_utf("\0", "0002c080");
    check_utf("é", "0002c3a9");
    check_utf("€", "0003e282ac");
    check_utf("😀", "0006eda0bdedb880");
}

#[test]
fn decode_utf_rejects_invalid_forms() {
    for bad in [
        &[0x00][..],               // raw NUL
        &[0xc1, 0x81],             // overlong 'A'
        &[0xe0, 0x81, 0x81],       // overlong 2-byte value
        &[0xc3],                   // truncated
        &[0xc3, 0x41],             // bad continuation
        &[0xf0, 0x9f, 0x98, 0x80], // 4-byte UTF-8 is not modified UTF-8
        &[0xed, 0xa0, 0xbd],       // lone surrogate
        &[0x80],                   // stray continuation
    ] {
        assert_eq!(decode_utf(bad), Err(LegacyError::InvalidUtf), "{bad:02x?}");
    }
}

#[test]
fn stream_layout() {
    let bytes = encode(&creds("K", "C", b"net", b"pw")).unwrap();
    assert_eq!(
        hex::encode(&*bytes),
        "00014b000143".to_owned() + "6e657400" + "707700"
    );
}

#[test]
fn stream_round_trips_in_any_fragmentation() {
    let c = creds(
        &"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n".repeat(40),
        &"-----BEGIN CERTIFICATE-----\nMIID\n".repeat(30),
        b"HomeWiFi",
        b"correct horse",
    );
    let bytes = encode(&c).unwrap();
    for step in [1, 2, 3, 7, 64, 1000, bytes.len()] {
        let mut d = Decoder::new();
        for piece in bytes.chunks(step) {
            d.feed(piece).unwrap();
        }
        assert!(d.is_complete());
        assert_eq!(d.finish().unwrap(), c, "fragment size {step}");
    }
    // Open network: empty passphrase.
    let open = creds("K", "C", b"Cafe", b"");
    let mut d = Decoder::new();
    d.feed(&encode(&open).unwrap()).unwrap();
    assert_eq!(d.finish().unwrap(), open);
}

#[test]
fn encoder_refuses_what_the_device_cannot_read() {
    assert_eq!(
        encode(&creds("K", "C", b"", b"pw")).unwrap_err(),
        LegacyError::InvalidSsid
    );
    assert_eq!(
        encode(&creds("K", "C", &[b'a'; 33], b"pw")).unwrap_err(),
        LegacyError::InvalidSsid
    );
    assert_eq!(
        encode(&creds("K", "C", b"a\0b", b"pw")).unwrap_err(),
        LegacyError::InvalidSsid
    );
    assert_eq!(
        encode(&creds("K", "C", b"net", &[b'p'; 65])).unwrap_err(),
        LegacyError::InvalidPassphrase
    );
    assert_eq!(
        encode(&creds(&"k".repeat(70_000), "C", b"net", b"pw")).unwrap_err(),
        LegacyError::StringTooLong
    );
}

fn check_decode(input: &[u8], expected: Result<(), LegacyError>) {
    let mut d = Decoder::new();
    let result = d.feed(input).and_then(|()| d.finish().map(|_| ()));
    assert_eq!(result, expected, "input {input:02x?}");
}

#[test]
fn decoder_errors() {
    let good = encode(&creds("K", "C", b"net", b"pw")).unwrap().to_vec();
    check_decode(&good, Ok(()));
    check_decode(&good[..good.len() - 1], Err(LegacyError::Truncated));
    check_decode(&good[..3], Err(LegacyError::Truncated));
    check_decode(&[], Err(LegacyError::Truncated));
    let mut trailing = good.clone();
    trailing.push(b'x');
    check_decode(&trailing, Err(LegacyError::TrailingData));
    check_decode(b"\x00\x01\x00", Err(LegacyError::InvalidUtf));
    let mut long_ssid = b"\x00\x01K\x00\x01C".to_vec();
    long_ssid.extend_from_slice(&[b's'; 33]);
    check_decode(&long_ssid, Err(LegacyError::InvalidSsid));
    let mut empty_ssid = b"\x00\x01K\x00\x01C".to_vec();
    empty_ssid.push(0);
    check_decode(&empty_ssid, Err(LegacyError::InvalidSsid));
    let mut long_pass = b"\x00\x01K\x00\x01Cnet\x00".to_vec();
    long_pass.extend_from_slice(&[b'p'; 65]);
    check_decode(&long_pass, Err(LegacyError::InvalidPassphrase));
    // Errors are sticky.
    let mut d = Decoder::new();
    assert!(d.feed(b"\x00\x01\x00").is_err());
    assert_eq!(d.feed(&good), Err(LegacyError::InvalidUtf));
}

#[test]
fn secrets_never_in_debug_output() {
    let c = creds("SECRETKEY", "C", b"HomeWiFi", b"correct horse");
    let text = format!("{c:?}");
    assert!(text.contains("HomeWiFi") && !text.contains("SECRETKEY") && !text.contains("correct"));
}
