"""Third-party sign-in: OpenID Connect, WeChat and Alipay (docs/accounts.md).

- :mod:`.base`: the :class:`ExternalProvider` protocol and :class:`ExternalIdentity`;
- :mod:`.oidc`, :mod:`.wechat`, :mod:`.alipay` (+ :mod:`.alipay_sign`): the protocols;
- :mod:`.settings`: ``[auth.providers.<name>]`` config tables -> providers;
- :mod:`.service`: :class:`ExternalSignIn`, the rules (state, accounts, linking);
- :mod:`.store`: its SQL (migration 0015).
"""
