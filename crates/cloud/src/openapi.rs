//! The OpenAPI 3.0 document served at `/openapi.json`, written by hand next to the DTOs it
//! describes; schemathesis checks it against the running server in CI.

use serde_json::{Value, json};

use crate::error::ErrorCode;

/// The document.
pub fn document() -> Value {
    let codes: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
        .collect();
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let ok = |d: &str, schema: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let body = |schema: &str| json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    let common = |mut m: serde_json::Map<String, Value>| {
        for (s, d) in [
            ("400", "malformed request"),
            ("401", "not signed in, or bad token"),
            ("403", "unknown serial or another user's device"),
            ("404", "not found"),
            ("409", "another provisioning of this device is running"),
            ("413", "body over 64 KiB"),
            ("415", "body is not JSON"),
            (
                "429",
                "too many attempts or requests (per IP address or per account)",
            ),
            ("500", "back end failure"),
            (
                "503",
                "back end unavailable, or the service is shedding load",
            ),
        ] {
            let mut response = err(d);
            if matches!(s, "429" | "503") {
                response["headers"] = json!({"Retry-After": {
                    "description": "seconds after which a retry may succeed",
                    "schema": {"type": "integer", "minimum": 1}
                }});
            }
            m.insert(s.into(), response);
        }
        Value::Object(m)
    };
    let responses = |pairs: Vec<(&str, Value)>| {
        common(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    let secured = json!([{"bearer": []}]);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "IoT Provisioner certificate service", "version": env!("CARGO_PKG_VERSION")},
        "paths": {
            "/cert": {
                "get": {
                    "operationId": "certSeed",
                    "summary": "Seed-compatible mode: a certificate plus a cloud-made private key",
                    "security": secured,
                    "parameters": [{"name": "sn", "in": "query", "required": true, "schema": {"$ref": "#/components/schemas/Serial"}}],
                    "responses": responses(vec![("200", ok("certificate and key", "CertResponse"))])
                },
                "post": {
                    "operationId": "certCsr",
                    "summary": "Sign the device's CSR (the key stays on the device)",
                    "security": secured,
                    "requestBody": body("CsrRequest"),
                    "responses": responses(vec![("200", ok("certificate", "CertResponse"))])
                }
            },
            "/devices/{sn}": {
                "get": {
                    "operationId": "deviceStatus",
                    "summary": "Owner, certificate and online status of a device",
                    "security": secured,
                    "parameters": [{"name": "sn", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Serial"}}],
                    "responses": responses(vec![("200", ok("device", "DeviceStatus"))])
                }
            },
            "/auth/signup": {"post": {
                "operationId": "signUp", "security": [], "requestBody": body("Credentials"),
                "responses": responses(vec![("201", ok("account created, confirmation required", "AccountStatus"))])
            }},
            "/auth/confirm": {"post": {
                "operationId": "confirm", "security": [], "requestBody": body("ConfirmRequest"),
                "responses": responses(vec![("200", ok("account confirmed", "AccountStatus"))])
            }},
            "/auth/signin": {"post": {
                "operationId": "signIn", "security": [], "requestBody": body("Credentials"),
                "responses": responses(vec![("200", ok("tokens", "Tokens"))])
            }},
            "/auth/refresh": {"post": {
                "operationId": "refresh", "security": [], "requestBody": body("RefreshRequest"),
                "responses": responses(vec![("200", ok("tokens", "Tokens"))])
            }},
            "/auth/signout": {"post": {
                "operationId": "signOut", "security": secured,
                "responses": responses(vec![("200", ok("signed out", "AccountStatus"))])
            }},
            "/auth/resend": {"post": {
                "operationId": "resendCode", "security": [], "requestBody": body("EmailRequest"),
                "responses": responses(vec![("200", ok("a new confirmation code exists if the account does", "AccountStatus"))])
            }},
            "/auth/forgot": {"post": {
                "operationId": "forgotPassword", "security": [], "requestBody": body("EmailRequest"),
                "responses": responses(vec![("200", ok("a reset code exists if the account does", "AccountStatus"))])
            }},
            "/auth/confirm-forgot": {"post": {
                "operationId": "confirmForgotPassword", "security": [], "requestBody": body("ResetRequest"),
                "responses": responses(vec![("200", ok("password changed", "AccountStatus"))])
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi", "security": [],
                "responses": {"200": {"description": "this document", "content": {"application/json": {"schema": {"type": "object"}}}}}
            }}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Serial": {"type": "string", "minLength": 4, "maxLength": 32, "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{3,31}$"},
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"}
                }},
                "CsrRequest": {"type": "object", "required": ["sn", "csr"], "properties": {
                    "sn": {"$ref": "#/components/schemas/Serial"}, "csr": {"type": "string", "description": "PKCS#10 PEM, CN = sn, P-256 or RSA-2048"}
                }},
                "CertResponse": {"type": "object", "required": ["certificatePem", "certificateId", "thingName", "caPem", "mqttHost", "mqttPort", "topicPrefix", "expiresAt"], "properties": {
                    "certificatePem": {"type": "string"},
                    "privateKey": {"type": "string", "description": "GET /cert only"},
                    "certificateId": {"type": "string"},
                    "thingName": {"type": "string"},
                    "caPem": {"type": "string"},
                    "mqttHost": {"type": "string"},
                    "mqttPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "topicPrefix": {"type": "string"},
                    "expiresAt": {"type": "string", "format": "date-time"}
                }},
                "DeviceStatus": {"type": "object", "required": ["sn", "owner", "certificateId", "status", "lastSeen"], "properties": {
                    "sn": {"type": "string"},
                    "owner": {"type": "string", "nullable": true},
                    "certificateId": {"type": "string", "nullable": true},
                    "status": {"type": "string", "enum": ["registered", "provisioned", "online"]},
                    "lastSeen": {"type": "string", "format": "date-time", "nullable": true}
                }},
                "Credentials": {"type": "object", "required": ["email", "password"], "properties": {
                    "email": {"type": "string"}, "password": {"type": "string"}
                }},
                "ConfirmRequest": {"type": "object", "required": ["email", "code"], "properties": {
                    "email": {"type": "string"}, "code": {"type": "string"}
                }},
                "EmailRequest": {"type": "object", "required": ["email"], "properties": {
                    "email": {"type": "string"}
                }},
                "ResetRequest": {"type": "object", "required": ["email", "code", "password"], "properties": {
                    "email": {"type": "string"}, "code": {"type": "string"}, "password": {"type": "string"}
                }},
                "RefreshRequest": {"type": "object", "required": ["refreshToken"], "properties": {
                    "refreshToken": {"type": "string"}
                }},
                "Tokens": {"type": "object", "required": ["idToken", "refreshToken", "expiresIn"], "properties": {
                    "idToken": {"type": "string"}, "refreshToken": {"type": "string"}, "expiresIn": {"type": "integer"}
                }},
                "AccountStatus": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["confirmation_required", "confirmed", "signed_out", "code_sent", "password_changed"]}
                }}
            }
        }
    })
}
