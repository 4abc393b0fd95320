//! The exact words `provision` prints at the steps where a newcomer got stuck (issue 17):
//! a profile without the self-hosted CA, an `http://` URL, an unconfirmed account, a wrong
//! code (and asking for a new one), what sign-up says on a self-hosted service, and no
//! library's own text or log line unless `--verbose` asks for it.

use e2e::{Cli, Cloud, RunDir};

const PW: &str = "words-Account-Pw-1";
const EMAIL: &str = "words@example.com";

/// `host:port` of a URL like `https://127.0.0.1:43123`.
fn host_port(url: &str) -> &str {
    url.split("://").nth(1).unwrap().trim_end_matches('/')
}

/// No log line of a library (`ERROR rustls_platform_verifier ...`, `WARN ...`) in the output.
fn no_log_lines(stderr: &str) {
    for l in stderr.lines() {
        assert!(
            !(l.contains(" ERROR ") || l.contains(" WARN ") || l.contains("rustls")),
            "a log line reached the user: {l}\n{stderr}"
        );
    }
}

#[test]
fn a_profile_without_the_ca_says_to_give_it() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    let cli = Cli::new(&run, "no-ca").env("IOTP_PASSWORD", PW);
    cli.ok(&["profile", "self-hosted", &cloud.api]);
    let host = host_port(&cloud.api);

    let o = cli.run(&["signup", EMAIL]);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr,
        format!(
            "error [unreachable]: The service at {host} has a certificate this computer does not trust. A self-hosted provisiond signs its own: give the profile its CA file (DATA_DIR/ca.pem), with `provision profile self-hosted URL --ca FILE` or the CA file in the app's Settings.\n\
             (run again with --verbose for the details)\n"
        )
    );
    no_log_lines(&o.stderr);

    // --verbose adds the TLS library's own words, after the sentence.
    let o = cli.run(&["--verbose", "signup", EMAIL]);
    assert_eq!(o.code, Some(1));
    let details = o
        .stderr
        .lines()
        .find(|l| l.starts_with("details: "))
        .unwrap_or_else(|| panic!("no details line: {}", o.stderr));
    assert!(details.contains("UnknownIssuer"), "{details}");

    // With --json: the same message, no detail unless --verbose.
    let e = cli.run(&["--json", "signup", EMAIL]).json();
    assert_eq!(e["error"]["code"], "unreachable");
    assert!(e["error"].get("detail").is_none(), "{e}");
}

#[test]
fn an_http_url_says_to_use_https() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    let cli = Cli::new(&run, "http").env("IOTP_PASSWORD", PW);
    let host = host_port(&cloud.api);
    let ca = cloud.ca.to_string_lossy().into_owned();
    let http = format!("http://{host}");
    cli.ok(&["profile", "self-hosted", &http, "--ca", &ca]);

    let o = cli.run(&["signup", EMAIL]);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr,
        format!(
            "error [unreachable]: The service at {host} did not answer plain HTTP; it speaks HTTPS: use https://{host} as the profile's URL.\n\
             (run again with --verbose for the details)\n"
        )
    );
    assert!(!o.stderr.contains("invalid HTTP version"), "{}", o.stderr);
}

#[test]
fn account_steps_name_the_next_command_and_where_the_code_is() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    let cli = Cli::new(&run, "account").env("IOTP_PASSWORD", PW);
    let ca = cloud.ca.to_string_lossy().into_owned();
    cli.ok(&["profile", "self-hosted", &cloud.api, "--ca", &ca]);

    // Sign-up on a self-hosted service: it mails nothing, so say who has the code.
    let o = cli.ok(&["signup", EMAIL]);
    assert_eq!(
        o.stdout,
        format!(
            "Account {EMAIL} created. This service sends no e-mail: its administrator reads your confirmation code with `provisiond user code {EMAIL}`. Then run `provision confirm {EMAIL} CODE`.\n"
        )
    );

    // Sign-in before confirming: the CLI's command, not the HTTP API.
    let o = cli.run(&["login", EMAIL]);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr,
        format!(
            "error [user_not_confirmed]: The account {EMAIL} is not confirmed yet. This service sends no e-mail: its administrator reads your code with `provisiond user code {EMAIL}`.\n\
             next: Confirm it with `provision confirm {EMAIL} CODE`, then sign in again.\n\
             (run again with --verbose for the details)\n"
        )
    );
    assert!(!o.stderr.contains("POST /auth"), "{}", o.stderr);

    // A wrong code: what happened, where the right one is, and how to get a new one.
    let old = cloud.user_code(EMAIL);
    let wrong = if old == "000000" { "111111" } else { "000000" };
    let o = cli.run(&["confirm", EMAIL, wrong]);
    assert_eq!(o.code, Some(1));
    assert_eq!(
        o.stderr,
        format!(
            "error [bad_code]: This code is wrong or has expired. This service sends no e-mail: ask its administrator for the current code (`provisiond user code {EMAIL}`).\n\
             next: Type the code again, or make a new one with `provision resend-code {EMAIL}`.\n\
             (run again with --verbose for the details)\n"
        )
    );

    // resend-code makes a new code; the CLI says who reads it.
    let o = cli.ok(&["resend-code", EMAIL]);
    assert_eq!(
        o.stdout,
        format!(
            "A new code was made; the old one no longer works. Its administrator reads it with `provisiond user code {EMAIL}`.\n"
        )
    );
    let new = cloud.user_code(EMAIL);
    let o = cli.ok(&["confirm", EMAIL, &new]);
    assert_eq!(
        o.stdout,
        format!("Account {EMAIL} confirmed: sign in with `provision login {EMAIL}`.\n")
    );

    // Without an OS keyring (the harness has none): one sentence, not the keyring's own text.
    let o = cli.ok(&["login", EMAIL]);
    assert_eq!(
        o.stderr,
        format!("note: {}\n", provisioner::secrets::NO_KEYRING)
    );
    assert_eq!(
        provisioner::secrets::NO_KEYRING,
        "This computer has no keyring to keep your session in: you stay signed in until the program ends."
    );
    run.assert_no_secrets(&[PW]);
}
