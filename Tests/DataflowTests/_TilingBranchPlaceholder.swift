// Placeholder, not committed.
