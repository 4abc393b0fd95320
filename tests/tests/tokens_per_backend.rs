//! Finding 8 of the security review: tokens belong to the server that issued them, not to a
//! profile's name. A user signs in to a real provisiond, then the same profile is pointed at
//! another server (a typo, a pasted URL, or a hostile one on this machine): that server must
//! never receive the first one's ID or refresh token, neither right away nor after a restart.
//! Going back to the first server finds the session again; sign-out revokes it there and
//! deletes it here.

use std::sync::{Arc, Mutex};

use e2e::{Cloud, RunDir};
use provisioner::ErrorCode;
use provisioner::app::Provisioner;
use provisioner::cloud::CloudClient;
use provisioner::http::Api;
use provisioner::profile::{Backend, Paths, Profile};
use provisioner::secrets::{MemoryStore, SecretStore};
use provisioner::validate::Serial;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const EMAIL: &str = "tokens@example.com";
const PW: &str = "tokens-Account-Pw-1";
const SERIAL: &str = "SN-TOKENS-0001";

/// A plain-HTTP server on loopback that keeps every request it gets (head and body) and
/// answers each with 401 `invalid_token`.
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let (read, mut write) = conn.into_split();
                    let mut read = BufReader::new(read);
                    let mut request = String::new();
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        request.push_str(&line);
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; length.min(1 << 20)];
                    let _ = read.read_exact(&mut body).await;
                    request.push_str(&String::from_utf8_lossy(&body));
                    log.lock().unwrap().push(request);
                    let answer = r#"{"code":"invalid_token","message":"not here"}"#;
                    let head = format!(
                        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        answer.len()
                    );
                    let _ = write.write_all(head.as_bytes()).await;
                    let _ = write.write_all(answer.as_bytes()).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Self { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn profile(backend: Backend) -> Profile {
    Profile {
        name: "default".into(),
        backend,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_moved_to_another_server_never_sends_it_the_first_servers_tokens() {
    let run = RunDir::new();
    let cloud = Cloud::start(&run);
    cloud.add_serials(&[SERIAL]);
    let secrets = Arc::new(MemoryStore::default());
    let store: Arc<dyn SecretStore> = secrets.clone();
    let paths = Paths::under(&run.path().join("host"));
    let real = Backend::SelfHosted {
        url: cloud.api.clone(),
        ca_path: Some(cloud.ca.clone()),
    };

    let p = Provisioner::open(paths.clone(), store.clone(), None)
        .await
        .unwrap();
    p.set_profile(profile(real.clone()), None).await.unwrap();
    p.sign_up(EMAIL, PW).await.unwrap();
    p.confirm_sign_up(EMAIL, &cloud.user_code(EMAIL))
        .await
        .unwrap();
    p.sign_in(EMAIL, PW).await.unwrap();
    p.device_status(SERIAL).await.unwrap();
    let kept: serde_json::Value =
        serde_json::from_str(&secrets.get(&real.token_key()).unwrap().unwrap()).unwrap();
    let id_token = kept["id_token"].as_str().unwrap().to_owned();
    let refresh_token = kept["refresh_token"].as_str().unwrap().to_owned();

    // The same profile, now another server.
    let other = Recorder::start().await;
    let elsewhere = Backend::SelfHosted {
        url: other.url.clone(),
        ca_path: None,
    };
    p.set_profile(profile(elsewhere.clone()), None)
        .await
        .unwrap();
    let err = p.device_status(SERIAL).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err:?}");
    assert_eq!(p.current_account().await, None);
    // A new process with the same keyring and the edited profile.
    let again = Provisioner::open(paths.clone(), store.clone(), None)
        .await
        .unwrap();
    let err = again.device_status(SERIAL).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err:?}");
    again.sign_out().await.unwrap();
    for request in other.requests() {
        assert!(
            !request.contains(&id_token) && !request.contains(&refresh_token),
            "the other server got the first one's token:\n{request}"
        );
    }

    // Back on the real server, the session is there; sign-out ends it on both sides.
    again
        .set_profile(profile(real.clone()), None)
        .await
        .unwrap();
    assert_eq!(again.current_account().await.as_deref(), Some(EMAIL));
    again.device_status(SERIAL).await.unwrap();
    again.sign_out().await.unwrap();
    assert_eq!(secrets.get(&real.token_key()).unwrap(), None);
    let err = again.device_status(SERIAL).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err:?}");
    // ...and the server refuses the old ID token itself.
    let api = Api::with_ca_file(&cloud.api, Some(&cloud.ca)).unwrap();
    let refused = CloudClient::new(api)
        .device(&id_token, &Serial::parse(SERIAL).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused.code,
            ErrorCode::SessionExpired | ErrorCode::NotSignedIn | ErrorCode::BadCredentials
        ),
        "{refused:?}"
    );
    run.assert_no_secrets(&[PW, &id_token, &refresh_token]);
}
