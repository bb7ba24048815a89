// Veriseal console: the scan page's location, asked when the form is sent.
// <form data-locate> with hidden lat/lon/acc inputs: on submit the browser is asked for
// its position (its own prompt is the consent); the form goes either way, at once when
// there is no geolocation, after at most 6 seconds otherwise. Without this file (or
// JavaScript) the scan is simply recorded without a location.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-locate")) { return; }
    if (form.dataset.located === "1" || !navigator.geolocation) { return; }
    event.preventDefault();
    var sent = false;
    function send() {
      if (sent) { return; }
      sent = true;
      form.dataset.located = "1";
      form.submit();
    }
    function put(name, value) {
      var input = form.querySelector('input[name="' + name + '"]');
      if (input) { input.value = value; }
    }
    navigator.geolocation.getCurrentPosition(function (p) {
      put("lat", p.coords.latitude.toFixed(6));
      put("lon", p.coords.longitude.toFixed(6));
      put("acc", String(Math.round(p.coords.accuracy)));
      send();
    }, send, { timeout: 6000, maximumAge: 120000 });
    window.setTimeout(send, 6500);
  });
})();
