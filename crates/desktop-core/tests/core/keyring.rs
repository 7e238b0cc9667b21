//! The real OS keyring: kernel keyutils on Linux, which needs a session keyring that the
//! process possesses (`make test` runs the tests under `keyctl session -`); the
//! Credential Manager on Windows (`make test` runs these tests under Wine, whose
//! CredWrite/CredRead keep the entries in its prefix).

use desktop_core::{KeyringTokenStore, TokenStore};
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{os_keyring_usable, say};

#[test]
fn the_os_keyring_stores_reads_replaces_and_deletes_a_token() {
    if !os_keyring_usable() {
        say(
            "SKIPPED the_os_keyring_stores_reads_replaces_and_deletes_a_token: the OS \
             keyring is not usable here; on Linux run the tests under `keyctl session -` \
             (make test does)",
        );
        return;
    }
    let slot = format!(
        "keyring-test-{}",
        account_client::IdempotencyKey::generate().as_str()
    );
    let store = KeyringTokenStore::new("account-settings-tests", &slot);

    let empty = store.get().expect("a missing entry is not an error");
    store
        .set(&SecretString::from("first-token"))
        .expect("stored");
    let first = store.get().expect("read").expect("present");
    store
        .set(&SecretString::from("second-token"))
        .expect("replaced");
    let second = store.get().expect("read").expect("present");
    let other_slot = KeyringTokenStore::new("account-settings-tests", &format!("{slot}-other"))
        .get()
        .expect("read");
    store.delete().expect("deleted");
    let gone = store.get().expect("read");
    store.delete().expect("deleting a missing entry is fine");

    assert!(empty.is_none());
    assert_eq!(first.expose_secret(), "first-token");
    assert_eq!(second.expose_secret(), "second-token");
    assert!(other_slot.is_none(), "slots are separate");
    assert!(gone.is_none());
}

/// A store of a slot of its own, holding `token`.
#[cfg(any(target_os = "linux", windows))]
fn holding_a_token(token: &str) -> (String, KeyringTokenStore) {
    let slot = format!(
        "keyring-test-{}",
        account_client::IdempotencyKey::generate().as_str()
    );
    let store = KeyringTokenStore::new("account-settings-tests", &slot);
    store.set(&SecretString::from(token)).expect("stored");
    (slot, store)
}

/// Linux: the entry is a kernel key, found by the `keyctl` tool itself.
#[cfg(target_os = "linux")]
#[test]
fn the_keyring_entry_is_visible_to_the_kernel_keyutils_tool() {
    if !os_keyring_usable() {
        say(
            "SKIPPED the_keyring_entry_is_visible_to_the_kernel_keyutils_tool: the kernel \
             keyring is not usable here; run the tests under `keyctl session -`",
        );
        return;
    }
    let (slot, store) = holding_a_token("visible-token");

    let found = std::process::Command::new("keyctl")
        .args([
            "search",
            "@s",
            "user",
            &format!("keyring-rs:{slot}@account-settings-tests"),
        ])
        .output()
        .expect("keyctl runs");
    store.delete().expect("deleted");

    assert!(
        found.status.success(),
        "a real kernel key, not keyring's mock store: {}",
        String::from_utf8_lossy(&found.stderr)
    );
}

/// Windows: the entry is a generic credential of the Credential Manager under the name
/// `{slot}.{service}`, read straight from it by that name (`CredReadW`, not the
/// `Entry` the store goes through), holding the token; deleting the token removes it.
#[cfg(windows)]
#[test]
fn the_keyring_entry_is_a_credential_manager_credential() {
    use keyring::credential::CredentialApi;
    use keyring::windows::WinCredential;

    let (slot, store) = holding_a_token("visible-token");
    let target = format!("{slot}.account-settings-tests");
    let raw = WinCredential::new_with_target(Some(&target), "", "").expect("a valid target");
    let found = raw.get_credential();
    let secret = raw.get_password();
    store.delete().expect("deleted");
    let after_delete = raw.get_credential();

    let found = found.expect("a Credential Manager entry named {slot}.{service}");
    assert_eq!(found.target_name, target);
    assert_eq!(found.username, slot);
    assert_eq!(secret.expect("its secret reads back"), "visible-token");
    assert!(
        matches!(after_delete, Err(keyring::Error::NoEntry)),
        "deleting the token removes the credential: {after_delete:?}"
    );
}
