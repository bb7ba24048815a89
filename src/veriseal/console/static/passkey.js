// Passkeys (WebAuthn) in the console: sign in (#passkey-signin) and add one on the
// account page (#passkey-register). The buttons stay hidden where the browser has no
// WebAuthn; the password form always works.
(function () {
  "use strict";
  var csrf = document.body.dataset.csrf;
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  function text(en, cn) { return zh ? cn : en; }
  function b64u(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64u(value) {
    var s = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out.buffer;
  }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {})}).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }
  function credentialJSON(cred) {
    var r = cred.response, out = {id: cred.id, rawId: b64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(), response: {
        clientDataJSON: b64u(r.clientDataJSON)}};
    if (r.attestationObject) {
      out.response.attestationObject = b64u(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = b64u(r.authenticatorData);
      out.response.signature = b64u(r.signature);
      if (r.userHandle) { out.response.userHandle = b64u(r.userHandle); }
    }
    if (cred.authenticatorAttachment) { out.authenticatorAttachment = cred.authenticatorAttachment; }
    return out;
  }
  function status(msg) {
    var el = document.getElementById("passkey-status");
    if (el) { el.textContent = msg; }
  }
  if (!window.PublicKeyCredential) { return; }
  var signin = document.getElementById("passkey-signin");
  if (signin) {
    signin.hidden = false;
    signin.addEventListener("click", function () {
      status(text("Waiting for your passkey…", "请验证通行密钥…"));
      post("/console/signin/passkey/begin").then(function (o) {
        o.challenge = unb64u(o.challenge);
        (o.allowCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
        return navigator.credentials.get({publicKey: o});
      }).then(function (cred) {
        return post("/console/signin/passkey/finish",
          {credential: credentialJSON(cred), next: signin.dataset.next || "/console/"});
      }).then(function (answer) { window.location.assign(answer.to); }).catch(function () {
        status(text("Passkey sign-in did not work: use your password.", "通行密钥登录未成功，请使用密码。"));
      });
    });
  }
  var register = document.getElementById("passkey-register");
  if (register) {
    register.hidden = false;
    register.addEventListener("click", function () {
      post("/console/account/passkey/begin").then(function (o) {
        o.challenge = unb64u(o.challenge);
        o.user.id = unb64u(o.user.id);
        (o.excludeCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
        return navigator.credentials.create({publicKey: o});
      }).then(function (cred) {
        return post("/console/account/passkey/finish",
          {credential: credentialJSON(cred), name: navigator.platform || "passkey"});
      }).then(function () {
        status(text("Passkey added.", "已添加通行密钥。"));
      }).catch(function () {
        status(text("The passkey was not added.", "未能添加通行密钥。"));
      });
    });
  }
})();
