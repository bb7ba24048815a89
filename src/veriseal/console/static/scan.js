/*
 * Veriseal console: read QR codes and DataMatrix symbols with the device's camera.
 *
 * Progressive enhancement (the form works without this script, by typing the code):
 *
 *   <form data-scanner ...>          <input name="code">  ... </form>
 *   <form data-scanner="multi" ...>  <textarea name="codes"></textarea> ... </form>
 *
 * Include only this file: <script src="{{ static('scan.js') }}" defer> (CSP script-src
 * 'self' 'wasm-unsafe-eval': no inline script anywhere). It links its stylesheet,
 * scan.css, and on the first camera button press loads the decoder, zxing-cpp compiled to
 * WebAssembly: vendor/zxing-reader.js (global ZXingWASM, 39 KB) and the
 * vendor/zxing_reader.wasm it is pointed at (950 KB), all from beside itself; a page
 * that already loaded ZXingWASM is used as it is.
 *
 * - Adds a button "用相机扫描 / Scan with camera" after the field. A click opens the rear
 *   camera (facingMode environment, when the device has one) in a <video> and decodes
 *   QR and DataMatrix continuously (about 8 frames a second).
 * - Single: the first code read fills input[name=code], the camera stops and the form is
 *   submitted (requestSubmit: the form's own validation and submit handlers run).
 * - The text is the symbol's content, except GS1 data (a leading FNC1): it starts with the
 *   symbology identifier "]d2" (DataMatrix) or "]Q3" (QR), then the raw element string
 *   (GS between variable-length fields), as hand scanners send it.
 * - Multi: each DISTINCT code is appended as a line to textarea[name=codes], with a
 *   visual tick and a count (no sound); the camera stays on until "Stop" or submit.
 * - The camera stops on submit, on "Stop", when the page is hidden or left, and when the
 *   form leaves the document (an htmx swap).
 * - No camera, permission denied, camera busy, no https: a message in the form's status
 *   line (role=status), and the focus goes back to the field for typing.
 * - Texts: a form's data-text-<key> attribute (start, stop, aim, found, added, again,
 *   denied, nocamera, busy, insecure, noreader, failed) wins; otherwise Chinese when
 *   <html lang> starts with "zh", else English.
 * - Classes (scan.css; the console's stylesheet, linked after it, wins): scanner-start,
 *   scanner-panel (holds scanner-video, scanner-tick, scanner-stop), scanner-status
 *   (+ scanner-error), scanner-tick-on while the tick shows.
 * - window.VerisealScan.enhance(root) enhances forms added later (htmx content is
 *   enhanced on its own: htmx:load / htmx:after:settle).
 */
