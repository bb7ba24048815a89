"""Errors of the accounts module (stable codes) and their bilingual titles.

::

    Unauthenticated   (401) "unauthenticated": no, an unknown, a revoked or expired token
    LoginFailed       (401) "login_failed": wrong identifier or password (never says which)
    AccountLocked     (423) "account_locked": too many failures; details: retry_after
    Forbidden         (403) "forbidden": the role, scope or tree does not allow it
    OutOfScope        (403) "out_of_scope": the token's scopes do not cover the route
                            (details.needs_scope); credential routes need a full sign-in
    NotVerified       (403) "not_verified": the dealer has no approved real-name check
    UserNotFound      (404) "user_not_found"
    OrgNotFound       (404) "org_not_found"
    IdentityInvalid   (400) "identity_invalid": phone, e-mail, ID or credit code malformed
    OtpInvalid        (400) "otp_invalid": wrong, used or expired one-time code
    PasswordWeak      (400) "password_weak"
    ImageInvalid      (400) "image_invalid": an upload that is not an accepted image
    PasskeyInvalid    (400) "passkey_invalid": a WebAuthn response that does not verify
"""

from __future__ import annotations

from veriseal.errors import InvalidInput, NotFound, VerisealError
from veriseal.i18n import register


class Unauthenticated(VerisealError):
    code = "unauthenticated"
    http_status = 401
    exit_code = 10


class LoginFailed(Unauthenticated):
    code = "login_failed"


class AccountLocked(VerisealError):
    code = "account_locked"
    http_status = 423
    exit_code = 10


class Forbidden(VerisealError):
    code = "forbidden"
    http_status = 403
    exit_code = 11


class OutOfScope(Forbidden):
    code = "out_of_scope"


class NotVerified(Forbidden):
    code = "not_verified"


class UserNotFound(NotFound):
    code = "user_not_found"


class OrgNotFound(NotFound):
    code = "org_not_found"


class IdentityInvalid(InvalidInput):
    code = "identity_invalid"


class OtpInvalid(InvalidInput):
    code = "otp_invalid"


class PasswordWeak(InvalidInput):
    code = "password_weak"


class ImageInvalid(InvalidInput):
    code = "image_invalid"


class PasskeyInvalid(InvalidInput):
    code = "passkey_invalid"


register(
    {
        "error.unauthenticated": ("Sign-in required", "请先登录"),
        "error.login_failed": ("Wrong account or password", "账号或密码错误"),
        "error.account_locked": ("Account temporarily locked", "账号已临时锁定"),
        "error.forbidden": ("Not allowed", "无权执行此操作"),
        "error.out_of_scope": ("Not within this token's scopes", "超出此令牌的授权范围"),
        "error.not_verified": ("Real-name verification required", "需要先通过实名认证"),
        "error.user_not_found": ("No such user", "用户不存在"),
        "error.org_not_found": ("No such organisation", "机构不存在"),
        "error.identity_invalid": ("Invalid identity data", "身份信息无效"),
        "error.otp_invalid": ("Wrong or expired verification code", "验证码错误或已过期"),
        "error.password_weak": ("Password too weak", "密码强度不足"),
        "error.image_invalid": ("Not an accepted image", "图片格式不受支持"),
        "error.passkey_invalid": ("Passkey check failed", "通行密钥验证失败"),
    }
)
