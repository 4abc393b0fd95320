//! The self-hosted back ends of `provisiond`: SQLite registry and accounts, a local CA, and
//! mosquitto as the broker. Nothing here is used by the AWS deployment.

pub mod accounts;
pub mod audit;
pub mod authority;
pub mod broker;
pub mod ca;
pub mod conn_limits;
pub mod crl;
pub mod db;
pub mod files;
pub mod hash_pool;
pub mod jwt;
pub mod mqtt_watch;
pub mod pid_file;
pub mod random;
pub mod rate_limit;
pub mod server;
pub mod sign_outs;
pub mod store;
pub mod tls;
