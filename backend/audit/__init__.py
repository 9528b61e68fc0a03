"""The audit trail: who signed in, failed, was locked out, changed an account or a password,
restored a sync conflict; read by administrators."""
