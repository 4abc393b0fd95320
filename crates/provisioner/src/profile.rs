//! Backend profiles: which service to talk to, stored as JSON in the platform config dir.
//!
//! A profile holds no secret; an AWS app client secret goes to the [`SecretStore`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::secrets::SecretStore;

/// Where this app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Profiles (`profiles.json`).
    pub config_dir: PathBuf,
    /// Crash-recovery markers (link restore, wizard progress); never secrets.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The platform's directories (XDG on Linux, Application Support on macOS, AppData on
    /// Windows).
    pub fn platform() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("org", "iot-provisioner", "provisioner")
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::Storage,
                    "Cannot find a home directory for the configuration.",
                )
            })?;
        Ok(Self {
            config_dir: dirs.config_dir().to_owned(),
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_owned(),
        })
    }

    /// Both directories under one root (tests, portable installs).
    pub fn under(root: &Path) -> Self {
        Self {
            config_dir: root.join("config"),
            state_dir: root.join("state"),
        }
    }
}

/// Which provisioning service a profile points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Backend {
    /// Amazon Cognito + API Gateway.
    Aws {
        /// AWS region, e.g. `eu-west-1`.
        region: String,
        /// Cognito user pool id.
        user_pool_id: String,
        /// Cognito app client id.
        client_id: String,
        /// Base URL of the provisioning API.
        api_url: String,
        /// Whether the app client has a secret (kept in the keyring).
        #[serde(default)]
        has_client_secret: bool,
        /// Cognito endpoint override (moto, local testing); normally absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cognito_endpoint: Option<String>,
    },
    /// The self-hosted `provisiond`.
    SelfHosted {
        /// Base URL, e.g. `https://127.0.0.1:8443`.
        url: String,
        /// PEM file of the CA that signed the server's certificate, if not a public one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_path: Option<PathBuf>,
    },
}

impl Backend {
    /// The secret store's key for this backend's tokens: `tokens/` and a SHA-256 over what
    /// identifies the server the tokens belong to and are sent to (self-hosted: the URL and
    /// the trusted CA's bytes; AWS: region, user pool, app client, API URL and any Cognito
    /// endpoint). Tokens are therefore found only by the backend that issued them: editing a
    /// profile to another server, or pointing its CA at another file, never sends the old
    /// server's tokens to the new one.
    pub fn token_key(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut field = |tag: &str, value: &[u8]| {
            // Length-prefixed, so no two field lists hash alike.
            h.update(tag.as_bytes());
            h.update((value.len() as u64).to_be_bytes());
            h.update(value);
        };
        match self {
            Self::SelfHosted { url, ca_path } => {
                field("self-hosted", canonical_url(url).as_bytes());
                match ca_path {
                    Some(path) => match std::fs::read(path) {
                        Ok(pem) => field("ca", &pem),
                        Err(_) => field("ca-path", path.as_os_str().as_encoded_bytes()),
                    },
                    None => field("ca", b"system roots"),
                }
            }
            Self::Aws {
                region,
                user_pool_id,
                client_id,
                api_url,
                cognito_endpoint,
                ..
            } => {
                field("aws", region.as_bytes());
                field("pool", user_pool_id.as_bytes());
                field("client", client_id.as_bytes());
                field("api", canonical_url(api_url).as_bytes());
                field(
                    "cognito",
                    cognito_endpoint
                        .as_deref()
                        .map(canonical_url)
                        .unwrap_or_default()
                        .as_bytes(),
                );
            }
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("tokens/{hex}")
    }

    /// Base URL of the provisioning HTTP API.
    pub fn api_url(&self) -> &str {
        match self {
            Self::Aws { api_url, .. } => api_url,
            Self::SelfHosted { url, .. } => url,
        }
    }

    /// Checks URLs and ids so a typo is reported now, not at the first request; `http://` is
    /// refused unless the host is this machine.
    pub fn validate(&self) -> Result<()> {
        let check_url = |u: &str| -> Result<()> {
            let parsed = url::Url::parse(u)
                .map_err(|e| Error::invalid(format!("\"{u}\" is not a URL: {e}.")))?;
            match parsed.scheme() {
                "https" => Ok(()),
                // Plain HTTP would send passwords and tokens in clear over the network; only a
                // server on this machine (a local test or a TLS-terminating proxy) may use it.
                "http" if is_loopback(&parsed) => Ok(()),
                "http" => Err(Error::invalid(format!(
                    "\"{u}\" uses plain http://, which would send your password and tokens unencrypted; use https:// (http:// is accepted only for this machine: 127.0.0.1, ::1 or localhost)."
                ))),
                _ => Err(Error::invalid(format!("\"{u}\" must start with https://."))),
            }
        };
        match self {
            Self::Aws {
                region,
                user_pool_id,
                client_id,
                api_url,
                ..
            } => {
                check_url(api_url)?;
                if region.is_empty() || user_pool_id.is_empty() || client_id.is_empty() {
                    return Err(Error::invalid(
                        "An AWS profile needs the region, the user pool id and the app client id.",
                    ));
                }
                Ok(())
            }
            Self::SelfHosted { url, ca_path } => {
                check_url(url)?;
                if let Some(p) = ca_path {
                    if !p.is_file() {
                        return Err(Error::invalid(format!(
                            "The CA file {} does not exist.",
                            p.display()
                        )));
                    }
                }
                Ok(())
            }
        }
    }

    /// Reads the outputs of the CloudFormation stack (`aws cloudformation describe-stacks`
    /// output, its `Outputs` list, or a flat `{key: value}` map).
    pub fn from_stack_outputs(json: &str) -> Result<Self> {
        let v: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid(format!("The stack outputs are not JSON: {e}.")))?;
        let mut map = BTreeMap::new();
        collect_outputs(&v, &mut map);
        let find = |names: &[&str]| -> Option<String> {
            names
                .iter()
                .find_map(|n| map.get(&n.to_ascii_lowercase()).cloned())
        };
        let user_pool_id = find(&["UserPoolId", "CognitoUserPoolId"])
            .ok_or_else(|| Error::invalid("The stack outputs have no UserPoolId."))?;
        let client_id = find(&["UserPoolClientId", "AppClientId", "ClientId"])
            .ok_or_else(|| Error::invalid("The stack outputs have no UserPoolClientId."))?;
        let api_url = find(&["ApiUrl", "ApiEndpoint", "ApiBaseUrl"])
            .ok_or_else(|| Error::invalid("The stack outputs have no ApiUrl."))?;
        // A pool id is "<region>_<id>", so the region is implied when not exported.
        let region = find(&["Region", "AwsRegion"])
            .or_else(|| user_pool_id.split_once('_').map(|(r, _)| r.to_owned()))
            .ok_or_else(|| Error::invalid("The stack outputs have no Region."))?;
        let b = Self::Aws {
            region,
            user_pool_id,
            client_id,
            api_url: api_url.trim_end_matches('/').to_owned(),
            has_client_secret: false,
            cognito_endpoint: None,
        };
        b.validate()?;
        Ok(b)
    }
}

