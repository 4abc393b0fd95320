//! Writes one device's factory partition image (`firmware_core::factory`), the file a
//! production line flashes into the board's `iotp_factory` partition:
//!
//! ```sh
//! IOTP_DEVICE_POP=abcd1234 cargo run -p firmware-core --features std --bin factory-image -- \
//!     --serial SN-0001 --model iotp-esp32c3 --out factory.bin
//! ```
//!
//! Security 2: the image holds a fresh salt and the SRP verifier, never the PoP. The PoP comes
//! from the environment, not the command line, so it does not show in the process list.

use std::io::Read;
use std::process::ExitCode;

use firmware_core::factory::{FactoryData, FactorySecurity};
use protocol::security::DEFAULT_SEC2_USERNAME;
use protocol::security::manufacture::{SALT_LEN, sec2_verifier};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut serial, mut model, mut out) = (None, String::from("iotp-esp32c3"), None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--serial" => serial = args.next(),
            "--model" => model = args.next().unwrap_or_default(),
            "--out" => out = args.next(),
            _ => {
                eprintln!(
                    "usage: factory-image --serial SN [--model M] --out FILE (PoP in IOTP_DEVICE_POP)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let (Some(serial), Some(out)) = (serial, out) else {
        eprintln!("factory-image: --serial and --out are required");
        return ExitCode::from(2);
    };
    let Some(pop) = std::env::var_os("IOTP_DEVICE_POP").filter(|p| !p.is_empty()) else {
        eprintln!("factory-image: set IOTP_DEVICE_POP to the code on the device's label");
        return ExitCode::from(2);
    };
    let mut salt = [0u8; SALT_LEN];
    if let Err(e) = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut salt)) {
        eprintln!("factory-image: no system randomness: {e}");
        return ExitCode::FAILURE;
    }
    // esp_prov hashes the salt as an integer: a leading zero byte would be dropped.
    salt[0] |= 1;
    let verifier = sec2_verifier(
        DEFAULT_SEC2_USERNAME.as_bytes(),
        pop.as_encoded_bytes(),
        &salt,
    );
    let data = FactoryData {
        serial,
        model,
        security: FactorySecurity::Sec2 {
            salt: salt.to_vec(),
            verifier,
        },
    };
    let image = match data.encode() {
        Ok(image) => image,
        Err(e) => {
            eprintln!("factory-image: {e:?} (serial and model are at most 255 bytes)");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(&out, &image[..]) {
        eprintln!("factory-image: cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "factory-image: wrote {} bytes to {out} (security 2)",
        image.len()
    );
    ExitCode::SUCCESS
}