(function () {
  'use strict';

  var TEXT = {
    start: ['Scan with camera', '用相机扫描'],
    stop: ['Stop camera', '关闭相机'],
    aim: ['Point the camera at the QR code or DataMatrix', '请将相机对准二维码或 DataMatrix 码'],
    found: ['Read: ', '已读取：'],
    added: ['Added: ', '已添加：'],
    again: ['Already in the list: ', '已在列表中：'],
    denied: [
      'Camera access was denied. Allow the camera for this site, or type the code.',
      '相机权限被拒绝。请允许本网站使用相机，或手动输入码。'
    ],
    nocamera: ['No camera was found. Type the code instead.', '未找到相机，请手动输入码。'],
    busy: [
      'The camera is in use by another app. Close it and try again, or type the code.',
      '相机正被其他应用占用。请关闭后重试，或手动输入码。'
    ],
    insecure: [
      'The camera needs a secure (https) connection. Type the code instead.',
      '使用相机需要安全连接（https），请手动输入码。'
    ],
    noreader: [
      'The barcode reader did not load. Type the code instead.',
      '条码识别组件未能加载，请手动输入码。'
    ],
    failed: ['The camera could not be started. Type the code instead.', '无法启动相机，请手动输入码。']
  };
  var FRAME_MS = 120; // decode rate: ~8 frames/s keeps a phone cool and still feels instant
  var MAX_SIDE = 1280; // larger frames only cost time: symbols are read at this size

  var zh = /^zh/i.test(document.documentElement.lang || '');
  var here = document.currentScript ? document.currentScript.src : '';

  function say(form, key) {
    var name = 'text' + key.charAt(0).toUpperCase() + key.slice(1);
    return form.dataset[name] || TEXT[key][zh ? 1 : 0];
  }

  function linkStyles() {
    if (!here || document.querySelector('link[data-scanner-css]')) return;
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL('scan.css', here).href;
    link.setAttribute('data-scanner-css', '');
    // first in <head>: the console's own stylesheet, linked later, wins over it
    document.head.insertBefore(link, document.head.firstChild);
  }

  var decoder = null; // Promise of the ready ZXingWASM global, loaded once per page

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error(src + ' did not load')); };
      document.head.appendChild(script);
    });
  }

  // the script, then its WebAssembly from beside it (never the library's default CDN):
  // fireImmediately makes a missing or refused .wasm fail here, as "noreader"
  function loadDecoder() {
    if (!decoder) {
      var script = window.ZXingWASM ? Promise.resolve()
        : here ? loadScript(new URL('vendor/zxing-reader.js', here).href)
          : Promise.reject(new Error('no script URL'));
      decoder = script.then(function () {
        var lib = window.ZXingWASM;
        if (!lib) throw new Error('no ZXingWASM');
        var base = here || document.baseURI;
        return lib.prepareZXingModule({
          overrides: {
            locateFile: function (path) { return new URL('vendor/' + path, base).href; }
          },
          fireImmediately: true
        }).then(function () { return lib; });
      });
      decoder.catch(function () { decoder = null; }); // the next press tries again
    }
    return decoder;
  }

  // measured on a 1280x720 frame in desktop Chromium: 15 ms without a symbol (54 ms with
  // the library's default tryRotate and tryInvert, which serve linear codes and light-on-
  // dark symbols: 2D symbols are read in any orientation regardless), 7 ms with one
  var READ = {
    formats: ['QRCode', 'DataMatrix'],
    tryHarder: true,
    tryRotate: false,
    tryInvert: false,
    maxNumberOfSymbols: 1,
    textMode: 'Plain' // the content as encoded (GS1: raw, GS between fields), not "(01)..."
  };

  // GS1 data (a leading FNC1): send the symbology identifier first, as a hand scanner
  // does, so the server reads an element string (GS separators between fields stay)
  function gs1(result) {
    var id = result.symbologyIdentifier;
    return id === ']d2' || id === ']Q3' ? id + result.text : result.text;
  }

  function release(stream) {
    stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function failureKey(err) {
    switch (err && err.name) {
      case 'NotAllowedError':
      case 'PermissionDeniedError':
      case 'SecurityError':
        return 'denied';
      case 'NotFoundError':
      case 'DevicesNotFoundError':
      case 'OverconstrainedError':
        return 'nocamera';
      case 'NotReadableError':
      case 'TrackStartError':
      case 'AbortError':
        return 'busy';
      default:
        return 'failed';
    }
  }

  function Scanner(form, field) {
    this.form = form;
    this.field = field;
    this.multi = form.getAttribute('data-scanner') === 'multi';
    this.stream = null;
    this.opening = false;
    this.timer = 0;
    this.reader = null;
    this.last = '';
    this.seen = new Set();
    this.build();
  }

  Scanner.prototype.build = function () {
    var self = this;
    var form = this.form;
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.className = 'btn scanner-start';
    this.button.textContent = say(form, 'start');

    this.panel = document.createElement('div');
    this.panel.className = 'scanner-panel';
    this.panel.hidden = true;
    this.video = document.createElement('video');
    this.video.className = 'scanner-video';
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute('playsinline', '');
    this.video.setAttribute('aria-label', say(form, 'aim'));
    this.tick = document.createElement('span');
    this.tick.className = 'scanner-tick';
    this.tick.setAttribute('aria-hidden', 'true');
    this.tick.textContent = '\u2713';
    this.stopButton = document.createElement('button');
    this.stopButton.type = 'button';
    this.stopButton.className = 'btn scanner-stop';
    this.stopButton.textContent = say(form, 'stop');
    this.panel.appendChild(this.video);
    this.panel.appendChild(this.tick);
    this.panel.appendChild(this.stopButton);

    this.status = document.createElement('p');
    this.status.className = 'scanner-status';
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');

    this.field.insertAdjacentElement('afterend', this.button);
    this.button.insertAdjacentElement('afterend', this.panel);
    this.panel.insertAdjacentElement('afterend', this.status);

    this.canvas = document.createElement('canvas');
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });

    this.button.addEventListener('click', function () { self.start(); });
    this.stopButton.addEventListener('click', function () {
      self.stop();
      self.button.focus();
    });
    form.addEventListener('submit', function () { self.stop(); });
    window.addEventListener('pagehide', function () { self.stop(); });
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) self.stop();
    });
  };

  Scanner.prototype.show = function (text, kind) {
    this.status.textContent = text;
    this.status.classList.toggle('scanner-error', kind === 'error');
  };

  Scanner.prototype.start = function () {
    var self = this;
    if (this.stream || this.opening) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return this.fail(window.isSecureContext === false ? 'insecure' : 'nocamera');
    }
    this.opening = true; // stop() before the camera opens cancels it
    this.button.disabled = true;
    this.show(say(this.form, 'aim'));
    // the decoder loads while the camera opens (and the person answers the prompt)
    var ready = loadDecoder().then(function (lib) {
      self.reader = lib;
    }, function () {
      var err = new Error('the decoder did not load');
      err.decoder = true;
      throw err;
    });
    var camera = navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }
    });
    Promise.all([camera, ready]).then(function (got) {
      var stream = got[0];
      self.button.disabled = false;
      if (!self.opening) {
        release(stream);
        return;
      }
      self.opening = false;
      self.stream = stream;
      self.video.srcObject = stream;
      self.panel.hidden = false;
      self.button.hidden = true;
      self.schedule();
      return self.video.play().catch(function () {
        // muted inline video plays without a gesture; a stop() meanwhile aborts play()
      });
    }, function (err) {
      self.button.disabled = false;
      if (err && err.decoder) camera.then(release, function () {}); // no use without it
      if (self.opening) self.fail(err && err.decoder ? 'noreader' : failureKey(err));
    });
  };

  Scanner.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.frame(); }, FRAME_MS);
  };

  Scanner.prototype.frame = function () {
    if (!this.stream) return;
    if (!this.form.isConnected) return this.stop();
    var video = this.video;
    if (video.readyState >= 2 && video.videoWidth > 0) {
      var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      if (this.canvas.width !== w || this.canvas.height !== h) {
        this.canvas.width = w;
        this.canvas.height = h;
      }
      this.context.drawImage(video, 0, 0, w, h);
      var self = this;
      var stream = this.stream;
      // the next frame is scheduled once this one is read: a slow phone decodes less
      // often instead of queueing frames
      this.decode().then(function (text) {
        if (self.stream !== stream) return; // stopped (or restarted) meanwhile
        if (text !== null) {
          self.found(text);
          if (!self.stream) return;
        }
        self.schedule();
      });
      return;
    }
    this.schedule();
  };

  // the frame's first valid QR code or DataMatrix, or null (none, or unreadable)
  Scanner.prototype.decode = function () {
    var image = this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
    return this.reader.readBarcodes(image, READ).then(function (results) {
      var valid = results.filter(function (r) { return r.isValid; });
      return valid.length ? gs1(valid[0]) : null;
    }, function () { return null; });
  };

  Scanner.prototype.found = function (text) {
    var form = this.form;
    if (!this.multi) {
      this.field.value = text;
      this.field.dispatchEvent(new Event('input', { bubbles: true }));
      this.field.dispatchEvent(new Event('change', { bubbles: true }));
      this.stop();
      this.show(say(form, 'found') + text);
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.submit();
      return;
    }
    if (text === this.last) return; // the same symbol, still in view
    this.last = text;
    this.seen = new Set(this.field.value.split(/\r?\n/).map(function (s) { return s.trim(); }));
    if (this.seen.has(text)) {
      this.show(say(form, 'again') + text);
      return;
    }
    var value = this.field.value;
    this.field.value = value + (value && !/\n$/.test(value) ? '\n' : '') + text + '\n';
    this.field.dispatchEvent(new Event('input', { bubbles: true }));
    var count = this.field.value.split(/\r?\n/).filter(function (s) { return s.trim(); }).length;
    this.show(say(form, 'added') + text + ' (' + count + ')');
    var tick = this.tick;
    tick.classList.remove('scanner-tick-on');
    void tick.offsetWidth; // restart the animation for each new code
    tick.classList.add('scanner-tick-on');
  };

  Scanner.prototype.stop = function () {
    this.opening = false;
    clearTimeout(this.timer);
    if (this.stream) {
      release(this.stream);
      this.stream = null;
    }
    this.video.srcObject = null;
    this.panel.hidden = true;
    this.button.hidden = false;
    this.last = '';
  };

  Scanner.prototype.fail = function (key) {
    this.stop();
    this.show(say(this.form, key), 'error');
    this.field.focus();
  };

  function enhance(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var forms = Array.prototype.slice.call(scope.querySelectorAll('form[data-scanner]'));
    if (scope.matches && scope.matches('form[data-scanner]')) forms.push(scope);
    forms.forEach(function (form) {
      if (form.scanner) return;
      var multi = form.getAttribute('data-scanner') === 'multi';
      var field = form.querySelector(multi ? 'textarea[name="codes"]' : 'input[name="code"]');
      if (field) form.scanner = new Scanner(form, field);
    });
  }

  function init() {
    linkStyles();
    enhance(document);
  }

  window.VerisealScan = { enhance: enhance };
  document.addEventListener('htmx:load', function (e) { enhance(e.target); });
  document.addEventListener('htmx:after:settle', function (e) { enhance(e.target); });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
