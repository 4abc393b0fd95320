//! `--sec2-credentials FILE`: a security 2 salt and verifier made elsewhere from a username and
//! password, as ESP-IDF firmware is built with the pair `esp_prov --sec2_gen_cred` prints.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use zeroize::Zeroizing;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sec2File {
    salt: String,
    verifier: String,
}

/// A salt and verifier read from the file.
pub struct Sec2Credentials {
    pub salt: Vec<u8>,
    pub verifier: Zeroizing<Vec<u8>>,
}

fn unhex(field: &str, s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    if s.is_empty() || s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{field} must be a non-empty even-length hex string");
    }
    Ok((0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("checked hex"))
        .collect())
}

/// Reads `{"salt": HEX, "verifier": HEX}`; the device session checks the lengths.
pub fn load(path: &Path) -> anyhow::Result<Sec2Credentials> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading --sec2-credentials {}", path.display()))?,
    );
    let mut file: Sec2File = serde_json::from_str(&text).with_context(|| {
        format!(
            "--sec2-credentials {}: expected {{\"salt\": HEX, \"verifier\": HEX}}",
            path.display()
        )
    })?;
    let verifier_hex = Zeroizing::new(std::mem::take(&mut file.verifier));
    Ok(Sec2Credentials {
        salt: unhex("salt", &file.salt)?,
        verifier: Zeroizing::new(unhex("verifier", &verifier_hex)?),
    })
}
