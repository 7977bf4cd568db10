"""The resident portal: insured residents see their own (and, for a householder, their
household's) status, what comes next, help, and apply for an eligibility certificate.

Sign-in has two doors (docs/adr/0011-resident-sign-in.md): the デジタル認証アプリ through OpenID
Connect (`oidc.py`), and an activation letter followed by e-mail and password (`services.py`).
Every personal record is loaded through `access.py`.
"""
