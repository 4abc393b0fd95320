//! Certificate service (placeholder).
