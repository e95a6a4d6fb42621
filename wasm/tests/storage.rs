//! The Web Storage session stores, in a real browser (run by wasm-bindgen-test in headless Chromium).

use sealbase::crypto::Seed;
use sealbase::protocol::SessionSecret;
use sealbase::store::{SessionStore, StoredSession, StoredState};
use sealbase_wasm::storage::{key, Area, WebStorage};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn window_storage(area: Area) -> web_sys::Storage {
    let window = web_sys::window().unwrap();
    match area {
        Area::Local => window.local_storage().unwrap().unwrap(),
        Area::Session => window.session_storage().unwrap().unwrap(),
    }
}

fn signed_in(username: &str) -> StoredState {
    StoredState {
        last_used_username: Some(username.into()),
        session: Some(StoredSession {
            username: username.into(),
            session_id: "5f0e7a4c-0000-4000-8000-000000000000".into(),
            secret: SessionSecret::from_bytes([7; 32]),
            expiration_date: "2026-11-23T00:00:00.000Z".into(),
            session_length: 24.0,
            seed: Seed::from_bytes([9; 32]),
        }),
    }
}

#[wasm_bindgen_test]
fn each_area_keeps_its_own_entries_namespaced_by_app() {
    let local = WebStorage(Area::Local);
    let session = WebStorage(Area::Session);
    local.save("app-a", &signed_in("ada")).unwrap();
    session.save("app-b", &signed_in("bob")).unwrap();

    assert_eq!(local.load("app-a").unwrap(), Some(signed_in("ada")));
    assert_eq!(session.load("app-a").unwrap(), None, "sessionStorage holds nothing of app-a");
    assert_eq!(local.load("app-b").unwrap(), None, "localStorage holds nothing of app-b");
    assert!(window_storage(Area::Local).get_item(&key("app-a")).unwrap().is_some());
    assert!(window_storage(Area::Session).get_item(&key("app-b")).unwrap().is_some());

    local.remove("app-a").unwrap();
    session.remove("app-b").unwrap();
    assert_eq!(window_storage(Area::Local).get_item(&key("app-a")).unwrap(), None);
    assert_eq!(window_storage(Area::Session).get_item(&key("app-b")).unwrap(), None);
}

#[wasm_bindgen_test]
fn removing_one_app_leaves_the_others() {
    let local = WebStorage(Area::Local);
    local.save("app-c", &signed_in("carol")).unwrap();
    local.save("app-d", &StoredState { last_used_username: Some("dave".into()), session: None }).unwrap();
    local.remove("app-c").unwrap();
    assert_eq!(local.load("app-c").unwrap(), None);
    assert_eq!(local.load("app-d").unwrap().and_then(|s| s.last_used_username).as_deref(), Some("dave"));
    local.remove("app-d").unwrap();
}

#[wasm_bindgen_test]
fn a_foreign_value_under_the_key_is_reported_not_overwritten_silently() {
    window_storage(Area::Local).set_item(&key("app-e"), "not json").unwrap();
    let error = WebStorage(Area::Local).load("app-e").unwrap_err();
    assert_eq!(error.name(), "SessionStoreNotValid");
    assert_eq!(window_storage(Area::Local).get_item(&key("app-e")).unwrap().as_deref(), Some("not json"));
    window_storage(Area::Local).remove_item(&key("app-e")).unwrap();
}

#[wasm_bindgen_test]
fn stored_secrets_are_base64url_not_byte_arrays() {
    WebStorage(Area::Session).save("app-f", &signed_in("fay")).unwrap();
    let raw = window_storage(Area::Session).get_item(&key("app-f")).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(json["session"]["secret"], "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc");
    assert_eq!(json["lastUsedUsername"], "fay");
    WebStorage(Area::Session).remove("app-f").unwrap();
}
