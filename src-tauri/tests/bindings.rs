//! The committed `ui/src/bindings.ts` must match what the Rust commands generate.
//! `UPDATE_BINDINGS=1 cargo test -p iot-provisioner-app --test bindings` rewrites it.

use std::path::PathBuf;

#[test]
fn ui_bindings_are_up_to_date() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        iot_provisioner_app::export_bindings(&committed).unwrap();
        return;
    }
    let fresh = std::env::temp_dir().join(format!("iotp-bindings-{}.ts", std::process::id()));
    iot_provisioner_app::export_bindings(&fresh).unwrap();
    let want = std::fs::read_to_string(&fresh).unwrap();
    std::fs::remove_file(&fresh).ok();
    let have = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        want == have,
        "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p iot-provisioner-app --test bindings`"
    );
}

/// build.rs declares, the capability grants and the bindings invoke the same command set, so a
/// new command cannot be forgotten in one place (or granted without being declared).
#[test]
fn declared_granted_and_generated_commands_agree() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let names_text = std::fs::read_to_string(dir.join("src/command_names.in")).unwrap();
    let mut declared: Vec<String> = names_text
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    declared.sort();

    let cap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("capabilities/main-window.json")).unwrap(),
    )
    .unwrap();
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    granted.sort();
    let want: Vec<String> = {
        let mut v: Vec<String> = declared
            .iter()
            .map(|n| format!("allow-{}", n.replace('_', "-")))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        granted, want,
        "the capability must grant exactly the declared commands"
    );

    let bindings = std::fs::read_to_string(dir.join("../ui/src/bindings.ts")).unwrap();
    // Each generated command calls `__TAURI_INVOKE("name", ...)` (maybe with a type argument).
    let mut invoked: Vec<String> = bindings
        .match_indices("__TAURI_INVOKE")
        .filter_map(|(i, m)| {
            let rest = &bindings[i + m.len()..];
            if !rest.starts_with(['(', '<']) {
                return None;
            }
            let start = rest.find("(\"")? + 2;
            let rest = &rest[start..];
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect();
    invoked.sort();
    assert_eq!(
        invoked, declared,
        "bindings.ts and command_names.in list different commands"
    );
}
