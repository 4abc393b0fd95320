//! Device-provisioning wire protocol (placeholder).
