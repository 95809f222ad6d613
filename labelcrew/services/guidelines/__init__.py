"""Guidelines: versions with numbered rules, acknowledgement, revision -> relabel."""
