// Web Push on the account page (#push-device): registers the console's service worker
// (/console/sw.js, scope /console/), and on "Notify me on this device" asks for the
// notification permission, subscribes with the server's VAPID key and hands the
// subscription to the console (POST /console/me/push, X-CSRF-Token). "Stop" unsubscribes
// and tells the console to forget this device. A subscription the browser already has
// is handed over again on every visit: the server then knows its current keys, and a
// shared device belongs to whoever is signed in now.
(function () {
  "use strict";
  var root = document.getElementById("push-device");
  if (!root) { return; }
  var csrf = document.body.dataset.csrf;
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  var statusEl = document.getElementById("push-status");
  function text(en, cn) { return zh ? cn : en; }
  function status(msg) { statusEl.textContent = msg; }
  function unb64u(value) {
    var s = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)}).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }
  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    root.dataset.subscribed = subscribed ? "yes" : "no";
  }
  if (!("serviceWorker" in navigator)) {
    status(text("This browser cannot receive notifications.", "此浏览器不支持接收通知。"));
    return;
  }
  var registered = navigator.serviceWorker.register("/console/sw.js", {scope: "/console/"});
  registered.then(function () { root.dataset.worker = "registered"; }, function () {
    status(text("Notifications are not available here.", "此处无法使用通知。"));
  });
  if (!("PushManager" in window) || !("Notification" in window)) {
    status(text("This browser cannot receive notifications.", "此浏览器不支持接收通知。"));
    return;
  }
  navigator.serviceWorker.ready.then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (sub) {
    show(!!sub);
    if (sub && Notification.permission === "granted") {
      post("/console/me/push", {subscription: sub.toJSON()}).catch(function () {});
    }
  });
  on.addEventListener("click", function () {
    status(text("Asking for permission…", "正在请求通知权限…"));
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return Promise.all([navigator.serviceWorker.ready,
        fetch("/api/v1/push/vapid-key").then(function (r) { return r.json(); })]);
    }).then(function (both) {
      return both[0].pushManager.subscribe({userVisibleOnly: true,
        applicationServerKey: unb64u(both[1].key)});
    }).then(function (sub) {
      return post("/console/me/push", {subscription: sub.toJSON()});
    }).then(function () {
      show(true);
      status(text("This device will receive notifications.", "此设备将接收通知。"));
    }).catch(function (err) {
      status(err && err.message === "denied"
        ? text("Notifications are blocked for this site in the browser's settings.",
               "浏览器设置中已禁止本站通知。")
        : text("Could not turn on notifications on this device.", "无法在此设备开启通知。"));
    });
  });
  off.addEventListener("click", function () {
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) { return null; }
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return post("/console/me/push/remove", {endpoint: endpoint});
      });
    }).then(function () {
      show(false);
      status(text("This device will no longer receive notifications.", "此设备将不再接收通知。"));
    }).catch(function () {
      status(text("Could not stop notifications on this device.", "无法在此设备停止通知。"));
    });
  });
}());
