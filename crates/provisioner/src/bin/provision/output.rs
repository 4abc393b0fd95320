//! Printing results: human text, or one JSON document per result with `--json`.

use provisioner::Error;
use provisioner::wizard::{ProgressEvent, StepState};
use serde::Serialize;

/// Prints a result: JSON, or the human text.
pub fn result<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string(value).expect("results serialize")
        );
    } else {
        println!("{}", human());
    }
}

/// Prints a finished run: the JSON result, or "<serial> is online (<note>last seen <when>)."
pub fn online(json: bool, online: &provisioner::wizard::Online, note: &str) {
    result(json, online, || {
        format!(
            "{} is online ({note}last seen {}).",
            online.serial,
            online.last_seen.as_deref().unwrap_or_default()
        )
    });
}

/// Prints an error: `{"error": {code, message}}` on stdout with `--json`, else on stderr,
/// followed by what to do next when the CLI knows it. The library's own text (`detail`) only
/// with `--verbose`.
pub fn error(json: bool, verbose: bool, e: &Error, next: Option<&str>) {
    let detail = e.detail.as_deref().filter(|_| verbose);
    if json {
        let mut v = serde_json::json!({ "code": e.code, "message": e.message });
        if let Some(n) = next {
            v["next"] = n.into();
        }
        if let Some(d) = detail {
            v["detail"] = d.into();
        }
        println!("{}", serde_json::json!({ "error": v }));
    } else {
        eprintln!("error [{}]: {}", e.code, e.message);
        if let Some(n) = next {
            eprintln!("next: {n}");
        }
        match detail {
            Some(d) => eprintln!("details: {d}"),
            None if e.detail.is_some() => eprintln!("(run again with --verbose for the details)"),
            None => {}
        }
    }
}

/// A progress sink: JSON lines on stderr, or a spinner line per step.
pub fn progress(json: bool) -> impl Fn(ProgressEvent) + Send + Sync {
    let bar = (!json).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    move |ev: ProgressEvent| {
        if json {
            eprintln!("{}", serde_json::json!({ "progress": ev }));
            return;
        }
        let Some(bar) = &bar else { return };
        match &ev.state {
            StepState::Running => bar.set_message(ev.message.clone()),
            StepState::Done => bar.println(format!("  ok   {}", ev.message)),
            StepState::Failed { message, .. } => {
                bar.println(format!("  FAIL {}: {message}", ev.message))
            }
        }
        if matches!(ev.step, provisioner::wizard::Step::DeviceOnline)
            && !matches!(ev.state, StepState::Running)
        {
            bar.finish_and_clear();
        }
    }
}
