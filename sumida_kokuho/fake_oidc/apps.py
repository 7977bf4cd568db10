from django.apps import AppConfig


class FakeOidcConfig(AppConfig):
    name = "sumida_kokuho.fake_oidc"
    label = "fake_oidc"
    verbose_name = "Fake OpenID provider (tests and demo only)"
