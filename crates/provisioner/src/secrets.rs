//! Where secrets (app client secret, refresh/ID tokens) live: the OS keyring, or, where there
//! is none (a headless CI box, a bare container), this process's memory only.
//!
//! Secrets never go to the config file, the state dir, logs or argv.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// The keyring service name under which every entry of this app is stored.
const SERVICE: &str = "iot-provisioner";

/// A small key/value store for secrets.
pub trait SecretStore: Send + Sync {
    /// The secret stored under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key`, replacing any previous one.
    fn set(&self, key: &str, value: &str) -> Result<()>;
    /// Forgets `key` (no error if absent).
    fn delete(&self, key: &str) -> Result<()>;
    /// True when secrets survive this process (an OS keyring).
    fn is_persistent(&self) -> bool;
}

/// Secrets kept in this process only: lost when it exits.
#[derive(Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.0.lock().expect("poisoned").get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.0
            .lock()
            .expect("poisoned")
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.0.lock().expect("poisoned").remove(key);
        Ok(())
    }
    fn is_persistent(&self) -> bool {
        false
    }
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
pub struct KeyringStore(());

// The keyring crates may drive their own async runtime internally; running each call on a
// plain thread keeps them from ever nesting inside the caller's tokio runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("keyring thread panicked"))
}

impl KeyringStore {
    /// Connects to the OS keyring, or explains why there is none.
    pub fn open() -> std::result::Result<Self, String> {
        off_runtime(|| {
            let entry = keyring::Entry::new(SERVICE, "probe").map_err(|e| e.to_string())?;
            match entry.get_password() {
                Ok(_) | Err(keyring::Error::NoEntry) => Ok(Self(())),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>> {
        off_runtime(|| {
            let entry =
                keyring::Entry::new(SERVICE, key).map_err(|e| Error::storage("keyring", e))?;
            match entry.get_password() {
                Ok(v) => Ok(Some(v)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(Error::storage("keyring", e)),
            }
        })
    }
    fn set(&self, key: &str, value: &str) -> Result<()> {
        off_runtime(|| {
            keyring::Entry::new(SERVICE, key)
                .and_then(|e| e.set_password(value))
                .map_err(|e| Error::storage("keyring", e))
        })
    }
    fn delete(&self, key: &str) -> Result<()> {
        off_runtime(|| {
            let entry =
                keyring::Entry::new(SERVICE, key).map_err(|e| Error::storage("keyring", e))?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(Error::storage("keyring", e)),
            }
        })
    }
    fn is_persistent(&self) -> bool {
        true
    }
}

/// The notice when secrets live in memory only.
pub const NO_KEYRING: &str = "This computer has no keyring to keep your session in: you stay signed in until the program ends.";

/// Opens the OS keyring, falling back to memory. The second value is a notice for the user
/// when secrets will not outlive this process.
pub fn open_default() -> (Arc<dyn SecretStore>, Option<String>) {
    match KeyringStore::open() {
        Ok(k) => (Arc::new(k), None),
        Err(why) => {
            // The keyring library's own words ("No default store has been set...") are for
            // `--verbose` only.
            tracing::debug!(%why, "no OS keyring");
            (
                Arc::new(MemoryStore::default()),
                Some(NO_KEYRING.to_owned()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let s = MemoryStore::default();
        assert_eq!(s.get("k").unwrap(), None);
        s.set("k", "v").unwrap();
        assert_eq!(s.get("k").unwrap().as_deref(), Some("v"));
        s.delete("k").unwrap();
        s.delete("k").unwrap();
        assert_eq!(s.get("k").unwrap(), None);
        assert!(!s.is_persistent());
    }

    // `open_default` with and without a real keyring is tested end to end, on a private
    // session bus, by tests/tests/keyring_cli.rs: a unit test here would reach the
    // developer's own keyring.
}
