//! AWS back end (placeholder).
