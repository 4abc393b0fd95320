//! The per-certificate IoT policy: a device may connect only as itself and touch only its
//! own topics.

use serde_json::json;

/// Policy names this service creates start with this, so the Lambda's role can be limited
/// to `policy/dev-*` and re-keying never deletes a policy someone else made.
pub const POLICY_PREFIX: &str = "dev-";

/// Name of the policy attached to one certificate of one thing.
///
/// One policy per certificate (not per thing) so that retiring a certificate can delete its
/// policy without a window in which the new certificate has none. Fits IoT's 128-character
/// limit: 4 + 32 (longest serial) + 1 + 64 (certificate id).
pub fn policy_name(thing: &str, certificate_id: &str) -> String {
    format!("{POLICY_PREFIX}{thing}-{certificate_id}")
}

/// Whether `name` is a policy this service made for `thing` (as opposed to, e.g., the lab's
/// `Policy_<sn>`, which re-keying detaches but leaves in place).
pub fn is_own_policy(name: &str, thing: &str) -> bool {
    name.strip_prefix(POLICY_PREFIX)
        .and_then(|rest| rest.strip_prefix(thing))
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The policy document for `thing`, whose ARN (from CreateThing) gives partition, region
/// and account.
///
/// - `iot:Connect` only with client id = thing name, and only while the certificate is
///   attached to that thing (so a certificate detached during re-keying stops working even
///   before it is revoked);
/// - publish/receive on `devices/<thing>/*`, subscribe on the same topic filter.
pub fn policy_document(thing_arn: &str, thing: &str) -> Result<String, InvalidArn> {
    let base = arn_base(thing_arn)?;
    let topics = format!("{base}:topic/devices/{thing}/*");
    let filters = format!("{base}:topicfilter/devices/{thing}/*");
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iot:Connect",
                "Resource": format!("{base}:client/{thing}"),
                "Condition": { "Bool": { "iot:Connection.Thing.IsAttached": "true" } }
            },
            { "Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": topics },
            { "Effect": "Allow", "Action": "iot:Subscribe", "Resource": filters }
        ]
    });
    Ok(doc.to_string())
}

/// An ARN that is not `arn:<partition>:iot:<region>:<account>:...`.
#[derive(Debug, thiserror::Error)]
#[error("not an IoT ARN: {0:?}")]
pub struct InvalidArn(pub String);

/// `arn:<partition>:iot:<region>:<account>` of an IoT resource ARN.
fn arn_base(arn: &str) -> Result<String, InvalidArn> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iot", region, account, _]
            if !partition.is_empty() && !region.is_empty() && !account.is_empty() =>
        {
            Ok(format!("arn:{partition}:iot:{region}:{account}"))
        }
        _ => Err(InvalidArn(arn.to_owned())),
    }
}

/// The certificate id at the end of a certificate ARN (`...:cert/<id>`).
pub fn certificate_id_of(arn: &str) -> Option<&str> {
    arn.rsplit_once(":cert/")
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iot:eu-west-1:123456789012:thing/SN0001";

    #[test]
    fn document_scopes_connect_and_topics_to_the_thing() {
        let doc: serde_json::Value =
            serde_json::from_str(&policy_document(ARN, "SN0001").unwrap()).unwrap();
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(
            st[0]["Resource"],
            "arn:aws:iot:eu-west-1:123456789012:client/SN0001"
        );
        assert_eq!(
            st[0]["Condition"]["Bool"]["iot:Connection.Thing.IsAttached"],
            "true"
        );
        assert_eq!(
            st[1]["Resource"],
            "arn:aws:iot:eu-west-1:123456789012:topic/devices/SN0001/*"
        );
        assert_eq!(
            st[2]["Resource"],
            "arn:aws:iot:eu-west-1:123456789012:topicfilter/devices/SN0001/*"
        );
        let text = doc.to_string();
        assert!(!text.contains("iot:*") && !text.contains("\"*\""), "{text}");
    }

    #[test]
    fn document_refuses_a_non_iot_arn() {
        for bad in [
            "",
            "thing/SN0001",
            "arn:aws:s3:::bucket",
            "arn:aws:iot::123:thing/x",
        ] {
            assert!(policy_document(bad, "SN0001").is_err(), "{bad}");
        }
    }

    #[test]
    fn own_policy_names_are_recognised_exactly() {
        let id = "a".repeat(64);
        assert!(is_own_policy(&policy_name("SN0001", &id), "SN0001"));
        assert!(!is_own_policy(&policy_name("SN0001", &id), "SN000"));
        assert!(!is_own_policy("Policy_SN0001", "SN0001"));
        assert!(!is_own_policy("dev-SN0001-", "SN0001"));
        assert!(!is_own_policy("dev-SN0001-xyz", "SN0001"));
        assert!(policy_name("A".repeat(32).as_str(), &id).len() <= 128);
    }

    #[test]
    fn certificate_id_comes_from_the_arn() {
        assert_eq!(certificate_id_of("arn:aws:iot:r:1:cert/abc"), Some("abc"));
        assert_eq!(certificate_id_of("arn:aws:iot:r:1:cert/"), None);
        assert_eq!(certificate_id_of("arn:aws:iot:r:1:thing/abc"), None);
    }
}
