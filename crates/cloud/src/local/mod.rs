//! The self-hosted back ends of `provisiond`: SQLite registry and accounts, a local CA, and
//! mosquitto as the broker. Nothing here is used by the AWS deployment.

pub mod accounts;
pub mod authority;
pub mod broker;
pub mod ca;
pub mod crl;
pub mod db;
pub mod files;
pub mod jwt;
pub mod mqtt_watch;
pub mod random;
pub mod server;
pub mod store;
pub mod tls;