/// Whether a URL's host is this machine (127.0.0.0/8, ::1 or `localhost`).
/// A URL as the `url` crate normalises it (lower-case host, default port dropped), so
/// spelling one server two ways keeps one key; the text itself if it is not a URL.
fn canonical_url(text: &str) -> String {
    url::Url::parse(text.trim())
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| text.to_owned())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn collect_outputs(v: &serde_json::Value, map: &mut BTreeMap<String, String>) {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(k)), Some(Value::String(val))) =
                (o.get("OutputKey"), o.get("OutputValue"))
            {
                map.insert(k.to_ascii_lowercase(), val.clone());
                return;
            }
            for (k, val) in o {
                match val {
                    Value::String(s) => {
                        map.entry(k.to_ascii_lowercase())
                            .or_insert_with(|| s.clone());
                    }
                    other => collect_outputs(other, map),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_outputs(x, map)),
        _ => {}
    }
}

/// A named backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Name the user chose (`default` unless told otherwise).
    pub name: String,
    /// The service.
    pub backend: Backend,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfilesFile {
    active: Option<String>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// The profiles in the config dir.
pub struct Profiles {
    path: PathBuf,
    file: ProfilesFile,
}

fn client_secret_key(profile: &str) -> String {
    format!("client-secret/{profile}")
}

impl Profiles {
    /// Loads `profiles.json` (an absent file is an empty list).
    pub fn load(paths: &Paths) -> Result<Self> {
        let path = paths.config_dir.join("profiles.json");
        let file = match std::fs::read_to_string(&path) {
            Ok(s) => serde_json::from_str(&s).map_err(|e| {
                Error::new(
                    ErrorCode::NotConfigured,
                    format!("{} is damaged ({e}); fix or delete it.", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ProfilesFile::default(),
            Err(e) => return Err(Error::storage(&path.display().to_string(), e)),
        };
        Ok(Self { path, file })
    }

    /// All profiles.
    pub fn list(&self) -> &[Profile] {
        &self.file.profiles
    }

    /// The active profile, or a message saying how to make one.
    pub fn active(&self) -> Result<&Profile> {
        let name = self.file.active.as_deref();
        self.file
            .profiles
            .iter()
            .find(|p| Some(p.name.as_str()) == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotConfigured,
                    "No backend is configured: run `provision profile self-hosted URL` or `provision profile aws --stack-outputs FILE`.",
                )
            })
    }

    /// Adds or replaces a profile, makes it active and saves. The client secret, if any,
    /// goes to `secrets`, never into the file.
    pub fn upsert(
        &mut self,
        mut profile: Profile,
        client_secret: Option<&str>,
        secrets: &dyn SecretStore,
    ) -> Result<()> {
        profile.backend.validate()?;
        if profile.name.is_empty() || profile.name.len() > 64 {
            return Err(Error::invalid("A profile name has 1 to 64 characters."));
        }
        if let Backend::Aws {
            has_client_secret, ..
        } = &mut profile.backend
        {
            match client_secret {
                Some(s) if !s.is_empty() => {
                    secrets.set(&client_secret_key(&profile.name), s)?;
                    *has_client_secret = true;
                }
                _ => {
                    secrets.delete(&client_secret_key(&profile.name))?;
                    *has_client_secret = false;
                }
            }
        }
        self.file.profiles.retain(|p| p.name != profile.name);
        self.file.active = Some(profile.name.clone());
        self.file.profiles.push(profile);
        self.save()
    }

    /// The AWS app client secret of a profile, from the keyring.
    pub fn client_secret(
        &self,
        profile: &Profile,
        secrets: &dyn SecretStore,
    ) -> Result<Option<String>> {
        match &profile.backend {
            Backend::Aws {
                has_client_secret: true,
                ..
            } => secrets.get(&client_secret_key(&profile.name))?.map(Some).ok_or_else(|| {
                Error::new(
                    ErrorCode::NotConfigured,
                    "The app client secret is not in the keyring (it is kept only for one session where there is no keyring): set the profile again.",
                )
            }),
            _ => Ok(None),
        }
    }

    fn save(&self) -> Result<()> {
        let dir = self.path.parent().expect("profiles.json has a parent");
        std::fs::create_dir_all(dir).map_err(|e| Error::storage(&dir.display().to_string(), e))?;
        let json = serde_json::to_string_pretty(&self.file).expect("profiles serialize");
        // Write-then-rename so a crash never leaves half a file.
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| Error::storage(&self.path.display().to_string(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn plain_http_is_refused_except_to_this_machine() {
        let self_hosted = |url: &str| Backend::SelfHosted {
            url: url.into(),
            ca_path: None,
        };
        for bad in [
            "http://192.168.1.10:8443",
            "http://provisioner.example.com",
            "http://127.0.0.1.example.com",
            "http://[::ffff:10.0.0.1]:8443",
        ] {
            let e = self_hosted(bad).validate().unwrap_err();
            assert!(e.to_string().contains("https://"), "{bad}: {e}");
        }
        for good in [
            "https://provisioner.example.com",
            "http://127.0.0.1:8443",
            "http://127.9.8.7",
            "http://[::1]:8443",
            "http://localhost:8443",
        ] {
            self_hosted(good)
                .validate()
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        let aws = Backend::Aws {
            region: "eu-west-1".into(),
            user_pool_id: "eu-west-1_AbC".into(),
            client_id: "c".into(),
            api_url: "http://api.example.com/prod".into(),
            has_client_secret: false,
            cognito_endpoint: None,
        };
        assert!(aws.validate().is_err());
    }

    #[test]
    fn token_keys_name_the_server_not_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let (ca_a, ca_b) = (dir.path().join("a.pem"), dir.path().join("b.pem"));
        std::fs::write(&ca_a, "CA A").unwrap();
        std::fs::write(&ca_b, "CA B").unwrap();
        let hosted = |url: &str, ca: &PathBuf| Backend::SelfHosted {
            url: url.into(),
            ca_path: Some(ca.clone()),
        };
        let a = hosted("https://127.0.0.1:8443", &ca_a).token_key();
        assert!(
            a.starts_with("tokens/") && a.len() == "tokens/".len() + 32,
            "{a}"
        );
        // One server spelt two ways is one key; another URL or another CA is another key.
        assert_eq!(a, hosted("HTTPS://127.0.0.1:8443/", &ca_a).token_key());
        assert_ne!(a, hosted("https://127.0.0.1:9443", &ca_a).token_key());
        assert_ne!(a, hosted("https://127.0.0.1:8443", &ca_b).token_key());
        let aws = |client: &str| Backend::Aws {
            region: "eu-west-1".into(),
            user_pool_id: "eu-west-1_AbC".into(),
            client_id: client.into(),
            api_url: "https://127.0.0.1:8443".into(),
            has_client_secret: false,
            cognito_endpoint: None,
        };
        assert_ne!(aws("c1").token_key(), aws("c2").token_key());
        assert_ne!(aws("c1").token_key(), a);
    }

    #[test]
    fn stack_outputs_in_describe_stacks_shape() {
        let json = r#"{"Stacks":[{"StackName":"iot","Outputs":[
            {"OutputKey":"UserPoolId","OutputValue":"eu-west-1_AbC"},
            {"OutputKey":"UserPoolClientId","OutputValue":"client123"},
            {"OutputKey":"ApiUrl","OutputValue":"https://x.execute-api.eu-west-1.amazonaws.com/prod/"}]}]}"#;
        let b = Backend::from_stack_outputs(json).unwrap();
        assert_eq!(
            b,
            Backend::Aws {
                region: "eu-west-1".into(),
                user_pool_id: "eu-west-1_AbC".into(),
                client_id: "client123".into(),
                api_url: "https://x.execute-api.eu-west-1.amazonaws.com/prod".into(),
                has_client_secret: false,
                cognito_endpoint: None,
            }
        );
    }

    #[test]
    fn stack_outputs_flat_map_and_missing_key() {
        let b = Backend::from_stack_outputs(
            r#"{"UserPoolId":"us-east-1_Z","UserPoolClientId":"c","ApiUrl":"https://a.b","Region":"us-east-2"}"#,
        )
        .unwrap();
        assert!(matches!(b, Backend::Aws { region, .. } if region == "us-east-2"));
        let e = Backend::from_stack_outputs(r#"{"UserPoolId":"us-east-1_Z"}"#).unwrap_err();
        assert!(e.message.contains("UserPoolClientId"), "{}", e.message);
        assert!(Backend::from_stack_outputs("nope").is_err());
    }

    #[test]
    fn profiles_persist_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let secrets = MemoryStore::default();
        let mut p = Profiles::load(&paths).unwrap();
        assert_eq!(p.active().unwrap_err().code, ErrorCode::NotConfigured);
        let aws = Backend::from_stack_outputs(
            r#"{"UserPoolId":"us-east-1_Z","UserPoolClientId":"c","ApiUrl":"https://a.b"}"#,
        )
        .unwrap();
        p.upsert(
            Profile {
                name: "prod".into(),
                backend: aws,
            },
            Some("very-secret-value"),
            &secrets,
        )
        .unwrap();
        let text = std::fs::read_to_string(paths.config_dir.join("profiles.json")).unwrap();
        assert!(!text.contains("very-secret-value"));
        let again = Profiles::load(&paths).unwrap();
        let active = again.active().unwrap();
        assert_eq!(active.name, "prod");
        assert_eq!(
            again.client_secret(active, &secrets).unwrap().as_deref(),
            Some("very-secret-value")
        );
        // Without the keyring entry the user is told what to do.
        let empty = MemoryStore::default();
        assert_eq!(
            again.client_secret(active, &empty).unwrap_err().code,
            ErrorCode::NotConfigured
        );
    }

    #[test]
    fn bad_profiles_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut p = Profiles::load(&paths).unwrap();
        let bad = Profile {
            name: "x".into(),
            backend: Backend::SelfHosted {
                url: "ftp://x".into(),
                ca_path: None,
            },
        };
        assert_eq!(
            p.upsert(bad, None, &MemoryStore::default())
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
        assert!(!paths.config_dir.join("profiles.json").exists());
        let missing_ca = Profile {
            name: "x".into(),
            backend: Backend::SelfHosted {
                url: "https://127.0.0.1:1".into(),
                ca_path: Some(dir.path().join("nope.pem")),
            },
        };
        assert!(p.upsert(missing_ca, None, &MemoryStore::default()).is_err());
    }

    #[test]
    fn damaged_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        std::fs::create_dir_all(&paths.config_dir).unwrap();
        std::fs::write(paths.config_dir.join("profiles.json"), "{").unwrap();
        assert_eq!(
            Profiles::load(&paths).err().unwrap().code,
            ErrorCode::NotConfigured
        );
    }
}
