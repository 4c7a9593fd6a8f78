/* Evidence photos leave the phone as a reduced copy: a 12-megapixel camera JPEG (~3.5 MB) is a few
   hundred KB at 2560 px, which matters over mobile data.

   Acts on input[type=file][data-shrink] (the value: longest side in pixels, GONGJIAN_PHOTO_MAX_SIDE),
   including inputs added later (report.js's "再拍一张"). Each chosen JPEG larger than that is decoded
   upright, drawn scaled onto a canvas and encoded again; the original's EXIF segment goes into the copy
   with Orientation set to 1 (the pixels are upright now), so the capture time and the GPS position the
   server reads as evidence survive. Anything else (PNG, a photo already small enough, a copy that is not
   smaller, an old browser, any error) keeps the original file: shrinking never blocks an upload.
   While it works the form's submit button is disabled and a polite status says so. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var QUALITY = 0.88;

  function supported() {
    if (typeof window.createImageBitmap !== "function" || typeof window.DataTransfer !== "function") return false;
    if (!window.Blob || !Blob.prototype.arrayBuffer || !HTMLCanvasElement.prototype.toBlob) return false;
    try { new DataTransfer(); } catch (e) { return false; }  // older Safari has the name but no constructor
    return true;
  }
  if (!supported()) return;

  // --- JPEG bytes -------------------------------------------------------------------------------

  function isJpeg(b) { return b.length > 4 && b[0] === 0xFF && b[1] === 0xD8 && b[2] === 0xFF; }

  // Calls visit(marker, start, end) for each segment before the image data (start at its 0xFF, end
  // just after it); visit returns false to stop. Throws on a malformed header.
  function segments(b, visit) {
    var i = 2;
    while (i + 4 <= b.length) {
      if (b[i] !== 0xFF) throw new Error("JPEG: marker expected");
      var marker = b[i + 1];
      if (marker === 0xFF) { i += 1; continue; }                 // fill byte
      if (marker === 0xDA || marker === 0xD9) return;            // start of scan, end of image
      if ((marker >= 0xD0 && marker <= 0xD7) || marker === 0x01) { i += 2; continue; }
      var length = (b[i + 2] << 8) | b[i + 3];
      if (length < 2 || i + 2 + length > b.length) throw new Error("JPEG: bad segment length");
      if (visit(marker, i, i + 2 + length) === false) return;
      i += 2 + length;
    }
  }

  // The stored pixel size from the frame header (SOFn), before any EXIF rotation; null if none.
  function storedSize(b) {
    var size = null;
    segments(b, function (marker, s) {
      if (marker >= 0xC0 && marker <= 0xCF && marker !== 0xC4 && marker !== 0xC8 && marker !== 0xCC) {
        size = {height: (b[s + 5] << 8) | b[s + 6], width: (b[s + 7] << 8) | b[s + 8]};
        return false;
      }
    });
    return size;
  }

  // A copy of the APP1 "Exif\0\0" segment (marker and length included), or null.
  function exifSegment(b) {
    var found = null;
    segments(b, function (marker, s, e) {
      if (marker === 0xE1 && e - s > 10 && b[s + 4] === 0x45 && b[s + 5] === 0x78 && b[s + 6] === 0x69 &&
          b[s + 7] === 0x66 && b[s + 8] === 0 && b[s + 9] === 0) {
        found = b.slice(s, e);
        return false;
      }
    });
    return found;
  }

  // Rewrites the EXIF segment in place for the upright copy of width x height: IFD0's Orientation
  // (0x0112) becomes 1, the Exif IFD's PixelXDimension/PixelYDimension the new size. Returns the old
  // orientation (1 when there was none). Throws (RangeError) when an offset points outside the segment.
  function uprightExif(seg, width, height) {
    var tiff = 10;  // after FF E1, the length and "Exif\0\0"
    var v = new DataView(seg.buffer, seg.byteOffset, seg.byteLength);
    var order = v.getUint16(tiff);
    if (order !== 0x4949 && order !== 0x4D4D) throw new Error("EXIF: bad byte order");
    var le = order === 0x4949;  // "II": little-endian, "MM": big-endian
    if (v.getUint16(tiff + 2, le) !== 42) throw new Error("EXIF: not TIFF");

    function entries(offset, each) {
      var at = tiff + offset, n = v.getUint16(at, le);
      for (var k = 0; k < n; k++) {
        var e = at + 2 + 12 * k;  // tag, type, count, then the value (or its offset) in 4 bytes
        each(v.getUint16(e, le), v.getUint16(e + 2, le), v.getUint32(e + 4, le), e + 8);
      }
    }
    var orientation = 1, exifIfd = 0;
    entries(v.getUint32(tiff + 4, le), function (tag, type, count, value) {
      if (tag === 0x0112 && type === 3 && count === 1) {
        orientation = v.getUint16(value, le);
        v.setUint16(value, 1, le);
      } else if (tag === 0x8769 && count === 1) {
        exifIfd = v.getUint32(value, le);
      }
    });
    if (exifIfd) {
      entries(exifIfd, function (tag, type, count, value) {
        if ((tag === 0xA002 || tag === 0xA003) && count === 1) {
          var n = tag === 0xA002 ? width : height;
          if (type === 3) v.setUint16(value, n, le); else if (type === 4) v.setUint32(value, n, le);
        }
      });
    }
    return orientation;
  }

  // The encoder's JPEG with the EXIF segment right after SOI (its own JFIF APP0, if any, left out:
  // an EXIF file starts with APP1).
  function withExif(jpeg, seg) {
    var rest = 2;
    if (jpeg[2] === 0xFF && jpeg[3] === 0xE0 && jpeg[6] === 0x4A && jpeg[7] === 0x46 && jpeg[8] === 0x49 &&
        jpeg[9] === 0x46 && jpeg[10] === 0) {
      rest = 4 + ((jpeg[4] << 8) | jpeg[5]);
    }
    return new Blob([jpeg.subarray(0, 2), seg, jpeg.subarray(rest)], {type: "image/jpeg"});
  }

  function encode(canvas) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { if (blob) resolve(blob); else reject(new Error("encode failed")); },
        "image/jpeg", QUALITY);
    });
  }

  // The file to send in place of `file`: a reduced copy, or `file` itself.
  function shrink(file, max) {
    if (!/^image\/(jpeg|pjpeg)$/i.test(file.type) && !/\.jpe?g$/i.test(file.name)) return Promise.resolve(file);
    var bytes, stored, exif;
    return file.arrayBuffer().then(function (buffer) {
      bytes = new Uint8Array(buffer);
      if (!isJpeg(bytes)) return file;
      stored = storedSize(bytes);
      if (stored && Math.max(stored.width, stored.height) <= max) return file;  // no need to decode it
      exif = exifSegment(bytes);
      return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
        var scale = max / Math.max(bitmap.width, bitmap.height);
        if (!(scale < 1)) { bitmap.close(); return file; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        var turned = stored && bitmap.width === stored.height && bitmap.height === stored.width;
        var ctx = canvas.getContext("2d");
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = "high";
        ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        bitmap.close();
        return encode(canvas).then(function (blob) {
          var width = canvas.width, height = canvas.height;
          canvas.width = canvas.height = 0;  // give the memory back at once (phones)
          if (!exif) return blob;
          var orientation = uprightExif(exif, width, height);
          // A browser that ignored the EXIF rotation left the pixels as stored: marking them upright
          // would turn the photo; send the original instead.
          if (stored && stored.width !== stored.height && (orientation >= 5 && orientation <= 8) !== turned) {
            throw new Error("orientation not applied");
          }
          return blob.arrayBuffer().then(function (out) { return withExif(new Uint8Array(out), exif); });
        });
      });
    }).then(function (body) {
      if (body === file || body.size >= file.size) return file;  // keep a copy only when it saves bytes
      return new File([body], file.name, {type: "image/jpeg", lastModified: file.lastModified});
    }).catch(function () { return file; });
  }

  // --- the forms ------------------------------------------------------------------------------

  var pending = new WeakMap();  // form -> photo inputs being processed
  var rounds = new WeakMap();   // input -> number of its latest choice (a newer one wins)
  var replacing = null;         // the input whose change event we are sending ourselves

  function submitButtons(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll("button:not([type]), button[type=submit], input[type=submit]"));
  }

  function statusOf(form) {
    var el = form.querySelector(".photo-status");
    if (!el) {
      el = document.createElement("div");
      el.className = "photo-status muted";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      var button = submitButtons(form)[0], before = button;
      while (before && before.parentNode !== form) before = before.parentNode;
      form.insertBefore(el, before || null);
    }
    return el;
  }

  function begin(form) {
    var n = (pending.get(form) || 0) + 1;
    pending.set(form, n);
    if (n > 1) return;
    submitButtons(form).forEach(function (b) {
      if (!b.disabled) { b.disabled = true; b.setAttribute("data-shrink-wait", ""); }
    });
    form.setAttribute("aria-busy", "true");
    statusOf(form).textContent = gettext("正在压缩照片…");
  }

  function end(form) {
    var n = (pending.get(form) || 1) - 1;
    pending.set(form, n);
    if (n > 0) return;
    submitButtons(form).forEach(function (b) {
      if (b.hasAttribute("data-shrink-wait")) { b.disabled = false; b.removeAttribute("data-shrink-wait"); }
    });
    form.removeAttribute("aria-busy");
    statusOf(form).textContent = "";
  }

  function process(input) {
    var max = parseInt(input.getAttribute("data-shrink"), 10);
    if (!(max > 0) || !input.files || !input.files.length) return;
    var files = Array.prototype.slice.call(input.files);
    var round = (rounds.get(input) || 0) + 1;
    rounds.set(input, round);
    var form = input.form;
    if (form) begin(form);
    // One photo at a time: a 12-megapixel bitmap is ~48 MB of memory.
    var chosen = [];
    var chain = files.reduce(function (done, file) {
      return done.then(function () { return shrink(file, max); }).then(function (f) { chosen.push(f); });
    }, Promise.resolve());
    chain.then(function () {
      if (rounds.get(input) !== round) return;  // chosen again meanwhile: that round replaces the files
      if (chosen.every(function (f, i) { return f === files[i]; })) return;
      var transfer = new DataTransfer();
      chosen.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      replacing = input;
      try { input.dispatchEvent(new Event("change", {bubbles: true})); } finally { replacing = null; }
    }).catch(function () { /* the original files stay */ }).then(function () { if (form) end(form); });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input === replacing || input.tagName !== "INPUT" || input.type !== "file" ||
        !input.hasAttribute("data-shrink")) return;
    process(input);
  });
  // A form cannot be sent while its photos are being processed (Enter in a field included).
  document.addEventListener("submit", function (event) {
    if (pending.get(event.target) > 0) event.preventDefault();
  }, true);
  // The status region exists before it speaks, so screen readers announce it.
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-shrink]"), function (input) {
    if (input.form) statusOf(input.form);
  });
})();
