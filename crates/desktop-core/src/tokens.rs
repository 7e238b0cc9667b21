//! Where the session token lives: the OS keyring, never a file.
//!
//! Contract of [`TokenStore`]: one slot per store; `get` of an empty slot is `Ok(None)`
//! (not an error: it just means "signed out"); `delete` of an empty slot succeeds.
//! Tokens are [`SecretString`]s from the moment they are read.
//!
//! [`KeyringTokenStore`] uses the platform store: Keychain on macOS, Credential Manager
//! on Windows, and on Linux the Secret Service (persistent) fronted by the kernel's
//! keyutils, or keyutils alone when no Secret Service answers (a headless session, a
//! minimal desktop). The backend is chosen explicitly, never keyring's silent mock.
//! [`MemoryTokenStore`] is for unit tests.

use std::fmt;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
#[error("the OS keyring failed: {0}")]
pub struct TokenStoreError(String);

/// One slot holding the session token.
pub trait TokenStore: Send + Sync + fmt::Debug {
    fn get(&self) -> Result<Option<SecretString>, TokenStoreError>;
    fn set(&self, token: &SecretString) -> Result<(), TokenStoreError>;
    fn delete(&self) -> Result<(), TokenStoreError>;
}

/// A token kept in process memory only; for unit tests and helpers.
#[derive(Default)]
pub struct MemoryTokenStore(Mutex<Option<SecretString>>);

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_token(token: SecretString) -> Self {
        Self(Mutex::new(Some(token)))
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryTokenStore([REDACTED])")
    }
}

impl TokenStore for MemoryTokenStore {
    fn get(&self) -> Result<Option<SecretString>, TokenStoreError> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    fn set(&self, token: &SecretString) -> Result<(), TokenStoreError> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(())
    }

    fn delete(&self) -> Result<(), TokenStoreError> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }
}

/// The keyring service the desktop app keeps its session token under.
pub const APP_KEYRING_SERVICE: &str = "com.example.account-settings";

/// The OS keyring, under `service` / `slot`.
#[derive(Debug, Clone)]
pub struct KeyringTokenStore {
    service: String,
    slot: String,
    /// Whether a Secret Service answered, probed once (Linux only).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    secret_service: std::sync::OnceLock<bool>,
}

impl KeyringTokenStore {
    pub fn new(service: &str, slot: &str) -> Self {
        Self {
            service: service.to_owned(),
            slot: slot.to_owned(),
            secret_service: std::sync::OnceLock::new(),
        }
    }

    /// The app's store for the profile kept in `data_dir`: one token per data
    /// directory, so two profiles (or two test runs) never share a session.
    pub fn for_data_dir(data_dir: &std::path::Path) -> Self {
        Self::new(APP_KEYRING_SERVICE, &data_dir.to_string_lossy())
    }

    #[cfg(target_os = "linux")]
    fn entry(&self) -> Result<keyring::Entry, TokenStoreError> {
        use keyring::keyutils::KeyutilsCredential;
        use keyring::secret_service::SsCredential;
        let fail = |e: keyring::Error| TokenStoreError(e.to_string());
        // Probe the Secret Service: where it answers, the persistent store (keyutils
        // in front of it) survives reboots; where it does not, keyutils alone works.
        let secret_service_answers = *self.secret_service.get_or_init(|| {
            SsCredential::new_with_target(None, &self.service, &self.slot)
                .map(|c| {
                    matches!(
                        keyring::credential::CredentialApi::get_password(&c),
                        Ok(_) | Err(keyring::Error::NoEntry)
                    )
                })
                .unwrap_or(false)
        });
        if secret_service_answers {
            keyring::Entry::new(&self.service, &self.slot).map_err(fail)
        } else {
            let credential = KeyutilsCredential::new_with_target(None, &self.service, &self.slot)
                .map_err(fail)?;
            Ok(keyring::Entry::new_with_credential(Box::new(credential)))
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self) -> Result<keyring::Entry, TokenStoreError> {
        keyring::Entry::new(&self.service, &self.slot).map_err(|e| TokenStoreError(e.to_string()))
    }
}

impl TokenStore for KeyringTokenStore {
    fn get(&self) -> Result<Option<SecretString>, TokenStoreError> {
        match self.entry()?.get_password() {
            Ok(token) => Ok(Some(SecretString::from(token))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(TokenStoreError(e.to_string())),
        }
    }

    fn set(&self, token: &SecretString) -> Result<(), TokenStoreError> {
        self.entry()?
            .set_password(token.expose_secret())
            .map_err(|e| TokenStoreError(e.to_string()))
    }

    fn delete(&self) -> Result<(), TokenStoreError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(TokenStoreError(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_is_empty_then_holds_then_forgets_a_token() {
        let store = MemoryTokenStore::new();

        let empty = store.get().expect("get");
        store.set(&SecretString::from("t0ken")).expect("set");
        let held = store
            .get()
            .expect("get")
            .map(|t| t.expose_secret().to_owned());
        store.delete().expect("delete");
        store.delete().expect("deleting an empty slot is fine");

        assert!(empty.is_none());
        assert_eq!(held.as_deref(), Some("t0ken"));
        assert!(store.get().expect("get").is_none());
        assert!(!format!("{store:?}").contains("t0ken"));
    }
}
