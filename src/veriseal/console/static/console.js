// Veriseal console: small progressive enhancements. The pages work without this file.
(function () {
  "use strict";
  // The browser's time zone, for pages that show times when the profile names none.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("vs_tz=" + encodeURIComponent(zone)) < 0) {
      var secure = location.protocol === "https:" || location.hostname === "127.0.0.1" ||
        location.hostname === "localhost";
      document.cookie = (secure ? "__Host-vs_tz=" : "vs_tz=") + encodeURIComponent(zone) +
        "; Path=/; Max-Age=31536000; SameSite=Lax" + (secure ? "; Secure" : "");
    }
  } catch (e) { /* no Intl: the server's default zone */ }
  // Ask before destructive actions: <form data-confirm="text">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
