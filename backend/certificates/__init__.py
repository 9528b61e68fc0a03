"""E-certificates (电子证照): issuers with rotating signing keys, certificate types,
certificates signed into a QR code any phone can verify offline, signed status lists for
revocation, a citizen's wallet and use by consent at a hall's window (无证明城市)."""
