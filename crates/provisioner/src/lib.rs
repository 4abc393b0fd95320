//! Host core (placeholder).
