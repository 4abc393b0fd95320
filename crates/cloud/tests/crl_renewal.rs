//! Finding 1 of the security review: a CRL past its nextUpdate makes mosquitto refuse every
//! device, so provisiond must renew it on a schedule well before then (every quarter of its
//! validity) and on every revocation. The validity is shortened to 8 s here
//! (`PROVISIOND_CRL_VALIDITY_SECS`), and the test waits on the real clock, which the broker
//! shares, until the first CRL's nextUpdate has passed: a device must still connect, and the
//! CRL the broker now has is a later one. Without the renewal the broker holds an expired CRL
//! and refuses the device.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Connect, Server, crl_serials, mqtt_connect, serial_hex_of};
use time::OffsetDateTime;

const SN: &str = "SN-CRL-0001";

/// (thisUpdate, nextUpdate, CRL number) of `DIR/crl.pem`.
fn crl_times(dir: &Path) -> (OffsetDateTime, OffsetDateTime, u64) {
    let pem = std::fs::read(dir.join("crl.pem")).expect("crl.pem exists");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).expect("crl.pem is PEM");
    let (_, crl) = x509_parser::parse_x509_crl(&pem.contents).expect("crl.pem is a CRL");
    let number = crl
        .crl_number()
        .and_then(|n| u64::try_from(n).ok())
        .expect("the CRL has a number");
    (
        crl.last_update().to_datetime(),
        crl.next_update()
            .expect("the CRL has a nextUpdate")
            .to_datetime(),
        number,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_still_connects_after_the_first_crls_next_update_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(dir.path(), &[], &[("PROVISIOND_CRL_VALIDITY_SECS", "8")]);
    assert!(server.admin(&["serial", "add", SN]).0);
    let token = server.user("crl@example.com").await;
    let (s, b, first_key) = server.provision(&token, SN).await;
    assert_eq!(s, 200, "{b}");
    let first_pem = b["certificatePem"].as_str().unwrap().to_owned();
    let first = serial_hex_of(&first_pem);
    // A re-key revokes the first certificate; its answer comes once the CRL lists it.
    let (s, b, key) = server.provision(&token, SN).await;
    assert_eq!(s, 200, "{b}");
    let pem = b["certificatePem"].as_str().unwrap().to_owned();
    let (_, first_next, first_number) = crl_times(dir.path());
    assert!(
        crl_serials(dir.path()).contains(&first),
        "the revocation is not in the CRL"
    );

    // Let the broker's clock (the machine's) pass the first CRL's nextUpdate.
    while OffsetDateTime::now_utc() <= first_next + Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    match mqtt_connect(&server, SN, &pem, &key).await {
        Connect::Accepted(..) => {}
        Connect::Refused(e) => {
            panic!("the device is refused once the first CRL expired ({first_next}): {e}")
        }
    }
    // ...and the renewed CRL still lists the revoked one.
    match mqtt_connect(&server, SN, &first_pem, &first_key).await {
        Connect::Refused(e) => assert!(e.to_lowercase().contains("revoked"), "{e}"),
        Connect::Accepted(..) => panic!("the revoked certificate is accepted"),
    }
    let (this, next, number) = crl_times(dir.path());
    assert!(number > first_number, "the CRL was not renewed ({number})");
    assert!(next > first_next, "the renewed CRL ends no later: {next}");
    assert!(this <= OffsetDateTime::now_utc(), "{this}");
}
