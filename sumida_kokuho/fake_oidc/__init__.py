"""A small fake OpenID provider standing in for the デジタル認証アプリ, for the tests and the demo.

Installed (INSTALLED_APPS and URLs) only when settings.FAKE_OIDC is true. It signs ID tokens with
a throwaway RSA key made per process, and its sign-in page can be told to misbehave (wrong issuer,
audience or nonce, an expired or badly signed token, a refusal) so the client's checks are tested
against the real HTTP flow. Nothing here is fit for production, by design.
"""
