//! Reading secrets: from an environment variable, else a no-echo prompt, else one line of
//! stdin (scripts). Never from argv.

use provisioner::{Error, Result};

/// The secret in `var`, or asked for with `prompt`.
pub fn read(var: &str, prompt: &str) -> Result<String> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("{prompt}: "))
            .map_err(|e| Error::invalid(format!("Cannot read {prompt}: {e}")));
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::invalid(format!("Cannot read {prompt}: {e}")))?;
    if line.is_empty() {
        return Err(Error::invalid(format!(
            "{prompt} is needed: set {var} or type it when asked."
        )));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
