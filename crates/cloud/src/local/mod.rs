//! provisiond: self-hosted back ends.
