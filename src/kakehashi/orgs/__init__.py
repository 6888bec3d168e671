"""Organisation workspaces: a firm's own data, kept apart from the public warehouse.

The public warehouse is read-only; organisations (firms, business federations,
a dialogue's secretariat) keep their uploads in a separate folder
(``$KAKEHASHI_ORGS``, default ``./kakehashi-orgs``) that the server may write.

Modules
-------
crypto
    The key (``$KAKEHASHI_SECRET_KEY`` or a key file of mode 0600) and AES-GCM
    encryption at rest (``cryptography``'s AEAD; nothing home-made).
tokens
    API tokens: shown once, stored only as a salted scrypt hash, compared in
    constant time (:func:`hmac.compare_digest`).
store
    The workspace folder: organisations, their tokens and their encrypted
    uploads, written atomically (temporary file, then :func:`os.replace`).
bom
    A firm's bill of materials: strict parsing and validation (nothing stored
    when one line is wrong).
exposure
    The formulas of a firm's exposure (direct and look-through rival shares).
matching
    The export-potential formula (Decreux & Spies 2016 structure) and the
    firm-level matching of needs to capabilities.
pooled
    The secretariat's pooled view with statistical-disclosure control
    (threshold, dominance and complementary suppression).

Importing this package loads nothing heavy.
"""
