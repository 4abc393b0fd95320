//! Firmware core (placeholder).
