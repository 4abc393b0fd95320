//! Shared set-up for the tests against moto: every test gets its own tables and serials, so
//! tests run in parallel on one moto server without seeing each other.

#![allow(dead_code)] // each test binary uses a different part

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use cloud::identity::{Caller, UserId};
use cloud::serial::Serial;
use cloud_aws::{Backends, Tables};
use serde_json::{Value, json};

/// The moto server's URL. Fails, never skips: these tests are the AWS back end's only check.
pub fn moto_url() -> String {
    std::env::var("IOTP_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "IOTP_MOTO_URL is not set: these tests need a moto server. Run scripts/test.sh, or \
             `source scripts/lib.sh; moto_server -H 127.0.0.1 -p 5055 &` and \
             `export IOTP_MOTO_URL=http://127.0.0.1:5055`"
        )
    })
}

/// A random lowercase hex string of `n` bytes.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A serial no other test uses (valid syntax: letter first, then hex).
pub fn fresh_serial() -> Serial {
    Serial::parse(&format!("T{}", random_hex(8).to_uppercase())).unwrap()
}

/// A fresh serial, registered in `DSN`.
pub async fn registered(backends: &Backends) -> Serial {
    let sn = fresh_serial();
    assert!(backends.store.register(&sn).await.unwrap());
    sn
}

/// A signed-in user whose id is the Cognito `sub` `name`.
pub fn user(name: &str) -> Caller {
    Caller {
        user_id: UserId(name.to_owned()),
        email: Some(format!("{name}@example.com")),
    }
}

/// The back ends on fresh tables in moto.
pub async fn backends() -> Backends {
    backends_and_tables().await.0
}

/// The back ends on fresh tables in moto, and the tables' names.
pub async fn backends_and_tables() -> (Backends, Tables) {
    let config = cloud_aws::local_config(&moto_url()).await;
    let suffix = random_hex(6);
    let tables = Tables {
        registry: format!("DSN-{suffix}"),
        last_seen: format!("DSN_last_seen-{suffix}"),
    };
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    for name in [&tables.registry, &tables.last_seen] {
        ddb.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("sn")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("sn")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot create table {name} in moto at {}: {e:?}",
                    moto_url()
                )
            });
    }
    (Backends::new(&config, tables.clone()), tables)
}

/// A PEM CSR with CN = `sn` and a fresh P-256 key, as a device makes it.
pub fn csr_for(sn: &Serial) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, sn.as_str());
    params.serialize_request(&key).unwrap().pem().unwrap()
}

/// An API Gateway REST proxy event as the template's integration delivers it.
pub fn proxy_event(
    method: &str,
    path: &str,
    query: Option<Value>,
    body: Option<String>,
    sub: Option<&str>,
) -> Value {
    let authorizer = match sub {
        Some(sub) => {
            json!({"claims": {"sub": sub, "email": format!("{sub}@example.com"), "token_use": "id"}})
        }
        None => json!({}),
    };
    json!({
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Authorization": "eyJ.fake.token"},
        "multiValueHeaders": {"Content-Type": ["application/json"], "Authorization": ["eyJ.fake.token"]},
        "queryStringParameters": query.clone(),
        "multiValueQueryStringParameters": query.map(|q| {
            let map = q.as_object().unwrap().iter().map(|(k, v)| (k.clone(), json!([v]))).collect::<serde_json::Map<_, _>>();
            Value::Object(map)
        }),
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "abc123",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "test"},
            "resourcePath": path,
            "httpMethod": method,
            "apiId": "1234567890",
            "authorizer": authorizer
        },
        "body": body,
        "isBase64Encoded": false
    })
}
