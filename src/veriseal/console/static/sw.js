// The console's service worker, served at /console/sw.js so that its scope is /console/.
// It shows Web Push messages (the server's payload: {title, body, url, type, tag}) and
// opens the message's page when one is tapped. It caches nothing: the console is
// server-rendered and must never show a stale page.
"use strict";

var HOME = "/console/";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

// Only a page of this site under /console/ (a payload can name nothing else).
function consoleUrl(value) {
  try {
    var url = new URL(value || HOME, self.location.origin);
    if (url.origin === self.location.origin && url.pathname.indexOf(HOME) === 0) {
      return url.href;
    }
  } catch (e) { /* not a URL: the home page */ }
  return new URL(HOME, self.location.origin).href;
}

self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = {body: event.data.text()}; }
  }
  var options = {
    body: data.body || "",
    data: {url: consoleUrl(data.url), type: data.type || ""},
    icon: "/console/static/icon-192.png",
    badge: "/console/static/icon-192.png"
  };
  // the same tag again (a message the outbox sent twice) replaces, never repeats
  if (data.tag) { options.tag = data.tag; }
  event.waitUntil(self.registration.showNotification(data.title || "真证 Veriseal", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = consoleUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true})
    .then(function (windows) {
      var i;
      for (i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) { return windows[i].focus(); }
      }
      for (i = 0; i < windows.length; i++) {  // a console window: take it there
        if (windows[i].url.indexOf(new URL(HOME, self.location.origin).href) === 0 &&
            "navigate" in windows[i]) {
          return windows[i].navigate(target).then(function (w) { return w && w.focus(); });
        }
      }
      return self.clients.openWindow(target);
    }));
});
