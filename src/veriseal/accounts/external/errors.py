"""Errors of third-party sign-in (stable codes) and their bilingual titles.

::

    ExternalProviderUnknown      (404) "external_provider_unknown": no provider of that name
                                       is configured
    ExternalStateInvalid         (400) "external_state_invalid": the callback's state is
                                       unknown, used, expired, or for another provider,
                                       purpose or user (start again)
    ExternalAuthFailed           (400) "external_auth_failed": the provider refused the code,
                                       or its answer does not verify (ID token signature,
                                       issuer, audience, expiry, nonce; Alipay's signature)
    ExternalProviderUnavailable  (502) "external_provider_unavailable": the provider could
                                       not be reached or answered something unreadable
    ExternalAccountExists        (409) "external_account_exists": an account already has
                                       the identity's verified e-mail or phone; it is never
                                       linked silently (that would hand the account to
                                       whoever controls the outside identity): sign in to
                                       that account and link the provider there
    ExternalIdentityTaken        (409) "external_identity_taken": the identity is linked to
                                       another account, or this account has another
                                       identity of the provider already
    ExternalLastSignIn           (409) "external_last_sign_in": unlinking would leave the
                                       account without any way to sign in
"""

from __future__ import annotations

from veriseal.errors import Conflict, InvalidInput, NotFound, VerisealError
from veriseal.i18n import register


class ExternalProviderUnknown(NotFound):
    code = "external_provider_unknown"


class ExternalStateInvalid(InvalidInput):
    code = "external_state_invalid"


class ExternalAuthFailed(InvalidInput):
    code = "external_auth_failed"


class ExternalProviderUnavailable(VerisealError):
    code = "external_provider_unavailable"
    http_status = 502
    exit_code = 8


class ExternalAccountExists(Conflict):
    code = "external_account_exists"


class ExternalIdentityTaken(Conflict):
    code = "external_identity_taken"


class ExternalLastSignIn(Conflict):
    code = "external_last_sign_in"


register(
    {
        "error.external_provider_unknown": ("No such sign-in provider", "没有该第三方登录方式"),
        "error.external_state_invalid": (
            "This sign-in link is used or expired: start again",
            "登录链接已使用或已过期，请重新登录",
        ),
        "error.external_auth_failed": ("Third-party sign-in failed", "第三方登录失败"),
        "error.external_provider_unavailable": (
            "The sign-in provider cannot be reached: try again later",
            "无法连接第三方登录服务，请稍后再试",
        ),
        "error.external_account_exists": (
            "An account with this e-mail or phone exists: sign in to it, then link this"
            " provider from your account page",
            "已有账号使用此邮箱或手机号：请先登录该账号，再在账号页面绑定此登录方式",
        ),
        "error.external_identity_taken": (
            "This outside account is linked to another account",
            "该第三方账号已绑定其他账号",
        ),
        "error.external_last_sign_in": (
            "Set a password or link another sign-in first: this is your only way to sign in",
            "这是您唯一的登录方式：请先设置密码或绑定其他登录方式",
        ),
    }
)
