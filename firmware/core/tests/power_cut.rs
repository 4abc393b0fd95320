//! A power cut at every byte of a credential write leaves the old or the new record, never
//! neither, and the store keeps working afterwards.

use firmware_core::mem_flash::MemFlash;
use firmware_core::store::{
    CredentialStore, Credentials, DeviceKey, IotCredentials, MqttSettings, StoreLayout,
    WifiCredentials,
};
use zeroize::Zeroizing;

fn creds(tag: u8, chain_len: usize) -> Credentials {
    Credentials {
        wifi: WifiCredentials {
            ssid: format!("net-{tag}").into_bytes(),
            passphrase: Zeroizing::new(format!("passphrase-{tag}").into_bytes()),
            bssid: Some([2, 0, 0, 0, 0, tag]),
            channel: 6,
        },
        iot: Some(IotCredentials {
            key: DeviceKey::P256(Zeroizing::new([tag; 32])),
            cert_chain_pem: "C".repeat(chain_len),
            mqtt: Some(MqttSettings {
                host: "127.0.0.1".into(),
                port: 8883,
                client_id: "SN1".into(),
                topic_prefix: "devices".into(),
                server_ca_pem: "A".repeat(1200),
            }),
        }),
    }
}

/// A store already holding `old`, as flash contents.
fn flash_with(old: &Credentials) -> MemFlash {
    let mut store = CredentialStore::open(MemFlash::new(4096, 32), StoreLayout::default());
    store.commit(old).unwrap();
    store.into_flash()
}

/// Byte-operations a commit costs: one per sector erased plus one per byte programmed.
fn commit_ops(c: &Credentials) -> usize {
    StoreLayout::default().sectors_per_slot + 16 + c.encode().len() + 32
}

#[test]
fn every_byte_offset_of_a_commit_leaves_old_or_new() {
    let old = creds(1, 4000);
    let new = creds(2, 8200);
    let base = flash_with(&old);
    let total = commit_ops(&new);
    let (mut offsets, mut lost, mut got_old, mut got_new) = (0, 0, 0, 0);
    for cut in 0..=total {
        let mut flash = base.clone();
        flash.set_power_budget(Some(cut));
        let mut store = CredentialStore::open(flash, StoreLayout::default());
        let result = store.commit(&new);
        let mut flash = store.into_flash();
        flash.set_power_budget(None);
        let mut rebooted = CredentialStore::open(flash, StoreLayout::default());
        match rebooted.load() {
            Some(c) if c == old => {
                assert!(
                    result.is_err(),
                    "cut at {cut}: commit said ok but old record loads"
                );
                got_old += 1;
            }
            Some(c) if c == new => got_new += 1,
            _ => lost += 1,
        }
        // The store must keep working after the cut.
        let third = creds(3, 100);
        rebooted.commit(&third).unwrap();
        assert_eq!(
            CredentialStore::open(rebooted.into_flash(), StoreLayout::default()).load(),
            Some(third)
        );
        offsets += 1;
    }
    println!("power-cut: {offsets} offsets, {lost} lost ({got_old} old, {got_new} new)");
    assert_eq!(lost, 0);
    assert!(
        got_old > 8000 && got_new >= 1,
        "old {got_old} new {got_new}"
    );
}

#[test]
fn a_cut_during_the_first_commit_leaves_nothing_or_the_new_record() {
    let new = creds(9, 500);
    let total = commit_ops(&new);
    for cut in 0..=total {
        let mut flash = MemFlash::new(4096, 32);
        flash.set_power_budget(Some(cut));
        let mut store = CredentialStore::open(flash, StoreLayout::default());
        let ok = store.commit(&new).is_ok();
        let mut flash = store.into_flash();
        flash.set_power_budget(None);
        let loaded = CredentialStore::open(flash, StoreLayout::default()).load();
        assert!(loaded.is_none() || loaded == Some(new.clone()), "cut {cut}");
        assert_eq!(ok, loaded.is_some() && cut >= total, "cut {cut}");
    }
}

#[test]
fn sequence_numbers_alternate_slots_and_the_newest_wins() {
    let mut store = CredentialStore::open(MemFlash::new(4096, 32), StoreLayout::default());
    for i in 1..=5u8 {
        store.commit(&creds(i, 50)).unwrap();
        assert_eq!(store.sequence(), u32::from(i));
        let mut reopened = CredentialStore::open(store.flash().clone(), StoreLayout::default());
        assert_eq!(reopened.load(), Some(creds(i, 50)));
    }
    store.wipe().unwrap();
    assert_eq!(
        CredentialStore::open(store.into_flash(), StoreLayout::default()).load(),
        None
    );
}

#[test]
fn records_round_trip_and_truncations_never_decode() {
    let c = creds(4, 300);
    let bytes = c.encode();
    assert_eq!(Credentials::decode(&bytes).unwrap(), c);
    // Cut inside a field: never decodes. Cut between fields: at most a shorter, different
    // record (the slot checksum is what rejects those in flash).
    for n in 0..bytes.len() {
        if let Ok(d) = Credentials::decode(&bytes[..n]) {
            assert_ne!(d, c, "truncated record at {n} decoded as the original");
        }
    }
    let wifi_only = Credentials { iot: None, ..c };
    assert_eq!(Credentials::decode(&wifi_only.encode()).unwrap(), wifi_only);
}

#[test]
fn a_record_too_large_for_a_slot_is_refused_and_the_old_one_kept() {
    let mut store = CredentialStore::open(MemFlash::new(4096, 32), StoreLayout::default());
    store.commit(&creds(1, 10)).unwrap();
    assert!(store.commit(&creds(2, 40_000)).is_err());
    assert_eq!(store.load(), Some(creds(1, 10)));
}
